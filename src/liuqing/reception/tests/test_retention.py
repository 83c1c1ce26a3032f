"""Retention of the desk's own records: a closed conduct complaint's text and outcome note
erased three years after closing (hand-over reasons redacted), a restricted report's text
five years after receipt; open complaints untouched, the records (and counts) kept, the
purge audited without the text, a dry run changing nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection
from django.utils import timezone

from liuqing.casework.testing import member_at
from liuqing.core import retention
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World
from liuqing.reception import services
from liuqing.reception.models import ComplaintHandover, ConductComplaint, RestrictedReport
from liuqing.reception.testing import complaint_at, report_at

COMPLAINT = "reception.complaint"
REPORT = "reception.restricted_report"


SQL = {
    "complaint": "SELECT text, outcome_note FROM reception_conductcomplaint WHERE id = %s",
    "report": "SELECT text FROM reception_restrictedreport WHERE id = %s",
}


def raw(kind: str, pk: int) -> tuple[str, ...]:
    """The stored columns (ciphertext, or "" once erased)."""
    with connection.cursor() as cursor:
        cursor.execute(SQL[kind], [pk])
        return tuple(cursor.fetchone())


def closed_complaint(world: World) -> ConductComplaint:
    complaint = complaint_at(world.units["B1"], "王建军投诉民警出警迟缓，电话13912345678。")
    first = member_at(world.units["B1"], Role.BRIGADE_STAFF, "first")
    second = member_at(world.units["B1"], Role.BRIGADE_STAFF, "second")
    services.take_complaint(actor=first, complaint=complaint)
    services.take_over_complaint(
        actor=second, complaint=complaint, reason="投诉人王建军来电13912345678催办"
    )
    services.record_complaint_outcome(
        actor=second, complaint=complaint, outcome="upheld", note="已约谈当班民警。"
    )
    services.close_complaint(actor=second, complaint=complaint)
    complaint.refresh_from_db()
    return complaint


def test_a_closed_complaint_is_erased_three_years_after_closing(world: World) -> None:
    complaint = closed_complaint(world)
    still_open = complaint_at(world.units["B1"], "另一投诉，尚在处理。")
    retention.discover()
    assert retention.RULES[COMPLAINT].days == 1095
    assert retention.due()[COMPLAINT] == 0
    later = timezone.now() + dt.timedelta(days=1096)
    assert retention.due(later)[COMPLAINT] == 1  # dry run: counted, nothing changed
    assert raw("complaint", complaint.pk)[0] != ""
    assert retention.purge_expired(later)[COMPLAINT] == 1
    assert raw("complaint", complaint.pk) == ("", "")
    complaint.refresh_from_db()
    assert complaint.purged_at is not None
    assert (complaint.status, complaint.outcome) == ("closed", "upheld")  # counts stay
    reason = ComplaintHandover.objects.get(complaint=complaint).reason
    assert "13912345678" not in reason
    assert "催办" in reason
    assert ConductComplaint.objects.get(pk=still_open.pk).text.reveal() == "另一投诉，尚在处理。"
    event = AuditEvent.objects.get(action=retention.PURGE_ACTION, object_type=COMPLAINT)
    assert json.loads(event.details)["ids"] == [str(complaint.pk)]
    assert "王建军" not in event.details
    assert "约谈" not in event.details
    assert retention.purge_expired(later)[COMPLAINT] == 0


def test_a_restricted_report_is_erased_five_years_after_receipt(
    world: World, settings: Any
) -> None:
    old = report_at(world.units["S1"], "王某某长期殴打配偶，邻居13912345678报告。")
    RestrictedReport.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - dt.timedelta(days=1826)
    )
    recent = report_at(world.units["S1"], "学校欺凌报告。", kind="school_bullying")
    retention.discover()
    assert retention.RULES[REPORT].days == 1825
    assert retention.due()[REPORT] == 1
    assert raw("report", old.pk)[0] != ""
    assert retention.purge_expired()[REPORT] == 1
    assert raw("report", old.pk) == ("",)
    old.refresh_from_db()
    assert old.purged_at is not None
    assert old.kind == "domestic_violence"
    assert RestrictedReport.objects.get(pk=recent.pk).text.reveal() == "学校欺凌报告。"
    event = AuditEvent.objects.get(action=retention.PURGE_ACTION, object_type=REPORT)
    assert json.loads(event.details)["ids"] == [str(old.pk)]
    assert "殴打" not in event.details
    # A shorter period in settings takes effect.
    settings.LIUQING_RETENTION_DAYS = {REPORT: 1}
    assert retention.due()[REPORT] == 0
    assert retention.due(timezone.now() + dt.timedelta(days=2))[REPORT] == 1
