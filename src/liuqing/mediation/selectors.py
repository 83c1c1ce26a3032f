"""Every read of dispute mediation, staff side.

Each selector takes the acting member first and goes through the casework engine's scoping
(`cases_visible_to`, `check_case`: the ``case`` and ``dispute`` policies): outside the
jurisdiction → `NotFound` (404), without the role → `AccessDenied` (403). Lists select the
dispute and committee rows with the cases and never read the parties' encrypted data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from liuqing.casework import selectors as casework
from liuqing.casework.models import Case, Category
from liuqing.casework.policies import CASE
from liuqing.core import access
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.models import Member, Unit
from liuqing.mediation.defaults import KIND
from liuqing.mediation.models import (
    Agreement,
    Committee,
    Confirmation,
    Mediator,
    Obligation,
    Party,
    Payment,
)
from liuqing.mediation.workflow import COMMITTEE, DISPUTE

DB_MAX_ID = 2**63 - 1


def _valid_id(pk: Any) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    if not 1 <= value <= DB_MAX_ID:
        raise NotFound
    return value


@dataclass
class DisputeFilters:
    """The cuts of the dispute list (the HTML filter form and the API query share them)."""

    status: str = ""
    dispute_type: Category | None = None
    unit: Unit | None = None
    level: str = ""
    outcome: str = ""
    risk: bool | None = None
    accepted_from: dt.date | None = None  # local dates, both included
    accepted_to: dt.date | None = None
    q: str = ""


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _in_units(qs: QuerySet[Case], unit: Unit) -> QuerySet[Case] | None:
    """`qs` cut to `unit`'s subtree by the ids of its units (`access.subtree_unit_ids`), or
    None for a subtree of more than access.MAX_UNIT_IDS units. The only root too: without a
    condition on the unit, SQLite reads every dispute of the tree to sort them.

    The same rows as the path range (`access.subtree_q`), but planned differently: with the
    unit ids as constants the database walks the cases' received_at index newest first and
    stops after a page, where a join on the unit path range reads every case of every unit
    of a brigade (tens of thousands of disputes) to sort them (measured in
    bench/mediation.py: some 250 ms against 4 ms at 50,000 disputes in a brigade)."""
    ids = access.subtree_unit_ids(unit)
    if ids is None:
        return None
    return qs.filter(unit_id__in=ids)


def disputes_visible_to(member: Member, filters: DisputeFilters | None = None) -> QuerySet[Case]:
    """Disputes (as cases, with `.dispute`) in the member's jurisdiction,
    newest first, cut by `filters`.

    Scope: the ``case`` and ``dispute`` policies (disputes carry no sensitive label) and the
    member's subtree by unit ids (`_in_units`), or for a subtree of more units than
    access.MAX_UNIT_IDS the engine's `cases_visible_to` (the path range; nothing at the root).

    The rows carry only what the list page and the API list show (`LIST_FIELDS`): a list
    row costs its model instances, and the cases' texts, the units' boundaries and the
    members' encrypted details would be read and decoded for nothing. Read anything else
    through `access_dispute`."""
    if not (access.can(member, CASE, VIEW) and access.can(member, DISPUTE, VIEW)):
        raise AccessDenied
    f = filters or DisputeFilters()
    base = Case.objects.filter(kind=DISPUTE)
    narrowest = f.unit if f.unit is not None and member.unit.is_ancestor_of(f.unit) else None
    qs = _in_units(base, narrowest or member.unit)
    if qs is None:
        qs = casework.cases_visible_to(member, kind=DISPUTE)
        if f.unit is not None:
            qs = qs.filter(access.subtree_q(f.unit, "unit__path"))
    elif f.unit is not None and narrowest is None:
        qs = qs.none()  # a unit outside the jurisdiction matches nothing
    if f.status:
        qs = qs.filter(status=f.status)
    if f.dispute_type is not None:
        qs = qs.filter(category=f.dispute_type)
    if f.level:
        qs = qs.filter(dispute__level=f.level)
    if f.outcome:
        qs = qs.filter(dispute__outcome=f.outcome)
    if f.risk is not None:
        qs = qs.filter(dispute__risk_flag=f.risk)
    if f.accepted_from is not None:
        qs = qs.filter(dispute__accepted_at__gte=_midnight(f.accepted_from))
    if f.accepted_to is not None:
        qs = qs.filter(dispute__accepted_at__lt=_midnight(f.accepted_to + dt.timedelta(days=1)))
    q = " ".join((f.q or "").split())
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q))
    return (
        qs.select_related(None)
        .select_related("unit", "owner", "category", "dispute")
        .only(*LIST_FIELDS)
        .order_by("-received_at", "-pk")
    )


# What a dispute list row shows (the page's table and the API's `DisputeOut`).
LIST_FIELDS = (
    "number",
    "title",
    "status",
    "received_at",
    "resolve_due",
    "unit__name",
    "category__name",
    "owner__full_name",
    "dispute__level",
    "dispute__outcome",
    "dispute__risk_flag",
    "dispute__committee_id",
)


def access_dispute(member: Member, pk: Any, for_write: bool = False) -> Case:
    """One dispute (a case of kind dispute, with `.dispute`): 404 outside the jurisdiction or
    for another kind of case, 403 when the member may only look."""
    try:
        case = (
            Case.objects.filter(kind=DISPUTE)
            .select_related("unit", "owner", "category", "place", "dispute__committee")
            .get(pk=_valid_id(pk))
        )
    except Case.DoesNotExist as exc:
        raise NotFound from exc
    casework.check_case(member, case, CHANGE if for_write else VIEW)
    return case


def dossier(case: Case) -> dict[str, Any]:
    """Everything the detail page and the API show of one dispute, in few queries."""
    dispute = case.dispute
    agreements = list(
        dispute.agreements.prefetch_related(
            Prefetch(
                "obligations",
                queryset=Obligation.objects.select_related("obligor", "obligee").prefetch_related(
                    Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "pk"))
                ),
            )
        ).order_by("pk")
    )
    confirmations = {
        c.agreement_id: c for c in Confirmation.objects.filter(agreement__in=agreements)
    }
    for agreement in agreements:
        agreement.confirmation_row = confirmations.get(agreement.pk)  # type: ignore[attr-defined]
    return {
        "dispute": dispute,
        "parties": list(dispute.parties.all()),
        "mediators": list(dispute.mediators.select_related("replaced_for")),
        "sessions": list(dispute.sessions.all()),
        "escalations": list(dispute.escalations.select_related("from_committee", "to_committee")),
        "extensions": list(dispute.extensions.order_by("pk")),
        "agreements": agreements,
        "visits": list(dispute.visits.all()),
        "timeline": list(casework.timeline(case)),
    }


def access_party(member: Member, case: Case, pk: Any) -> Party:
    try:
        return Party.objects.get(pk=_valid_id(pk), dispute_id=case.pk)
    except Party.DoesNotExist as exc:
        raise NotFound from exc


def access_mediator(member: Member, case: Case, pk: Any) -> Mediator:
    try:
        return Mediator.objects.select_related("dispute__case").get(
            pk=_valid_id(pk), dispute_id=case.pk
        )
    except Mediator.DoesNotExist as exc:
        raise NotFound from exc


def access_agreement(member: Member, case: Case, pk: Any) -> Agreement:
    try:
        return Agreement.objects.select_related("dispute__case", "dispute__committee").get(
            pk=_valid_id(pk), dispute_id=case.pk
        )
    except Agreement.DoesNotExist as exc:
        raise NotFound from exc


def access_obligation(member: Member, case: Case, pk: Any) -> Obligation:
    try:
        return Obligation.objects.select_related("agreement__dispute__case").get(
            pk=_valid_id(pk), agreement__dispute_id=case.pk
        )
    except Obligation.DoesNotExist as exc:
        raise NotFound from exc


def access_confirmation(member: Member, case: Case, pk: Any) -> Confirmation:
    try:
        return Confirmation.objects.select_related("agreement__dispute__case").get(
            pk=_valid_id(pk), agreement__dispute_id=case.pk
        )
    except Confirmation.DoesNotExist as exc:
        raise NotFound from exc


def dispute_types() -> QuerySet[Category]:
    return Category.objects.filter(kind=KIND, is_active=True).order_by("order", "code")


def committees_visible_to(member: Member) -> QuerySet[Committee]:
    if not access.can(member, COMMITTEE, VIEW):
        raise AccessDenied
    return access.scope(Committee.objects.select_related("unit", "place"), member, COMMITTEE)


def committee_choices(member: Member) -> QuerySet[Committee]:
    """Committees a dispute recorded by `member` may go to: those in their jurisdiction and
    those above their unit (a station records a dispute for the county centre)."""
    parts = member.unit.path.split(".")[:-1]
    prefixes = [".".join(parts[: i + 1]) + "." for i in range(len(parts))]
    low, high = member.unit.subtree_range()
    return (
        Committee.objects.filter(is_active=True)
        .filter(Q(unit__path__in=prefixes) | Q(unit__path__gte=low, unit__path__lt=high))
        .select_related("unit")
        .order_by("unit__path", "name")
    )
