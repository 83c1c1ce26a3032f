"""The walk-in log: a restricted report stays unknown to members without its label's grant
(the page and the API show a neutral "referred"), and the API's one walk-in and serve step."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client
from django.utils import timezone, translation

from liuqing.casework.testing import member_at
from liuqing.core import services as core_services
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World, login_verified
from liuqing.reception import services
from liuqing.reception.models import Route, WalkIn
from liuqing.reception.testing import grant, walk_in


def _labels() -> set[str]:
    """The restricted route's label in English and Chinese (whatever the page's language)."""
    found = set()
    for language in ("en", "zh-hans"):
        with translation.override(language):
            found.add(str(Route.RESTRICTED.label))
    return found


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


def _reported(world: World) -> WalkIn:
    officer = world.persona(Role.OFFICER)
    item = services.check_in(actor=officer, unit=world.units["S1"])
    return services.route_walk_in(
        actor=officer, walk_in=item, route="restricted", kind="domestic_violence", text="丈夫打人。"
    )


def test_a_restricted_report_shows_as_referred_without_the_grant(world: World) -> None:
    item = _reported(world)
    assert item.reference.startswith("report:")
    chief = world.persona(Role.STATION_CHIEF)
    client = login_verified(Client(), chief)
    for url in ("/reception/", f"/reception/{item.pk}/"):
        body = client.get(url).content.decode()
        assert "Referred" in body
        assert not any(label in body for label in _labels())
        assert item.reference not in body
    api = Api(chief)
    listed = api.get("/walk-ins").json()["items"]
    assert [(w["route"], w["reference"]) for w in listed] == [("referred", "")]
    one = api.get(f"/walk-ins/{item.pk}").json()
    assert (one["route"], one["reference"], one["case_id"]) == ("referred", "", None)
    assert item.reference not in api.get("/walk-ins").content.decode()

    grant(chief, "minor")  # school bullying's label: not this report's
    assert Api(chief).get(f"/walk-ins/{item.pk}").json()["route"] == "referred"


def test_the_label_grant_shows_the_route_and_the_reference(world: World) -> None:
    item = _reported(world)
    chief = grant(world.persona(Role.STATION_CHIEF), "domestic_violence")
    body = login_verified(Client(), chief).get("/reception/").content.decode()
    assert any(label in body for label in _labels())
    assert item.reference in body
    one = Api(chief).get(f"/walk-ins/{item.pk}").json()
    assert (one["route"], one["reference"]) == ("restricted", item.reference)


def test_other_routes_stay_visible_to_everyone(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    item = services.check_in(actor=officer, unit=world.units["S1"])
    services.route_walk_in(
        actor=officer, walk_in=item, route="complaint", about_unit=world.units["S1"], text="态度差"
    )
    one = Api(world.persona(Role.STATION_CHIEF)).get(f"/walk-ins/{item.pk}").json()
    assert one["route"] == "complaint"


def test_the_api_gets_one_walk_in(world: World) -> None:
    item = walk_in(world.units["C1"])
    api = Api(world.persona(Role.OFFICER))
    answer = api.get(f"/walk-ins/{item.pk}")
    assert answer.status_code == 200
    assert answer.json()["id"] == item.pk
    assert answer.json()["unit"]["id"] == world.units["C1"].pk
    assert answer.json()["served_at"] is None
    outsider = Api(member_at(world.units["S2"], Role.OFFICER))
    assert outsider.get(f"/walk-ins/{item.pk}").status_code == 404
    assert api.get("/walk-ins/999999").status_code == 404
    assert api.get("/walk-ins/x1").status_code == 422


def test_the_api_serves_a_walk_in_once(world: World) -> None:
    item = walk_in(world.units["S1"])
    WalkIn.objects.filter(pk=item.pk).update(arrived_at=timezone.now() - dt.timedelta(minutes=5))
    officer = world.persona(Role.OFFICER)
    api = Api(officer)
    served = api.post(f"/walk-ins/{item.pk}/serve")
    assert served.status_code == 200, served.content
    assert served.json()["served_at"] is not None
    assert served.json()["waiting_seconds"] >= 5 * 60
    item.refresh_from_db()
    assert item.served_by == officer
    assert AuditEvent.objects.filter(action="reception.serve", object_id=str(item.pk)).count() == 1

    again = api.post(f"/walk-ins/{item.pk}/serve")
    assert again.status_code == 422
    assert AuditEvent.objects.filter(action="reception.serve").count() == 1


def test_serving_out_of_scope_or_read_only_changes_nothing(world: World) -> None:
    item = walk_in(world.units["S1"])
    assert (
        Api(member_at(world.units["S2"], Role.OFFICER))
        .post(f"/walk-ins/{item.pk}/serve")
        .status_code
        == 404
    )
    assert Api(world.persona(Role.AUDITOR)).post(f"/walk-ins/{item.pk}/serve").status_code == 403
    item.refresh_from_db()
    assert item.served_at is None


def test_the_api_gets_one_talk_session_with_its_matters(world: World) -> None:
    from liuqing.casework.models import Category
    from liuqing.reception.testing import talk_session

    session = talk_session(world.units["S1"])
    category = Category.objects.filter(
        kind="appeal", is_active=True, parent__isnull=False, needs_location=False
    ).first()
    officer = world.persona(Role.OFFICER)
    matter = services.raise_matter(
        actor=officer, session=session, kind="appeal", category=category, description="水渠堵塞。"
    )
    api = Api(officer)
    answer = api.get(f"/talk-sessions/{session.pk}")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["id"] == session.pk
    assert body["attendees"] == 23
    assert [(m["id"], m["case"]["id"], m["case"]["kind"]) for m in body["matters"]] == [
        (matter.pk, matter.case.pk, "appeal")
    ]
    assert body["matters"][0]["case"]["number"] == matter.case.number
    outsider = Api(member_at(world.units["S3"], Role.OFFICER))
    assert outsider.get(f"/talk-sessions/{session.pk}").status_code == 404
    assert api.get("/talk-sessions/999999").status_code == 404
    assert api.get("/talk-sessions/x1").status_code == 422
