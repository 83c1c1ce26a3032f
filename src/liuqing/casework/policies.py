"""Access policies of cases (see liuqing.core.access).

* ``case``: every case, whatever its kind. All staff may look (except the system
  administrator: cases hold residents' data); handlers and supervisors may act.
* ``case_supervision``: the supervisor's decisions on a case (assignment, extension decisions,
  merge, transfer) and the supervision queue. Sergeants, station chiefs, brigade and
  detachment staff.

A module that needs tighter rules for its own kind of case (say, only mediators act on
disputes, or a sensitive label hides some) registers its own policy with `case_policy()` and
names it in its workflow (`Workflow(policy_kind="dispute", ...)`). The engine then checks both
the ``case`` policy and the module's on every read and write of a case of that kind, and
`cases_visible_to` leaves out the cases of kinds whose policy the member does not pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Q

from liuqing.casework.models import Case
from liuqing.casework.workflows import STAFF
from liuqing.core.access import ALL_STAFF, SUPERVISORS, Policy, register

CASE = "case"
SUPERVISION = "case_supervision"


def case_policy(
    kind: str,
    *,
    view: frozenset[str] = ALL_STAFF,
    change: frozenset[str] = STAFF,
    sensitive_q: Callable[[frozenset[str]], Q] | None = None,
    labels_of: Callable[[Any], Iterable[str]] | None = None,
) -> Policy:
    """Register a module's policy for its own cases (the Policy's model is `Case`).

    `sensitive_q` (a Q over Case rows, typically through the module's detail table) and
    `labels_of` work as in liuqing.core.access; the engine adds the kind filter itself.
    """
    return register(
        Policy(
            kind=kind,
            model=Case,
            view=view,
            change=change,
            resident_data=True,
            sensitive_q=sensitive_q,
            labels_of=labels_of,
            root_skips_range=True,
            extra={"case_policy": True},
        )
    )


case_policy(CASE)
register(
    Policy(
        kind=SUPERVISION,
        model=Case,
        view=SUPERVISORS,
        change=SUPERVISORS,
        resident_data=True,
        root_skips_range=True,
    )
)
