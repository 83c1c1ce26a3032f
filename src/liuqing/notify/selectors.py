"""Reads of the notify engine: a member's own inbox (nobody reads anyone else's)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from liuqing.core.access import NotFound
from liuqing.core.models import Member
from liuqing.notify.models import Channel, Delivery, DeliveryStatus

DB_MAX_ID = 2**63 - 1


def inbox(member: Member, *, unread: bool | None = None) -> QuerySet[Delivery]:
    """The member's in-app notifications that were delivered, newest first."""
    qs = Delivery.objects.filter(member=member, channel=Channel.INAPP, status=DeliveryStatus.SENT)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created_at", "-pk")


def unread_count(member: Member) -> int:
    return inbox(member, unread=True).count()


def access_notification(member: Member, pk: Any) -> Delivery:
    """One of the member's own delivered notifications; anything else is NotFound."""
    try:
        value = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    if not 1 <= value <= DB_MAX_ID:
        raise NotFound
    found = inbox(member).filter(pk=value).first()
    if found is None:
        raise NotFound
    return found
