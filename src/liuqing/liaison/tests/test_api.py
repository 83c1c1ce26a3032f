"""The liaison API: organisations with flags, one organisation with everything its page shows,
assignments (and their end), problems, lessons; bad input, scope and query counts."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liuqing.casework.testing import root_staff
from liuqing.core import services as core_services
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World
from liuqing.liaison import services
from liuqing.liaison.models import Assignment, Lesson, Organisation, Problem
from liuqing.liaison.testing import assign, category, organisation, problem

pytestmark = pytest.mark.django_db
URL = "/api/v1/liaison/organisations"


def bearer(member: Member) -> dict[str, Any]:
    _token, secret = core_services.create_api_token(actor=member, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(member: Member, url: str, body: dict[str, Any]) -> Any:
    return Client().post(url, json.dumps(body), content_type="application/json", **bearer(member))


def get(member: Member, url: str) -> Any:
    return Client().get(url, **bearer(member))


def lesson(org: Organisation, topic: str = "防电诈") -> Lesson:
    return services.record_lesson(
        actor=root_staff(org.unit),
        organisation=org,
        given_on=timezone.localdate() - dt.timedelta(days=3),
        topic=topic,
        class_name="初二(3)班",
        attendance=42,
    )


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


# --- One organisation -------------------------------------------------------------------------


def test_one_organisation_carries_its_officers_problems_lessons_and_plans(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    officer = world.persona(Role.OFFICER)
    school = organisation(world.units["S1"], name="第一中学", kind="school")
    earlier = assign(school, chief, role="liaison", starts_on=dt.date(2025, 1, 1))
    services.end_assignment(actor=chief, assignment=earlier, ends_on=dt.date(2025, 12, 31))
    now = assign(school, officer, role="school", starts_on=dt.date(2026, 1, 1))
    raised = problem(school, savings="1200.50")
    given = lesson(school)

    body = get(chief, f"{URL}/{school.pk}").json()

    assert body["name"] == "第一中学"
    assert body["contact_phone"] == "137****1111"
    assert body["contact_name"] != "赵经理"
    assert body["flags"] == []
    assert body["current_officer_id"] == officer.pk
    assert [a["id"] for a in body["assignments"]] == [now.pk, earlier.pk]
    assert body["assignments"][0] == {
        "id": now.pk,
        "organisation_id": school.pk,
        "officer_id": officer.pk,
        "officer_name": officer.full_name,
        "role": "school",
        "role_label": "School liaison officer",
        "starts_on": "2026-01-01",
        "ends_on": None,
        "active": True,
    }
    assert body["assignments"][1]["ends_on"] == "2025-12-31"
    assert body["assignments"][1]["active"] is False
    assert body["assignments"][1]["role_label"] == "Liaison officer"
    [p] = body["problems"]
    assert p["case_id"] == raised.case_id
    assert p["number"] == raised.case.number
    assert p["status"] == raised.case.status
    assert p["category"] == "safety_hazard"
    assert p["title"] == "消防通道堵塞"
    assert p["estimated_savings"] == "1200.50"
    [lesson_row] = body["lessons"]
    assert lesson_row["id"] == given.pk
    assert lesson_row["topic"] == "防电诈"
    assert lesson_row["class_name"] == "初二(3)班"
    assert lesson_row["attendance"] == 42
    assert lesson_row["given_on"] == given.given_on.isoformat()
    assert body["visit_plans"] == []
    chinese = Client().get(f"{URL}/{school.pk}", HTTP_ACCEPT_LANGUAGE="zh-hans", **bearer(chief))
    assert chinese.json()["assignments"][0]["role_label"] == "法治班主任"


def test_the_monthly_visit_plan_is_made_through_the_visits_api(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    org = organisation(world.units["S1"])
    assign(org, world.persona(Role.OFFICER))
    detail = get(chief, f"{URL}/{org.pk}").json()
    planned = post(
        chief,
        "/api/v1/visits/plans",
        {
            "target_kind": "organisation",
            "target_id": org.pk,
            "cadence": "monthly",
            "responsible_id": detail["current_officer_id"],
        },
    )
    assert planned.status_code == 201, planned.content
    [plan] = get(chief, f"{URL}/{org.pk}").json()["visit_plans"]
    assert plan["id"] == planned.json()["id"]
    assert plan["cadence"] == "monthly"
    assert plan["responsible_id"] == world.persona(Role.OFFICER).pk


def test_an_organisation_out_of_scope_is_404(world: World) -> None:
    elsewhere = organisation(world.units["S3"], name="外地公司")
    response = get(world.persona(Role.STATION_CHIEF), f"{URL}/{elsewhere.pk}")
    assert response.status_code == 404
    assert "外地公司" not in response.content.decode()
    assert get(world.persona(Role.STATION_CHIEF), f"{URL}/99999").status_code == 404


def _detail_queries(member: Member, org: Organisation) -> int:
    client, headers = Client(), bearer(member)
    client.get(f"{URL}/{org.pk}", **headers)  # the token's first use writes its last-use time
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"{URL}/{org.pk}", **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_organisation_costs_the_same_queries_however_many_rows(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    small = organisation(world.units["S1"], name="小学", kind="school")
    large = organisation(world.units["S1"], name="大学", kind="school")
    officers = [world.persona(r) for r in (Role.OFFICER, Role.STATION_CHIEF, Role.SERGEANT)]
    for org, times in ((small, 1), (large, 6)):
        for i in range(times):
            assign(
                org,
                officers[i % len(officers)],
                role="school",
                starts_on=dt.date(2025, 1, 1) + dt.timedelta(days=30 * i),
            )
            problem(org, savings=str(100 * i))
            lesson(org, topic=f"课{i}")
    plan = post(
        chief,
        "/api/v1/visits/plans",
        {
            "target_kind": "organisation",
            "target_id": large.pk,
            "cadence": "monthly",
            "responsible_id": chief.pk,
        },
    )
    assert plan.status_code == 201, plan.content
    body = get(chief, f"{URL}/{large.pk}").json()
    assert len(body["assignments"]) == len(body["problems"]) == len(body["lessons"]) == 6
    assert _detail_queries(chief, small) == _detail_queries(chief, large)


# --- Ending an assignment ---------------------------------------------------------------------


def test_an_assignment_is_ended_on_a_day_or_today(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    org = organisation(world.units["S1"])
    first = assign(org, world.persona(Role.OFFICER), starts_on=dt.date(2026, 1, 1))
    ended = post(chief, f"/api/v1/liaison/assignments/{first.pk}/end", {"ends_on": "2026-02-15"})
    assert ended.status_code == 200, ended.content
    assert ended.json()["ends_on"] == "2026-02-15"
    assert ended.json()["active"] is False
    first.refresh_from_db()
    assert first.ends_on == dt.date(2026, 2, 15)
    assert AuditEvent.objects.filter(action="liaison.unassign").count() == 1
    second = assign(org, world.persona(Role.OFFICER), starts_on=dt.date(2026, 3, 1))
    today = post(chief, f"/api/v1/liaison/assignments/{second.pk}/end", {})
    assert today.status_code == 200, today.content
    assert today.json()["ends_on"] == timezone.localdate().isoformat()
    assert today.json()["active"] is True  # the last day is included


def test_a_bad_end_is_422_and_changes_nothing(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    org = organisation(world.units["S1"])
    assignment = assign(org, world.persona(Role.OFFICER), starts_on=dt.date(2026, 1, 1))
    url = f"/api/v1/liaison/assignments/{assignment.pk}/end"
    before = post(chief, url, {"ends_on": "2025-12-31"})
    assert before.status_code == 422
    assert "ends_on" in before.json()["error"]["fields"]
    for body in ({"ends_on": "2026-13-01"}, {"ends_on": "soon"}, {"officer_id": 1}):
        assert post(chief, url, body).status_code == 422, body
    assignment.refresh_from_db()
    assert assignment.ends_on is None
    assert not AuditEvent.objects.filter(action="liaison.unassign").exists()


def test_ending_an_assignment_out_of_scope_is_404_and_read_only_is_403(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    elsewhere = organisation(world.units["S3"])
    theirs = assign(elsewhere, root_staff(elsewhere.unit), starts_on=dt.date(2026, 1, 1))
    url = f"/api/v1/liaison/assignments/{theirs.pk}/end"
    assert post(chief, url, {"ends_on": "2026-02-01"}).status_code == 404
    assert post(chief, "/api/v1/liaison/assignments/99999/end", {}).status_code == 404
    ours = assign(organisation(world.units["S1"]), world.persona(Role.OFFICER))
    url = f"/api/v1/liaison/assignments/{ours.pk}/end"
    assert post(world.persona(Role.OFFICER), url, {"ends_on": "2026-02-01"}).status_code == 403
    assert not Assignment.objects.exclude(ends_on=None).exists()


def test_savings_through_the_api(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    raised = problem(organisation(world.units["S1"]))
    url = f"/api/v1/liaison/problems/{raised.case_id}/savings"
    bad = post(chief, url, {"estimated_savings": "-1"})
    assert bad.status_code == 422
    assert "estimated_savings" in json.dumps(bad.json())
    done = post(chief, url, {"estimated_savings": "880.25"})
    assert done.status_code == 200, done.content
    assert done.json()["estimated_savings"] == "880.25"
    assert AuditEvent.objects.filter(action="liaison.savings").count() == 1
    assert (
        post(
            chief, "/api/v1/liaison/problems/999999/savings", {"estimated_savings": "1"}
        ).status_code
        == 404
    )
    assert post(world.persona(Role.ANALYST), url, {"estimated_savings": "1"}).status_code in (
        403,
        404,
    )
