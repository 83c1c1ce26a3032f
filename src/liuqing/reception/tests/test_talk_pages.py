"""The talk-point pages: recording a session, raising a matter that becomes a request or a
dispute in one step, bad input shown on its fields with nothing written, and a session of
another station answering 404."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from liuqing.casework.models import Case, Category
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World, login_verified
from liuqing.mediation.testing import committee, dispute_type
from liuqing.reception.models import TalkMatter, TalkSession
from liuqing.reception.testing import talk_session, village


def _appeal_category() -> Category:
    found = Category.objects.filter(
        kind="appeal", is_active=True, parent__isnull=False, needs_location=False
    ).first()
    assert found is not None
    return found


def test_an_officer_records_a_session_on_the_page(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    client = login_verified(Client(), officer)
    place = village(world.units["S1"])
    page = client.get("/reception/talk/")
    assert page.status_code == 200
    assert page.context["form"] is not None
    held_on = timezone.localdate() - dt.timedelta(days=2)
    response = client.post(
        "/reception/talk/",
        {
            "place": place.pk,
            "held_on": held_on.isoformat(),
            "attendees": "31",
            "officers": [officer.pk, world.persona(Role.SERGEANT).pk],
        },
    )
    session = TalkSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reception/talk/{session.pk}/"
    assert (session.unit, session.place, session.held_on, session.attendees) == (
        world.units["S1"],
        place,
        held_on,
        31,
    )
    assert set(session.officers.all()) == {officer, world.persona(Role.SERGEANT)}
    assert AuditEvent.objects.filter(
        action="reception.talk_session", object_id=str(session.pk)
    ).exists()
    listed = client.get("/reception/talk/").content.decode()
    assert f"/reception/talk/{session.pk}/" in listed
    assert place.name in listed


def test_bad_session_input_shows_field_errors_and_writes_nothing(world: World) -> None:
    client = login_verified(Client(), world.persona(Role.OFFICER))
    future = timezone.localdate() + dt.timedelta(days=3)
    response = client.post(
        "/reception/talk/",
        {"place": village(world.units["S1"]).pk, "held_on": future.isoformat(), "attendees": "-4"},
    )
    assert response.status_code == 200
    assert {"attendees", "officers"} <= set(response.context["form"].errors)
    # Past the form's own checks, the service refuses a date in the future, on its field.
    response = client.post(
        "/reception/talk/",
        {
            "place": village(world.units["S1"]).pk,
            "held_on": future.isoformat(),
            "attendees": "5",
            "officers": [world.persona(Role.OFFICER).pk],
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"held_on"}
    assert "Enter the date of the session (not in the future)." in response.content.decode()
    assert TalkSession.objects.count() == 0
    assert not AuditEvent.objects.filter(action="reception.talk_session").exists()


def test_a_matter_raised_on_the_page_becomes_a_request(world: World) -> None:
    session = talk_session(world.units["S1"])
    client = login_verified(Client(), world.persona(Role.OFFICER))
    url = f"/reception/talk/{session.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "kind": "appeal",
            "category": _appeal_category().pk,
            "title": "水渠堵塞",
            "description": "村东水渠堵塞，浇地困难。",
            "resident_name": "王建军",
        },
    )
    assert response.status_code == 302
    matter = TalkMatter.objects.get(session=session)
    assert matter.case.kind == "appeal"
    assert matter.case.channel == "talk_point"
    assert matter.case.place == session.place
    assert matter.case.unit == world.units["S1"]
    assert matter.case.number in client.get(url).content.decode()


def test_a_matter_raised_on_the_page_becomes_a_dispute(world: World) -> None:
    unit = world.units["S1"]
    session = talk_session(unit)
    client = login_verified(Client(), world.persona(Role.OFFICER))
    response = client.post(
        f"/reception/talk/{session.pk}/",
        {
            "kind": "dispute",
            "committee": committee(unit).pk,
            "dispute_type": dispute_type("land_grassland").pk,
            "title": "草场边界",
            "description": "两户因越界放牧发生争执。",
            "resident_name": "王建军",
            "respondent_name": "艾力·买买提",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    matter = TalkMatter.objects.get(session=session)
    assert matter.case.kind == "dispute"
    assert matter.case.place == session.place
    assert AuditEvent.objects.filter(
        action="reception.talk_matter", object_id=str(session.pk)
    ).exists()


def test_a_bad_matter_shows_field_errors_and_writes_nothing(world: World) -> None:
    session = talk_session(world.units["S1"])
    client = login_verified(Client(), world.persona(Role.OFFICER))
    url = f"/reception/talk/{session.pk}/"
    empty = client.post(url, {"kind": "appeal", "description": ""})
    assert empty.status_code == 200
    assert "description" in empty.context["form"].errors
    no_category = client.post(url, {"kind": "appeal", "description": "路灯不亮。"})
    assert no_category.status_code == 200
    assert "category" in no_category.context["form"].errors
    no_committee = client.post(
        url, {"kind": "dispute", "description": "邻里噪音。", "resident_name": "王建军"}
    )
    assert no_committee.status_code == 200
    assert no_committee.context["form"].errors
    assert TalkMatter.objects.count() == 0
    assert Case.objects.count() == 0


def test_a_session_of_another_station_is_not_found(world: World) -> None:
    other = talk_session(world.units["S3"])
    client = login_verified(Client(), world.persona(Role.OFFICER))
    url = f"/reception/talk/{other.pk}/"
    assert client.get(url).status_code == 404
    assert (
        client.post(
            url, {"kind": "appeal", "category": _appeal_category().pk, "description": "路灯"}
        ).status_code
        == 404
    )
    assert f"/reception/talk/{other.pk}/" not in client.get("/reception/talk/").content.decode()
    assert TalkMatter.objects.count() == 0


def test_the_auditor_reads_the_sessions_but_may_not_write(world: World) -> None:
    session = talk_session(world.units["S1"])
    client = login_verified(Client(), world.persona(Role.AUDITOR))
    page = client.get("/reception/talk/")
    assert page.status_code == 200
    assert page.context["form"] is None
    assert client.get(f"/reception/talk/{session.pk}/").status_code == 200
    assert client.post(f"/reception/talk/{session.pk}/", {"kind": "appeal"}).status_code == 403
    assert TalkMatter.objects.count() == 0
