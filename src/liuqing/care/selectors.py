"""Reads of the care register, always through the acting member's scope and grants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from liuqing.care.models import Need, Recipient, Service
from liuqing.care.policies import CARE_RECIPIENT
from liuqing.core import access, audit
from liuqing.core.access import VIEW, AccessDenied, NotFound
from liuqing.core.models import AuditOutcome, Member, Unit


@dataclass(frozen=True)
class RecipientFilters:
    category: str = ""
    unit: Unit | None = None
    active: bool = True


def recipients_visible_to(
    member: Member, filters: RecipientFilters | None = None
) -> QuerySet[Recipient]:
    """Recipients of the member's jurisdiction whose labels they hold, newest first."""
    if not access.can(member, CARE_RECIPIENT, VIEW):
        raise AccessDenied
    f = filters or RecipientFilters()
    qs = access.scope(Recipient.objects.select_related("unit", "place"), member, CARE_RECIPIENT)
    if f.active:
        qs = qs.filter(is_active=True)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.unit is not None:
        qs = qs.filter(access.subtree_q(f.unit, "unit__path"))
    return qs.order_by("-registered_at", "-pk")


def access_recipient(member: Member, pk: Any, *, for_write: bool = False) -> Recipient:
    """One recipient. 404 outside the jurisdiction or without the labels' grants, and then,
    if the recipient exists, an audit event of the refused sensitive read; 403 for roles
    without the register."""
    try:
        return access.access(
            member,
            Recipient.objects.select_related("unit", "place"),
            CARE_RECIPIENT,
            pk,
            for_write=for_write,
        )
    except NotFound:
        found = None
        if isinstance(pk, int) or (isinstance(pk, str) and pk.isdigit() and len(pk) < 19):
            found = Recipient.objects.filter(pk=int(pk)).select_related("unit").first()
        if found is not None:
            in_scope = access.in_jurisdiction(member, found.unit)
            audit.record(
                "care.view",
                actor=member,
                obj=found,
                outcome=AuditOutcome.DENIED,
                details={"reason": "labels" if in_scope else "jurisdiction"},
            )
        raise


def services_of(recipient: Recipient) -> QuerySet[Service]:
    return recipient.services.select_related("given_by").order_by("-given_on", "-pk")


def needs_of(recipient: Recipient) -> QuerySet[Need]:
    return recipient.needs.select_related("case", "raised_by").order_by("-raised_at", "-pk")
