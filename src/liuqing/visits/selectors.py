"""Reads of the visits engine, always through the acting member's scope."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet
from django.utils import timezone

from liuqing.analytics import visits as cadence
from liuqing.core import access
from liuqing.core.access import VIEW, AccessDenied
from liuqing.core.models import Member, Unit
from liuqing.visits.models import Cadence, Visit, VisitPhoto, VisitPlan
from liuqing.visits.policies import VISIT, VISIT_PLAN, VISIT_PLAN_CHANGE

DUE = "due"
OVERDUE = "overdue"


def week_end(day: dt.date) -> dt.date:
    """The Sunday ending `day`'s week (the horizon of "due this week")."""
    return day + dt.timedelta(days=6 - day.weekday())


def state_of(plan: VisitPlan, today: dt.date | None = None) -> str:
    """ "overdue", "due" (by the end of this week) or "" for a plan."""
    today = today or timezone.localdate()
    if not plan.is_active or plan.next_due is None:
        return ""
    if plan.next_due < today:
        return OVERDUE
    return DUE if plan.next_due <= week_end(today) else ""


@dataclass(frozen=True)
class PlanFilters:
    unit: Unit | None = None
    target_kind: str = ""
    state: str = ""  # "due" (this week, overdue included) or "overdue"
    mine: bool = False
    active: bool = True


def _mine_q(member: Member) -> Q:
    team_id = getattr(getattr(member, "team_membership", None), "team_id", None)
    q = Q(responsible=member)
    if team_id is not None:
        q |= Q(team_id=team_id)
    return q


def plans_visible_to(member: Member, filters: PlanFilters | None = None) -> QuerySet[VisitPlan]:
    """Plans of the member's jurisdiction (those they hold the labels for), soonest due
    first. AccessDenied for roles that do not visit."""
    if not access.can(member, VISIT_PLAN, VIEW):
        raise AccessDenied
    f = filters or PlanFilters()
    qs = access.scope(
        VisitPlan.objects.select_related("unit", "responsible", "team"), member, VISIT_PLAN
    )
    if f.active:
        qs = qs.filter(is_active=True)
    if f.unit is not None:
        qs = qs.filter(access.subtree_q(f.unit, "unit__path"))
    if f.target_kind:
        qs = qs.filter(target_kind=f.target_kind)
    today = timezone.localdate()
    if f.state == OVERDUE:
        qs = qs.filter(is_active=True, next_due__lt=today)
    elif f.state == DUE:
        qs = qs.filter(is_active=True, next_due__lte=week_end(today))
    if f.mine:
        qs = qs.filter(_mine_q(member))
    return qs.order_by("next_due", "pk")


def access_plan(member: Member, pk: Any, *, for_write: bool = False) -> VisitPlan:
    """One plan: 404 outside the jurisdiction or without its label's grant, 403 for roles
    that do not visit (or only read, when `for_write`)."""
    return access.access(
        member,
        VisitPlan.objects.select_related("unit", "responsible", "team"),
        VISIT_PLAN,
        pk,
        for_write=for_write,
    )


def access_plan_to_change(member: Member, pk: Any) -> VisitPlan:
    """One plan whose terms the member may change: 404 outside the jurisdiction or without
    its label's grant, 403 for roles other than sergeants and chiefs."""
    return access.access(
        member,
        VisitPlan.objects.select_related("unit", "responsible", "team"),
        VISIT_PLAN_CHANGE,
        pk,
        for_write=True,
    )


def plans_of_target(member: Member, target_kind: str, target_id: int) -> QuerySet[VisitPlan]:
    """The plans (active or ended) of one target that the member may see."""
    if not access.can(member, VISIT_PLAN, VIEW):
        return VisitPlan.objects.none()
    return access.scope(
        VisitPlan.objects.filter(target_kind=target_kind, target_id=target_id),
        member,
        VISIT_PLAN,
    ).order_by("-is_active", "-pk")


def is_visit_to(visit: Visit, *, target_kind: str, target_id: int) -> bool:
    """Whether `visit` was made under a plan of this target."""
    return visit.plan.target_kind == target_kind and visit.plan.target_id == target_id


def visits_of(plan: VisitPlan) -> QuerySet[Visit]:
    return plan.visits.prefetch_related("visitors", "photos").order_by("-visited_on", "-pk")


def access_photo(member: Member, pk: Any) -> VisitPhoto:
    """A visit photo, by the rules of its visit (404 outside the jurisdiction or label)."""
    try:
        photo = VisitPhoto.objects.select_related("visit__plan__unit").get(pk=int(pk))
    except (VisitPhoto.DoesNotExist, TypeError, ValueError):
        raise access.NotFound from None
    access.check(member, photo.visit, VISIT)
    return photo


def access_visit(member: Member, pk: Any, *, for_write: bool = False) -> Visit:
    """One visit, by the rules of its plan (404 outside the jurisdiction or label)."""
    return access.access(
        member, Visit.objects.select_related("plan__unit"), VISIT, pk, for_write=for_write
    )


def due_for(member: Member, today: dt.date | None = None) -> QuerySet[VisitPlan]:
    """Plans the member (or their team) is responsible for, due by the end of this week
    (overdue ones first): the my-work queue's "visits due this week"."""
    if not access.can(member, VISIT_PLAN, VIEW):
        return VisitPlan.objects.none()
    today = today or timezone.localdate()
    return plans_visible_to(member, PlanFilters(state=DUE, mine=True))


# --- Calendar --------------------------------------------------------------------------------


@dataclass
class Day:
    day: dt.date
    due: list[VisitPlan] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)


def calendar(member: Member, month: dt.date, filters: PlanFilters | None = None) -> list[Day]:
    """The days of `month` that have a plan falling due or a visit made, in order."""
    first = month.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    plans = plans_visible_to(member, filters)
    days: dict[dt.date, Day] = {}
    for plan in plans.filter(next_due__gte=first, next_due__lt=after):
        assert plan.next_due is not None
        days.setdefault(plan.next_due, Day(plan.next_due)).due.append(plan)
    visible = plans_visible_to(
        member, PlanFilters(**{**(filters or PlanFilters()).__dict__, "active": False})
    )
    visits = (
        Visit.objects.filter(
            plan__in=visible.values("pk"), visited_on__gte=first, visited_on__lt=after
        )
        .select_related("plan")
        .order_by("visited_on", "pk")
    )
    for visit in visits:
        days.setdefault(visit.visited_on, Day(visit.visited_on)).visits.append(visit)
    return [days[d] for d in sorted(days)]


# --- Figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitFigures:
    on_time: int  # due periods with a visit inside
    due: int  # periods that fell due in the span
    overdue_now: int  # plans past their due day at as-of


def _interval(cadence_code: str, days: int) -> int:
    if cadence_code == Cadence.MONTHLY:
        return cadence.MONTHLY
    return 7 if cadence_code == Cadence.WEEKLY else int(days)


def visit_figures(
    member: Member,
    target_kind: str,
    unit: Unit,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
) -> VisitFigures:
    """The visits figures of one kind of target at `unit` and below for [start, end) as of
    `as_of` (KPIS.md: visits done on time ÷ visits due; overdue visits now), computed by
    analytics.visits from the plans and visits the member may see."""
    plans = list(
        access.scope(VisitPlan.objects.all(), member, VISIT_PLAN)
        .filter(access.subtree_q(unit, "unit__path"), target_kind=target_kind)
        .filter(starts_on__lt=end)
        .values_list(
            "pk", "starts_on", "ends_on", "cadence", "interval_days", "is_active", "next_due"
        )
    )
    if not plans:
        return VisitFigures(0, 0, 0)
    index = {row[0]: i for i, row in enumerate(plans)}
    start_days = np.array([r[1].toordinal() for r in plans], dtype=np.int64)
    last_days = np.array(
        [r[2].toordinal() if r[2] else dt.date.max.toordinal() for r in plans], dtype=np.int64
    )
    intervals = np.array([_interval(r[3], r[4]) for r in plans], dtype=np.int64)
    rows = Visit.objects.filter(
        plan_id__in=list(index), visited_on__gte=min(r[1] for r in plans), visited_on__lt=end
    ).values_list("plan_id", "visited_on")
    grouped: dict[int, list[int]] = defaultdict(list)
    for plan_id, day in rows:
        grouped[index[plan_id]].append(day.toordinal())
    plan_of_visit = np.array([p for p, ds in grouped.items() for _ in ds], dtype=np.int64)
    visit_day = np.array([d for ds in grouped.values() for d in ds], dtype=np.int64)
    result = cadence.compliance(
        start_days,
        last_days,
        intervals,
        plan_of_visit,
        visit_day,
        start.toordinal(),
        min(end, as_of).toordinal(),
    )
    overdue = sum(1 for r in plans if r[5] and r[6] is not None and r[6] < as_of)
    return VisitFigures(result.total_done, result.total_due, overdue)
