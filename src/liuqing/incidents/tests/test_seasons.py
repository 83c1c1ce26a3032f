"""Tourist seasons per unit and scenic place: the fallback chain, validation, rights and
audit, the seasonal view and API using each place's own months, the page and the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from liuqing.analytics import periods
from liuqing.casework.testing import root_staff
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import AuditEvent, Member, Place, PlaceKind, Role
from liuqing.core.testing import World, login_verified
from liuqing.incidents import kpis, refresh, seasons
from liuqing.incidents.models_maps import TouristSeason
from liuqing.incidents.testing import LAT, LNG, record_incidents
from liuqing.incidents.tests.test_api import bearer

pytestmark = pytest.mark.django_db
MARCH = periods.month(2026, 3, refresh.local_tz())
API = "/api/v1/incidents/trends/seasons"


def scenic(world: World, name: str = "天池景区", unit: str = "S1") -> Place:
    return Place.objects.create(
        unit=world.units[unit], name=name, kind=PlaceKind.SCENIC, latitude=LAT, longitude=LNG
    )


@pytest.fixture
def chief(mapped: World) -> Member:
    return mapped.persona(Role.STATION_CHIEF)


def test_a_place_falls_back_to_its_unit_then_above_then_the_default(
    mapped: World, chief: Member
) -> None:
    s1, lake = mapped.units["S1"], scenic(mapped)
    boss = root_staff(mapped.units["D"])

    def state() -> tuple[tuple[int, ...], str, tuple[int, ...], str, str]:
        unit_season, places = seasons.seasons_for(s1, [lake])
        place = places[lake.pk]
        source_unit = place.from_unit.code if place.from_unit else ""
        return unit_season.months, unit_season.source, place.months, place.source, source_unit

    assert state() == ((6, 7, 8), "global", (6, 7, 8), "global", "")
    with override_settings(INCIDENTS_TOURIST_MONTHS=(7, 8)):
        assert state()[0] == (7, 8)
    seasons.set_season(actor=boss, unit=mapped.units["D"], months=[5, 6, 7, 8, 9, 10])
    d = mapped.units["D"].code
    assert state() == ((5, 6, 7, 8, 9, 10), "inherited", (5, 6, 7, 8, 9, 10), "inherited", d)
    seasons.set_season(actor=chief, unit=s1, months=["7", "8"])
    assert state() == ((7, 8), "own", (7, 8), "inherited", s1.code)
    seasons.set_season(actor=chief, unit=s1, place=lake, months=[12, 1, 2])
    assert state() == ((7, 8), "own", (1, 2, 12), "own", "")
    seasons.clear_season(actor=chief, unit=s1, place=lake)
    seasons.clear_season(actor=chief, unit=s1)
    assert state()[2:] == ((5, 6, 7, 8, 9, 10), "inherited", d)


@pytest.mark.parametrize(
    "months",
    [[], [0], [13], ["x"], [None], list(range(1, 13))],
    ids=["none", "zero", "thirteen", "text", "null", "all-twelve"],
)
def test_bad_months_are_a_field_error_and_nothing_is_written(
    mapped: World, chief: Member, months: list[object]
) -> None:
    with pytest.raises(ValidationError) as exc:
        seasons.set_season(actor=chief, unit=mapped.units["S1"], months=months)
    assert list(exc.value.message_dict) == ["months"]
    assert not TouristSeason.objects.exists()
    assert not AuditEvent.objects.filter(action="incident.season_set").exists()


def test_only_a_scenic_place_in_the_jurisdiction_and_the_right_roles(
    mapped: World, chief: Member
) -> None:
    s1 = mapped.units["S1"]
    market = Place.objects.create(
        unit=s1, name="大巴扎", kind=PlaceKind.MARKET, latitude=LAT, longitude=LNG
    )
    with pytest.raises(ValidationError) as exc:
        seasons.set_season(actor=chief, unit=s1, place=market, months=[7])
    assert "place" in exc.value.message_dict
    with pytest.raises(NotFound):
        seasons.set_season(actor=chief, unit=mapped.units["S3"], months=[7])
    with pytest.raises(NotFound):  # a place given with another unit than its own
        seasons.set_season(actor=chief, unit=mapped.units["C1"], place=scenic(mapped), months=[7])
    with pytest.raises(AccessDenied):
        seasons.set_season(actor=mapped.persona(Role.OFFICER), unit=s1, months=[7])
    assert not TouristSeason.objects.exists()


def test_setting_and_clearing_are_audited(mapped: World, chief: Member) -> None:
    s1, lake = mapped.units["S1"], scenic(mapped)
    seasons.set_season(actor=chief, unit=s1, place=lake, months=[8, 7, 7])
    seasons.set_season(actor=chief, unit=s1, place=lake, months=[7, 8])  # no change: no event
    seasons.set_season(actor=chief, unit=s1, place=lake, months=[7, 8, 9])
    events = AuditEvent.objects.filter(action="incident.season_set").order_by("seq")
    assert [json.loads(e.details)["months"] for e in events] == [["", "7,8"], ["7,8", "7,8,9"]]
    assert {e.unit_path for e in events} == {s1.path}
    seasons.clear_season(actor=chief, unit=s1, place=lake)
    cleared = AuditEvent.objects.get(action="incident.season_clear")
    assert json.loads(cleared.details) == {
        "place": lake.pk,
        "months": "7,8,9",
        "channel": json.loads(cleared.details)["channel"],
    }
    assert not TouristSeason.objects.exists()


def test_the_seasonal_view_uses_each_places_own_months(mapped: World, chief: Member) -> None:
    s1, lake = mapped.units["S1"], scenic(mapped)
    # Winter at the lake: 6 incidents in January 2026, 2 in July 2025.
    record_incidents(s1, [(LAT, LNG, "traffic", "2026-01-10 10:00")] * 6)
    record_incidents(s1, [(LAT, LNG, "traffic", "2025-07-10 10:00")] * 2)

    def row(label: str) -> kpis.SeasonRow:
        return next(r for r in kpis.seasonal_rows(chief, s1, MARCH) if r.label == label)

    assert (row("天池景区").comparison.in_count, row("天池景区").months) == (2, [6, 7, 8])
    seasons.set_season(actor=chief, unit=s1, place=lake, months=[12, 1, 2])
    place, unit = row("天池景区"), row(s1.name)
    assert (place.months, place.season.source if place.season else "") == ([1, 2, 12], "own")
    assert (place.comparison.in_count, place.comparison.out_count) == (6, 2)
    assert (unit.months, unit.comparison.in_count) == ([6, 7, 8], 2)  # the unit's: default
    body = (
        Client()
        .get(
            "/api/v1/incidents/trends/monthly", {"unit": s1.pk, "month": "2026-03"}, **bearer(chief)
        )
        .json()
    )
    lake_row = next(r for r in body["seasonal"] if r["label"] == "天池景区")
    assert (lake_row["months"], lake_row["season_source"], lake_row["in_season"]) == (
        [1, 2, 12],
        "own",
        6,
    )
    assert body["tourist_months"] == [6, 7, 8]


def test_the_page_sets_clears_and_shows_errors_on_the_row(mapped: World, chief: Member) -> None:
    s1, lake = mapped.units["S1"], scenic(mapped)
    client = login_verified(Client(), chief)
    url = reverse("incidents:seasons")
    page = client.get(url).content.decode()
    assert f'id="place-{lake.pk}"' in page
    assert 'name="months" value="12"' in page
    saved = client.post(
        url, {"unit": s1.pk, "place": lake.pk, "action": "set", "months": ["1", "2"]}
    )
    assert saved.status_code == 302
    assert TouristSeason.objects.get(place=lake).months == "1,2"
    refused = client.post(url, {"unit": s1.pk, "place": lake.pk, "action": "set"})
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "Choose at least one month." in body.split(f'id="place-{lake.pk}"')[1]
    assert TouristSeason.objects.get(place=lake).months == "1,2"
    assert client.post(url, {"unit": s1.pk, "place": lake.pk, "action": "clear"}).status_code == 302
    assert not TouristSeason.objects.exists()
    outside = client.post(url, {"unit": mapped.units["S3"].pk, "action": "set", "months": ["7"]})
    assert outside.status_code == 404
    officer = login_verified(Client(), mapped.persona(Role.OFFICER))
    assert 'name="months"' not in officer.get(url).content.decode()
    assert officer.post(url, {"unit": s1.pk, "months": ["7"]}).status_code == 403


def test_the_api_lists_sets_and_clears(mapped: World, chief: Member) -> None:
    s1, lake = mapped.units["S1"], scenic(mapped)
    headers = bearer(chief)

    def put(body: dict[str, object]) -> Any:
        return Client().put(API, json.dumps(body), content_type="application/json", **headers)

    listed = Client().get(API, **headers).json()
    assert listed["default_months"] == [6, 7, 8]
    assert [(s["place_id"], s["source"]) for s in listed["seasons"]] == [
        (None, "global"),
        (lake.pk, "global"),
    ]
    done = put({"place": lake.pk, "months": [11, 12]})
    assert done.status_code == 200, done.content
    assert (done.json()["months"], done.json()["source"]) == ([11, 12], "own")
    unit_done = put({"unit": s1.pk, "months": [7]}).json()
    assert unit_done["source"] == "own"
    bad = put({"unit": s1.pk, "months": [0]})
    assert bad.status_code == 422
    assert put({"unit": s1.pk, "place": lake.pk, "months": [7]}).status_code == 422
    assert put({"unit": mapped.units["S3"].pk, "months": [7]}).status_code == 422
    cleared = put({"place": lake.pk, "months": None}).json()
    assert (cleared["months"], cleared["source"], cleared["from_unit_id"]) == (
        [7],
        "inherited",
        s1.pk,
    )
    officer = bearer(mapped.persona(Role.OFFICER))
    assert Client().get(API, **officer).status_code == 200
    refused = Client().put(
        API, json.dumps({"unit": s1.pk, "months": [8]}), content_type="application/json", **officer
    )
    assert refused.status_code == 403
