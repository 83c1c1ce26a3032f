"""The appeals API (/api/v1/appeals): the lifecycle with the case API, bad input as 422 field
errors, no mass assignment, scope (404), masked personal data, bulk actions, figures."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from liuqing.appeals.models import Appeal
from liuqing.appeals.testing import submit
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework.models import Case, FollowUp
from liuqing.core import services as core_services
from liuqing.core.models import AuditEvent, Member

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
BASE = "/api/v1/appeals"


class Api:
    def __init__(self, member: Member) -> None:
        _token, secret = core_services.create_api_token(actor=member, name="test")
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(url, params, **self.headers)

    def send(self, method: str, url: str, body: Any) -> Any:
        return getattr(self.client, method)(
            url, json.dumps(body), content_type="application/json", **self.headers
        )

    def post(self, url: str, body: Any) -> Any:
        return self.send("post", url, body)


def body(cast: Cast, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "unit": cast.unit.pk,
        "category": cast.category.pk,
        "description": "邻居家每晚放音乐到凌晨。",
        "channel": "phone",
        "resident_name": "王建军",
        "resident_phone": PHONE,
    }
    data.update(overrides)
    return data


def test_the_lifecycle_through_the_api(cast: Cast) -> None:
    grid, sam, alice = Api(cast.grid), Api(cast.sam), Api(cast.alice)
    created = grid.post(BASE, body(cast, channel="grid_report"))
    assert created.status_code == 201, created.content
    appeal = created.json()
    assert appeal["number"].startswith("SQ-")
    assert appeal["status"] == "received"
    assert appeal["resident"] == {
        "name": "王**",
        "phone": "139****5678",
        "address": "",
        "anonymous": False,
    }
    pk = appeal["id"]
    cases = f"/api/v1/cases/{pk}"
    assert sam.post(f"{cases}/actions", {"action": "accept"}).status_code == 200
    assert sam.post(f"{cases}/assign", {"owner": cast.alice.pk}).status_code == 200
    assert alice.post(f"{cases}/actions", {"action": "start"}).status_code == 200
    assert alice.post(f"{cases}/contacts", {"text": "已电话联系", "method": "phone"}).status_code
    resolved = alice.post(f"{cases}/actions", {"action": "resolve", "note": "已调解"})
    assert resolved.status_code == 200
    assert sam.post(f"{cases}/actions", {"action": "verify"}).json()["status"] == "closed"
    followup = FollowUp.objects.get(case_id=pk)
    reopened = alice.post(
        f"{cases}/followups/{followup.pk}",
        {
            "satisfaction": "dissatisfied",
            "resolved": False,
            "reopen": True,
            "reopen_reason": "又开始了",
        },
    )
    assert reopened.status_code == 200
    detail = alice.get(f"{BASE}/{pk}").json()
    assert detail["status"] == "in_progress"
    assert detail["reopened_count"] == 1
    assert [f["satisfaction"] for f in detail["followups"]] == ["dissatisfied"]
    assert PHONE not in json.dumps(detail, ensure_ascii=False)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": 999_999}, "category"),
        ({"description": "长" * 4001}, "description"),
        ({"description": ""}, "description"),
        ({"resident_phone": "12345"}, "resident_phone"),
        ({"channel": "pigeon"}, "channel"),
        ({"latitude": 95, "longitude": 81}, "latitude"),
    ],
)
def test_bad_input_is_a_422_on_its_field(cast: Cast, overrides: dict[str, Any], field: str) -> None:
    response = Api(cast.alice).post(BASE, body(cast, **overrides))
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert not Case.objects.exists()


def test_a_missing_location_is_a_422_on_place(cast: Cast) -> None:
    response = Api(cast.alice).post(BASE, body(cast, category=cast.located.pk))
    assert response.status_code == 422
    assert "place" in response.json()["error"]["fields"]
    assert not Case.objects.exists()


@pytest.mark.parametrize("extra", [{"owner": 1}, {"status": "closed"}, {"is_public": True}])
def test_no_mass_assignment_on_create(cast: Cast, extra: dict[str, Any]) -> None:
    response = Api(cast.alice).post(BASE, body(cast, **extra))
    assert response.status_code == 422
    assert next(iter(extra)) in response.json()["error"]["fields"]
    assert not Case.objects.exists()


def test_no_unit_or_status_through_a_patch(cast: Cast) -> None:
    case = submit(cast.unit)
    api = Api(cast.alice)
    for extra in ({"unit": cast.other.pk}, {"status": "closed"}, {"owner": cast.alice.pk}):
        response = api.send("patch", f"{BASE}/{case.pk}", extra)
        assert response.status_code == 422
    case.refresh_from_db()
    assert case.unit == cast.unit
    assert case.status == "received"
    assert case.owner is None


def test_a_unit_outside_the_jurisdiction_is_a_422(cast: Cast) -> None:
    response = Api(cast.alice).post(BASE, body(cast, unit=cast.other.pk))
    assert response.status_code == 422
    assert "unit" in response.json()["error"]["fields"]


def test_another_stations_appeal_is_a_404_and_absent_from_the_list(cast: Cast) -> None:
    theirs = submit(cast.other, title="外站诉求")
    mine = submit(cast.unit, title="本所诉求")
    api = Api(cast.alice)
    assert api.get(f"{BASE}/{theirs.pk}").status_code == 404
    assert api.send("patch", f"{BASE}/{theirs.pk}", {"title": "x"}).status_code == 404
    listed = api.get(BASE).json()
    assert [item["id"] for item in listed["items"]] == [mine.pk]


def test_the_system_administrator_reads_no_appeal(cast: Cast) -> None:
    case = submit(cast.unit)
    api = Api(cast.sid)
    assert api.get(BASE).status_code == 403
    assert api.get(f"{BASE}/{case.pk}").status_code == 403
    assert api.get(f"{BASE}/figures").status_code == 403


def test_a_patch_changes_only_what_is_sent(cast: Cast) -> None:
    case = submit(cast.unit, resident_phone=PHONE, title="原标题")
    response = Api(cast.alice).send(
        "patch", f"{BASE}/{case.pk}", {"description": "新描述", "resident_phone": None}
    )
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.description == "新描述"
    assert case.title == "原标题"
    assert Appeal.objects.get(case=case).resident_phone.reveal() == "+86" + PHONE


def test_the_list_filters(cast: Cast) -> None:
    a = submit(cast.unit, title="羊圈", channel="phone")
    submit(cast.child, title="路灯")
    api = Api(cast.sam)
    assert [i["id"] for i in api.get(BASE, {"q": "羊圈"}).json()["items"]] == [a.pk]
    assert [i["id"] for i in api.get(BASE, {"channel": "phone"}).json()["items"]] == [a.pk]
    assert api.get(BASE, {"unit": cast.child.pk}).json()["count"] == 1
    assert api.get(BASE, {"unit": cast.other.pk}).status_code == 422
    assert api.get(BASE, {"channel": "pigeon"}).status_code == 422


def test_the_public_notice_through_the_api(cast: Cast) -> None:
    case = submit(cast.unit, resident_name="王建军")
    url = f"{BASE}/{case.pk}/public-notice"
    notice = {"summary": f"王建军反映，电话{PHONE}", "result": "已解决", "show": True}
    assert Api(cast.alice).send("put", url, notice).status_code == 422  # not the owner
    response = Api(cast.sam).send("put", url, notice)
    assert response.status_code == 200
    assert response.json()["is_public"] is True
    assert "王建军" not in response.json()["public_summary"]
    assert PHONE not in response.json()["public_summary"]
    assert Api(cast.sam).send("put", url, {"summary": "x"}).status_code == 422  # show missing


def test_revealing_the_phone_through_the_api_is_audited(cast: Cast) -> None:
    case = submit(cast.unit, resident_phone=PHONE)
    api = Api(cast.alice)
    url = f"{BASE}/{case.pk}/reveal-phone"
    assert api.post(url, {"reason": "x"}).status_code == 422
    response = api.post(url, {"reason": "call back"})
    assert response.json() == {"phone": "+86" + PHONE}
    assert AuditEvent.objects.filter(action="pii.reveal").count() == 1


def test_bulk_actions_report_each_appeal(cast: Cast) -> None:
    one, two = submit(cast.unit), submit(cast.unit)
    theirs = submit(cast.other)
    api = Api(cast.sam)
    response = api.post(f"{BASE}/bulk", {"ids": [one.pk, theirs.pk], "action": "accept"})
    assert [(r["id"], r["ok"]) for r in response.json()] == [(one.pk, True), (theirs.pk, False)]
    response = api.post(
        f"{BASE}/bulk", {"ids": [one.pk, two.pk], "action": "assign", "owner": cast.bob.pk}
    )
    assert [r["ok"] for r in response.json()] == [True, True]
    assert api.post(f"{BASE}/bulk", {"ids": [one.pk], "action": "assign"}).status_code == 422
    assert (
        Api(cast.alice).post(f"{BASE}/bulk", {"ids": [one.pk], "action": "accept"}).status_code
        == 403
    )


def test_the_categories_are_listed_as_a_tree(cast: Cast) -> None:
    rows = Api(cast.sid).get(f"{BASE}/categories").json()
    codes = [r["code"] for r in rows]
    assert codes.index("farm") < codes.index("farm.pens") < codes.index("infra")


def test_the_figures_through_the_api(cast: Cast) -> None:
    submit(cast.unit)
    api = Api(cast.nia)
    response = api.get(f"{BASE}/figures")
    assert response.status_code == 200
    data = response.json()
    month = data["periods"][0]["figures"]
    assert month["received"]["value"] == 1
    assert month["completion"]["numerator"] == 0
    assert month["completion"]["denominator"] == 1
    assert month["received"]["yoy"] is None
    assert month["received"]["yoy_display"] == "—"
    assert api.get(f"{BASE}/figures", {"period": "2025-13"}).status_code == 422
    assert api.get(f"{BASE}/figures", {"period": "last week"}).status_code == 422
    assert api.get(f"{BASE}/figures", {"unit": cast.other.pk}).status_code == 422
    year = api.get(f"{BASE}/figures", {"period": "2024"}).json()
    assert year["periods"][0]["period"] == "2024"
