"""The dispute workflow and access policies, registered once from MediationConfig.ready().

* Workflow ``dispute`` (numbers "TJ-2026-000123"), the People's Mediation Law's states:
  received → accepted (or not accepted, on a party's explicit refusal) → in mediation →
  agreed (an agreement in force, performance monitored) → closed once performed; or
  terminated without agreement (closed); or withdrawn. A default sends an agreed dispute
  back to mediation (re-mediation). Agreed disputes pause the engine's clocks: the deadline
  is about reaching an agreement. Transitions are made only by this module's services
  (`liuqing.mediation.services`), which record the mediation details with them; the
  engine's generic pages offer none of them.
* Policy ``dispute``: cases of kind dispute. Every staff role may look (the auditor
  read-only); handlers, supervisors and mediators act. The system administrator sees none.
* Policy ``dispute_party``: the parties' encrypted details, for reveals.
* Policy ``mediation_committee``: the mediation organisations of a unit; chiefs manage them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.casework.policies import case_policy
from liuqing.casework.workflows import (
    ACCEPTED,
    CLOSED,
    IN_PROGRESS,
    RECEIVED,
    STAFF,
    WITHDRAWN,
    Transition,
    Workflow,
    register,
)
from liuqing.core.access import ALL_STAFF, CHIEFS, Policy
from liuqing.core.access import register as register_policy
from liuqing.mediation.models import Committee, Party

DISPUTE = "dispute"
DISPUTE_PARTY = "dispute_party"
COMMITTEE = "mediation_committee"
PREFIX = "TJ"

NOT_ACCEPTED = "not_accepted"
AGREED = "agreed"
TERMINATED = "terminated"

STATE_LABELS = {
    RECEIVED: _("Received"),
    ACCEPTED: _("Accepted"),
    IN_PROGRESS: _("In mediation"),
    AGREED: _("Agreement in force"),
    CLOSED: _("Closed"),
    TERMINATED: _("Terminated"),
    WITHDRAWN: _("Withdrawn"),
    NOT_ACCEPTED: _("Not accepted"),
}

_OPEN = frozenset({RECEIVED, ACCEPTED, IN_PROGRESS})
# No role makes these transitions through the engine's generic case pages and API: each one
# comes with mediation records (an agreement, the channels advised, the refusal advice), so
# only this module's services make them, after their own checks.
MODULE_ONLY: frozenset[str] = frozenset()

WORKFLOW = register(
    Workflow(
        kind=DISPUTE,
        prefix=PREFIX,
        label=_("Dispute"),
        transitions={
            "accept": Transition(frozenset({RECEIVED}), ACCEPTED, MODULE_ONLY),
            "refuse": Transition(frozenset({RECEIVED}), NOT_ACCEPTED, MODULE_ONLY),
            "start": Transition(frozenset({ACCEPTED}), IN_PROGRESS, MODULE_ONLY),
            "agree": Transition(frozenset({IN_PROGRESS}), AGREED, MODULE_ONLY),
            "terminate": Transition(frozenset({IN_PROGRESS, ACCEPTED}), TERMINATED, MODULE_ONLY),
            "withdraw": Transition(_OPEN, WITHDRAWN, MODULE_ONLY),
            "perform": Transition(frozenset({AGREED}), CLOSED, MODULE_ONLY),
            "remediate": Transition(frozenset({AGREED}), IN_PROGRESS, MODULE_ONLY),
        },
        paused=frozenset({AGREED}),
        closed=frozenset({CLOSED, TERMINATED}),
        excluded=frozenset({WITHDRAWN, NOT_ACCEPTED}),
        accept_hours=8,
        contact_hours=16,
        resolve_days=22,  # replaced by the one-month deadline on acceptance
        followup_days=5,
        policy_kind=DISPUTE,
        extra={"detail_url": "mediation:detail"},
    )
)

POLICY = case_policy(DISPUTE, view=ALL_STAFF, change=STAFF)
PARTY_POLICY = register_policy(
    Policy(
        kind=DISPUTE_PARTY,
        model=Party,
        view=ALL_STAFF,
        change=STAFF,
        unit_field="dispute__case__unit",
        resident_data=True,
    )
)
COMMITTEE_POLICY = register_policy(
    Policy(kind=COMMITTEE, model=Committee, view=ALL_STAFF, change=CHIEFS)
)
