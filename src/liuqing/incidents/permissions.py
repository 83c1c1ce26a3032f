"""Permission-matrix declarations of incidents (see liuqing.core.matrix).

Targets are pushed through the real service by a detachment-staff member at the root, with
the marker in the source id. The category page belongs to no unit: the
``incident_category`` policy decides alone, once per role."""

from __future__ import annotations

from typing import Any

from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Unit
from liuqing.incidents.defaults import ensure_default_categories
from liuqing.incidents.policies import INCIDENT, INCIDENT_CATEGORY
from liuqing.incidents.testing import LAT, LNG, record_incident

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


ROUTES: list[Route] = [
    Route(name="incidents:list", kind=INCIDENT, lists="incident"),
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

PUBLIC: set[str] = set()
