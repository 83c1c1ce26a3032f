"""The visits API: plans, a changed plan, a visit with its refusals, the due list, scope."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from liuqing.casework.testing import member_at
from liuqing.core import services as core_services
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World
from liuqing.visits.models import Visit, VisitPlan
from liuqing.visits.testing import make_place, plan_place_visits

pytestmark = pytest.mark.django_db
URL = "/api/v1/visits"


def bearer(member: Member) -> dict[str, Any]:
    _token, secret = core_services.create_api_token(actor=member, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(member: Member, url: str, body: dict[str, Any]) -> Any:
    return Client().post(url, json.dumps(body), content_type="application/json", **bearer(member))


def test_a_plan_is_made_listed_and_visited(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    place = make_place(world.units["C1"], "河坝村")
    made = post(
        officer,
        f"{URL}/plans",
        {
            "target_kind": "place",
            "target_id": place.pk,
            "cadence": "custom",
            "interval_days": 14,
            "responsible_id": officer.pk,
            "starts_on": "2026-11-01",
        },
    )
    assert made.status_code == 201, made.content
    plan = made.json()
    assert (plan["title"], plan["unit_id"], plan["next_due"]) == (
        "河坝村",
        world.units["C1"].pk,
        "2026-11-14",
    )
    listed = Client().get(f"{URL}/plans", **bearer(officer)).json()
    assert [p["id"] for p in listed["items"]] == [plan["id"]]
    visited = post(
        officer,
        f"{URL}/plans/{plan['id']}/visits",
        {"visited_on": "2026-11-03", "visitor_ids": [officer.pk], "summary": "入户走访"},
    )
    assert visited.status_code == 201, visited.content
    detail = Client().get(f"{URL}/plans/{plan['id']}", **bearer(officer)).json()
    assert detail["next_due"] == "2026-11-28"
    assert detail["visits"][0]["summary"] == "入户走访"


def test_bad_visits_are_422_with_the_reason_and_write_nothing(world: World) -> None:
    chief = member_at(world.units["B1"], Role.BRIGADE_STAFF, "bchief")
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    sibling = member_at(world.units["S2"], Role.OFFICER, "s2officer")
    url = f"{URL}/plans/{plan.pk}/visits"
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    response = post(chief, url, {"visited_on": future, "visitor_ids": [chief.pk], "summary": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["visited_on"] == [
        "A visit cannot be dated in the future."
    ]
    response = post(
        chief, url, {"visited_on": "2026-01-06", "visitor_ids": [sibling.pk], "summary": "x"}
    )
    assert response.status_code == 422
    assert "does not serve in this plan's unit" in response.json()["error"]["fields"]["visitors"][0]
    response = post(
        chief, url, {"visited_on": "2026-13-01", "visitor_ids": [chief.pk], "summary": "x"}
    )
    assert response.status_code == 422
    response = post(
        chief,
        url,
        {"visited_on": "2026-01-06", "visitor_ids": [chief.pk], "summary": "x", "unit": 1},
    )
    assert response.status_code == 422
    assert "unit" in response.json()["error"]["fields"]
    assert not Visit.objects.exists()


def test_scope_and_roles(world: World) -> None:
    far = plan_place_visits(world.units["S3"])
    officer = world.persona(Role.OFFICER)
    assert Client().get(f"{URL}/plans/{far.pk}", **bearer(officer)).status_code == 404
    assert Client().get(f"{URL}/plans", **bearer(world.persona(Role.ANALYST))).status_code == 403
    assert post(world.persona(Role.AUDITOR), f"{URL}/plans/{far.pk}/end", {}).status_code == 404
    own = plan_place_visits(world.units["S1"], responsible=officer, starts_on=dt.date(2026, 1, 5))
    assert post(world.persona(Role.AUDITOR), f"{URL}/plans/{own.pk}/end", {}).status_code == 403
    due = Client().get(f"{URL}/due", **bearer(officer)).json()
    assert [p["id"] for p in due] == [own.pk]
    assert due[0]["state"] == "overdue"
    ended = post(officer, f"{URL}/plans/{own.pk}/end", {"ends_on": "2026-02-01"})
    assert ended.status_code == 200
    assert VisitPlan.objects.get(pk=own.pk).is_active is False


def test_a_photo_is_added_to_a_visit_by_its_content(world: World) -> None:
    from liuqing.casework.testing import png_upload
    from liuqing.visits.models import VisitPhoto
    from liuqing.visits.testing import visit

    officer = world.persona(Role.OFFICER)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    made = visit(plan, dt.date(2026, 1, 6))
    url = f"{URL}/{made.pk}/photos"
    ok = Client().post(url, {"file": png_upload("门口.png")}, **bearer(officer))
    assert ok.status_code == 201, ok.content
    assert ok.json()["mime"] == "image/png"
    fake = SimpleUploadedFile("x.png", b"%PDF-1.4 not a photo", "image/png")
    bad = Client().post(url, {"file": fake}, **bearer(officer))
    assert bad.status_code == 422
    assert VisitPhoto.objects.count() == 1


def test_my_work_in_the_api_lists_the_visits_due_this_week(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    plan = plan_place_visits(
        world.units["S1"], name="北坡村", responsible=officer, starts_on=dt.date(2026, 1, 5)
    )
    plan_place_visits(world.units["S1"], name="别人村", starts_on=dt.date(2026, 1, 5))
    body = Client().get("/api/v1/queue/my-work", **bearer(officer)).json()
    [section] = [s for s in body["more"] if s["key"] == "visits_due"]
    assert section["title"] == "Visits due this week"
    assert section["count"] == 1
    [item] = section["items"]
    assert "北坡村" in item["title"]
    assert item["url"] == f"/visits/plans/{plan.pk}/"
    assert item["overdue"] is True  # due in January 2026, long past
    assert "别人村" not in json.dumps(body, ensure_ascii=False)


def patch(member: Member, url: str, body: dict[str, Any]) -> Any:
    return Client().patch(url, json.dumps(body), content_type="application/json", **bearer(member))


def test_a_patch_changes_only_the_terms_sent(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    sergeant = world.persona(Role.SERGEANT)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    keeper = plan.responsible_id  # a root staff member, above the chief's jurisdiction
    response = patch(chief, f"{URL}/plans/{plan.pk}", {"cadence": "custom", "interval_days": 3})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["cadence"], body["interval_days"], body["responsible_id"]) == (
        "custom",
        3,
        keeper,
    )
    assert body["next_due"] == "2026-01-07"
    response = patch(
        chief,
        f"{URL}/plans/{plan.pk}",
        {"responsible_id": sergeant.pk, "ends_on": "2026-06-30"},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["responsible_id"], response.json()["ends_on"]) == (
        sergeant.pk,
        "2026-06-30",
    )
    assert response.json()["interval_days"] == 3
    cleared = patch(chief, f"{URL}/plans/{plan.pk}", {"ends_on": None})
    assert cleared.json()["ends_on"] is None
    assert AuditEvent.objects.filter(action="visits.plan_change").count() == 3
    # The same terms again: nothing changes, nothing is recorded.
    assert patch(chief, f"{URL}/plans/{plan.pk}", {"cadence": "custom"}).status_code == 200
    assert AuditEvent.objects.filter(action="visits.plan_change").count() == 3


def test_a_bad_patch_is_422_with_the_reasons_and_writes_nothing(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    url = f"{URL}/plans/{plan.pk}"
    response = patch(
        chief, url, {"cadence": "custom", "interval_days": 367, "ends_on": "2025-01-01"}
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert fields["interval_days"] == ["Give a number of days from 1 to 366."]
    assert fields["ends_on"] == ["The end cannot be before the start."]
    response = patch(chief, url, {"responsible_id": None})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["responsible"] == [
        "Name a responsible member or team."
    ]
    far = member_at(world.units["S3"], Role.OFFICER, "s3officer")
    response = patch(chief, url, {"responsible_id": far.pk})
    assert response.status_code == 422
    assert "responsible_id" in response.json()["error"]["fields"]
    assert patch(chief, url, {"cadence": "daily"}).status_code == 422
    assert patch(chief, url, {"team_id": 999999}).status_code == 422
    assert patch(chief, url, {"cadence": "monthly", "unit": 1}).status_code == 422
    assert VisitPlan.objects.get(pk=plan.pk).cadence == "weekly"
    assert not AuditEvent.objects.filter(action="visits.plan_change").exists()
    ended = post(chief, f"{URL}/plans/{plan.pk}/end", {"ends_on": "2026-02-01"})
    assert ended.status_code == 200
    response = patch(chief, url, {"cadence": "monthly"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["__all__"] == [
        "This plan has ended and can no longer be changed."
    ]


def test_a_patch_out_of_scope_is_404_and_by_a_visitor_403(world: World) -> None:
    far = plan_place_visits(world.units["S3"])
    own = plan_place_visits(world.units["S1"])
    chief = world.persona(Role.STATION_CHIEF)
    assert patch(chief, f"{URL}/plans/{far.pk}", {"cadence": "monthly"}).status_code == 404
    assert patch(chief, f"{URL}/plans/999999", {"cadence": "monthly"}).status_code == 404
    officer = world.persona(Role.OFFICER)
    assert patch(officer, f"{URL}/plans/{own.pk}", {"cadence": "monthly"}).status_code == 403
    auditor = world.persona(Role.AUDITOR)
    assert patch(auditor, f"{URL}/plans/{own.pk}", {"cadence": "monthly"}).status_code == 403
    assert not VisitPlan.objects.filter(cadence="monthly").exists()
