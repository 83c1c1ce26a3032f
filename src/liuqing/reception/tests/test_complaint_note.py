"""A complaint's outcome note is encrypted at rest like its text (SECURITY.md), shown masked
on the page and in the API, and shown in full only with a reason, audited as a reveal of
that field; the data migration seals notes written before, and opens them again going back."""

from __future__ import annotations

import importlib
import json
from typing import Any

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.urls import reverse

from liuqing.casework.testing import member_at
from liuqing.core.models import AuditEvent, Role
from liuqing.core.pii import decrypt
from liuqing.core.testing import World, login_verified
from liuqing.reception import services
from liuqing.reception.models import ConductComplaint
from liuqing.reception.testing import complaint_at
from liuqing.reception.tests.test_reveal import _api

NOTE = "经调取执法记录仪，民警王某某言语不当，已约谈。"


def _raw_note(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT outcome_note FROM reception_conductcomplaint WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def _handled(world: World) -> tuple[Any, ConductComplaint]:
    boss = member_at(world.units["B1"], Role.BRIGADE_STAFF)
    complaint = complaint_at(world.units["B1"], "民警拒绝受理报案。")
    services.take_complaint(actor=boss, complaint=complaint)
    services.record_complaint_outcome(actor=boss, complaint=complaint, outcome="upheld", note=NOTE)
    return boss, ConductComplaint.objects.get(pk=complaint.pk)


def test_the_note_is_ciphertext_in_the_database_and_masked_when_shown(world: World) -> None:
    boss, complaint = _handled(world)
    raw = _raw_note(complaint.pk)
    assert raw.startswith("lq1$")
    assert "王某某" not in raw
    assert decrypt(raw, "note") == NOTE
    assert complaint.outcome_note == NOTE
    assert str(complaint.outcome_note) == "••••"
    page = login_verified(Client(), boss).get(f"/reception/complaints/{complaint.pk}/")
    body = page.content.decode()
    assert NOTE not in body
    assert "王某某" not in body
    assert 'id="outcome-note"' in body
    assert "••••" in body
    answer = _api(boss, "get", f"/complaints/{complaint.pk}").json()
    assert answer["outcome_note"] == "••••"
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()


def test_the_note_is_revealed_with_a_reason_and_audited_on_the_page(world: World) -> None:
    boss, complaint = _handled(world)
    client = login_verified(Client(), boss)
    url = reverse("reception:complaint", kwargs={"pk": complaint.pk})
    refused = client.post(url, {"action": "reveal_note", "reason": "为何"})
    assert refused.status_code == 200
    assert NOTE not in refused.content.decode()
    assert "errorlist" in refused.content.decode()
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()
    shown = client.post(url, {"action": "reveal_note", "reason": "复核督察结论"})
    assert shown.status_code == 200
    assert NOTE in shown.content.decode()
    event = AuditEvent.objects.get(action="pii.reveal")
    assert json.loads(event.details)["field"] == "outcome_note"
    assert event.object_id == str(complaint.pk)
    assert event.reason == "复核督察结论"
    # The reveal writes nothing else: the complaint is as it was.
    assert ConductComplaint.objects.get(pk=complaint.pk).outcome_note == NOTE


def test_the_note_is_revealed_through_the_api_and_the_station_gets_404(world: World) -> None:
    boss, complaint = _handled(world)
    path = f"/complaints/{complaint.pk}/reveal"
    answer = _api(boss, "post", path, {"reason": "复核督察结论", "field": "outcome_note"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["text"] == NOTE
    assert _api(boss, "post", path, {"reason": "复核", "field": "owner"}).status_code == 422
    chief = member_at(world.units["S1"], Role.STATION_CHIEF)
    concerned = complaint_at(world.units["B1"], "x", about=world.units["S1"])
    assert (
        _api(
            chief, "post", f"/complaints/{concerned.pk}/reveal", {"reason": "看看内容"}
        ).status_code
        == 404
    )
    details = AuditEvent.objects.filter(action="pii.reveal").values_list("details", flat=True)
    assert [json.loads(d)["field"] for d in details] == ["outcome_note"]


def test_the_data_migration_seals_plain_notes_and_opens_them_going_back(world: World) -> None:
    complaint = complaint_at(world.units["B1"], "民警办事拖拉。")
    with connection.cursor() as cursor:
        # A row as the 0002 schema left it: the note in plain text.
        cursor.execute(
            "UPDATE reception_conductcomplaint SET outcome_note = %s WHERE id = %s",
            [f"  {NOTE} ", complaint.pk],
        )
    empty = complaint_at(world.units["B1"], "另一件投诉。")
    migration = importlib.import_module(
        "liuqing.reception.migrations.0003_encrypt_complaint_outcome_note"
    )
    loader = MigrationLoader(connection)
    before = loader.project_state(("reception", "0002_complaint_handling")).apps
    migration.seal(before, None)
    sealed = _raw_note(complaint.pk)
    assert sealed.startswith("lq1$")
    assert decrypt(sealed, "note") == NOTE
    assert _raw_note(empty.pk) == ""
    migration.seal(before, None)  # a re-run leaves sealed notes alone
    assert _raw_note(complaint.pk) == sealed
    assert ConductComplaint.objects.get(pk=complaint.pk).outcome_note == NOTE
    migration.unseal(before, None)
    assert _raw_note(complaint.pk) == NOTE
