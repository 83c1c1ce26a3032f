"""The audit viewer and its CSV export, for auditors and chiefs, scoped to their subtree.

Looking at the log is itself a sensitive read: every page view is recorded as ``audit.view``
and every export as ``audit.export``, with the filters used, before anything is shown.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.utils import timezone

from liuqing.core import selectors, services
from liuqing.core.auth import staff_required
from liuqing.core.forms import AuditFilterForm
from liuqing.core.models import AuditEvent
from liuqing.core.views.common import actor_of, paginate, render_list

CSV_COLUMNS = [
    "seq",
    "at",
    "member_username",
    "member_id_value",
    "unit_path",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "source_ip",
    "reason",
    "details",
]
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, selectors.AuditFilters]:
    form = AuditFilterForm(request.GET)
    form.is_valid()  # invalid fields are shown as errors and left out of the filters
    return form, form.filters()


def _readable(event: AuditEvent) -> str:
    try:
        return json.dumps(json.loads(event.details), indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        return event.details


@staff_required
def audit_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form, filters = _filters(request)
    events = selectors.audit_events_visible_to(actor, filters)
    page = paginate(request, events, per_page=50)
    services.record_audit_read(
        actor=actor,
        action="audit.view",
        filters={**filters.as_dict(), "page": page.number},
        count=page.paginator.count,
    )
    rows = [(event, _readable(event)) for event in page.object_list]
    return render_list(
        request,
        "core/structure/audit_list.html",
        "core/structure/_audit_results.html",
        {"form": form, "page": page, "rows": rows},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_rows(events: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte-order mark, so spreadsheet programs read the Chinese text as UTF-8
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        row = [getattr(event, name) for name in CSV_COLUMNS]
        row[1] = event.at.isoformat()
        yield writer.writerow([_cell(v) for v in row])


@staff_required
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered events as CSV, streamed (memory stays flat however many rows match)."""
    actor = actor_of(request)
    _form, filters = _filters(request)
    events = selectors.audit_events_visible_to(actor, filters)
    services.record_audit_read(actor=actor, action="audit.export", filters=filters.as_dict())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="liuqing-audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("audit/", audit_list, name="audit"),
    path("audit/export.csv", audit_export, name="audit_export"),
]
