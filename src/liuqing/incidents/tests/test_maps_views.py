"""The map pages, their data, the exports (audited) and "refresh now", in the browser's shape."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World, login_verified
from liuqing.incidents import refresh
from liuqing.incidents.models import IncidentCategory, MapRun
from liuqing.incidents.testing import record_incidents
from liuqing.incidents.tests.test_refresh import CENTRE, MONTH, _scatter

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshed(mapped: World) -> World:
    record_incidents(mapped.units["S1"], _scatter(mapped))
    refresh.refresh_maps(root=mapped.units["D"], last_month=MONTH, months=6)
    return mapped


def test_the_heat_map_page_offers_months_categories_and_exports(refreshed: World) -> None:
    client = login_verified(Client(), refreshed.persona(Role.STATION_CHIEF))
    page = client.get(reverse("incidents:map"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "vendor/leaflet/leaflet.js" in body
    assert 'id="month-slider"' in body
    assert "2026-03" in body
    assert "map-config" in body
    # No external tiles by default: the map's config has none.
    config = json.loads(body.split('id="map-config" type="application/json">')[1].split("<")[0])
    assert config["tiles"] == ""
    assert config["months"] == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]


def test_the_map_data_holds_every_cell_with_its_level_and_the_boundaries(
    refreshed: World,
) -> None:
    client = login_verified(Client(), refreshed.persona(Role.STATION_CHIEF))
    s1 = refreshed.units["S1"]
    data = client.get(reverse("incidents:map_data"), {"unit": s1.pk, "month": "2026-03"}).json()
    cells = data["cells"]["features"]
    assert len(cells) == refresh.boundary_cells(s1.boundary, 9).size
    assert sum(f["properties"]["count"] for f in cells) == 24
    assert {f["properties"]["level"] for f in cells} <= {"green", "yellow", "red"}
    assert cells[0]["geometry"]["type"] == "Polygon"
    assert len(cells[0]["geometry"]["coordinates"][0]) == 7  # a hexagon, closed
    assert data["boundaries"]["features"]


def test_bad_choices_are_field_errors_not_failures(refreshed: World) -> None:
    client = login_verified(Client(), refreshed.persona(Role.STATION_CHIEF))
    for params in (
        {"month": "March"},
        {"month": "1999-01"},
        {"unit": "abc"},
        {"unit": refreshed.units["S3"].pk},
        {"resolution": "42"},
        {"category": "nope"},
    ):
        response = client.get(reverse("incidents:map"), params)
        assert response.status_code == 200, params
    body = client.get(reverse("incidents:map"), {"month": "March"}).content.decode()
    assert "YYYY-MM" in body
    # A category added after the last refresh has no map yet: said, not a failure.
    IncidentCategory.objects.create(code="new_kind", name="新类别", order=99)
    fresh = client.get(reverse("incidents:map"), {"category": "new_kind"})
    assert fresh.status_code == 200
    assert "No map yet" in fresh.content.decode()


def test_exports_are_audited_and_hold_every_cell(refreshed: World) -> None:
    client = login_verified(Client(), refreshed.persona(Role.ANALYST))
    s1 = refreshed.units["S1"]
    params = {"unit": s1.pk, "month": "2026-03"}
    response = client.get(reverse("incidents:map_csv"), params)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["cell", "resolution", "month"]
    assert len(rows) - 1 == refresh.boundary_cells(s1.boundary, 9).size
    assert sum(int(r[4]) for r in rows[1:]) == 24
    geo = client.get(reverse("incidents:map_geojson"), params)
    assert json.loads(geo.content)["type"] == "FeatureCollection"
    events = AuditEvent.objects.filter(action="incident.map_export")
    assert sorted(json.loads(e.details)["format"] for e in events) == ["csv", "geojson"]


def test_the_png_export_is_audited_before_the_browser_saves_it(refreshed: World) -> None:
    client = login_verified(Client(), refreshed.persona(Role.ANALYST))
    s1 = refreshed.units["S1"]
    traffic = IncidentCategory.objects.get(code="traffic")
    page = client.get(
        reverse("incidents:hotspots"), {"unit": s1.pk, "month": "2026-02", "category": "traffic"}
    ).content.decode()
    # The page's export form carries the map it shows and its layer.
    form = page.split('id="export-png-form"')[1].split("</form>")[0]
    for field in (
        f'name="unit" value="{s1.pk}"',
        'name="month" value="2026-02"',
        'name="category" value="traffic"',
        'name="resolution" value="9"',
        'name="layer" value="hotspots"',
        "csrfmiddlewaretoken",
    ):
        assert field in form
    url = reverse("incidents:map_png_audit")
    posted = {"unit": s1.pk, "month": "2026-02", "category": "traffic", "resolution": 9}
    answer = client.post(url, {**posted, "layer": "hotspots"})
    assert answer.status_code == 201
    assert answer.json() == {"filename": f"incident-hotspots-{s1.code}-2026-02-traffic-r9.png"}
    event = AuditEvent.objects.get(action="incident.map_export")
    assert json.loads(event.details) == {
        "format": "png",
        "layer": "hotspots",
        "unit": s1.code,
        "resolution": 9,
        "month": "2026-02",
        "category": traffic.code,
        "cells": refresh.boundary_cells(s1.boundary, 9).size,
        "channel": json.loads(event.details)["channel"],
    }
    assert event.unit_path == s1.path
    # A layer, month or unit that is not offered: 404, nothing recorded; GET is refused.
    for bad in (
        {**posted, "layer": "satellite"},
        {**posted, "layer": "levels", "month": "1999-01"},
        {**posted, "layer": "levels", "unit": refreshed.units["S3"].pk},
    ):
        assert client.post(url, bad).status_code == 404
    assert client.get(url, {**posted, "layer": "levels"}).status_code == 405
    assert AuditEvent.objects.filter(action="incident.map_export").count() == 1


def test_the_hot_spot_page_lists_the_cluster_and_says_when_data_is_too_thin(
    refreshed: World,
) -> None:
    import h3.api.basic_int as h3int

    client = login_verified(Client(), refreshed.persona(Role.STATION_CHIEF))
    s1 = refreshed.units["S1"]
    body = client.get(
        reverse("incidents:hotspots"), {"unit": s1.pk, "month": "2026-03"}
    ).content.decode()
    assert h3int.int_to_str(CENTRE) in body
    assert "Hot spot, " in body
    coarse = client.get(
        reverse("incidents:hotspots"), {"unit": s1.pk, "resolution": 8}
    ).content.decode()
    assert 'id="not-enough-data"' in coarse
    assert "at least 30 cells" in coarse


def test_the_emerging_page_shows_patterns_or_the_reason(refreshed: World) -> None:
    client = login_verified(Client(), refreshed.persona(Role.STATION_CHIEF))
    response = client.get(reverse("incidents:emerging"), {"unit": refreshed.units["S1"].pk})
    body = response.content.decode()
    assert response.status_code == 200
    assert "How the patterns are found" in body
    assert "New hot spot" in body  # the legend


def test_refresh_now_needs_the_change_right(refreshed: World) -> None:
    officer = login_verified(Client(), refreshed.persona(Role.OFFICER))
    assert officer.post(reverse("incidents:map_refresh")).status_code == 403
    chief = login_verified(Client(), refreshed.persona(Role.STATION_CHIEF))
    before = MapRun.objects.count()
    response = chief.post(reverse("incidents:map_refresh"))
    assert response.status_code == 302
    assert MapRun.objects.count() == before + 1
    assert MapRun.objects.first().unit == refreshed.units["S1"]
