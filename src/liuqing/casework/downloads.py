"""Serving a timeline entry's file, for the case page and the API alike: always as a
download, never rendered by the browser, and audited."""

from __future__ import annotations

from django.http import FileResponse, Http404

from liuqing.casework.models import Entry
from liuqing.core import audit
from liuqing.core.models import Member


def attachment_response(actor: Member, entry: Entry) -> FileResponse:
    """The file of `entry` (already checked with `selectors.access_attachment`)."""
    try:
        handle = entry.attachment.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    audit.record(
        "case.attachment.download",
        actor=actor,
        obj=entry.case,
        details={"entry": entry.pk, "number": entry.case.number},
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=entry.attachment_name or "attachment",
        content_type=entry.attachment_type or "application/octet-stream",
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
