"""Permission-matrix declarations of incidents (see liuqing.core.matrix), and of the import
engine's pages, exercised through the incident ledger: the engine has no rows of its own, so
the module that registers a ledger kind declares them (the engine imports no module).
Import runs are opened through the real `start_import` (an incident ledger in CSV) at the
target unit by a detachment-staff member at the root, the marker in the file name.

Targets are pushed through the real service by a detachment-staff member at the root, with
the marker in the source id. The category page belongs to no unit: the
``incident_category`` policy decides alone, once per role."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from liuqing.casework.testing import member_at, root_staff
from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Role, Unit
from liuqing.imports import services as import_services
from liuqing.imports.policies import IMPORT_RUN
from liuqing.incidents.defaults import ensure_default_categories
from liuqing.incidents.policies import (
    INCIDENT,
    INCIDENT_CATEGORY,
    INCIDENT_CATEGORY_SET,
    PATROL_LOG,
    PATROL_PLAN,
    TOURIST_SEASON,
)
from liuqing.incidents.testing import (
    LAT,
    LNG,
    ledger_csv,
    record_incident,
    record_incidents,
    square,
)

Kwargs = dict[str, Any]
POST = "POST"


def _incident(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    incident = record_incident(unit, source_id=f"{marker}-{unit.pk}")
    return {"pk": incident.pk}, marker


TARGETS: dict[str, TargetFactory] = {"incident": _incident}


def _push(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    ensure_default_categories()
    return {
        "source_system": "matrix",
        "items": [
            {
                "source_id": "matrix-1",
                "occurred_at": "2026-02-01T08:00:00+08:00",
                "category": "traffic",
                "latitude": LAT,
                "longitude": LNG,
                "unit": unit.code,
            }
        ],
    }


def _mapping_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    from liuqing.incidents.models import IncidentCategory

    ensure_default_categories()
    return {
        "source_system": "matrix",
        "source_text": "矩阵类",
        "category": IncidentCategory.objects.get(code="other").pk,
    }


def _category_add(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    ensure_default_categories()
    return {"action": "add", "code": "matrix_kind", "name": "矩阵类别", "order": "90"}


def _category_change(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    ensure_default_categories()
    return {"code": "other", "name": "其它", "order": 85}


ROUTES: list[Route] = [
    Route(name="incidents:list", kind=INCIDENT, lists="incident"),
    Route(name="incidents:category_settings", kind=INCIDENT_CATEGORY_SET),
    Route(
        name="incidents:category_settings",
        kind=INCIDENT_CATEGORY_SET,
        action=CHANGE,
        method=POST,
        data=_category_add,
    ),
    Route(name="list_incident_categories", kind=INCIDENT_CATEGORY_SET, api=True),
    Route(
        name="add_incident_category",
        kind=INCIDENT_CATEGORY_SET,
        action=CHANGE,
        method=POST,
        api=True,
        data=lambda world, unit, kwargs: (
            {k: v for k, v in _category_add(world, unit, kwargs).items() if k != "action"}
            | {"order": 90}
        ),
    ),
    Route(
        name="change_incident_category",
        kind=INCIDENT_CATEGORY_SET,
        action=CHANGE,
        method="PATCH",
        api=True,
        data=_category_change,
    ),
    Route(name="incidents:detail", kind=INCIDENT, target="incident"),
    Route(name="incidents:category_mappings", kind=INCIDENT_CATEGORY),
    Route(
        name="incidents:category_mappings",
        kind=INCIDENT_CATEGORY,
        action=CHANGE,
        method=POST,
        data=_mapping_form,
    ),
    Route(name="list_incidents", kind=INCIDENT, lists="incident", api=True),
    Route(name="get_incident", kind=INCIDENT, target="incident", api=True),
    Route(name="push_incidents", kind=INCIDENT, action=CHANGE, method=POST, data=_push, api=True),
]

# --- The import engine's pages --------------------------------------------------------------


def _file(unit: Unit, name: str) -> SimpleUploadedFile:
    content = ledger_csv(
        [
            {
                "编号": f"{name}-1",
                "时间": "2026-01-05 09:30:00",
                "类别": "刑事",
                "纬度": LAT,
                "经度": LNG,
                "单位": unit.code,
            }
        ]
    )
    return SimpleUploadedFile(f"{name}.csv", content, content_type="text/csv")


def _import_run(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    run = import_services.start_import(
        actor=root_staff(unit), kind="incidents", unit=unit, upload=_file(unit, marker)
    )
    return {"pk": run.pk}, marker


def _import_upload(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"kind": "incidents", "unit": unit.pk, "file": _file(unit, "matrix")}


def _import_mapping(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    ensure_default_categories()
    return {
        "col_source_id": "编号",
        "col_occurred_at": "时间",
        "col_category": "类别",
        "col_latitude": "纬度",
        "col_longitude": "经度",
        "col_unit": "单位",
        "opt_source_system": "matrix",
        "opt_coordinates": "wgs84",
    }


IMPORT_ROUTES: list[Route] = [
    Route(name="imports:run_list", kind=IMPORT_RUN, lists="import_run"),
    Route(name="imports:upload", kind=IMPORT_RUN, action=CHANGE),
    Route(
        name="imports:upload",
        kind=IMPORT_RUN,
        action=CHANGE,
        method=POST,
        data=_import_upload,
        unit_param="unit",
    ),
    Route(name="imports:run_detail", kind=IMPORT_RUN, target="import_run"),
    Route(name="imports:errors", kind=IMPORT_RUN, target="import_run"),
    Route(name="imports:mapping", kind=IMPORT_RUN, action=CHANGE, target="import_run"),
    Route(
        name="imports:mapping",
        kind=IMPORT_RUN,
        action=CHANGE,
        method=POST,
        target="import_run",
        data=_import_mapping,
    ),
]

ROUTES += IMPORT_ROUTES

# --- Maps, hot spots, trends, patrols ---------------------------------------------------------
# The pages default to the member's own unit (no map stored: they say so); "refresh now"
# recomputes the member's own unit (or the one posted, checked against the jurisdiction).


def _mapped_unit(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    """The unit, given a boundary, a few incidents and its maps (once per unit)."""
    from liuqing.incidents.models import CellGrid
    from liuqing.incidents.refresh import refresh_maps

    if not CellGrid.objects.filter(unit=unit).exists():
        lat, lng = LAT + 0.05 * (unit.depth + 1), LNG + 0.03 * (unit.pk % 7)
        Unit.objects.filter(pk=unit.pk).update(boundary=square(lat, lng))
        unit.refresh_from_db()
        record_incidents(unit, [(lat, lng, "traffic", "2026-03-02 09:00")] * 3)
        refresh_maps(root=unit, last_month=dt.date(2026, 3, 1), months=4)
    return {"unit": unit.pk, "month": "2026-03"}


def _plan_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"action": "propose", "unit": unit.pk, "week": "2026-04-06", f"hours-{unit.pk}": "8"}


def _log_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    officer = member_at(unit, Role.OFFICER, "patrol")
    return {
        "unit": unit.pk,
        "officer": officer.pk,
        "mode": "foot",
        "started_at": "2026-04-07T09:00",
        "ended_at": "2026-04-07T10:00",
        "cells": "8925b020c13ffff",
    }


def _patrol_plan(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    from liuqing.incidents.patrols import propose_plan

    plan = propose_plan(
        actor=root_staff(unit), unit=unit, week=dt.date(2026, 4, 6), hours={unit.pk: "8"}
    )
    return {"pk": plan.pk}, marker


TARGETS["patrol_plan"] = _patrol_plan


def _api_plan(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"unit": unit.pk, "week": "2026-04-06", "hours": [{"unit_id": unit.pk, "hours": "8"}]}


def _api_log(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    form = _log_form(world, unit, kwargs)
    return {
        "unit": unit.pk,
        "officer": form["officer"],
        "mode": "foot",
        "started_at": "2026-04-07T09:00:00+08:00",
        "ended_at": "2026-04-07T10:00:00+08:00",
        "cells": [form["cells"]],
    }


ROUTES += [
    Route(name="get_incident_map", kind=INCIDENT, api=True, unit_param="unit", data=_mapped_unit),
    Route(name="refresh_incident_maps", kind=INCIDENT, action=CHANGE, method=POST, api=True),
    Route(name="get_incident_trends", kind=INCIDENT, api=True),
    Route(name="list_patrol_plans", kind=PATROL_PLAN, api=True),
    Route(
        name="propose_patrol_plan",
        kind=PATROL_PLAN,
        action=CHANGE,
        method=POST,
        api=True,
        unit_param="unit",
        data=_api_plan,
    ),
    Route(
        name="edit_patrol_plan",
        kind=PATROL_PLAN,
        action=CHANGE,
        method="PUT",
        api=True,
        target="patrol_plan",
        data=lambda world, unit, kwargs: {"allocations": []},
    ),
    Route(name="list_patrol_logs", kind=PATROL_LOG, api=True),
    Route(
        name="log_patrol",
        kind=PATROL_LOG,
        action=CHANGE,
        method=POST,
        api=True,
        unit_param="unit",
        data=_api_log,
    ),
    Route(name="get_patrol_coverage", kind=PATROL_LOG, api=True),
    Route(name="incidents:trends", kind=INCIDENT),
    Route(name="incidents:patrols", kind=PATROL_PLAN),
    Route(
        name="incidents:patrols",
        kind=PATROL_PLAN,
        action=CHANGE,
        method=POST,
        data=_plan_form,
        unit_param="unit",
    ),
    Route(name="incidents:patrol_logs", kind=PATROL_LOG),
    Route(
        name="incidents:patrol_logs",
        kind=PATROL_LOG,
        action=CHANGE,
        method=POST,
        data=_log_form,
        unit_param="unit",
    ),
    Route(name="incidents:map_geojson", kind=INCIDENT, unit_param="unit", data=_mapped_unit),
    Route(name="incidents:map_csv", kind=INCIDENT, unit_param="unit", data=_mapped_unit),
    Route(
        name="incidents:map_png_audit",
        kind=INCIDENT,
        method=POST,
        unit_param="unit",
        data=lambda world, unit, kwargs: {**_mapped_unit(world, unit, kwargs), "layer": "levels"},
    ),
    Route(name="incidents:map", kind=INCIDENT),
    Route(name="incidents:map_data", kind=INCIDENT),
    Route(name="incidents:hotspots", kind=INCIDENT),
    Route(name="incidents:emerging", kind=INCIDENT),
    Route(name="incidents:map_refresh", kind=INCIDENT, action=CHANGE, method=POST),
]
TARGETS["import_run"] = _import_run

# --- Tourist seasons ---------------------------------------------------------------------------


def _season_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"unit": unit.pk, "action": "set", "months": ["5", "6", "7"]}


ROUTES += [
    Route(name="incidents:seasons", kind=TOURIST_SEASON),
    Route(
        name="incidents:seasons",
        kind=TOURIST_SEASON,
        action=CHANGE,
        method=POST,
        unit_param="unit",
        data=_season_form,
    ),
    Route(name="list_tourist_seasons", kind=TOURIST_SEASON, api=True),
    Route(
        name="set_tourist_season",
        kind=TOURIST_SEASON,
        action=CHANGE,
        method="PUT",
        api=True,
        unit_param="unit",
        data=lambda world, unit, kwargs: {"unit": unit.pk, "months": [5, 6, 7]},
    ),
]

PUBLIC: set[str] = set()
