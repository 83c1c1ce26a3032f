"""Trends (同比 / 环比 with the Poisson note, the tourist season), the dashboard figures, and
patrols (proposal, edit, logs, coverage 见警率), each against a hand count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import h3.api.basic_int as h3int
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liuqing.analytics import periods
from liuqing.analytics.rates import Rate
from liuqing.core import figures
from liuqing.core.models import AuditEvent, Place, PlaceKind, Role
from liuqing.core.testing import World, login_verified, make_member
from liuqing.incidents import kpis, patrols, refresh
from liuqing.incidents.models import PatrolLog, PatrolPlan
from liuqing.incidents.testing import LAT, LNG, record_incidents
from liuqing.incidents.tests.test_refresh import CLUSTER, MONTH, _scatter

pytestmark = pytest.mark.django_db

TZ = refresh.local_tz()
MARCH = periods.month(2026, 3, TZ)


def test_three_to_one_is_a_drop_without_significance(mapped: World) -> None:
    s1 = mapped.units["S1"]
    record_incidents(s1, [(LAT, LNG, "fire", "2025-03-10 10:00")] * 3)
    record_incidents(s1, [(LAT, LNG, "fire", "2026-03-10 10:00")])
    record_incidents(s1, [(LAT, LNG, "fire", "2026-02-10 10:00")] * 2)
    chief = mapped.persona(Role.STATION_CHIEF)
    by_category, _by_unit = kpis.trend_rows(chief, s1, MARCH)
    fire = next(r for r in by_category if r.label == "Fire")  # in the reader's language
    assert (fire.now, fire.yoy.before, fire.mom.before) == (1, 3, 2)
    assert fire.yoy_change == "-66.7%"
    assert fire.yoy_note == "too few incidents to say"
    assert fire.mom_change == "-50.0%"
    total = by_category[-1]
    assert total.now == 1


def test_the_trends_page_shows_the_note_and_the_season(mapped: World) -> None:
    s1 = mapped.units["S1"]
    Place.objects.create(
        unit=s1, name="天池景区", kind=PlaceKind.SCENIC, latitude=LAT, longitude=LNG
    )
    record_incidents(s1, [(LAT, LNG, "traffic", "2025-07-10 10:00")] * 9)
    record_incidents(s1, [(LAT, LNG, "traffic", "2025-11-10 10:00")] * 2)
    client = login_verified(Client(), mapped.persona(Role.STATION_CHIEF))
    body = client.get(reverse("incidents:trends"), {"month": "2026-03"}).content.decode()
    assert "天池景区" in body
    assert "Tourist season" in body
    rows = kpis.seasonal_rows(mapped.persona(Role.STATION_CHIEF), s1, MARCH)
    place = next(r for r in rows if r.label == "天池景区")
    assert (place.comparison.in_count, place.comparison.out_count) == (9, 2)
    assert place.note == "significant change"
    bad = client.get(reverse("incidents:trends"), {"month": "13/2026"})
    assert bad.status_code == 200
    assert "YYYY-MM" in bad.content.decode()


def test_the_incident_figures_count_by_category(mapped: World) -> None:
    s1 = mapped.units["S1"]
    record_incidents(
        s1,
        [(LAT, LNG, "traffic", "2026-03-02 10:00")] * 2
        + [(LAT, LNG, "dispute", "2026-03-03 10:00")]
        + [(LAT, LNG, "dispute", "2026-04-03 10:00")],
    )
    chief = mapped.persona(Role.STATION_CHIEF)
    section = figures.section("incidents")
    assert section in figures.sections_for(chief)
    readings = {
        r.key: r.value for r in section.compute(chief, s1, MARCH.start, MARCH.end, timezone.now())
    }
    assert readings["incidents"] == 3
    assert readings["incidents.traffic"] == 2
    assert readings["incidents.dispute"] == 1
    assert readings["incidents.fire"] == 0
    assert section not in figures.sections_for(mapped.persona(Role.GRID_WORKER))


@pytest.fixture
def hot(mapped: World) -> World:
    record_incidents(mapped.units["S1"], _scatter(mapped))
    refresh.refresh_maps(root=mapped.units["D"], last_month=MONTH, months=6)
    return mapped


WEEK = dt.date(2026, 4, 6)  # a Monday; the last month ended before it is March


def test_coverage_is_hot_cells_patrolled_over_hot_cells(hot: World) -> None:
    s1 = hot.units["S1"]
    chief = hot.persona(Role.STATION_CHIEF)
    hot_cells = patrols.hot_cells(s1, WEEK)
    assert hot_cells.size >= 1
    assert set(hot_cells.tolist()) <= set(CLUSTER)
    officer = hot.persona(Role.OFFICER)
    first = h3int.int_to_str(int(hot_cells[0]))
    start = dt.datetime(2026, 4, 7, 9, tzinfo=TZ)
    patrols.log_patrol(
        actor=officer,
        unit=s1,
        officer=officer,
        mode="foot",
        started_at=start,
        ended_at=start + dt.timedelta(hours=2),
        cells=[first, first],
    )
    # The week before does not count.
    patrols.log_patrol(
        actor=officer,
        unit=s1,
        officer=officer,
        mode="car",
        started_at=start - dt.timedelta(days=7),
        ended_at=start - dt.timedelta(days=7) + dt.timedelta(hours=1),
        cells=[h3int.int_to_str(int(c)) for c in hot_cells],
    )
    assert patrols.coverage(chief, s1, WEEK) == Rate(1, int(hot_cells.size))
    # A coarse cell covers the fine cells inside it.
    parent = h3int.int_to_str(h3int.cell_to_parent(int(hot_cells[-1]), 8))
    patrols.log_patrol(
        actor=officer,
        unit=s1,
        officer=officer,
        mode="video",
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        cells=[parent],
    )
    inside = sum(
        1 for c in hot_cells if h3int.cell_to_parent(int(c), 8) == h3int.str_to_int(parent)
    )
    covered = len(
        {int(hot_cells[0])}
        | {int(c) for c in hot_cells if h3int.cell_to_parent(int(c), 8) == h3int.str_to_int(parent)}
    )
    assert inside >= 1
    assert patrols.coverage(chief, s1, WEEK) == Rate(covered, int(hot_cells.size))
    # The figure pools the complete weeks of the period.
    section = figures.section("patrols")
    april = periods.days(dt.date(2026, 4, 6), dt.date(2026, 4, 12), TZ)
    reading = section.compute(chief, s1, april.start, april.end, timezone.now())[0]
    assert reading.value == Rate(covered, int(hot_cells.size))


def test_a_bad_patrol_log_is_refused_field_by_field(hot: World) -> None:
    s1 = hot.units["S1"]
    officer = hot.persona(Role.OFFICER)
    start = timezone.now() + dt.timedelta(days=2)
    with pytest.raises(ValidationError) as caught:
        patrols.log_patrol(
            actor=officer,
            unit=s1,
            officer=officer,
            mode="boat",
            started_at=start,
            ended_at=start - dt.timedelta(hours=1),
            cells=["not-a-cell"],
        )
    assert set(caught.value.message_dict) == {"mode", "ended_at", "started_at", "cells"}
    assert PatrolLog.objects.count() == 0
    with pytest.raises(patrols.AccessDenied):
        patrols.log_patrol(
            actor=hot.persona(Role.GRID_WORKER),
            unit=s1,
            officer=officer,
            mode="foot",
            started_at=start,
            ended_at=start,
            cells=[],
        )


def _lines(plan: PatrolPlan) -> list[tuple[int, str | None, str, Decimal]]:
    return [(a.unit_id, a.cell, a.mode, a.hours) for a in plan.allocations.all()]


def test_a_units_hours_go_to_modes_then_to_its_hot_cells_by_incidents(hot: World) -> None:
    s1 = hot.units["S1"]
    chief = hot.persona(Role.STATION_CHIEF)
    # S1's only child (C1) has no map, so the plan is S1's own hours.
    assert patrols.plan_units(s1) == [s1]
    plan = patrols.propose_plan(
        actor=chief, unit=s1, week=WEEK + dt.timedelta(days=2), hours={s1.pk: "40"}
    )
    assert plan.week == WEEK
    assert plan.hours == Decimal("40.0")
    hot_cells = {h3int.int_to_str(int(c)) for c in patrols.hot_cells(s1, WEEK)}
    lines = _lines(plan)
    assert {cell for _u, cell, _m, _h in lines} == hot_cells
    assert len(lines) == 3 * len(hot_cells)
    # 40 h → car 16, foot 16, video 8 (2/5, 2/5, 1/5), each split among the hot cells.
    by_mode: dict[str, Decimal] = {}
    for _u, _cell, mode, h in lines:
        by_mode[mode] = by_mode.get(mode, Decimal(0)) + h
        assert h * 2 == int(h * 2)
    assert by_mode == {"car": Decimal(16), "foot": Decimal(16), "video": Decimal(8)}
    # Each hot cell of the cluster had 3 incidents in March: equal risk shares.
    shares = {a.cell: a.risk for a in plan.allocations.filter(mode="car")}
    assert list(shares.values()) == pytest.approx([1 / len(hot_cells)] * len(hot_cells))


def test_the_mode_shares_come_from_the_settings(hot: World, settings: object) -> None:
    settings.INCIDENTS_PATROL_MODE_SHARES = {"car": "1/2", "foot": "1/2"}  # type: ignore[attr-defined]
    s1 = hot.units["S1"]
    plan = patrols.propose_plan(
        actor=hot.persona(Role.STATION_CHIEF), unit=s1, week=WEEK, hours={s1.pk: 7}
    )
    modes = {a.mode for a in plan.allocations.all()}
    assert modes == {"car", "foot"}
    assert sum(a.hours for a in plan.allocations.filter(mode="car")) == Decimal("3.5")


def test_a_brigade_plan_keeps_each_stations_own_hours(hot: World) -> None:
    u = hot.units
    staff = make_member(u["B1"], [Role.BRIGADE_STAFF], "b1_planner")
    # B1's stations with a map: S1 (with the hot cluster) and S2 (no incident at all).
    assert patrols.plan_units(u["B1"]) == [u["S1"], u["S2"]]
    plan = patrols.propose_plan(
        actor=staff, unit=u["B1"], week=WEEK, hours={u["S1"].pk: "10", u["S2"].pk: 5.5}
    )
    assert plan.hours == Decimal("15.5")
    lines = _lines(plan)
    s1 = [line for line in lines if line[0] == u["S1"].pk]
    s2 = [line for line in lines if line[0] == u["S2"].pk]
    assert sum(h for *_rest, h in s1) == Decimal(10)
    assert all(cell is not None for _u, cell, _m, _h in s1)
    # S2 has no hot cell: its 5.5 h stay at unit level. 11 halves by 2/5, 2/5, 1/5 → 4.4,
    # 4.4, 2.2 → 4, 4, 2 and the half left to car (the earlier of the two .4 remainders).
    assert sorted((m, h) for _u, cell, m, h in s2 if cell is None) == [
        ("car", Decimal("2.5")),
        ("foot", Decimal("2.0")),
        ("video", Decimal("1.0")),
    ]
    assert len(s2) == 3


def test_editing_takes_half_hours_like_proposing(hot: World) -> None:
    s1 = hot.units["S1"]
    chief = hot.persona(Role.STATION_CHIEF)
    plan = patrols.propose_plan(actor=chief, unit=s1, week=WEEK, hours={s1.pk: "40"})
    car = plan.allocations.filter(mode="car").first()
    assert car is not None
    before = car.hours
    patrols.edit_plan(actor=chief, plan=plan, hours={car.pk: before + Decimal(4)})
    plan.refresh_from_db()
    assert plan.hours == Decimal("44.0")
    for bad in ("-1", "1.3", "0.1", "x", "10000.5", "nan"):
        with pytest.raises(ValidationError) as caught:
            patrols.edit_plan(actor=chief, plan=plan, hours={car.pk: bad})
        assert set(caught.value.message_dict) == {f"alloc-{car.pk}"}, bad
    car.refresh_from_db()
    assert car.hours == before + 4
    assert AuditEvent.objects.filter(action__startswith="patrol.plan").count() == 2


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"S1": "-1"}, "between 0 and 10,000"),
        ({"S1": "10000.5"}, "between 0 and 10,000"),
        ({"S1": "12000"}, "between 0 and 10,000"),
        ({"S1": "forty"}, "number of hours"),
        ({"S1": ""}, "number of hours"),
        ({"S1": None}, "number of hours"),
        ({"S1": True}, "number of hours"),
        ({"S1": "inf"}, "number of hours"),
        ({"S1": "1.3"}, "half hours"),
        ({"S1": "8", "S2": "8"}, "not part of the plan"),
        ({}, "Give the officer-hours of"),
    ],
)
def test_bad_hours_are_a_field_error_writing_nothing(
    hot: World, given: dict[str, object], message: str
) -> None:
    u = hot.units
    hours = {u[key].pk: value for key, value in given.items()}
    with pytest.raises(ValidationError) as caught:
        patrols.propose_plan(
            actor=hot.persona(Role.STATION_CHIEF), unit=u["S1"], week=WEEK, hours=hours
        )
    errors = caught.value.message_dict
    field = f"hours-{u['S2'].pk}" if "S2" in given else f"hours-{u['S1'].pk}"
    assert set(errors) == {field}
    assert message in " ".join(errors[field])
    assert not PatrolPlan.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="patrol.plan").exists()


def test_more_than_an_officers_week_is_fine_for_a_unit(hot: World) -> None:
    s1 = hot.units["S1"]
    plan = patrols.propose_plan(
        actor=hot.persona(Role.STATION_CHIEF), unit=s1, week=WEEK, hours={s1.pk: "10000"}
    )
    assert plan.hours == Decimal("10000.0")
    assert sum(a.hours for a in plan.allocations.all()) == Decimal(10000)


def test_the_patrol_pages(hot: World) -> None:
    s1 = hot.units["S1"]
    client = login_verified(Client(), hot.persona(Role.STATION_CHIEF))
    url = f"{reverse('incidents:patrols')}?unit={s1.pk}&week={WEEK.isoformat()}"
    empty = client.get(url).content.decode()
    assert f'name="hours-{s1.pk}"' in empty
    form = {"action": "propose", "unit": s1.pk, "week": WEEK.isoformat()}
    bad = client.post(url, {**form, f"hours-{s1.pk}": "-3"})
    assert bad.status_code == 200
    assert f"hours-{s1.pk}" in bad.context["form"].errors
    assert not PatrolPlan.objects.exists()
    elsewhere = client.post(url, {**form, "unit": hot.units["S3"].pk, f"hours-{s1.pk}": "8"})
    assert elsewhere.status_code == 200
    assert not PatrolPlan.objects.exists()
    response = client.post(url, {**form, f"hours-{s1.pk}": "20"})
    assert response.status_code == 302
    plan = PatrolPlan.objects.get()
    assert plan.hours == Decimal("20.0")
    page = client.get(response["Location"]).content.decode()
    assert 'name="alloc-' in page
    video = plan.allocations.filter(mode="video").first()
    assert video is not None
    assert video.cell is not None
    assert video.cell in page
    refused = client.post(response["Location"], {"action": "save", f"alloc-{video.pk}": "0.2"})
    assert refused.status_code == 200
    assert "half hours" in refused.content.decode()
    saved = client.post(response["Location"], {"action": "save", f"alloc-{video.pk}": "6"})
    assert saved.status_code == 302
    video.refresh_from_db()
    assert video.hours == Decimal("6.0")
    officer = login_verified(Client(), hot.persona(Role.OFFICER))
    assert officer.post(reverse("incidents:patrols"), {"action": "propose"}).status_code == 403
    cell = h3int.int_to_str(CLUSTER[0])
    logged = officer.post(
        reverse("incidents:patrol_logs"),
        {
            "unit": s1.pk,
            "officer": hot.persona(Role.OFFICER).pk,
            "mode": "foot",
            "started_at": "2026-04-07T09:00",
            "ended_at": "2026-04-07T10:30",
            "cells": cell,
        },
    )
    assert logged.status_code == 302
    assert cell in PatrolLog.objects.get().cells
    listing = officer.get(reverse("incidents:patrol_logs")).content.decode()
    assert "2026-04-07 09:00" in listing
