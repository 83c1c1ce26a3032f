"""Permission-matrix declarations of the visits engine (see liuqing.core.matrix). Targets are
plans of visits to a village at the target unit, made through the real services by a
detachment-staff member at the root, the marker in the village's name (the plan's title)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from liuqing.casework.testing import png_upload
from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Unit
from liuqing.visits.policies import VISIT, VISIT_PLAN, VISIT_PLAN_CHANGE
from liuqing.visits.testing import make_place, plan_place_visits, visit

Kwargs = dict[str, Any]
POST = "POST"
PATCH = "PATCH"


def _plan(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    plan = plan_place_visits(unit, name=f"{marker}村")
    return {"pk": plan.pk}, marker


def _photo(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    plan = plan_place_visits(unit, name=f"{marker}村")
    made = visit(plan, dt.date(2026, 1, 6), photo=True)
    return {"pk": made.photos.get().pk}, marker


def _new_plan(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    place = make_place(world.units["S1"])
    return {
        "target_kind": "place",
        "target_id": place.pk,
        "cadence": "monthly",
        "responsible_id": world.persona("station_chief").pk,
    }


def _visit_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "visited_on": "2026-01-07",
        "visitor_ids": [world.persona("station_chief").pk],
        "summary": "走访",
    }


def _visit_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "visited_on": "2026-01-07",
        "visitors": [world.persona("station_chief").pk],
        "summary": "走访",
    }


def _new_plan_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    data = _new_plan(world, unit, kwargs)
    return {
        "target_id": data["target_id"],
        "cadence": "monthly",
        "responsible": data["responsible_id"],
    }


def _change_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "cadence": "custom",
        "interval_days": 10,
        "responsible": world.persona("station_chief").pk,
        "ends_on": "2027-12-31",
    }


def _change_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"cadence": "monthly", "responsible_id": world.persona("sergeant").pk}


def _visit(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    plan = plan_place_visits(unit, name=f"{marker}村")
    return {"pk": visit(plan, dt.date(2026, 1, 6)).pk}, marker


TARGETS: dict[str, TargetFactory] = {
    "visit_plan": _plan,
    "visit_photo": _photo,
    "visit": _visit,
}

ROUTES: list[Route] = [
    Route(name="visits:list", kind=VISIT_PLAN, lists="visit_plan"),
    Route(name="visits:calendar", kind=VISIT_PLAN),
    Route(name="visits:plan_new", kind=VISIT_PLAN, action=CHANGE),
    Route(name="visits:plan_new", kind=VISIT_PLAN, action=CHANGE, method=POST, data=_new_plan_form),
    Route(name="visits:plan", kind=VISIT_PLAN, target="visit_plan"),
    Route(
        name="visits:plan",
        kind=VISIT_PLAN,
        action=CHANGE,
        method=POST,
        target="visit_plan",
        data=_visit_form,
    ),
    Route(name="visits:plan_change", kind=VISIT_PLAN_CHANGE, action=CHANGE, target="visit_plan"),
    Route(
        name="visits:plan_change",
        kind=VISIT_PLAN_CHANGE,
        action=CHANGE,
        method=POST,
        target="visit_plan",
        data=_change_form,
    ),
    Route(name="visits:plan_end", kind=VISIT_PLAN, action=CHANGE, method=POST, target="visit_plan"),
    Route(name="visits:photo", kind=VISIT, target="visit_photo"),
    Route(name="list_visit_plans", kind=VISIT_PLAN, lists="visit_plan", api=True),
    Route(name="visits_due", kind=VISIT_PLAN, api=True),
    Route(
        name="create_visit_plan",
        kind=VISIT_PLAN,
        action=CHANGE,
        method=POST,
        data=_new_plan,
        api=True,
    ),
    Route(name="get_visit_plan", kind=VISIT_PLAN, target="visit_plan", api=True),
    Route(
        name="change_visit_plan",
        kind=VISIT_PLAN_CHANGE,
        action=CHANGE,
        method=PATCH,
        target="visit_plan",
        data=_change_api,
        api=True,
    ),
    Route(
        name="add_visit_photo",
        kind=VISIT,
        action=CHANGE,
        method=POST,
        target="visit",
        data=lambda world, unit, kwargs: {"file": png_upload()},
        api=True,
        multipart=True,
    ),
    Route(
        name="record_visit",
        kind=VISIT_PLAN,
        action=CHANGE,
        method=POST,
        target="visit_plan",
        data=_visit_api,
        api=True,
    ),
    Route(
        name="end_visit_plan",
        kind=VISIT_PLAN,
        action=CHANGE,
        method=POST,
        target="visit_plan",
        data=lambda world, unit, kwargs: {},
        api=True,
    ),
]

PUBLIC: set[str] = set()
