"""The liaison workflow and access policies, registered once from LiaisonConfig.ready().

* Workflow ``liaison_problem`` (numbers "JL-2026-000012"): the standard lifecycle of the
  casework engine. Each category has its own resolution deadline (data migration 0002:
  labour disputes 15 working days, safety hazards 5, residence permits 10, security
  systems 20); 10 when a category gives none.
* Policy ``liaison_problem``: those cases; every staff role but the administrator looks,
  handlers and supervisors act.
* Policy ``organisation``: organisations (their contact is personal data), lessons and the
  problems' detail rows, in the jurisdiction of the organisation's unit. Officers, auxiliaries,
  grid workers, supervisors and analysts look; officers and supervisors change.
* Policy ``liaison_assignment``: who is assigned where is the supervisors' decision.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.casework.policies import case_policy
from liuqing.casework.workflows import STAFF, Workflow, register, standard_transitions
from liuqing.core.access import ALL_STAFF, SUPERVISORS, Policy
from liuqing.core.access import register as register_policy
from liuqing.core.models import Role
from liuqing.liaison.models import Assignment, Organisation

LIAISON_PROBLEM = "liaison_problem"
ORGANISATION = "organisation"
ASSIGNMENT = "liaison_assignment"

WORKFLOW = register(
    Workflow(
        kind=LIAISON_PROBLEM,
        prefix="JL",
        label=_("Liaison problem"),
        transitions=standard_transitions(),
        resolve_days=10,
        policy_kind=LIAISON_PROBLEM,
    )
)
case_policy(LIAISON_PROBLEM, view=ALL_STAFF, change=STAFF)

VIEWERS = frozenset({Role.OFFICER, Role.AUXILIARY, Role.GRID_WORKER, Role.ANALYST}) | SUPERVISORS
CHANGERS = frozenset({Role.OFFICER}) | SUPERVISORS
register_policy(
    Policy(kind=ORGANISATION, model=Organisation, view=VIEWERS, change=CHANGERS, resident_data=True)
)
register_policy(
    Policy(
        kind=ASSIGNMENT,
        model=Assignment,
        view=VIEWERS,
        change=SUPERVISORS,
        unit_field="organisation__unit",
        resident_data=True,
    )
)
