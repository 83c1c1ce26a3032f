"""The reception desk and talk points: every route through the owning module's service,
waiting and handling times, the complaint queue outside the station, restricted labels,
bad input refused with nothing written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from liuqing.casework.models import Case, Category
from liuqing.casework.testing import member_at
from liuqing.core import services as core_services
from liuqing.core.access import NotFound
from liuqing.core.models import Role, SensitiveGrant
from liuqing.core.testing import World, login_verified
from liuqing.mediation.testing import APPLICANT, RESPONDENT, committee, dispute_type
from liuqing.reception import selectors, services
from liuqing.reception.models import (
    ConductComplaint,
    RestrictedReport,
    TalkMatter,
    TalkSession,
    WalkIn,
)
from liuqing.reception.testing import talk_session, village


def _appeal_category() -> Category:
    found = Category.objects.filter(
        kind="appeal", is_active=True, parent__isnull=False, needs_location=False
    ).first()
    assert found is not None
    return found


def test_a_request_goes_to_appeals_and_the_times_are_logged(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    item = services.check_in(actor=officer, unit=world.units["S1"])
    WalkIn.objects.filter(pk=item.pk).update(arrived_at=timezone.now() - dt.timedelta(minutes=12))
    item = services.serve(actor=officer, walk_in=WalkIn.objects.get(pk=item.pk))
    item = services.route_walk_in(
        actor=officer,
        walk_in=item,
        route="appeal",
        category=_appeal_category(),
        description="村口路灯不亮。",
        resident_name="王建军",
        resident_phone="13912345678",
    )
    assert item.case is not None
    assert item.case.kind == "appeal"
    assert item.case.channel == "reception"
    assert item.reference == item.case.number
    assert item.waiting_seconds is not None
    assert item.waiting_seconds >= 12 * 60
    assert item.handling_seconds is not None


def test_a_dispute_goes_to_mediation(world: World) -> None:
    unit = world.units["S1"]
    item = services.check_in(actor=world.persona(Role.OFFICER), unit=unit)
    item = services.route_walk_in(
        actor=world.persona(Role.OFFICER),
        walk_in=item,
        route="dispute",
        committee=committee(unit),
        dispute_type=dispute_type("labour_wages"),
        title="拖欠工资",
        facts="包工头拖欠工资。",
        parties=[APPLICANT, RESPONDENT],
    )
    assert item.case.kind == "dispute"
    assert item.case.status == "received"


def test_an_incident_report_goes_to_incidents(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    unit = world.units["S1"]
    item = services.check_in(actor=chief, unit=unit)
    item = services.route_walk_in(
        actor=chief,
        walk_in=item,
        route="incident",
        category="traffic",
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        place=village(unit),
        description="两车剐蹭。",
    )
    assert item.reference == f"reception:walk-in-{item.pk}"
    from liuqing.incidents.selectors import incidents_visible_to

    assert incidents_visible_to(chief).filter(source_id=f"walk-in-{item.pk}").exists()


def test_bad_input_leaves_the_visitor_waiting(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    item = services.check_in(actor=officer, unit=world.units["S1"])
    with pytest.raises(ValidationError) as exc:
        services.route_walk_in(
            actor=officer, walk_in=item, route="appeal", category=None, description=""
        )
    assert {"category", "description"} <= set(exc.value.message_dict)
    item.refresh_from_db()
    assert item.finished_at is None
    assert Case.objects.count() == 0
    with pytest.raises(ValidationError):
        services.route_walk_in(actor=officer, walk_in=item, route="restricted", kind="x", text="t")
    assert RestrictedReport.objects.count() == 0


def test_a_conduct_complaint_goes_above_the_station(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    item = services.check_in(actor=officer, unit=world.units["S1"])
    services.route_walk_in(
        actor=officer,
        walk_in=item,
        route="complaint",
        about_unit=world.units["S1"],
        text="民警态度粗暴。",
    )
    complaint = ConductComplaint.objects.get()
    assert complaint.unit == world.units["B1"]
    assert not selectors.complaints_visible_to(world.persona(Role.STATION_CHIEF)).exists()
    brigade = member_at(world.units["B1"], Role.BRIGADE_STAFF)
    assert list(selectors.complaints_visible_to(brigade)) == [complaint]


def test_restricted_reports_need_the_label_grant(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    item = services.check_in(actor=officer, unit=world.units["S1"])
    services.route_walk_in(
        actor=officer, walk_in=item, route="restricted", kind="school_bullying", text="学生被欺凌。"
    )
    report = RestrictedReport.objects.get()
    assert report.label == "minor"
    chief = world.persona(Role.STATION_CHIEF)
    assert not selectors.reports_visible_to(chief).exists()
    client = login_verified(Client(), chief)
    assert "学生被欺凌" not in client.get("/reception/reports/").content.decode()
    SensitiveGrant.objects.create(member=chief, label="minor")
    chief.__dict__.pop("_label_cache", None)
    assert list(selectors.reports_visible_to(chief)) == [report]
    listed = client.get("/reception/reports/").content.decode()
    assert f'id="report-{report.pk}"' in listed
    assert "学生被欺凌" not in listed  # masked: the full text takes a reason (test_reveal.py)
    from liuqing.core import access

    with pytest.raises(NotFound):
        access.check(world.persona(Role.OFFICER), report, "restricted_report")


def test_a_talk_point_matter_becomes_a_request_or_a_dispute(world: World) -> None:
    unit = world.units["S1"]
    session = talk_session(unit)
    officer = world.persona(Role.OFFICER)
    services.raise_matter(
        actor=officer,
        session=session,
        kind="appeal",
        category=_appeal_category(),
        description="水渠堵塞。",
    )
    services.raise_matter(
        actor=officer,
        session=session,
        kind="dispute",
        committee=committee(unit),
        dispute_type=dispute_type("land_grassland"),
        title="草场边界",
        facts="越界放牧。",
        parties=[APPLICANT, RESPONDENT],
    )
    kinds = sorted(m.case.kind for m in TalkMatter.objects.filter(session=session))
    assert kinds == ["appeal", "dispute"]
    appeal = Case.objects.get(kind="appeal")
    assert appeal.place == session.place
    assert appeal.channel == "talk_point"


def test_a_talk_session_needs_officers_and_a_past_date(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.record_talk_session(
            actor=world.persona(Role.OFFICER),
            place=village(world.units["S1"]),
            held_on=timezone.localdate() + dt.timedelta(days=3),
            attendees=-1,
            officers=[],
        )
    assert {"held_on", "attendees", "officers"} == set(exc.value.message_dict)


def test_the_api_routes_a_walk_in_and_refuses_bad_input(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    _token, secret = core_services.create_api_token(actor=officer, name="t")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    client = Client()
    created = client.post(
        "/api/v1/reception/walk-ins", "{}", content_type="application/json", **headers
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    bad = client.post(
        f"/api/v1/reception/walk-ins/{pk}/route",
        json.dumps({"route": "appeal", "description": "路灯"}),
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 422
    assert "category" in bad.json()["error"]["fields"]
    good = client.post(
        f"/api/v1/reception/walk-ins/{pk}/route",
        json.dumps(
            {"route": "appeal", "description": "路灯不亮", "category": _appeal_category().pk}
        ),
        content_type="application/json",
        **headers,
    )
    assert good.status_code == 200, good.content
    assert good.json()["route"] == "appeal"


def test_the_desk_pages(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    client = login_verified(Client(), officer)
    response = client.post("/reception/check-in/")
    assert response.status_code == 302
    item = WalkIn.objects.get()
    page = client.get(f"/reception/{item.pk}/")
    assert page.status_code == 200
    response = client.post(
        f"/reception/{item.pk}/",
        {"route": "complaint", "description": "态度粗暴", "about_unit": world.units["S1"].pk},
    )
    assert response.status_code == 302
    assert ConductComplaint.objects.count() == 1
    assert client.get("/reception/").status_code == 200


def test_the_session_page_counts_attendees_in_the_plural_form(world: World) -> None:
    session = talk_session(world.units["S1"])
    client = login_verified(Client(), world.persona(Role.OFFICER))
    assert "23 attendees" in client.get(f"/reception/talk/{session.pk}/").content.decode()
    TalkSession.objects.filter(pk=session.pk).update(attendees=1)
    body = client.get(f"/reception/talk/{session.pk}/").content.decode()
    assert "1 attendee " in body
    assert "1 attendees" not in body
