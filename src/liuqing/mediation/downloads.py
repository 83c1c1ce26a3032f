"""Responses shared by the pages and the API: the agreement documents and figure rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from liuqing.analytics.rates import Average, Rate
from liuqing.core import audit
from liuqing.core.access import NotFound
from liuqing.core.figures import Reading
from liuqing.core.models import Member
from liuqing.mediation.documents import agreement_doc, render_docx, render_pdf
from liuqing.mediation.models import Agreement

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def agreement_response(actor: Member, agreement: Agreement, fmt: str) -> HttpResponse:
    """The agreement as an attachment. The document prints the parties' names and addresses,
    so the download is audited as a sensitive read (no audit, no document)."""
    if fmt not in CONTENT_TYPES:
        raise NotFound
    doc = agreement_doc(agreement)
    content = render_docx(doc) if fmt == "docx" else render_pdf(doc)
    with transaction.atomic():
        audit.record(
            "dispute.agreement_document",
            actor=actor,
            obj=agreement.dispute.case,
            details={"agreement": agreement.pk, "format": fmt},
        )
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="agreement-{agreement.pk}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """Local midnights of [start, end) and the as-of instant (now)."""

    def midnight(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time()))

    return midnight(start), midnight(end), timezone.now()


def reading_row(reading: Reading) -> dict[str, Any]:
    value = reading.value
    row: dict[str, Any] = {"key": reading.key, "label": str(reading.label)}
    if isinstance(value, Rate):
        row.update(
            value=value.percent_display(),
            numerator=value.numerator,
            denominator=value.denominator,
        )
    elif isinstance(value, Average):
        row["value"] = value.display()
    else:
        row["value"] = "—" if value is None else str(value)
    return row
