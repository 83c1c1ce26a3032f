"""Large ledgers go to the worker: the mapping is checked and the run queued, the worker job
claims and imports it as the member who queued it, a stalled run starts again, and a member
who lost the right to import gets a failed run instead of an import."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World, login_verified
from liuqing.core.worker import JOBS, discover, run_job
from liuqing.imports import services
from liuqing.imports.models import ImportRun, RunStatus
from liuqing.incidents.models import Incident
from liuqing.incidents.testing import LAT, LNG, ledger_csv
from liuqing.incidents.tests.test_import import COLUMNS, OPTIONS, row, upload

pytestmark = pytest.mark.django_db


def queued(actor: Member, world: World, rows: list[dict[str, object]]) -> ImportRun:
    run = upload(actor, world, ledger_csv(rows))
    return services.queue_import(actor=actor, run=run, columns=COLUMNS, options=OPTIONS)


def test_a_queued_run_is_imported_by_the_worker_job(mapped: World, analyst: Member) -> None:
    run = queued(analyst, mapped, [row("Q1"), row("Q2"), row("Q3", 纬度=95)])
    assert run.status == RunStatus.QUEUED
    assert Incident.objects.count() == 0
    assert AuditEvent.objects.filter(action="import.queue", object_id=str(run.pk)).exists()
    discover()  # what `liuqing worker` does at start
    outcome = run_job(JOBS["imports.run_queued"])
    assert outcome.ok, outcome.result
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert (run.rows_read, run.rows_created, run.rows_rejected, run.attempts) == (3, 2, 1, 1)
    assert set(Incident.objects.values_list("source_id", flat=True)) == {"Q1", "Q2"}
    finish = AuditEvent.objects.get(action="import.finish", object_id=str(run.pk))
    assert finish.member_username == analyst.username
    assert services.run_queued() == "none queued"


def test_queueing_checks_the_mapping_and_changes_nothing_on_error(
    mapped: World, analyst: Member
) -> None:
    run = upload(analyst, mapped, ledger_csv([row("Q1")]))
    with pytest.raises(ValidationError) as caught:
        services.queue_import(
            actor=analyst, run=run, columns={"警情编号": "source_id"}, options=OPTIONS
        )
    assert "columns" in caught.value.message_dict
    run.refresh_from_db()
    assert run.status == RunStatus.UPLOADED
    services.queue_import(actor=analyst, run=run, columns=COLUMNS, options=OPTIONS)
    with pytest.raises(ValidationError):
        services.queue_import(actor=analyst, run=run, columns=COLUMNS, options=OPTIONS)


def test_a_stalled_run_starts_again_and_counts_from_the_top(mapped: World, analyst: Member) -> None:
    run = queued(analyst, mapped, [row("Q1"), row("Q2")])
    # A worker claimed it, wrote one row and died: the run is left running, its heartbeat old.
    Incident.objects.all().delete()
    services.run_queued()
    run.refresh_from_db()
    Incident.objects.filter(source_id="Q2").delete()
    long_ago = timezone.now() - services.stale_after() - dt.timedelta(minutes=1)
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, heartbeat_at=long_ago, rows_read=1, rows_created=1
    )
    result = services.run_queued()
    assert result.startswith(f"run {run.pk} done")
    run.refresh_from_db()
    assert run.attempts == 2
    assert (run.rows_read, run.rows_created, run.rows_unchanged) == (2, 1, 1)
    assert "Started again" in run.message
    assert Incident.objects.count() == 2


def test_a_running_run_with_a_fresh_heartbeat_is_left_alone(mapped: World, analyst: Member) -> None:
    run = queued(analyst, mapped, [row("Q1")])
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, heartbeat_at=timezone.now(), attempts=1
    )
    assert services.run_queued() == "none queued"
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_a_run_interrupted_too_often_fails(mapped: World, analyst: Member) -> None:
    run = queued(analyst, mapped, [row("Q1")])
    ImportRun.objects.filter(pk=run.pk).update(attempts=services.MAX_ATTEMPTS)
    services.run_queued()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert Incident.objects.count() == 0


def test_a_member_who_can_no_longer_import_gets_a_failed_run(
    mapped: World, analyst: Member
) -> None:
    run = queued(analyst, mapped, [row("Q1")])
    Member.objects.filter(pk=analyst.pk).update(is_active=False)
    services.run_queued()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "can no longer import" in run.message
    assert Incident.objects.count() == 0


def test_the_page_queues_a_large_file_and_polls_while_it_waits(
    mapped: World, settings: object
) -> None:
    settings.IMPORTS_INLINE_MAX_MB = 0  # type: ignore[attr-defined]
    chief = mapped.persona(Role.STATION_CHIEF)
    client = login_verified(Client(), chief)
    content = ledger_csv(
        [{"编号": "P1", "时间": "2026-03-03 03:03", "类别": "纠纷", "lat": LAT, "lng": LNG}]
    )
    response = client.post(
        reverse("imports:upload"),
        {
            "kind": "incidents",
            "unit": mapped.units["S1"].pk,
            "file": SimpleUploadedFile("a.csv", content),
        },
    )
    run = ImportRun.objects.get()
    response = client.post(
        reverse("imports:mapping", kwargs={"pk": run.pk}),
        {
            "col_source_id": "编号",
            "col_occurred_at": "时间",
            "col_category": "类别",
            "col_latitude": "lat",
            "col_longitude": "lng",
            "opt_source_system": "jjxt",
            "opt_coordinates": "wgs84",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    page = client.get(reverse("imports:run_detail", kwargs={"pk": run.pk}))
    assert 'hx-trigger="every 3s"' in page.content.decode()
    partial = client.get(
        reverse("imports:run_detail", kwargs={"pk": run.pk}), HTTP_HX_REQUEST="true"
    )
    assert partial.content.decode().lstrip().startswith('<div id="run-body"')
    services.run_queued()
    done = client.get(reverse("imports:run_detail", kwargs={"pk": run.pk}), HTTP_HX_REQUEST="true")
    body = done.content.decode()
    assert 'data-status="done"' in body
    assert "hx-trigger" not in body
