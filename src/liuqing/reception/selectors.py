"""Reads of the reception desk and talk points, each scoped by the member's jurisdiction
and role (`liuqing.core.access`): 404 outside it, 403 without the role. Restricted reports
are left out of every list, and answer 404, unless the member holds their label's grant."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    When,
)

from liuqing.core import access
from liuqing.core.access import VIEW, AccessDenied
from liuqing.core.models import Member
from liuqing.reception import supervision
from liuqing.reception.models import (
    ComplaintHandover,
    ComplaintStatus,
    ConductComplaint,
    RestrictedReport,
    Route,
    TalkSession,
    WalkIn,
)
from liuqing.reception.policies import COMPLAINT, RESTRICTED, TALK_SESSION, WALK_IN


def _listed(qs: QuerySet[Any], member: Member, kind: str) -> QuerySet[Any]:
    if not access.can(member, kind, VIEW):
        raise AccessDenied
    return access.scope(qs, member, kind)


def _with_concealment(qs: QuerySet[WalkIn], member: Member) -> QuerySet[WalkIn]:
    """Annotate `hides_report`: the walk-in became a restricted report whose label `member`
    holds no grant for. The desk log is open to every staff member, so such a visitor is shown
    only as "referred", without the route or the report's reference (WalkIn.shown_route):
    who lacks the grant must not learn that a report of domestic violence or bullying was
    made."""
    restricted = Q(route=Route.RESTRICTED)
    labels = sorted(access.active_labels(member))
    if labels:
        seen = Exists(RestrictedReport.objects.filter(walk_in=OuterRef("pk"), label__in=labels))
        restricted &= ~Q(seen)
    return qs.annotate(hides_report=ExpressionWrapper(restricted, output_field=BooleanField()))


def walk_ins_visible_to(member: Member) -> QuerySet[WalkIn]:
    """The desk log; each walk-in says whether it hides a report from `member`."""
    qs = WalkIn.objects.select_related("unit", "served_by", "case")
    return _with_concealment(_listed(qs, member, WALK_IN), member)


def access_walk_in(member: Member, pk: Any, *, for_write: bool = False) -> WalkIn:
    qs = _with_concealment(WalkIn.objects.select_related("unit", "case"), member)
    return access.access(member, qs, WALK_IN, pk, for_write=for_write)


def _not_about(qs: QuerySet[ConductComplaint], member: Member) -> QuerySet[ConductComplaint]:
    """Leave out complaints about the member's own unit or a unit above it: a supervisor
    never sees a complaint about the unit they serve in, except a complaint about the top
    unit for its designated supervisors (`liuqing.reception.supervision`)."""
    if not member.is_authenticated:
        return qs
    return qs.exclude(about_unit__in=supervision.concerned_units(member))


def _complaints() -> QuerySet[ConductComplaint]:
    handovers = Prefetch(
        "handovers",
        queryset=ComplaintHandover.objects.select_related("from_member", "to_member"),
    )
    return ConductComplaint.objects.select_related("unit", "about_unit", "owner").prefetch_related(
        handovers
    )


def complaints_visible_to(member: Member) -> QuerySet[ConductComplaint]:
    """The member's supervision queue: open complaints first, newest first."""
    qs = _complaints()
    return _not_about(_listed(qs, member, COMPLAINT), member).order_by(
        Case(When(status=ComplaintStatus.CLOSED, then=1), default=0),
        "-received_at",
        "-pk",
    )


def access_complaint(member: Member, pk: Any, *, for_write: bool = False) -> ConductComplaint:
    """One complaint of the queue: 404 outside it, and for a member of the unit it is about."""
    qs = _not_about(_complaints(), member)
    return access.access(member, qs, COMPLAINT, pk, for_write=for_write)


def reports_visible_to(member: Member) -> QuerySet[RestrictedReport]:
    return _listed(RestrictedReport.objects.select_related("unit"), member, RESTRICTED)


def access_report(member: Member, pk: Any) -> RestrictedReport:
    """One report: 404 outside the jurisdiction and without the grant of its label."""
    return access.access(member, RestrictedReport.objects.select_related("unit"), RESTRICTED, pk)


def talk_sessions_visible_to(member: Member) -> QuerySet[TalkSession]:
    return _listed(
        TalkSession.objects.select_related("unit", "place").prefetch_related("officers"),
        member,
        TALK_SESSION,
    )


def access_talk_session(member: Member, pk: Any, *, for_write: bool = False) -> TalkSession:
    qs = TalkSession.objects.select_related("unit", "place")
    return access.access(member, qs, TALK_SESSION, pk, for_write=for_write)
