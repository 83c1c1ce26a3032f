"""Alerts aimed at places: a place with a boundary stands for its boundary (a CAP polygon, and
the villages inside it are reached), one without stands for the circle of the alert's place
radius around it (default PARTNERS_PLACE_RADIUS_KM); both in the CAP <area> and in who
receives the alert."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from lxml import etree

from liuqing.core.testing import World
from liuqing.notify.models import Delivery
from liuqing.partners import cap, geo, services
from liuqing.partners.testing import issued_alert, make_group, make_partner, make_place

pytestmark = pytest.mark.django_db
NS = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}

# A square of about 4.4 km around (43.90, 81.30), in GeoJSON's lon,lat order, not closed
# by the author (the conversion closes it).
SQUARE = {
    "type": "Feature",
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[81.27, 43.88], [81.33, 43.88], [81.33, 43.92], [81.27, 43.92], [81.27, 43.88]],
            [[81.29, 43.89], [81.31, 43.89], [81.31, 43.91], [81.29, 43.89]],  # a hole
        ],
    },
}


def recipients_of(alert: Any) -> set[str]:
    return set(
        Delivery.objects.filter(topic=alert.topic, channel="inapp").values_list(
            "recipient", flat=True
        )
    )


def areas(alert: Any) -> tuple[list[str], list[str]]:
    root = etree.fromstring(alert.versions.get().xml.encode())
    # One <area> per info block (language); the same in each.
    return (
        sorted(set(root.xpath("//c:area/c:polygon/text()", namespaces=NS))),
        sorted(set(root.xpath("//c:area/c:circle/text()", namespaces=NS))),
    )


def test_a_place_with_a_boundary_targets_its_boundary(world: World) -> None:
    unit = world.units["S1"]
    township = make_place(unit, "幸福乡", lat=43.90, lon=81.30)
    township.boundary = json.dumps(SQUARE)
    township.save()
    inside = make_place(unit, "东村", lat=43.915, lon=81.325)
    outside = make_place(unit, "远村", lat=43.95, lon=81.30)  # 5.6 km north, outside
    group = make_group(unit)
    at_township = make_partner(group, place=township)
    in_village = make_partner(group, place=inside)
    far = make_partner(group, place=outside)

    alert = issued_alert(unit, places=[township], place_radius_km=20)
    # The 20 km radius is not used: the village 5.6 km away is outside the boundary.
    assert recipients_of(alert) == {at_township.recipient, in_village.recipient}
    assert far.recipient not in recipients_of(alert)
    polygons, circles = areas(alert)
    assert circles == []  # the boundary, not the radius
    (polygon,) = polygons
    points = geo.parse_polygon(polygon)  # closed, lat,lon, within the globe
    assert points[0] == (43.88, 81.27)
    assert (43.92, 81.33) in points
    assert len(points) == 5  # the outer ring only
    assert cap.validate(alert.versions.get().xml.encode()) == []


def test_a_village_in_a_hole_of_the_boundary_is_not_inside(world: World) -> None:
    unit = world.units["S1"]
    township = make_place(unit, "幸福乡", lat=43.905, lon=81.28)
    township.boundary = json.dumps(SQUARE)
    township.save()
    enclave = make_place(unit, "飞地村", lat=43.895, lon=81.305)  # in the triangular hole
    beside = make_place(unit, "旁村", lat=43.905, lon=81.295)  # in the square, not the hole
    group = make_group(unit)
    in_hole = make_partner(group, place=enclave)
    in_ring = make_partner(group, place=beside)

    alert = issued_alert(unit, places=[township])
    assert in_ring.recipient in recipients_of(alert)
    assert in_hole.recipient not in recipients_of(alert)
    # CAP polygons cannot carry holes: the message has the outer ring only.
    (polygon,) = areas(alert)[0]
    assert len(geo.parse_polygon(polygon)) == 5
    assert cap.validate(alert.versions.get().xml.encode()) == []
    # The alert's own polygon has no holes: the enclave is inside it.
    square = "43.88,81.27 43.88,81.33 43.92,81.33 43.92,81.27 43.88,81.27"
    assert in_hole.recipient in recipients_of(issued_alert(unit, polygon=square))


def test_shapes_keep_holes_and_drop_unreadable_ones() -> None:
    (shape,) = geo.boundary_shapes(json.dumps(SQUARE))
    assert len(shape.outer) == 5
    (hole,) = shape.holes
    assert hole[0] == hole[-1] == (43.89, 81.29)
    assert shape.contains(43.915, 81.325)
    assert not shape.contains(43.895, 81.305)
    assert not shape.contains(43.95, 81.30)
    broken = json.loads(json.dumps(SQUARE["geometry"]))
    broken["coordinates"][1] = [[81.29, 43.89], ["x"]]
    (shape,) = geo.boundary_shapes(json.dumps(broken))
    assert shape.holes == ()
    assert shape.contains(43.895, 81.305)


def test_a_place_without_a_boundary_targets_the_alerts_radius(world: World) -> None:
    unit = world.units["S1"]
    centre = make_place(unit, "中心村", lat=43.90, lon=81.30)
    three_km = make_place(unit, "三公里村", lat=43.927, lon=81.30)
    seven_km = make_place(unit, "七公里村", lat=43.963, lon=81.30)
    group = make_group(unit)
    near, far = make_partner(group, place=three_km), make_partner(group, place=seven_km)
    home = make_partner(group, place=centre)

    wide = issued_alert(unit, places=[centre], place_radius_km=5)
    assert recipients_of(wide) == {home.recipient, near.recipient}
    polygons, circles = areas(wide)
    assert polygons == []
    assert circles == ["43.900000,81.300000 5"]
    assert cap.validate(wide.versions.get().xml.encode()) == []

    wider = issued_alert(unit, places=[centre], place_radius_km=10)
    assert recipients_of(wider) == {home.recipient, near.recipient, far.recipient}


def test_the_default_place_radius_comes_from_the_setting(world: World, settings: Any) -> None:
    settings.PARTNERS_PLACE_RADIUS_KM = 1
    unit = world.units["S1"]
    centre = make_place(unit, "中心村", lat=43.90, lon=81.30)
    three_km = make_place(unit, "三公里村", lat=43.927, lon=81.30)
    group = make_group(unit)
    near = make_partner(group, place=three_km)
    alert = issued_alert(unit, places=[centre])
    assert alert.place_radius_km is None
    assert recipients_of(alert) == set()
    assert areas(alert)[1] == ["43.900000,81.300000 1"]
    settings.PARTNERS_PLACE_RADIUS_KM = 4
    assert recipients_of(issued_alert(unit, places=[centre])) == {near.recipient}


@pytest.mark.parametrize("radius", [0, -1, 51, float("nan")])
def test_a_bad_place_radius_is_a_field_error(world: World, radius: float) -> None:
    from liuqing.partners.models import Alert
    from liuqing.partners.testing import alert_input, chief_of

    unit = world.units["S1"]
    place = make_place(unit)
    with pytest.raises(ValidationError) as caught:
        services.save_alert(
            actor=chief_of(unit),
            unit=unit,
            data=alert_input(places=[place], place_radius_km=radius),
        )
    assert "place_radius_km" in caught.value.message_dict
    assert not Alert.objects.exists()


def test_boundaries_that_are_not_polygons_give_none() -> None:
    assert geo.boundary_polygons("") == []
    assert geo.boundary_polygons("{not json") == []
    assert geo.boundary_polygons(json.dumps({"type": "Point", "coordinates": [81, 43]})) == []
    ring = [[81.0 + i / 1000, 43.0 + (i % 2) / 1000] for i in range(1200)]
    many = geo.boundary_polygons(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    (points,) = many
    assert len(points) <= geo.MAX_POINTS
    assert points[0] == points[-1]
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[81.0, 43.0], [81.1, 43.0], [81.1, 43.1], [81.0, 43.0]]],
            [[[82.0, 44.0], [82.1, 44.0], [82.1, 44.1], [82.0, 44.0]]],
        ],
    }
    assert len(geo.boundary_polygons(json.dumps(multi))) == 2


def test_the_place_radius_through_the_api_and_the_form(world: World) -> None:
    from django.test import Client

    from liuqing.core.models import Role
    from liuqing.core.testing import login_verified
    from liuqing.partners.models import Alert
    from liuqing.partners.tests.test_api import alert_body, call

    chief, unit = world.persona(Role.STATION_CHIEF), world.units["S1"]
    place = make_place(unit)
    body = alert_body(unit.pk, places=[place.pk], circle="", scope="Restricted")
    refused = call(chief, "post", "/alerts", {**body, "place_radius_km": 999})
    assert refused.status_code == 422
    assert "place_radius_km" in refused.json()["error"]["fields"]
    assert not Alert.objects.exists()
    created = call(chief, "post", "/alerts", {**body, "place_radius_km": 3.5})
    assert created.status_code == 201
    assert created.json()["place_radius_km"] == 3.5

    client = login_verified(Client(), chief)
    alert = Alert.objects.get()
    page = client.get(f"/partners/alerts/{alert.pk}/edit/")
    assert b'name="place_radius_km"' in page.content
    assert b'value="3.5"' in page.content
