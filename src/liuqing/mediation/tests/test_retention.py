"""Retention of the mediation files: five years after a dispute finished, the parties'
personal data is erased and the file's free text redacted; open disputes and the figures are
untouched; the purge is audited without the data, and a dry run changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from liuqing.casework import services as casework
from liuqing.casework.models import Case, CaseException, Entry
from liuqing.casework.testing import png_upload
from liuqing.core import retention
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World, login_verified
from liuqing.mediation import followup, kpis, services
from liuqing.mediation.models import Agreement, Dispute, Obligation, Party, Session
from liuqing.mediation.testing import agree, handler, in_mediation
from liuqing.notify.models import Delivery

NAME = "mediation.dispute"
MINUTES = "王建军称艾力·买买提拖欠工钱，电话13912345678，身份证11010519491231002X。"


def raw_parties(case: Case) -> list[tuple[str, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, id_number, phone, phone_index, address, agent_name "
            "FROM mediation_party WHERE dispute_id = %s ORDER BY id",
            [case.pk],
        )
        return [tuple(row) for row in cursor.fetchall()]


def finished_files(world: World) -> tuple[Case, Case, Case]:
    """A dispute closed after performance, one terminated, and one still in mediation, each
    with minutes naming the parties."""
    unit = world.units["S1"]
    officer = handler(unit)
    cases = []
    for title in ("王建军与艾力·买买提工钱纠纷", "终止", "进行中"):
        case = in_mediation(unit, title=title)
        services.record_session(
            actor=officer,
            case=case,
            held_at=timezone.now(),
            location="村调解室",
            attendees="王建军、艾力·买买提、调解员",
            minutes=MINUTES,
        )
        cases.append(case)
    closed, terminated, open_ = cases
    agreement = agree(closed, written=True, amount="2000.00")
    for obligation in agreement.obligations.all():
        followup.record_performance(
            actor=officer, obligation=obligation, performed_on=timezone.localdate(), amount="2000"
        )
    services.terminate_dispute(
        actor=officer, case=terminated, reason="王建军拒绝让步。", channels=["court"]
    )
    for case in cases:
        case.refresh_from_db()
    assert (closed.status, terminated.status, open_.status) == (
        "closed",
        "terminated",
        "in_progress",
    )
    return closed, terminated, open_


def figures(world: World) -> Any:
    now = timezone.now()
    return kpis.compute(
        world.persona(Role.STATION_CHIEF),
        world.units["S1"],
        now - dt.timedelta(days=30),
        now + dt.timedelta(days=1),
        now + dt.timedelta(days=1),
    )


def test_the_purge_erases_the_parties_and_redacts_the_file_after_five_years(
    world: World,
) -> None:
    closed, terminated, open_ = finished_files(world)
    before = figures(world)
    retention.discover()
    assert retention.RULES[NAME].days == 1825
    assert retention.due()[NAME] == 0  # within the period: nothing yet
    later = timezone.now() + dt.timedelta(days=1826)
    assert retention.due(later)[NAME] == 2  # the dry run counts; nothing changes
    assert Dispute.objects.filter(purged_at__isnull=False).count() == 0
    assert raw_parties(closed)[0][0] != ""
    assert retention.purge_expired(later)[NAME] == 2

    for case in (closed, terminated):
        assert raw_parties(case) == [("",) * 6, ("",) * 6]
        session = Session.objects.filter(dispute_id=case.pk).last()
        assert session is not None
        for text in (session.minutes, session.attendees):
            for secret in ("王建军", "建军", "买买提", "13912345678", "11010519491231002X"):
                assert secret not in text
        assert "拖欠工钱" in session.minutes  # the facts stay, the names go
        assert Dispute.objects.get(pk=case.pk).purged_at is not None
        case.refresh_from_db()
        assert "建军" not in case.title
        assert not any(
            "建军" in text
            for text in Entry.objects.filter(case=case).values_list("text", flat=True)
        )
    agreement = Agreement.objects.get(dispute_id=closed.pk)
    assert agreement.content  # redacted, not emptied
    assert Obligation.objects.filter(agreement=agreement, performed_on__isnull=False).exists()
    # The open dispute keeps everything.
    assert Party.objects.filter(dispute_id=open_.pk).first().name.reveal() == "王建军"
    assert Session.objects.filter(dispute_id=open_.pk).last().minutes == MINUTES
    # Figures count records, not names.
    assert figures(world) == before

    event = AuditEvent.objects.get(action=retention.PURGE_ACTION, object_type=NAME)
    details = json.loads(event.details)
    assert sorted(details["ids"]) == sorted([str(closed.pk), str(terminated.pk)])
    assert (details["count"], details["days"]) == (2, 1825)
    assert "建军" not in event.details
    assert "1391234" not in event.details
    # Idempotent.
    assert retention.purge_expired(later)[NAME] == 0


def test_the_purge_redacts_what_the_engine_keeps_of_the_case_too(world: World) -> None:
    """The case's texts outside the mediation file (an extension asked on the case page,
    the notifications about the case) are redacted with the parties' names like the file's
    own."""
    unit = world.units["S1"]
    officer = handler(unit)
    case = in_mediation(unit, title="王建军与艾力·买买提工钱纠纷")
    casework.request_extension(actor=officer, case=case, days=3, reason=MINUTES)
    services.flag_risk(actor=officer, case=case, note=MINUTES)
    notified = Delivery.objects.filter(link=casework.case_link(case))
    assert notified.filter(kind="dispute.risk", subject__contains="王建军").exists()
    services.terminate_dispute(
        actor=officer, case=case, reason="王建军拒绝让步。", channels=["court"]
    )
    assert retention.purge_expired(timezone.now() + dt.timedelta(days=1826))[NAME] == 1

    reason = CaseException.objects.get(case=case).reason
    texts = [reason, *(d.subject + d.body for d in notified)]
    for secret in ("王建军", "建军", "买买提", "13912345678", "11010519491231002X"):
        assert secret not in "\n".join(texts), secret
    assert "拖欠工钱" in reason
    assert notified.filter(kind="dispute.risk", body__contains="拖欠工钱").exists()


def test_the_dry_run_command_counts_and_a_setting_changes_the_period(
    world: World, settings: Any
) -> None:
    closed, _terminated, _open = finished_files(world)
    settings.LIUQING_RETENTION_DAYS = {NAME: 1}
    Case.objects.filter(pk=closed.pk).update(closed_at=timezone.now() - dt.timedelta(days=2))
    out = StringIO()
    call_command("purge", "--dry-run", stdout=out)
    assert f"{NAME}: 1 past their period (kept 1 days" in out.getvalue()
    assert raw_parties(closed)[0][0] != ""
    assert not AuditEvent.objects.filter(action=retention.PURGE_ACTION).exists()
    assert retention.purge_expired()[NAME] == 1
    assert raw_parties(closed)[0] == ("",) * 6


def test_the_detail_page_says_when_the_parties_data_will_be_erased(world: World) -> None:
    closed, _terminated, open_ = finished_files(world)
    client = login_verified(Client(), handler(world.units["S1"]))
    page = client.get(f"/mediation/{closed.pk}/").content.decode()
    erase_on = (closed.closed_at or timezone.now()) + dt.timedelta(days=1825)
    assert f"will be erased after {timezone.localtime(erase_on):%Y-%m-%d}" in page
    assert 'id="retention"' not in client.get(f"/mediation/{open_.pk}/").content.decode()
    retention.purge_expired(timezone.now() + dt.timedelta(days=1826))
    page = client.get(f"/mediation/{closed.pk}/").content.decode()
    assert "personal data was erased on" in page
    assert "王建军" not in page


def test_the_purge_deletes_the_files_attached_to_the_timeline(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    unit = world.units["S1"]
    officer = handler(unit)
    case = in_mediation(unit, title="王建军与艾力·买买提工钱纠纷")
    entry = casework.attach_file(
        actor=officer, case=case, upload=png_upload("王建军欠条.png"), note="欠条照片"
    )
    path = entry.attachment.name
    assert default_storage.exists(path)
    services.terminate_dispute(actor=officer, case=case, reason="拒绝让步。", channels=["court"])
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.purge_expired(timezone.now() + dt.timedelta(days=1826))[NAME] == 1
    entry.refresh_from_db()
    assert (entry.attachment.name, entry.attachment_name, entry.attachment_type) == ("", "", "")
    assert not default_storage.exists(path)
