"""Every read of cases: lists, one case, its timeline, and the queues.

Each selector takes the acting member first and goes through `liuqing.core.access` with the
``case`` policy, plus the policy a kind's workflow names (`Workflow.policy_kind`) when a
module registered one: outside the jurisdiction → `NotFound` (404), without the role →
`AccessDenied` (403). Lists select the related rows their pages and schemas show, so the
number of queries does not grow with the page size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from liuqing.casework import levels
from liuqing.casework.models import (
    Case,
    CaseException,
    Entry,
    ExceptionKind,
    ExceptionStatus,
    FollowUp,
    WarningLevel,
)
from liuqing.casework.policies import CASE, SUPERVISION
from liuqing.casework.workflows import (
    ACCEPTED,
    HANDLERS,
    RECEIVED,
    RESOLVED,
    RETURNED,
    WORKFLOWS,
)
from liuqing.core import access
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.models import Member, MemberRole, Role, Unit

DB_MAX_ID = 2**63 - 1
CHIEF_ROLES = (Role.STATION_CHIEF, Role.BRIGADE_STAFF, Role.DETACHMENT_STAFF)


def _valid_id(pk: Any) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    if not 1 <= value <= DB_MAX_ID:
        raise NotFound
    return value


def policy_kind_of(case_kind: str) -> str:
    workflow = WORKFLOWS.get(case_kind)
    return workflow.policy_kind if workflow is not None else CASE


def check_case(
    member: Member, case: Case, action: str = VIEW, *, supervision: bool = False
) -> None:
    """The full check on one case: jurisdiction, the ``case`` policy, the kind's own policy,
    and for supervisors' decisions the ``case_supervision`` policy."""
    access.check(member, case, CASE, action)
    own = policy_kind_of(case.kind)
    if own != CASE:
        access.check(member, case, own, action)
    if supervision:
        access.check(member, case, SUPERVISION, action)


def _kind_filter(member: Member, action: str) -> Q | None:
    """Cases of kinds whose own policy the member does not pass are left out."""
    restricted = {wf.kind: wf.policy_kind for wf in WORKFLOWS.values() if wf.policy_kind != CASE}
    if not restricted:
        return None
    allowed = ~Q(kind__in=sorted(restricted))
    for kind, policy_kind in sorted(restricted.items()):
        if access.can(member, policy_kind, action):
            sub = Q(kind=kind)
            policy = access.policy_for(policy_kind)
            if policy.sensitive_q is not None:
                sub &= ~policy.sensitive_q(access.active_labels(member))
            allowed |= sub
    return allowed


def case_queryset() -> QuerySet[Case]:
    return Case.objects.select_related("unit", "owner", "category", "place")


def open_q(*, resolved: bool = True) -> Q:
    """Cases whose workflow counts them neither closed nor excluded (`resolved=False` also
    leaves out those resolved and awaiting verification)."""
    result = Q(pk__in=[])
    for wf in WORKFLOWS.values():
        done = set(wf.closed) | set(wf.excluded)
        if not resolved:
            done.add(RESOLVED)
        result |= Q(kind=wf.kind) & ~Q(status__in=sorted(done))
    return result


def cases_visible_to(
    member: Member,
    kind: str | None = None,
    *,
    status: str | None = None,
    warning: str | None = None,
    owner: Member | None = None,
    unit: Unit | None = None,
    q: str = "",
    action: str = VIEW,
) -> QuerySet[Case]:
    """Cases in the member's jurisdiction they may see (or change, with `action`), newest
    first. `unit` keeps that unit's subtree; `q` matches the number or part of the title."""
    if not access.can(member, CASE, action):
        raise AccessDenied
    qs = access.scope(case_queryset(), member, CASE, action)
    restrict = _kind_filter(member, action)
    if restrict is not None:
        qs = qs.filter(restrict)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if warning:
        qs = qs.filter(levels.warning_q(warning, levels.current()))
    if owner is not None:
        qs = qs.filter(owner=owner)
    if unit is not None:
        qs = qs.filter(access.subtree_q(unit, "unit__path"))
    q = q.strip()
    if q:
        qs = qs.filter(Q(number=q) | Q(title__icontains=q))
    return qs.order_by("-received_at", "-pk")


def access_case(
    member: Member, pk: Any, for_write: bool = False, *, supervision: bool = False
) -> Case:
    """One case with the full check (404 outside scope, 403 without the role)."""
    try:
        case = case_queryset().get(pk=_valid_id(pk))
    except Case.DoesNotExist as exc:
        raise NotFound from exc
    check_case(member, case, CHANGE if for_write else VIEW, supervision=supervision)
    return case


def find_case(member: Member, reference: str) -> Case | None:
    """A case the member may see, named by its id or its number (None if none or several)."""
    reference = (reference or "").strip()
    if not reference:
        return None
    qs = cases_visible_to(member)
    if reference.isdigit() and len(reference) < 19:
        found = qs.filter(pk=int(reference)).first()
        if found is not None:
            return found
    matches = list(qs.filter(number=reference)[:2])
    return matches[0] if len(matches) == 1 else None


def timeline(case: Case) -> QuerySet[Entry]:
    """The case's entries, oldest first, with their authors (call after `access_case`)."""
    return case.entries.select_related("author").order_by("at", "pk")


def access_attachment(member: Member, pk: Any) -> Entry:
    """A timeline entry carrying a file, on a case the member may see."""
    try:
        entry = (
            Entry.objects.select_related("case", "case__unit")
            .exclude(attachment="")
            .get(pk=_valid_id(pk))
        )
    except Entry.DoesNotExist as exc:
        raise NotFound from exc
    check_case(member, entry.case, VIEW)
    return entry


def access_extension(member: Member, pk: Any, for_write: bool = False) -> CaseException:
    """An extension request; deciding it is a supervisor's business."""
    try:
        exception = CaseException.objects.select_related("case", "case__unit", "requested_by").get(
            pk=_valid_id(pk), kind=ExceptionKind.EXTENSION
        )
    except CaseException.DoesNotExist as exc:
        raise NotFound from exc
    check_case(member, exception.case, CHANGE if for_write else VIEW, supervision=for_write)
    return exception


def access_followup(member: Member, pk: Any, for_write: bool = False) -> FollowUp:
    try:
        followup = FollowUp.objects.select_related("case", "case__unit").get(pk=_valid_id(pk))
    except FollowUp.DoesNotExist as exc:
        raise NotFound from exc
    check_case(member, followup.case, CHANGE if for_write else VIEW)
    return followup


# --- People ----------------------------------------------------------------------------------


def eligible_owners(case: Case) -> QuerySet[Member]:
    """Active members in the case unit's subtree who hold a handler role."""
    handlers = MemberRole.objects.filter(role__in=sorted(HANDLERS)).values("member_id")
    return (
        Member.objects.filter(is_active=True, pk__in=handlers)
        .filter(access.subtree_q(case.unit, "unit__path"))
        .select_related("unit")
        .order_by("unit__path", "full_name")
    )


def supervisors_of(unit: Unit, roles: tuple[str, ...] | frozenset[str]) -> list[int]:
    """Ids of active members holding one of `roles` at `unit` or above it."""
    parts = unit.path.split(".")[:-1]
    prefixes = [".".join(parts[: i + 1]) + "." for i in range(len(parts))]
    return list(
        Member.objects.filter(
            is_active=True,
            unit__path__in=prefixes,
            pk__in=MemberRole.objects.filter(role__in=sorted(roles)).values("member_id"),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def transfer_targets(member: Member, case: Case) -> QuerySet[Unit]:
    """Units a case may be transferred to by `member`: any active unit in their jurisdiction,
    or one of the units above them (a parent's dispatch desk); never the case's own unit."""
    parts = member.unit.path.split(".")[:-2]
    above = [".".join(parts[: i + 1]) + "." for i in range(len(parts))]
    return (
        Unit.objects.filter(is_active=True)
        .filter(access.subtree_q(member.unit) | Q(path__in=above))
        .exclude(pk=case.unit_id)
        .order_by("path")
    )


# --- Queues ----------------------------------------------------------------------------------


@dataclass
class MyQueue:
    """Everything a member owes, across all kinds of case."""

    owned: QuerySet[Case]  # open cases they own (not awaiting verification)
    to_dispatch: QuerySet[Case]  # supervisors: received, returned or accepted without an owner
    to_verify: QuerySet[Case]  # supervisors: resolved by someone else, awaiting verification
    followups: QuerySet[FollowUp]  # follow-ups due by the end of today on cases they own
    extensions: QuerySet[CaseException]  # supervisors: extension requests to decide

    @property
    def total(self) -> int:
        return sum(
            qs.count()
            for qs in (
                self.owned,
                self.to_dispatch,
                self.to_verify,
                self.followups,
                self.extensions,
            )
        )


def _end_of_today() -> dt.datetime:
    today = timezone.localdate()
    return timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time()))


def my_queue(member: Member) -> MyQueue:
    if not access.can(member, CASE, VIEW):
        raise AccessDenied
    visible = cases_visible_to(member)
    supervisor = access.can(member, SUPERVISION, CHANGE)
    owned = visible.filter(open_q(resolved=False), owner=member).order_by("resolve_due", "pk")
    none = Case.objects.none()
    to_dispatch = to_verify = none
    extensions: QuerySet[CaseException] = CaseException.objects.none()
    if supervisor:
        to_dispatch = visible.filter(
            Q(status__in=[RECEIVED, RETURNED]) | Q(status=ACCEPTED, owner__isnull=True)
        ).order_by("received_at", "pk")
        to_verify = (
            visible.filter(status=RESOLVED)
            .exclude(resolved_by=member)
            .exclude(owner=member)
            .order_by("resolved_at", "pk")
        )
        extensions = (
            CaseException.objects.filter(
                kind=ExceptionKind.EXTENSION,
                status=ExceptionStatus.PENDING,
                case__in=visible.values("pk"),
            )
            .exclude(requested_by=member)
            .select_related("case", "case__unit", "requested_by")
            .order_by("requested_at", "pk")
        )
    followups = (
        FollowUp.objects.filter(
            done_at__isnull=True,
            cancelled_at__isnull=True,
            due_at__lt=_end_of_today(),
            case__in=visible.filter(owner=member).values("pk"),
        )
        .select_related("case", "case__unit", "case__owner", "case__category")
        .order_by("due_at", "pk")
    )
    return MyQueue(
        owned=owned,
        to_dispatch=to_dispatch,
        to_verify=to_verify,
        followups=followups,
        extensions=extensions,
    )


def supervision_level(member: Member) -> int:
    """1 for a sergeant (and the auditor, who sees every queue), 2 for a station chief and
    brigade or detachment staff."""
    return 2 if member.has_role(*CHIEF_ROLES) else 1


def supervision_queue(member: Member) -> QuerySet[Case]:
    """Overdue cases in the member's jurisdiction that climbed to them, most urgent first.

    A sergeant sees every case escalated to level 1 or above (red); a station chief sees
    level 2 and every other red case too, so nothing overdue hides below them.
    """
    if not access.can(member, SUPERVISION, VIEW):
        raise AccessDenied
    t = levels.current()
    # Escalated to the member's level or above, or red: both read "red" (escalation starts
    # with red), and the most escalated come first.
    _, escalation = levels.level_expressions(t)
    return (
        cases_visible_to(member)
        .filter(levels.warning_q(WarningLevel.RED, t))
        .annotate(escalated=escalation)
        .order_by("-escalated", "resolve_due", "pk")
    )


def pending_extension(case: Case) -> CaseException | None:
    return (
        case.exceptions.filter(kind=ExceptionKind.EXTENSION, status=ExceptionStatus.PENDING)
        .select_related("requested_by")
        .first()
    )


def open_followup(case: Case) -> FollowUp | None:
    return case.followups.filter(done_at__isnull=True, cancelled_at__isnull=True).first()


def case_links(member: Member, case: Case) -> list[Case]:
    """Cases linked to this one either way that the member may see (merged duplicates too)."""
    linked = Q(links_in__source=case) | Q(links_out__target=case)
    ids = Case.objects.filter(linked).values("pk")
    return list(cases_visible_to(member).filter(pk__in=ids).order_by("pk"))
