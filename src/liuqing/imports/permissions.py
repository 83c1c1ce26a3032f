"""Permission-matrix declarations of the import engine (see liuqing.core.matrix).

Targets are runs opened through the real `start_import` (an incident ledger in CSV) at the
target unit by a detachment-staff member at the root, the marker in the file name."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from liuqing.casework.testing import root_staff
from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Unit
from liuqing.imports import services
from liuqing.imports.policies import IMPORT_RUN
from liuqing.incidents.defaults import ensure_default_categories
from liuqing.incidents.testing import LAT, LNG, ledger_csv

Kwargs = dict[str, Any]
POST = "POST"


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


def _run(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    run = services.start_import(
        actor=root_staff(unit), kind="incidents", unit=unit, upload=_file(unit, marker)
    )
    return {"pk": run.pk}, marker


TARGETS: dict[str, TargetFactory] = {"import_run": _run}


def _upload(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"kind": "incidents", "unit": unit.pk, "file": _file(unit, "matrix")}


def _mapping(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
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


ROUTES: list[Route] = [
    Route(name="imports:run_list", kind=IMPORT_RUN, lists="import_run"),
    Route(name="imports:upload", kind=IMPORT_RUN, action=CHANGE),
    Route(
        name="imports:upload",
        kind=IMPORT_RUN,
        action=CHANGE,
        method=POST,
        data=_upload,
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
        data=_mapping,
    ),
]

PUBLIC: set[str] = set()
