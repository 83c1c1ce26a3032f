"""Reads of liaison, always through the acting member's scope, and the assignment flags."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from liuqing.core import access
from liuqing.core.access import CHANGE, VIEW, AccessDenied
from liuqing.core.models import Member, Unit
from liuqing.liaison.models import Assignment, AssignmentRole, Lesson, Organisation, Problem
from liuqing.liaison.workflow import ASSIGNMENT, ORGANISATION

OVERLAP = "overlap"
ORPHAN = "orphan"
RECENT = 50  # problems and lessons an organisation's page and API detail show, newest first


@dataclass(frozen=True)
class OrganisationFilters:
    kind: str = ""
    unit: Unit | None = None
    flagged: bool = False


def organisations_visible_to(
    member: Member, filters: OrganisationFilters | None = None
) -> QuerySet[Organisation]:
    if not access.can(member, ORGANISATION, VIEW):
        raise AccessDenied
    f = filters or OrganisationFilters()
    qs = access.scope(
        Organisation.objects.select_related("unit", "place"), member, ORGANISATION
    ).filter(is_active=True)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.unit is not None:
        qs = qs.filter(access.subtree_q(f.unit, "unit__path"))
    if f.flagged:
        flagged = [pk for pk, flags in flags_of(list(qs)).items() if flags]
        qs = qs.filter(pk__in=flagged)
    return qs.order_by("name", "pk")


def access_organisation(member: Member, pk: Any, *, for_write: bool = False) -> Organisation:
    return access.access(
        member,
        Organisation.objects.select_related("unit", "place"),
        ORGANISATION,
        pk,
        for_write=for_write,
    )


def access_problem(member: Member, pk: Any, *, for_write: bool = False) -> Problem:
    """One problem, under its organisation's access: 404 outside the jurisdiction of the
    organisation's unit, 403 for roles that may only look (when `for_write`)."""
    try:
        problem = Problem.objects.select_related("case", "organisation__unit").get(pk=pk)
    except (Problem.DoesNotExist, ValueError, TypeError) as exc:
        raise access.NotFound from exc
    access.check(member, problem.organisation, ORGANISATION, CHANGE if for_write else VIEW)
    return problem


def is_current(a: Assignment, day: dt.date | None = None) -> bool:
    """Whether the assignment runs on `day` (today by default): started, and not ended
    before it. The officer's own state (inactive, moved away) is the orphan flag's business."""
    day = day or timezone.localdate()
    return a.starts_on <= day and (a.ends_on is None or a.ends_on >= day)


def _overlap(a: Assignment, b: Assignment) -> bool:
    far = dt.date.max
    return a.starts_on <= (b.ends_on or far) and b.starts_on <= (a.ends_on or far)


@dataclass
class Flags:
    """Why an organisation's assignments need a supervisor's look."""

    overlaps: list[tuple[Assignment, Assignment]] = field(default_factory=list)
    orphan: str = ""  # "" or the reason: no officer now, or the officer left

    def __bool__(self) -> bool:
        return bool(self.overlaps or self.orphan)


def flags_of(organisations: list[Organisation], day: dt.date | None = None) -> dict[int, Flags]:
    """Per organisation: overlapping assignments (two liaison officers of one enterprise at
    the same time, or one officer assigned twice at once) and orphans (no current officer,
    or a current officer who is inactive or now serves outside the organisation's unit
    line)."""
    day = day or timezone.localdate()
    by_org: dict[int, list[Assignment]] = defaultdict(list)
    for a in Assignment.objects.filter(
        organisation__in=[o.pk for o in organisations]
    ).select_related("officer__unit"):
        by_org[a.organisation_id].append(a)
    result: dict[int, Flags] = {}
    for org in organisations:
        flags = Flags()
        rows = sorted(by_org.get(org.pk, []), key=lambda a: (a.starts_on, a.pk))
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                if not _overlap(a, b):
                    continue
                same_officer = a.officer_id == b.officer_id
                two_liaisons = a.role == b.role == AssignmentRole.LIAISON
                if same_officer or two_liaisons:
                    flags.overlaps.append((a, b))
        current = [a for a in rows if is_current(a, day)]
        if not current:
            flags.orphan = "none"
        elif all(
            not a.officer.is_active
            or not (
                a.officer.unit.is_ancestor_of(org.unit) or org.unit.is_ancestor_of(a.officer.unit)
            )
            for a in current
        ):
            flags.orphan = "left"
        result[org.pk] = flags
    return result


def assignments_of(organisation: Organisation) -> QuerySet[Assignment]:
    return organisation.assignments.select_related("officer", "officer__unit").order_by(
        "-starts_on", "-pk"
    )


def access_assignment(member: Member, pk: Any, *, for_write: bool = False) -> Assignment:
    """One assignment: 404 outside the jurisdiction of its organisation's unit, 403 for roles
    that may only look (when `for_write`)."""
    return access.access(
        member,
        Assignment.objects.select_related("organisation__unit", "officer"),
        ASSIGNMENT,
        pk,
        for_write=for_write,
    )


def current_officer(organisation: Organisation, day: dt.date | None = None) -> Member | None:
    day = day or timezone.localdate()
    for a in assignments_of(organisation):
        if is_current(a, day) and a.officer.is_active:
            return a.officer
    return None


def problems_of(organisation: Organisation) -> QuerySet[Problem]:
    return organisation.problems.select_related("case", "case__category").order_by(
        "-case__received_at"
    )


def lessons_of(organisation: Organisation) -> QuerySet[Lesson]:
    return organisation.lessons.select_related("given_by").order_by("-given_on", "-pk")


def problem_categories() -> QuerySet[Any]:
    from liuqing.casework.models import Category
    from liuqing.liaison.workflow import LIAISON_PROBLEM

    return Category.objects.filter(kind=LIAISON_PROBLEM, is_active=True).order_by("order", "code")
