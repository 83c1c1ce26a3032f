"""Retention of what the reception desk keeps itself (SECURITY.md, Data). Periods are
settings (LIUQING_RETENTION_DAYS); the records stay, so the desk's counts do not change.

* ``reception.complaint``: a complaint about police conduct, `reception.complaint` days
  (three years by default) after it was closed: its text and the supervisor's outcome note
  are erased, and the reasons of its hand-overs redacted (`core.redact`). Three years covers
  the annual conduct reviews and a complainant's follow-up or appeal against the outcome,
  and matches how long the audit trail of who handled it is kept (SECURITY.md, Audit).
* ``reception.restricted_report``: a report of domestic violence or school bullying,
  `reception.restricted_report` days (five years by default) after it was received: its
  text is erased. Such a report has no closing of its own (the case it leads to is the
  police's), so the period runs from receipt and is the longer one: a pattern of repeated
  violence (the Anti-Domestic Violence Law's warnings build on earlier reports) must stay
  visible for years, and a minor's report should outlast their school years nearby.

The walk-in log needs no rule: a walk-in holds no personal data (arrival, service and end
times, the route and the reference of the matter it became); whatever the visitor told goes
with that matter and its module's rule (a dispute: ``mediation.dispute``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from liuqing.core import retention
from liuqing.core.redact import redact
from liuqing.reception.models import (
    ComplaintHandover,
    ComplaintStatus,
    ConductComplaint,
    RestrictedReport,
)


def expired_complaints(cutoff: dt.datetime) -> QuerySet[Any]:
    return ConductComplaint.objects.filter(
        status=ComplaintStatus.CLOSED, closed_at__lt=cutoff, purged_at__isnull=True
    )


def purge_complaints(batch: list[Any]) -> None:
    ids = [c.pk for c in batch]
    for pk, reason in ComplaintHandover.objects.filter(complaint_id__in=ids).values_list(
        "pk", "reason"
    ):
        masked = redact(reason)
        if masked != reason:
            ComplaintHandover.objects.filter(pk=pk).update(reason=masked)
    ConductComplaint.objects.filter(pk__in=ids).update(
        text="", outcome_note="", purged_at=timezone.now()
    )


def expired_reports(cutoff: dt.datetime) -> QuerySet[Any]:
    return RestrictedReport.objects.filter(received_at__lt=cutoff, purged_at__isnull=True)


def purge_reports(batch: list[Any]) -> None:
    RestrictedReport.objects.filter(pk__in=[r.pk for r in batch]).update(
        text="", purged_at=timezone.now()
    )


COMPLAINTS = retention.register(
    retention.Rule(
        name="reception.complaint",
        description="closed complaints about police conduct",
        default_days=1095,
        expired=expired_complaints,
        purge=purge_complaints,
    )
)
REPORTS = retention.register(
    retention.Rule(
        name="reception.restricted_report",
        description="domestic-violence and school-bullying reports, from receipt",
        default_days=1825,
        expired=expired_reports,
        purge=purge_reports,
    )
)
