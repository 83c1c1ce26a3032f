"""The partners API: an alert's life through JSON, and bad input as 422 field errors with
nothing written."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from liuqing.core import services as core_services
from liuqing.core.models import Member, Role
from liuqing.core.testing import World
from liuqing.notify.models import Delivery
from liuqing.partners import cap
from liuqing.partners.models import Alert, AlertVersion, PartnerGroup
from liuqing.partners.testing import make_group, make_partner

pytestmark = pytest.mark.django_db


def call(member: Member, method: str, path: str, body: Any = None) -> Any:
    _token, secret = core_services.create_api_token(actor=member, name="t")
    client = Client()
    kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/v1/partners{path}", **kwargs)


def alert_body(unit_pk: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "unit": unit_pk,
        "kind": "fraud",
        "scope": "Public",
        "expires_at": (timezone.now() + dt.timedelta(hours=6)).isoformat(),
        "texts": {
            "zh-hans": {"headline": "冒充客服诈骗", "description": "有人冒充快递客服要求转账"},
            "kk-arab": {"headline": "الاياقتىق ەسكەرتۋ", "description": "اقشا اۋدارماڭىز"},
        },
        "circle": "43.91,81.32 10",
    }
    body.update(overrides)
    return body


def test_an_alert_from_draft_to_public_cap_and_resolution(world: World) -> None:
    chief, unit = world.persona(Role.STATION_CHIEF), world.units["S1"]
    group = make_group(unit)
    make_partner(group)
    created = call(chief, "post", "/alerts", alert_body(unit.pk, groups=[group.pk]))
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    issued = call(chief, "post", f"/alerts/{pk}/issue")
    assert issued.status_code == 200
    detail = issued.json()
    assert detail["status"] == "issued"
    assert detail["deliveries"]["pending"] == 2
    (version,) = detail["versions"]
    assert urlsplit(version["cap_url"]).path == f"/cap/alerts/{version['identifier']}.xml"
    public = Client().get(urlsplit(version["cap_url"]).path)
    assert public.status_code == 200
    assert public["Content-Type"].startswith("application/cap+xml")
    assert cap.validate(public.content) == []
    feed = Client().get("/cap/feed.atom")
    assert version["identifier"].encode() in feed.content
    assert b'type="application/cap+xml"' in feed.content
    resolved = call(chief, "post", f"/alerts/{pk}/resolve", {"note": "已提醒全部商户"})
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution_hours"] is not None
    assert version["identifier"].encode() not in Client().get("/cap/feed.atom").content


def test_a_restricted_alerts_versions_have_no_public_cap_url(world: World) -> None:
    chief, unit = world.persona(Role.STATION_CHIEF), world.units["S1"]
    group = make_group(unit)
    make_partner(group)
    body = alert_body(unit.pk, scope="Restricted", groups=[group.pk])
    pk = call(chief, "post", "/alerts", body).json()["id"]
    issued = call(chief, "post", f"/alerts/{pk}/issue").json()
    cancelled = call(chief, "post", f"/alerts/{pk}/cancel", {"note": "误报"}).json()
    assert [v["cap_url"] for v in cancelled["versions"]] == [None, None]
    (version,) = issued["versions"]
    assert version["cap_url"] is None
    # What a URL would have said: the restricted message is not public.
    assert Client().get(f"/cap/alerts/{version['identifier']}.xml").status_code == 404
    assert call(chief, "get", f"/alerts/{pk}").json()["versions"][0]["cap_url"] is None


def test_bad_input_is_a_field_error_and_writes_nothing(world: World) -> None:
    chief, unit = world.persona(Role.STATION_CHIEF), world.units["S1"]
    body = alert_body(
        unit.pk, circle="", polygon="43.9,81.3 43.95,81.3 43.95,81.35 43.9,81.35", expires_at=None
    )
    response = call(chief, "post", "/alerts", body)
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert {"polygon", "expires_at"} <= set(fields)
    no_area = call(chief, "post", "/alerts", alert_body(unit.pk, circle=""))
    assert "area" in no_area.json()["error"]["fields"]
    other_unit = call(chief, "post", "/alerts", alert_body(world.units["S3"].pk))
    assert other_unit.status_code == 422
    assert "unit" in other_unit.json()["error"]["fields"]
    stranger_group = make_group(world.units["S2"])
    assert (
        call(chief, "post", "/alerts", alert_body(unit.pk, groups=[stranger_group.pk])).status_code
        == 422
    )
    assert call(chief, "post", "/alerts", {"unit": "x"}).status_code == 422
    assert not Alert.objects.exists()
    assert not Delivery.objects.exists()


def test_an_officer_cannot_issue_a_public_alert_alone(world: World) -> None:
    officer, unit = world.persona(Role.OFFICER), world.units["S1"]
    pk = call(officer, "post", "/alerts", alert_body(unit.pk)).json()["id"]
    assert call(officer, "post", f"/alerts/{pk}/issue").json()["status"] == "awaiting"
    assert call(officer, "post", f"/alerts/{pk}/issue").status_code == 403
    assert not AlertVersion.objects.exists()


def test_groups_through_the_api(world: World) -> None:
    sergeant = world.persona(Role.SERGEANT)
    created = call(sergeant, "post", "/groups", {"unit": world.units["C1"].pk, "name": "巴扎商户"})
    assert created.status_code == 201
    assert len(created.json()["invite_code"]) == 8
    assert (
        call(sergeant, "post", "/groups", {"unit": world.units["C1"].pk, "name": ""}).status_code
        == 422
    )
    assert PartnerGroup.objects.count() == 1
    listed = call(sergeant, "get", "/groups").json()
    assert [g["name"] for g in listed["items"]] == ["巴扎商户"]
