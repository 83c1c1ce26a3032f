"""Every read of appeals, staff side: lists with their filters, one appeal, the categories.

Each selector takes the acting member first and goes through the casework engine's scoping
(`cases_visible_to`, `check_case`: the ``case`` and ``appeal`` policies): outside the
jurisdiction → `NotFound` (404), without the role → `AccessDenied` (403). The system
administrator sees no appeal at all (they hold no residents' data).

Lists select the unit, category, owner, place and appeal rows with the cases and leave the
encrypted personal data unread, so a page costs the same number of queries at any size.

Text search (appeals.search) finds every term of the query in the number, title, description
and public summary through the database's text index (FTS5 on SQLite, a GIN index over a
tsvector on PostgreSQL; Chinese as character pairs, so any run of two or more characters is
found, as with a substring search); a "quoted phrase" is one term. A whole case number or
tracking code matches exactly, and a whole phone number matches the resident's phone through
its blind index. Residents' names are masked out of the index, so they are never found by text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from liuqing.appeals import search
from liuqing.appeals.models import Appeal
from liuqing.appeals.workflow import APPEAL, APPEAL_CATEGORY, WORKFLOW
from liuqing.casework import levels
from liuqing.casework import selectors as casework
from liuqing.casework.models import Case, Category
from liuqing.core import access, pii
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.models import Member, Place, Unit

DB_MAX_ID = 2**63 - 1
PII_FIELDS = ("appeal__resident_name", "appeal__resident_phone", "appeal__resident_address")


def _valid_id(pk: Any) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    if not 1 <= value <= DB_MAX_ID:
        raise NotFound
    return value


@dataclass
class AppealFilters:
    """The cuts of the appeal list (the HTML filter form and the API query share them)."""

    status: str = ""
    category: Category | None = None  # and its sub-categories
    unit: Unit | None = None  # and the units below it
    place: Place | None = None
    channel: str = ""
    warning: str = ""
    owner: Member | None = None
    unassigned: bool = False
    received_from: dt.date | None = None  # local dates, both included
    received_to: dt.date | None = None
    overdue: bool = False
    public: bool | None = None
    q: str = ""


def category_subtree(category: Category) -> list[int]:
    """The ids of `category` and every category below it (one query: the tree is small)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Category.objects.filter(kind=category.kind).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    result, todo = [], [category.pk]
    while todo:
        pk = todo.pop()
        if pk in result:
            continue
        result.append(pk)
        todo.extend(children.get(pk, []))
    return result


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def open_statuses() -> list[str]:
    """The appeal states counted open: neither closed nor withdrawn or merged."""
    return sorted(WORKFLOW.states - set(WORKFLOW.closed) - set(WORKFLOW.excluded))


def appeal_queryset() -> QuerySet[Case]:
    return Case.objects.filter(kind=APPEAL).select_related(
        "unit", "owner", "category", "place", "appeal"
    )


def appeals_visible_to(member: Member, filters: AppealFilters | None = None) -> QuerySet[Case]:
    """Appeals (as cases, with `.appeal`) in the member's jurisdiction, newest first, cut by
    `filters`. The residents' personal data is deferred: lists never decrypt it."""
    if not access.can(member, APPEAL, VIEW):
        raise AccessDenied
    qs = casework.cases_visible_to(member, kind=APPEAL).select_related("appeal").defer(*PII_FIELDS)
    f = filters or AppealFilters()
    if f.status:
        qs = qs.filter(status=f.status)
    if f.category is not None:
        qs = qs.filter(category_id__in=category_subtree(f.category))
    if f.unit is not None:
        qs = qs.filter(access.subtree_q(f.unit, "unit__path"))
    # The units in scope also by their ids (access.Subtree): with the path range alone (a
    # join on the units) SQLite reads every appeal of the filters' status and category in
    # the whole tree and looks each one's unit up (8,314 of them for a station chief's
    # list at a million appeals: 70 ms of each page); with the ids it seeks each unit's
    # matches in the list index (case_list_filters). Two queries, none for the only root.
    subtree = access.Subtree.of(f.unit or member.unit)
    if not subtree.everything and subtree.unit_ids is not None:
        qs = qs.filter(unit_id__in=subtree.unit_ids)
    if f.place is not None:
        qs = qs.filter(place=f.place)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.warning:
        qs = qs.filter(levels.warning_q(f.warning, levels.current()))
    if f.owner is not None:
        qs = qs.filter(owner=f.owner)
    elif f.unassigned:
        qs = qs.filter(owner__isnull=True)
    if f.received_from is not None:
        qs = qs.filter(received_at__gte=_local_midnight(f.received_from))
    if f.received_to is not None:
        qs = qs.filter(received_at__lt=_local_midnight(f.received_to + dt.timedelta(days=1)))
    if f.overdue:
        qs = qs.filter(status__in=open_statuses(), resolve_due__lt=timezone.now())
    if f.public is not None:
        qs = qs.filter(is_public=f.public)
    q = " ".join((f.q or "").split())
    if q:
        match = Q(number=q.upper()) | Q(public_code=q.upper()) | _text_match(q)
        phone = _phone_index(q)
        if phone:
            match |= Q(appeal__resident_phone_index=phone)
        qs = qs.filter(match)
    return qs.order_by("-received_at", "-pk")


def _text_match(q: str) -> Q:
    """Cases whose search document (appeals.search) holds every term of `q`, through the
    database's text index; a one-character Chinese term by substring. A database without a
    text index (neither SQLite nor PostgreSQL) gets the substring search on each term."""
    terms = search.query_terms(q)
    if not terms:
        return Q(pk__in=[])
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        match = Q()
        for term in q.split():
            match &= Q(title__icontains=term) | Q(description__icontains=term)
        return match
    match = Q()
    found = search.match_sql(vendor, terms)
    if found is not None:
        sql, params = found
        match &= Q(pk__in=RawSQL(sql, params))  # noqa: S611 (fixed SQL, bound parameters)
    for char in search.single_characters(terms):
        match &= (
            Q(title__contains=char)
            | Q(description__contains=char)
            | Q(public_summary__contains=char)
        )
    return match


def _phone_index(text: str) -> str:
    digits = text.replace(" ", "").replace("-", "")
    if not (7 <= len(digits) <= 16 and digits.lstrip("+").isdigit()):
        return ""
    field = Appeal._meta.get_field("resident_phone")
    assert isinstance(field, pii.EncryptedField)
    try:
        return pii.lookup_index(field, digits)
    except ValidationError:
        return ""


def access_appeal(member: Member, pk: Any, for_write: bool = False) -> Case:
    """One appeal (a case of kind appeal, with `.appeal`) with the full check: 404 outside
    the jurisdiction or for another kind of case, 403 when the member may only look."""
    try:
        case = appeal_queryset().get(pk=_valid_id(pk))
    except Case.DoesNotExist as exc:
        raise NotFound from exc
    casework.check_case(member, case, CHANGE if for_write else VIEW)
    try:
        case.appeal  # noqa: B018  (a case of kind appeal without its row is a broken import)
    except Appeal.DoesNotExist as exc:
        raise NotFound from exc
    return case


def appeals_by_ids(member: Member, ids: list[int], *, for_write: bool = True) -> list[Case]:
    """The appeals among `ids` the member may see (or change), in the order asked; ids
    outside the jurisdiction are left out (bulk actions report them)."""
    wanted = [i for i in ids if 1 <= i <= DB_MAX_ID]
    qs = appeals_visible_to(member).filter(pk__in=wanted)
    found = {case.pk: case for case in qs}
    result = []
    for pk in wanted:
        case = found.get(pk)
        if case is None:
            continue
        if for_write:
            try:
                casework.check_case(member, case, CHANGE)
            except (NotFound, AccessDenied):
                continue
        result.append(case)
    return result


def timeline(case: Case) -> QuerySet[Any]:
    return casework.timeline(case)


# --- Categories -------------------------------------------------------------------------------


def categories_visible_to(member: Member, *, active: bool | None = None) -> QuerySet[Category]:
    """The appeal category tree, top categories first, each followed by its children (order
    the rows with `category_rows`)."""
    if not access.can(member, APPEAL_CATEGORY, VIEW):
        raise AccessDenied
    qs = Category.objects.filter(kind=APPEAL).select_related("parent")
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("order", "code")


def category_rows(categories: QuerySet[Category] | list[Category]) -> list[Category]:
    """Categories in tree order: each top category followed by its sub-categories."""
    rows = list(categories)
    children: dict[int | None, list[Category]] = {}
    for c in rows:
        children.setdefault(c.parent_id, []).append(c)
    present = {c.pk for c in rows}
    result: list[Category] = []

    def walk(parent: int | None) -> None:
        for c in children.get(parent, []):
            result.append(c)
            walk(c.pk)

    walk(None)
    # Children whose parent was filtered out still appear, at the end.
    for c in rows:
        if c.parent_id is not None and c.parent_id not in present:
            result.append(c)
    return result


def category_choices(member: Member) -> QuerySet[Category]:
    """Active appeal categories a form may offer (sub-categories and childless tops)."""
    return categories_visible_to(member, active=True)


def access_category(member: Member, pk: Any, *, for_write: bool = False) -> Category:
    if not access.can(member, APPEAL_CATEGORY, CHANGE if for_write else VIEW):
        raise AccessDenied
    try:
        return Category.objects.select_related("parent").get(pk=_valid_id(pk), kind=APPEAL)
    except Category.DoesNotExist as exc:
        raise NotFound from exc
