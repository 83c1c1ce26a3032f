"""Correcting a recipient's record (service, page, API) and the retention purge after they
were taken off the register (SECURITY.md, Data)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liuqing.care import services
from liuqing.care.models import Recipient, Service
from liuqing.care.testing import carer, grant, register
from liuqing.casework.testing import png_upload
from liuqing.core import retention, worker
from liuqing.core import services as core_services
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World, login_verified
from liuqing.visits import services as visit_services
from liuqing.visits.models import Visit, VisitPhoto, VisitPlan

pytestmark = pytest.mark.django_db


def raw(recipient: Recipient) -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, phone, address, notes, basis_note FROM care_recipient WHERE id = %s",
            [recipient.pk],
        )
        return tuple(cursor.fetchone())


def test_a_correction_replaces_only_what_is_given_and_audits_field_names(world: World) -> None:
    recipient = register(world.units["S1"], basis_note="签字同意书")
    officer = grant(world.persona(Role.OFFICER))
    before = raw(recipient)
    services.update_recipient(
        actor=officer,
        recipient=recipient,
        category="disability",
        phone="13900005678",
        name="",
        notes="",
        clear=["address"],
    )
    recipient.refresh_from_db()
    after = raw(recipient)
    assert recipient.category == "disability"
    assert recipient.phone.reveal() == "+8613900005678"
    assert recipient.name.reveal() == "王秀兰"  # empty means keep
    assert recipient.notes.reveal() == "高血压，需每周送药"
    assert recipient.address.reveal() == ""
    assert after[0] == before[0]
    assert after[3] == before[3]
    assert after[1].startswith("lq1$")
    assert after[1] != before[1]
    event = AuditEvent.objects.get(action="care.update")
    details = json.loads(event.details)
    assert details["fields"] == ["address", "category", "phone"]
    assert details["cleared"] == ["address"]
    assert "139" not in event.details


def test_bad_corrections_change_nothing(world: World) -> None:
    recipient = register(world.units["S1"])
    officer = grant(world.persona(Role.OFFICER))
    before = raw(recipient)
    with pytest.raises(ValidationError) as caught:
        services.update_recipient(
            actor=officer,
            recipient=recipient,
            category="rich",
            phone="12",
            restricted_label="minor",  # the officer lacks the minor grant
            clear=["name"],
            basis_recorded_on=timezone.localdate() + dt.timedelta(days=3),
        )
    assert set(caught.value.message_dict) == {
        "category",
        "phone",
        "restricted_label",
        "clear",
        "basis_recorded_on",
    }
    recipient.refresh_from_db()
    assert raw(recipient) == before
    assert recipient.category == "elderly_alone"
    assert not AuditEvent.objects.filter(action="care.update").exists()
    services.take_off_register(actor=officer, recipient=recipient, reason="迁出")
    with pytest.raises(ValidationError):
        services.update_recipient(actor=officer, recipient=recipient, category="other")


def weekly_plan(recipient: Recipient, boss: Member) -> VisitPlan:
    return visit_services.schedule_visits(
        actor=boss,
        target_kind="care_recipient",
        target_id=recipient.pk,
        cadence="weekly",
        responsible=boss,
        starts_on=dt.date(2026, 1, 5),
    )


def test_a_new_restricted_label_moves_the_visit_plans(world: World) -> None:
    recipient = register(world.units["S1"], category="left_behind_child")
    boss = carer(world.units["S1"])
    plan = weekly_plan(recipient, boss)
    services.update_recipient(actor=boss, recipient=recipient, restricted_label="minor")
    plan.refresh_from_db()
    assert plan.restricted_label == "minor"


def test_the_correction_page_never_shows_stored_personal_data(world: World) -> None:
    recipient = register(world.units["S1"])
    chief = grant(world.persona(Role.STATION_CHIEF))
    client = login_verified(Client(), chief)
    url = reverse("care:edit", kwargs={"pk": recipient.pk})
    page = client.get(url).content.decode()
    for secret in ("王秀兰", "13800001234", "幸福路", "高血压"):
        assert secret not in page
    bad = client.post(
        url,
        {
            "category": "other",
            "legal_basis": "consent",
            "basis_recorded_on": "2026-01-02",
            "phone": "not a phone",
        },
    )
    assert bad.status_code == 200
    assert "phone" in bad.context["form"].errors
    done = client.post(
        url,
        {
            "category": "other",
            "legal_basis": "guardian",
            "basis_recorded_on": "2026-01-02",
            "address": "团结路 2 号",
            "clear": ["notes"],
        },
    )
    assert done.status_code == 302
    recipient.refresh_from_db()
    assert (recipient.legal_basis, recipient.address.reveal()) == ("guardian", "团结路 2 号")
    assert recipient.notes.reveal() == ""


def token(member: Member) -> dict[str, Any]:
    _t, secret = core_services.create_api_token(actor=member, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_api_patches_only_the_fields_sent(world: World) -> None:
    recipient = register(world.units["S1"], basis_note="口头同意")
    chief = grant(world.persona(Role.STATION_CHIEF))
    url = f"/api/v1/care/recipients/{recipient.pk}"

    def patch(body: dict[str, Any]) -> Any:
        return Client().patch(
            url, json.dumps(body), content_type="application/json", **token(chief)
        )

    bad = patch({"phone": "12"})
    assert bad.status_code == 422
    assert "phone" in bad.json()["error"]["fields"]
    assert patch({"unit_id": 1}).status_code == 422  # no mass assignment
    done = patch({"address": "新村 1 号", "clear": ["phone"]})
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["phone"] == ""
    assert body["category"] == "elderly_alone"
    recipient.refresh_from_db()
    assert recipient.basis_note == "口头同意"
    assert recipient.address.reveal() == "新村 1 号"


def taken_off_with_history(world: World) -> tuple[Recipient, Visit, str]:
    recipient = register(world.units["S1"])
    boss = carer(world.units["S1"])
    plan = weekly_plan(recipient, boss)
    visit = visit_services.record_visit(
        actor=boss,
        plan=plan,
        visited_on=dt.date(2026, 1, 6),
        visitors=[boss],
        summary="王秀兰血压偏高，已送药",
        latitude="43.9",
        longitude="81.3",
        photos=[png_upload()],
    )
    services.record_service(
        actor=boss, recipient=recipient, kind="medicine", given_on="2026-01-06", note="降压药两盒"
    )
    services.take_off_register(actor=boss, recipient=recipient, reason="本人撤回同意")
    photo = VisitPhoto.objects.get(visit=visit).file.name
    return recipient, visit, photo


def test_the_purge_erases_personal_data_and_history_after_the_period(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    recipient, visit, photo = taken_off_with_history(world)
    kept = register(world.units["S1"], name="李桂英")  # still on the register
    assert default_storage.exists(photo)
    assert retention.due()["care.recipient"] == 0  # within the period: nothing yet
    later = timezone.now() + dt.timedelta(days=731)
    assert retention.due(later)["care.recipient"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.purge_expired(later)["care.recipient"] == 1
    recipient.refresh_from_db()
    visit.refresh_from_db()
    assert raw(recipient) == ("", "", "", "", "")
    assert recipient.purged_at is not None
    assert (visit.summary, visit.latitude, visit.longitude) == ("", None, None)
    assert not VisitPhoto.objects.filter(visit=visit).exists()
    assert not default_storage.exists(photo)
    assert Service.objects.get(recipient=recipient).note == ""
    assert Visit.objects.filter(plan__target_id=recipient.pk).count() == 1  # counts stay
    kept.refresh_from_db()
    assert kept.name.reveal() == "李桂英"
    event = AuditEvent.objects.get(action=retention.PURGE_ACTION)
    details = json.loads(event.details)
    assert details["ids"] == [str(recipient.pk)]
    assert details["days"] == 730
    assert "王秀兰" not in event.details
    # Idempotent: a second run finds nothing; a shorter period in settings takes effect.
    assert retention.purge_expired(later)["care.recipient"] == 0
    settings.LIUQING_RETENTION_DAYS = {"care.recipient": 1}
    assert retention.RULES["care.recipient"].days == 1


def test_the_worker_purges_once_a_day_and_the_command_counts(world: World, settings: Any) -> None:
    recipient, _visit, _photo = taken_off_with_history(world)
    Recipient.objects.filter(pk=recipient.pk).update(
        removed_at=timezone.now() - dt.timedelta(days=800)
    )
    job = worker.JOBS["retention.purge"]
    assert job.is_due is not None
    assert job.is_due(timezone.now())
    dry = call_command_output("purge", "--dry-run")
    assert "care.recipient: 1 past their period (kept 730 days" in dry
    assert Recipient.objects.get(pk=recipient.pk).purged_at is None
    outcome = worker.run_job(job)
    assert outcome.ok
    assert "care.recipient 1" in outcome.result
    assert Recipient.objects.get(pk=recipient.pk).purged_at is not None
    assert not job.is_due(timezone.now())  # the run event marks the day
    assert AuditEvent.objects.filter(action=retention.RUN_ACTION).count() == 1


def test_the_detail_page_says_when_data_will_be_erased(world: World) -> None:
    recipient, _visit, _photo = taken_off_with_history(world)
    client = login_verified(Client(), carer(world.units["S1"]))
    page = client.get(reverse("care:detail", kwargs={"pk": recipient.pk})).content.decode()
    erase_on = (recipient.removed_at or timezone.now()) + dt.timedelta(days=730)
    assert f"will be erased after {timezone.localtime(erase_on):%Y-%m-%d}" in page
    retention.purge_expired(timezone.now() + dt.timedelta(days=731))
    page = client.get(reverse("care:detail", kwargs={"pk": recipient.pk})).content.decode()
    assert "Personal data and visit notes erased on" in page
    assert "王" not in page.split("<h1>")[1].split("</h1>")[0]


def call_command_output(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
