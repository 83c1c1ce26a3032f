"""Access policies of the visits engine, registered once from VisitsConfig.ready().

* ``visit_plan``: plans and their visits, in the jurisdiction of the plan's unit. The people
  who visit (officers, auxiliaries, grid workers) and their supervisors view them and record
  visits; the auditor reads; the system administrator sees none (they are about residents).
  A plan whose target carries a sensitive label (a care recipient) is visible only to
  members holding the grant for it, like the target itself.
* ``visit_plan_change``: the same plans, seen by the same people; only a sergeant or a
  station chief (or brigade and detachment staff above) changes a plan's terms (cadence,
  who answers for it, its end), since that sets the work of the people who visit.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from liuqing.core.access import SUPERVISORS, Policy, register
from liuqing.core.models import Role
from liuqing.visits.models import Visit, VisitPlan

VISIT_PLAN = "visit_plan"
VISIT = "visit"
VISIT_PLAN_CHANGE = "visit_plan_change"

VISITORS = frozenset({Role.OFFICER, Role.AUXILIARY, Role.GRID_WORKER}) | SUPERVISORS


def _hidden(labels: frozenset[str], prefix: str = "") -> Q:
    """Plans carrying a label the member lacks (either of the two)."""
    hidden = Q()
    for field in (f"{prefix}sensitive_label", f"{prefix}restricted_label"):
        hidden |= Q(**{f"{field}__gt": ""}) & ~Q(**{f"{field}__in": sorted(labels)})
    return hidden


def _plan_labels(plan: VisitPlan) -> Iterable[str]:
    return [label for label in (plan.sensitive_label, plan.restricted_label) if label]


def _visit_labels(visit: Visit) -> Iterable[str]:
    return _plan_labels(visit.plan)


register(
    Policy(
        kind=VISIT_PLAN,
        model=VisitPlan,
        view=VISITORS,
        change=VISITORS,
        resident_data=True,
        sensitive_q=_hidden,
        labels_of=_plan_labels,
    )
)
register(
    Policy(
        kind=VISIT_PLAN_CHANGE,
        model=VisitPlan,
        view=VISITORS,
        change=SUPERVISORS,
        resident_data=True,
        sensitive_q=_hidden,
        labels_of=_plan_labels,
    )
)
register(
    Policy(
        kind=VISIT,
        model=Visit,
        view=VISITORS,
        change=VISITORS,
        unit_field="plan__unit",
        resident_data=True,
        sensitive_q=lambda labels: _hidden(labels, "plan__"),
        labels_of=_visit_labels,
    )
)
