"""Retention of the care register (SECURITY.md, Data): once a recipient has been taken off
the register for `care.recipient` days (two years by default; LIUQING_RETENTION_DAYS), their
name, phone, address, notes and the note on the legal basis are erased, with the notes of
the services given and what the visits under their plans recorded (summary, location,
photos). The record stays as "category #number", so the register's history and the visit
and service counts of past periods are unchanged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from liuqing.care.models import Recipient, Service
from liuqing.care.targets import CARE_RECIPIENT_TARGET
from liuqing.core import retention
from liuqing.visits import services as visits


def expired(cutoff: dt.datetime) -> QuerySet[Any]:
    return Recipient.objects.filter(is_active=False, removed_at__lt=cutoff, purged_at__isnull=True)


def purge(batch: list[Any]) -> None:
    ids = [r.pk for r in batch]
    visits.erase_visit_notes(target_kind=CARE_RECIPIENT_TARGET, target_ids=ids)
    Service.objects.filter(recipient_id__in=ids).update(note="")
    Recipient.objects.filter(pk__in=ids).update(
        name="", phone="", address="", notes="", basis_note="", purged_at=timezone.now()
    )


RULE = retention.register(
    retention.Rule(
        name="care.recipient",
        description="care recipients taken off the register",
        default_days=730,
        expired=expired,
        purge=purge,
    )
)
