"""Test helpers of incidents, importable by any app's tests and by the permission matrix:
incidents recorded through the real push service, small ledger files and unit boundaries."""

from __future__ import annotations

import csv
import io
import itertools
import json
from typing import Any

from liuqing.casework.testing import root_staff
from liuqing.core.models import Unit
from liuqing.incidents import services
from liuqing.incidents.defaults import ensure_default_categories
from liuqing.incidents.models import Incident

_numbers = itertools.count(1)

# Urumqi, well inside the default area (Xinjiang).
LAT, LNG = 43.8256, 87.6168


def square(lat: float, lng: float, half: float = 0.01) -> str:
    """A GeoJSON Polygon: the square of half-side `half` degrees around (lat, lng)."""
    ring = [
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half],
        [lng - half, lat - half],
    ]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def record_incident(
    unit: Unit,
    *,
    source_id: str = "",
    description: str = "",
    category: str = "criminal",
    occurred_at: str = "2026-03-01 10:00:00",
    latitude: float = LAT,
    longitude: float = LNG,
    source_system: str = "test",
) -> Incident:
    """An incident at `unit` (named by its code), pushed by a root staff member."""
    ensure_default_categories()  # a test that flushed the database took the migration's rows
    source_id = source_id or f"T{next(_numbers)}"
    result = services.push_incidents(
        actor=root_staff(unit),
        source_system=source_system,
        coordinates="wgs84",
        items=[
            {
                "source_id": source_id,
                "occurred_at": occurred_at,
                "category": category,
                "latitude": repr(latitude),
                "longitude": repr(longitude),
                "unit": unit.code,
                "description": description,
            }
        ],
    )
    assert not result.errors, result.errors
    return Incident.objects.get(source_system=source_system, source_id=source_id)


def ledger_csv(rows: list[dict[str, Any]], *, encoding: str = "utf-8") -> bytes:
    """A ledger export as CSV bytes; the first row's keys are the header."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def record_incidents(
    unit: Unit, items: list[tuple[float, float, str, str]], *, source_system: str = "test"
) -> int:
    """Incidents (lat, lng, category code, local time) pushed in batches by a root staff
    member; returns how many were stored."""
    ensure_default_categories()
    stored = 0
    for start in range(0, len(items), services.PUSH_MAX):
        batch = [
            {
                "source_id": f"B{next(_numbers)}",
                "occurred_at": when,
                "category": category,
                "latitude": repr(lat),
                "longitude": repr(lng),
            }
            for lat, lng, category, when in items[start : start + services.PUSH_MAX]
        ]
        result = services.push_incidents(
            actor=root_staff(unit), source_system=source_system, coordinates="wgs84", items=batch
        )
        assert not result.errors, result.errors[:3]
        stored += result.created
    return stored
