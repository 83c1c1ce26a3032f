"""The incidents API: push (per-item results, idempotent), list with filters, one incident,
scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from liuqing.core import services as core_services
from liuqing.core.models import Member, Role
from liuqing.core.testing import World
from liuqing.incidents.models import Incident, IncidentCategory
from liuqing.incidents.testing import LAT, LNG, record_incident, square

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents"


def bearer(member: Member) -> dict[str, Any]:
    _token, secret = core_services.create_api_token(actor=member, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def push(member: Member, body: dict[str, Any]) -> Any:
    return Client().post(URL, json.dumps(body), content_type="application/json", **bearer(member))


def item(sid: str, **over: Any) -> dict[str, Any]:
    return {
        "source_id": sid,
        "occurred_at": "2026-04-02T21:15:00+08:00",
        "category": "dispute",
        "latitude": LAT,
        "longitude": LNG,
        **over,
    }


def test_a_push_reports_each_item_and_stores_the_valid_ones(mapped: World) -> None:
    analyst = mapped.persona(Role.ANALYST)
    body = {
        "source_system": "110",
        "items": [item("P1"), item("P2", latitude=91.0), item("P3", category="打架")],
    }
    response = push(analyst, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["created"], data["rejected"]) == (1, 2)
    statuses = [(i["index"], i["status"]) for i in data["items"]]
    assert statuses == [(0, "created"), (1, "rejected"), (2, "rejected")]
    assert data["items"][0]["id"] == Incident.objects.get(source_id="P1").pk
    assert data["items"][1]["errors"][0]["reason"] == "Impossible coordinates."
    assert data["items"][2]["errors"][0]["field"] == "category"

    again = push(analyst, body).json()
    assert (again["created"], again["unchanged"], again["rejected"]) == (0, 1, 2)
    assert again["items"][0]["status"] == "unchanged"
    changed = push(analyst, {"source_system": "110", "items": [item("P1", outcome="调解")]})
    assert changed.json()["items"][0]["status"] == "updated"
    assert Incident.objects.get(source_id="P1").outcome == "调解"


def test_a_push_refuses_unknown_fields_and_personal_data_has_no_place(mapped: World) -> None:
    response = push(
        mapped.persona(Role.ANALYST),
        {"source_system": "110", "items": [item("P9", caller_name="金丝雀")]},
    )
    assert response.status_code == 422
    assert "items.0.caller_name" in response.json()["error"]["fields"]


def test_read_only_roles_cannot_push(mapped: World) -> None:
    for role in (Role.AUDITOR, Role.OFFICER):
        assert (
            push(mapped.persona(role), {"source_system": "x", "items": [item("Z")]}).status_code
            == 403
        )
    assert (
        push(
            mapped.persona(Role.GRID_WORKER), {"source_system": "x", "items": [item("Z")]}
        ).status_code
        == 403
    )
    assert not Incident.objects.exists()


def test_the_list_filters_and_stays_in_scope(mapped: World) -> None:
    u = mapped.units
    record_incident(u["S1"], source_id="own", category="traffic", occurred_at="2026-01-10 08:00")
    record_incident(u["C1"], source_id="child", category="fire", occurred_at="2026-02-10 08:00")
    record_incident(u["S3"], source_id="other", category="fire")
    officer = mapped.persona(Role.OFFICER)
    client = Client()
    headers = bearer(officer)

    def ids(**query: Any) -> list[str]:
        response = client.get(URL, query, **headers)
        assert response.status_code == 200, response.content
        return [i["source_id"] for i in response.json()["items"]]

    assert ids() == ["child", "own"]
    fire = IncidentCategory.objects.get(code="fire").pk
    assert ids(category=fire) == ["child"]
    assert ids(unit=u["C1"].pk) == ["child"]
    assert ids(occurred_from="2026-01-01", occurred_to="2026-01-31") == ["own"]
    assert client.get(URL, {"unit": u["S3"].pk}, **headers).status_code == 422

    one = Incident.objects.get(source_id="own")
    detail = client.get(f"{URL}/{one.pk}", **headers).json()
    assert detail["category"] == "traffic"
    assert detail["unit_id"] == u["S1"].pk
    assert len(detail["cell_fine"]) == 15
    other = Incident.objects.get(source_id="other")
    assert client.get(f"{URL}/{other.pk}", **headers).status_code == 404
    assert client.get(URL, **bearer(mapped.persona(Role.GRID_WORKER))).status_code == 403


def test_a_unit_boundary_is_set_and_checked_through_the_units_api(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    client, headers = Client(), bearer(chief)
    url = f"/api/v1/units/{world.units['C1'].pk}"
    polygon = json.loads(square(LAT, LNG))
    ok = client.patch(url, json.dumps({"boundary": polygon}), "application/json", **headers)
    assert ok.status_code == 200, ok.content
    assert ok.json()["boundary"] == polygon
    open_ring = {"type": "Polygon", "coordinates": [polygon["coordinates"][0][:-1]]}
    bad = client.patch(url, json.dumps({"boundary": open_ring}), "application/json", **headers)
    assert bad.status_code == 422
    assert "boundary" in bad.json()["error"]["fields"]
    cleared = client.patch(url, json.dumps({"boundary": None}), "application/json", **headers)
    assert cleared.json()["boundary"] is None
