"""The appeal workflow and access policies, registered once from AppealsConfig.ready().

* Workflow ``appeal`` (numbers "SQ-2026-000123"): the standard lifecycle of the casework
  engine (受理 → 派遣 → 处置 → 核查结案, with wait, park, return, reopen and withdraw). Default
  service levels when no category gives one: acceptance within 8 working hours, first contact
  within 16, resolution within 10 working days; follow-up 3 working days after closure.
* Policy ``appeal``: cases of kind appeal. Every staff role may look (the auditor read-only);
  handlers and supervisors may act. Appeals hold residents' data, so the system
  administrator sees none of them. The engine checks it beside its own ``case`` policy on
  every read and write of an appeal (`Workflow.policy_kind`).
* Policy ``appeal_resident``: the `Appeal` detail rows (the resident's encrypted name, phone
  and address), owned by their case's unit, with the same roles as ``appeal``; it lets the
  core reveal service (`core.services.reveal_personal_data`) check and audit a reveal.
* Policy ``appeal_category``: the category tree is national configuration and belongs to no
  unit, so only the roles decide: every staff member views it; station chiefs, brigade and
  detachment staff and the system administrator (who holds no residents' data here) change it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.appeals.models import Appeal
from liuqing.casework.models import Category
from liuqing.casework.policies import case_policy
from liuqing.casework.workflows import STAFF, Workflow, register, standard_transitions
from liuqing.core.access import ALL_STAFF, CHIEFS, Policy
from liuqing.core.access import register as register_policy
from liuqing.core.models import Role

APPEAL = "appeal"
APPEAL_CATEGORY = "appeal_category"
APPEAL_RESIDENT = "appeal_resident"
PREFIX = "SQ"

WORKFLOW = register(
    Workflow(
        kind=APPEAL,
        prefix=PREFIX,
        label=_("Appeal"),
        transitions=standard_transitions(),
        accept_hours=8,
        contact_hours=16,
        resolve_days=10,
        followup_days=3,
        policy_kind=APPEAL,
        extra={"detail_url": "appeals:detail"},
    )
)

POLICY = case_policy(APPEAL, view=ALL_STAFF, change=STAFF)
RESIDENT_POLICY = register_policy(
    Policy(
        kind=APPEAL_RESIDENT,
        model=Appeal,
        view=ALL_STAFF,
        change=STAFF,
        unit_field="case__unit",
        resident_data=True,
    )
)

CATEGORY_ADMINS = CHIEFS | {Role.SYSADMIN}
CATEGORY_POLICY = register_policy(
    Policy(
        kind=APPEAL_CATEGORY,
        model=Category,
        view=ALL_STAFF,
        change=CATEGORY_ADMINS,
        unit_field="",
        extra={"global": True},  # no owning unit: only access.can() applies
    )
)
