"""Retention of appeal residents' contact data (SECURITY.md, Data; liuqing.core.retention).

Rule `appeals.resident`: `appeals.resident` days (three years, 1,095, by default; settable in
LIUQING_RETENTION_DAYS) after an appeal is finished — closed (and its follow-up, 回访, done or
lapsed past its due date), withdrawn or merged — the resident's name, phone (and its blind
index) and address are erased. First, while the name is still known, every text of the case
passes through `core.redact` with that name: the title, the description, the public summary
and result, the timeline entries (notes, contact records, status notes, attachments' notes and
file names), the follow-up notes, the exception reasons and decisions, and the in-app
notifications that link to the case. The files attached to the timeline are deleted (an
original upload may show people or documents, or carry location data); a photo on the public
record keeps its public copy, stripped of metadata when it was published
(`casework.services.delete_case_files`). Then the name goes, and the search document is
written again from the redacted text.

Why three years: the appeals figures compare each period with the same period a year before
(KPIS.md), and a closed appeal may come back within the following year (重办 after a follow-
up, a complaint about the handling, a petition or a review), when the officer needs to call
the resident back; two full years after closure cover both, and the third is the margin for a
matter raised late in a year and re-examined at the next year's review. Longer keeps contact
details nobody needs; the figures do not need them at all.

Figures stay as they were: the case, its statuses, times, clocks, category, place and
coordinates, follow-up ratings and every count are kept; only names, contact details and the
personal data inside free text go. What the public sees does not change either: its texts
were redacted with the same name when approved (`redact` is idempotent).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from liuqing.appeals import signals
from liuqing.appeals.models import Appeal
from liuqing.appeals.workflow import APPEAL
from liuqing.casework.models import Case, FollowUp
from liuqing.casework.services import delete_case_files, redact_case_texts
from liuqing.casework.workflows import CLOSED, MERGED, WITHDRAWN
from liuqing.core import pii, retention

NAME = "appeals.resident"
DEFAULT_DAYS = 3 * 365


def expired(cutoff: dt.datetime) -> QuerySet[Any]:
    """Appeals finished before `cutoff` whose resident's data is still there: closed before
    it with no follow-up done after it or still due after it, or withdrawn/merged (no close
    time: their last change) before it."""
    finished = Q(case__status=CLOSED, case__closed_at__lt=cutoff) | Q(
        case__status__in=[WITHDRAWN, MERGED], case__updated_at__lt=cutoff
    )
    followup_late = FollowUp.objects.filter(
        Q(done_at__gte=cutoff)
        | Q(done_at__isnull=True, cancelled_at__isnull=True, due_at__gte=cutoff)
    ).values("case_id")
    return (
        Appeal.objects.filter(finished, case__kind=APPEAL, purged_at__isnull=True)
        .exclude(case_id__in=followup_late)
        .select_related("case")
    )


def purge(batch: list[Any]) -> None:
    """Redact every text of each appeal's case with the resident's name, then erase the
    name, phone and address, and rewrite the search document."""
    now = timezone.now()
    names_of: dict[int, tuple[str, ...]] = {}
    for appeal in batch:
        name = pii.plain(appeal.resident_name).strip()
        names_of[appeal.case_id] = (name,) if name else ()
    ids = list(names_of)

    redact_case_texts(names=names_of)
    delete_case_files(case_ids=ids)

    # Now the name may go (an update: no per-row signal), and each search document is
    # written once from the redacted text.
    Appeal.objects.filter(pk__in=ids).update(
        resident_name="",
        resident_phone="",
        resident_phone_index="",
        resident_address="",
        purged_at=now,
    )
    for case in Case.objects.filter(pk__in=ids):
        signals.reindex(case, names=())


RULE = retention.register(
    retention.Rule(
        name=NAME,
        description="appeal residents' names and contact details, after the appeal is finished",
        default_days=DEFAULT_DAYS,
        expired=expired,
        purge=purge,
    )
)
