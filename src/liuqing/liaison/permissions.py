"""Permission-matrix declarations of liaison (see liuqing.core.matrix). Organisations are
registered at the target unit by a root staff member, the marker in their name; assignment
targets end an assignment of such an organisation."""

from __future__ import annotations

from typing import Any

from liuqing.casework.testing import member_at
from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Role, Unit
from liuqing.liaison.testing import assign, category, organisation, problem
from liuqing.liaison.workflow import ASSIGNMENT, ORGANISATION

Kwargs = dict[str, Any]
POST = "POST"


def _org(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    return {"pk": organisation(unit, name=f"{marker}公司", kind="school").pk}, marker


def _assignment(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    org = organisation(unit, name=f"{marker}公司")
    return {"pk": assign(org, member_at(unit, Role.OFFICER, "liaison")).pk}, marker


def _problem_target(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    return {"pk": problem(organisation(unit, name=f"{marker}公司")).case_id}, marker


def _new(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"unit": world.units["S1"].pk, "name": "矩阵新公司", "kind": "market"}


def _assign_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "officer": world.persona(Role.STATION_CHIEF).pk,
        "role": "school",
        "starts_on": "2026-02-01",
    }


def _problem(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "category": category().pk,
        "title": "监控损坏",
        "description": "大门监控坏了",
        "estimated_savings": "100",
    }


def _lesson(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "given_on": "2026-03-01",
        "topic": "防电诈",
        "class_name": "初二(3)班",
        "attendance": 42,
    }


TARGETS: dict[str, TargetFactory] = {
    "organisation": _org,
    "liaison_assignment": _assignment,
    "liaison_problem": _problem_target,
}

ROUTES: list[Route] = [
    Route(name="liaison:list", kind=ORGANISATION, lists="organisation"),
    Route(name="liaison:new", kind=ORGANISATION, action=CHANGE),
    Route(name="liaison:new", kind=ORGANISATION, action=CHANGE, method=POST, data=_new),
    Route(name="liaison:detail", kind=ORGANISATION, target="organisation"),
    Route(
        name="liaison:assign",
        kind=ASSIGNMENT,
        action=CHANGE,
        method=POST,
        target="organisation",
        data=_assign_form,
    ),
    Route(
        name="liaison:problem",
        kind=ORGANISATION,
        action=CHANGE,
        method=POST,
        target="organisation",
        data=_problem,
    ),
    Route(
        name="liaison:lesson",
        kind=ORGANISATION,
        action=CHANGE,
        method=POST,
        target="organisation",
        data=_lesson,
    ),
    Route(
        name="liaison:plan", kind="visit_plan", action=CHANGE, method=POST, target="organisation"
    ),
    Route(
        name="liaison:assignment_end",
        kind=ASSIGNMENT,
        action=CHANGE,
        method=POST,
        target="liaison_assignment",
    ),
    Route(
        name="liaison:problem_savings",
        kind=ORGANISATION,
        action=CHANGE,
        method=POST,
        target="liaison_problem",
        data=lambda w, u, k: {"estimated_savings": "2500"},
    ),
    Route(name="list_organisations", kind=ORGANISATION, lists="organisation", api=True),
    Route(
        name="register_organisation",
        kind=ORGANISATION,
        action=CHANGE,
        method=POST,
        data=lambda w, u, k: {"unit_id": w.units["S1"].pk, "name": "矩阵新公司", "kind": "school"},
        api=True,
    ),
    Route(name="get_organisation", kind=ORGANISATION, target="organisation", api=True),
    Route(
        name="assign_liaison_officer",
        kind=ASSIGNMENT,
        action=CHANGE,
        method=POST,
        target="organisation",
        data=lambda w, u, k: {
            "officer_id": w.persona(Role.STATION_CHIEF).pk,
            "role": "school",
            "starts_on": "2026-02-01",
        },
        api=True,
    ),
    Route(
        name="end_liaison_assignment",
        kind=ASSIGNMENT,
        action=CHANGE,
        method=POST,
        target="liaison_assignment",
        data=lambda w, u, k: {"ends_on": "2026-03-01"},
        api=True,
    ),
    Route(
        name="raise_liaison_problem",
        kind=ORGANISATION,
        action=CHANGE,
        method=POST,
        target="organisation",
        data=lambda w, u, k: {
            "category_id": category().pk,
            "title": "监控损坏",
            "description": "大门监控坏了",
        },
        api=True,
    ),
    Route(
        name="record_liaison_savings",
        kind=ORGANISATION,
        action=CHANGE,
        method=POST,
        target="liaison_problem",
        data=lambda w, u, k: {"estimated_savings": "2500"},
        api=True,
    ),
    Route(
        name="record_liaison_lesson",
        kind=ORGANISATION,
        action=CHANGE,
        method=POST,
        target="organisation",
        data=_lesson,
        api=True,
    ),
]

PUBLIC: set[str] = set()
