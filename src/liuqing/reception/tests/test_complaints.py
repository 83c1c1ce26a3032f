"""The supervision queue handles a conduct complaint: a supervisor above the station takes it,
records the outcome with a note and closes it, on the page and through the API (the same
services), every step audited; the station concerned can neither see nor act on it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from liuqing.casework.testing import member_at
from liuqing.core import services as core_services
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World, login_verified
from liuqing.reception import selectors, services
from liuqing.reception.models import ConductComplaint
from liuqing.reception.testing import complaint_at


def _complaint(world: World) -> ConductComplaint:
    """A complaint about station S1, sent from its own desk: it lands in brigade B1's queue."""
    officer = world.persona(Role.OFFICER)
    item = services.check_in(actor=officer, unit=world.units["S1"])
    services.route_walk_in(
        actor=officer,
        walk_in=item,
        route="complaint",
        about_unit=world.units["S1"],
        text="民警接警后迟迟不出警。",
    )
    return ConductComplaint.objects.get()


def _supervisor(world: World, name: str = "") -> Member:
    return member_at(world.units["B1"], Role.BRIGADE_STAFF, *([name] if name else []))


def _actions(complaint: ConductComplaint) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            action__startswith="reception.complaint_", object_id=str(complaint.pk)
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_a_supervisor_takes_records_the_outcome_and_closes(world: World) -> None:
    complaint = _complaint(world)
    assert complaint.unit == world.units["B1"]
    assert complaint.status == "received"
    boss = _supervisor(world)
    complaint = services.take_complaint(actor=boss, complaint=complaint)
    assert (complaint.status, complaint.owner) == ("in_hand", boss)
    assert complaint.taken_at is not None
    services.record_complaint_outcome(
        actor=boss, complaint=complaint, outcome="partly_upheld", note="已约谈当班民警。"
    )
    services.close_complaint(actor=boss, complaint=complaint)
    complaint.refresh_from_db()
    assert complaint.status == "closed"
    assert complaint.outcome == "partly_upheld"
    assert complaint.outcome_note == "已约谈当班民警。"
    assert complaint.closed_at is not None
    assert _actions(complaint) == [
        "reception.complaint_take",
        "reception.complaint_outcome",
        "reception.complaint_close",
    ]
    # The note stays out of the audit record.
    assert "约谈" not in json.dumps(
        list(AuditEvent.objects.filter(action="reception.complaint_outcome").values("details")),
        ensure_ascii=False,
    )
    with pytest.raises(ValidationError):
        services.take_complaint(actor=_supervisor(world, "late"), complaint=complaint)


def test_only_the_handler_records_and_closes_and_only_after_an_outcome(world: World) -> None:
    complaint = _complaint(world)
    boss, other = _supervisor(world), _supervisor(world, "other")
    with pytest.raises(ValidationError):
        services.record_complaint_outcome(
            actor=boss, complaint=complaint, outcome="upheld", note="未受理即处理"
        )
    services.take_complaint(actor=boss, complaint=complaint)
    with pytest.raises(ValidationError):
        services.take_complaint(actor=other, complaint=complaint)
    with pytest.raises(ValidationError):
        services.record_complaint_outcome(
            actor=other, complaint=complaint, outcome="upheld", note="他人代办"
        )
    with pytest.raises(ValidationError) as exc:
        services.close_complaint(actor=boss, complaint=complaint)
    assert "outcome" in " ".join(exc.value.messages).lower()
    complaint.refresh_from_db()
    assert (complaint.owner, complaint.outcome, complaint.status) == (boss, "", "in_hand")
    assert _actions(complaint) == ["reception.complaint_take"]


def test_bad_input_is_a_field_error_and_writes_nothing(world: World) -> None:
    complaint = _complaint(world)
    boss = _supervisor(world)
    services.take_complaint(actor=boss, complaint=complaint)
    with pytest.raises(ValidationError) as exc:
        services.record_complaint_outcome(actor=boss, complaint=complaint, outcome="x", note=" ")
    assert set(exc.value.message_dict) == {"outcome", "note"}
    with pytest.raises(ValidationError) as exc:
        services.record_complaint_outcome(
            actor=boss, complaint=complaint, outcome="upheld", note="长" * 2001
        )
    assert set(exc.value.message_dict) == {"note"}
    complaint.refresh_from_db()
    assert (complaint.outcome, complaint.outcome_note) == ("", "")
    assert _actions(complaint) == ["reception.complaint_take"]


def test_the_station_concerned_can_neither_see_nor_act(world: World) -> None:
    complaint = _complaint(world)
    chief = world.persona(Role.STATION_CHIEF)  # the chief of S1, the station concerned
    assert not selectors.complaints_visible_to(chief).exists()
    with pytest.raises(NotFound):
        selectors.access_complaint(chief, complaint.pk, for_write=True)
    with pytest.raises(NotFound):
        services.take_complaint(actor=chief, complaint=complaint)
    # Staff serving in the unit a complaint is about never handle it, even where the queue
    # is their own (a complaint about the brigade, in the brigade's queue).
    about_brigade = complaint_at(world.units["B1"], "大队民警态度差。", about=world.units["B1"])
    boss = _supervisor(world)
    assert list(selectors.complaints_visible_to(boss)) == [complaint]
    with pytest.raises(NotFound):
        services.take_complaint(actor=boss, complaint=about_brigade)
    with pytest.raises(NotFound):
        selectors.access_complaint(boss, about_brigade.pk)
    detachment = member_at(world.units["D"], Role.DETACHMENT_STAFF)
    assert services.take_complaint(actor=detachment, complaint=about_brigade).owner == detachment
    # An officer above the station has no supervising role: 403.
    with pytest.raises(AccessDenied):
        services.take_complaint(
            actor=member_at(world.units["B1"], Role.OFFICER), complaint=complaint
        )
    assert ConductComplaint.objects.filter(owner__isnull=False).count() == 1


def test_the_complaint_page_handles_it(world: World) -> None:
    complaint = _complaint(world)
    boss = _supervisor(world)
    client = login_verified(Client(), boss)
    url = f"/reception/complaints/{complaint.pk}/"
    listed = client.get("/reception/complaints/").content.decode()
    assert url in listed
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="take"' in page.content.decode()
    assert client.post(url, {"action": "take"}).status_code == 302
    bad = client.post(url, {"action": "outcome", "outcome": "", "note": ""})
    assert bad.status_code == 200
    assert set(bad.context["form"].errors) == {"outcome", "note"}
    assert 'id="close"' not in bad.content.decode()
    good = client.post(url, {"action": "outcome", "outcome": "upheld", "note": "属实，已处理。"})
    assert good.status_code == 302
    assert 'id="close"' in client.get(url).content.decode()
    assert client.post(url, {"action": "close"}).status_code == 302
    complaint.refresh_from_db()
    assert (complaint.status, complaint.outcome) == ("closed", "upheld")
    again = client.post(url, {"action": "take"})
    assert again.status_code == 200
    assert 'id="complaint-errors"' in again.content.decode()
    # The station concerned: 404, on the page as for its handling.
    chief = login_verified(Client(), world.persona(Role.STATION_CHIEF))
    assert chief.get(url).status_code == 404
    assert chief.post(url, {"action": "take"}).status_code == 404


class Api:
    def __init__(self, member: Member) -> None:
        _token, secret = core_services.create_api_token(actor=member, name="t")
        self.headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        self.client = Client()

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1/reception{path}", **self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            f"/api/v1/reception{path}",
            json.dumps(body or {}),
            content_type="application/json",
            **self.headers,
        )


def test_the_api_handles_it(world: World) -> None:
    complaint = _complaint(world)
    boss = _supervisor(world)
    api = Api(boss)
    base = f"/complaints/{complaint.pk}"
    assert api.get(base).json()["status"] == "received"
    early = api.post(f"{base}/close")
    assert early.status_code == 422
    taken = api.post(f"{base}/take")
    assert taken.status_code == 200, taken.content
    assert (taken.json()["status"], taken.json()["owner_id"]) == ("in_hand", boss.pk)
    bad = api.post(f"{base}/outcome", {"outcome": "not_upheld", "note": ""})
    assert bad.status_code == 422
    assert "note" in bad.json()["error"]["fields"]
    done = api.post(f"{base}/outcome", {"outcome": "not_upheld", "note": "监控显示处置得当。"})
    assert done.status_code == 200
    closed = api.post(f"{base}/close")
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["outcome"]) == ("closed", "not_upheld")
    listed = api.get("/complaints").json()["items"]
    assert [c["status"] for c in listed] == ["closed"]
    chief = Api(world.persona(Role.STATION_CHIEF))
    assert chief.get(base).status_code == 404
    assert chief.post(f"{base}/take").status_code == 404
