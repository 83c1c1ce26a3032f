"""Each kind of case declares its workflow here: states, allowed transitions and who may make
them, which states pause the clocks, which count as closed, and its numbering prefix.

Modules register their workflow from their AppConfig.ready():

    register(Workflow(kind="appeal", prefix="SQ", label=_("Appeal"), ...))

The engine refuses any transition a workflow does not allow, with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from liuqing.core.models import Role

# The states every workflow shares; a module may add its own (e.g. mediation's "agreed").
RECEIVED = "received"  # recorded, not yet accepted by the unit
ACCEPTED = "accepted"  # accepted, waiting for assignment
IN_PROGRESS = "in_progress"  # an owner works on it
WAITING = "waiting"  # waiting on the resident or a third party (clock paused)
PARKED = "parked"  # tracked backlog (挂账; clock paused)
RETURNED = "returned"  # misrouted, back to dispatch (回退)
RESOLVED = "resolved"  # handler says done; awaiting verification by someone else
CLOSED = "closed"  # verified and closed (办结)
WITHDRAWN = "withdrawn"  # the resident withdrew; leaves the figures
MERGED = "merged"  # a duplicate merged into another case; leaves the figures

ACTION_LABELS: dict[str, Any] = {
    "accept": _("Accept"),
    "start": _("Start work"),
    "wait": _("Wait for the resident or a third party"),
    "resume": _("Resume work"),
    "park": _("Park in the backlog"),
    "unpark": _("Take out of the backlog"),
    "return": _("Return to dispatch"),
    "resolve": _("Mark resolved"),
    "verify": _("Verify and close"),
    "reject": _("Reject the resolution"),
    "reopen": _("Reopen"),
    "withdraw": _("Withdrawn by the resident"),
}

STATE_LABELS: dict[str, Any] = {
    RECEIVED: _("Received"),
    ACCEPTED: _("Accepted"),
    IN_PROGRESS: _("In progress"),
    WAITING: _("Waiting"),
    PARKED: _("Parked"),
    RETURNED: _("Returned"),
    RESOLVED: _("Resolved"),
    CLOSED: _("Closed"),
    WITHDRAWN: _("Withdrawn"),
    MERGED: _("Merged"),
}

HANDLERS = frozenset({Role.OFFICER, Role.AUXILIARY, Role.GRID_WORKER, Role.MEDIATOR})
SUPERVISORS = frozenset(
    {Role.SERGEANT, Role.STATION_CHIEF, Role.BRIGADE_STAFF, Role.DETACHMENT_STAFF}
)
STAFF = HANDLERS | SUPERVISORS


@dataclass(frozen=True)
class Transition:
    source: frozenset[str]
    target: str
    roles: frozenset[str]
    # The owner may make it whatever their roles (e.g. the handler marks resolved).
    owner_may: bool = False


@dataclass(frozen=True)
class Workflow:
    kind: str
    prefix: str
    label: Any
    transitions: dict[str, Transition]  # by action name: "accept", "start", "resolve", ...
    paused: frozenset[str] = frozenset({WAITING, PARKED})
    closed: frozenset[str] = frozenset({CLOSED})
    excluded: frozenset[str] = frozenset({WITHDRAWN, MERGED})  # leave the figures
    # Defaults when neither the category nor its parents give a service level.
    accept_hours: int = 8
    contact_hours: int = 16
    resolve_days: int = 10
    followup_days: int = 3  # working days after closure
    policy_kind: str = "case"  # the access policy kind for this workflow's cases
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def states(self) -> set[str]:
        result = {RECEIVED}
        for t in self.transitions.values():
            result |= set(t.source) | {t.target}
        return result

    def is_open(self, status: str) -> bool:
        """Neither closed nor excluded (paused cases are open, their clocks stand still)."""
        return status not in self.closed and status not in self.excluded

    def actions_from(self, status: str) -> list[str]:
        """The actions the workflow allows from `status`, in declaration order."""
        return [a for a, t in self.transitions.items() if status in t.source]

    def allowed(self, action: str, status: str) -> Transition | None:
        transition = self.transitions.get(action)
        if transition is None or status not in transition.source:
            return None
        return transition


def standard_transitions() -> dict[str, Transition]:
    """The lifecycle most kinds share: 受理 → 派遣 → 处置 → 核查结案, with the controlled
    exceptions. Modules copy and adjust it."""
    open_states = frozenset({ACCEPTED, IN_PROGRESS, WAITING})
    return {
        "accept": Transition(frozenset({RECEIVED, RETURNED}), ACCEPTED, STAFF),
        "start": Transition(frozenset({ACCEPTED}), IN_PROGRESS, STAFF, owner_may=True),
        "wait": Transition(frozenset({IN_PROGRESS}), WAITING, STAFF, owner_may=True),
        "resume": Transition(frozenset({WAITING}), IN_PROGRESS, STAFF, owner_may=True),
        # Parking and taking out of the backlog are the supervisor's decisions.
        "park": Transition(open_states, PARKED, SUPERVISORS),
        "unpark": Transition(frozenset({PARKED}), IN_PROGRESS, SUPERVISORS),
        "return": Transition(frozenset({ACCEPTED, IN_PROGRESS}), RETURNED, STAFF, owner_may=True),
        "resolve": Transition(frozenset({IN_PROGRESS, WAITING}), RESOLVED, STAFF, owner_may=True),
        "verify": Transition(frozenset({RESOLVED}), CLOSED, SUPERVISORS),
        "reject": Transition(frozenset({RESOLVED}), IN_PROGRESS, SUPERVISORS),
        "reopen": Transition(frozenset({CLOSED}), IN_PROGRESS, SUPERVISORS),
        "withdraw": Transition(
            frozenset({RECEIVED, ACCEPTED, IN_PROGRESS, WAITING, PARKED, RETURNED}),
            WITHDRAWN,
            STAFF,
            owner_may=True,
        ),
    }


WORKFLOWS: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    WORKFLOWS[workflow.kind] = workflow
    return workflow


def workflow_for(kind: str) -> Workflow:
    return WORKFLOWS[kind]
