"""The care API: register, list, one (audited), reveal, services, needs; labels and bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from liuqing.care.models import Need, Recipient
from liuqing.care.testing import grant, register
from liuqing.casework.models import Category
from liuqing.core import services as core_services
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World

pytestmark = pytest.mark.django_db
URL = "/api/v1/care/recipients"


def bearer(member: Member) -> dict[str, Any]:
    _token, secret = core_services.create_api_token(actor=member, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(member: Member, url: str, body: dict[str, Any]) -> Any:
    return Client().post(url, json.dumps(body), content_type="application/json", **bearer(member))


def test_register_list_reveal_and_raise_a_need(world: World) -> None:
    officer = grant(world.persona(Role.OFFICER))
    made = post(
        officer,
        URL,
        {
            "unit_id": world.units["C1"].pk,
            "category": "disability",
            "name": "马德福",
            "phone": "13912345678",
            "legal_basis": "guardian",
            "basis_recorded_on": "2026-02-01",
        },
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["name"] != "马德福"
    assert body["phone"] == "139****5678"
    listed = Client().get(URL, **bearer(officer)).json()
    assert [r["id"] for r in listed["items"]] == [body["id"]]
    one = Client().get(f"{URL}/{body['id']}", **bearer(officer))
    assert one.status_code == 200
    assert AuditEvent.objects.filter(action="care.view", object_id=str(body["id"])).exists()
    revealed = post(officer, f"{URL}/{body['id']}/reveal", {"field": "name", "reason": "上门核对"})
    assert revealed.json() == {"field": "name", "value": "马德福"}
    category = Category.objects.create(kind="appeal", code="roof", name="房屋修缮")
    need = post(
        officer,
        f"{URL}/{body['id']}/needs",
        {"category_id": category.pk, "description": "轮椅坡道损坏"},
    )
    assert need.status_code == 201, need.content
    assert need.json()["case_number"].startswith("SQ-")
    service = post(
        officer, f"{URL}/{body['id']}/services", {"kind": "paperwork", "given_on": "2026-02-03"}
    )
    assert service.status_code == 201


def test_without_the_grant_404_and_bad_input_422(world: World) -> None:
    recipient = register(world.units["S1"])
    officer = world.persona(Role.OFFICER)
    assert Client().get(f"{URL}/{recipient.pk}", **bearer(officer)).status_code == 404
    assert Client().get(URL, **bearer(officer)).json()["items"] == []
    grant(officer)
    bad = post(
        officer,
        URL,
        {
            "unit_id": world.units["S1"].pk,
            "category": "other",
            "name": "张三",
            "phone": "not a phone",
            "legal_basis": "consent",
            "basis_recorded_on": "2026-02-01",
            "ethnicity": "x",
        },
    )
    assert bad.status_code == 422
    assert "ethnicity" in bad.json()["error"]["fields"]
    bad = post(
        officer,
        URL,
        {
            "unit_id": world.units["S1"].pk,
            "category": "other",
            "name": "张三",
            "phone": "12",
            "legal_basis": "consent",
            "basis_recorded_on": "2026-02-01",
        },
    )
    assert bad.status_code == 422
    assert "phone" in bad.json()["error"]["fields"]
    other = post(
        officer, f"{URL}/{recipient.pk}/needs", {"category_id": 999999, "description": "x"}
    )
    assert other.status_code == 422
    assert Recipient.objects.count() == 1
    assert not Need.objects.exists()
