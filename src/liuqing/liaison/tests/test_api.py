"""The liaison API: organisations with flags, assignments, problems, lessons; bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from liuqing.core import services as core_services
from liuqing.core.models import Member, Role
from liuqing.core.testing import World
from liuqing.liaison.models import Lesson, Organisation, Problem
from liuqing.liaison.testing import category, organisation

pytestmark = pytest.mark.django_db
URL = "/api/v1/liaison/organisations"


def bearer(member: Member) -> dict[str, Any]:
    _token, secret = core_services.create_api_token(actor=member, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(member: Member, url: str, body: dict[str, Any]) -> Any:
    return Client().post(url, json.dumps(body), content_type="application/json", **bearer(member))


def test_an_organisation_from_registration_to_a_lesson(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    made = post(
        chief,
        URL,
        {
            "unit_id": world.units["S1"].pk,
            "name": "实验小学",
            "kind": "school",
            "contact_name": "刘校长",
            "contact_phone": "13600002222",
        },
    )
    assert made.status_code == 201, made.content
    org = made.json()
    assert org["flags"] == ["orphan"]
    assert org["contact_phone"] == "136****2222"
    assigned = post(
        chief,
        f"{URL}/{org['id']}/assignments",
        {"officer_id": world.persona(Role.OFFICER).pk, "role": "school", "starts_on": "2026-02-01"},
    )
    assert assigned.status_code == 201, assigned.content
    assert Client().get(f"{URL}/{org['id']}", **bearer(chief)).json()["flags"] == []
    raised = post(
        chief,
        f"{URL}/{org['id']}/problems",
        {
            "category_id": category("security_system").pk,
            "title": "校门监控",
            "description": "校门口监控盲区",
            "estimated_savings": "5000",
        },
    )
    assert raised.status_code == 201, raised.content
    assert raised.json()["number"].startswith("JL-")
    lesson = post(
        chief,
        f"{URL}/{org['id']}/lessons",
        {"given_on": "2026-03-02", "topic": "交通安全", "class_name": "五(1)班", "attendance": 38},
    )
    assert lesson.status_code == 201


def test_bad_input_is_422_and_writes_nothing(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    org = organisation(world.units["S1"])
    bad = post(
        chief,
        f"{URL}/{org.pk}/lessons",
        {"given_on": "2026-03-02", "topic": "x", "class_name": "y", "attendance": 38},
    )
    assert bad.status_code == 422
    assert "organisation" in bad.json()["error"]["fields"]
    bad = post(
        chief, f"{URL}/{org.pk}/problems", {"category_id": 99999, "title": "x", "description": "y"}
    )
    assert bad.status_code == 422
    bad = post(chief, URL, {"unit_id": world.units["S3"].pk, "name": "越界", "kind": "market"})
    assert bad.status_code == 422
    assert "unit_id" in bad.json()["error"]["fields"]
    assert not Lesson.objects.exists()
    assert not Problem.objects.exists()
    assert Organisation.objects.count() == 1
    assert (
        post(
            world.persona(Role.OFFICER),
            f"{URL}/{org.pk}/assignments",
            {"officer_id": chief.pk, "role": "liaison", "starts_on": "2026-01-01"},
        ).status_code
        == 403
    )
