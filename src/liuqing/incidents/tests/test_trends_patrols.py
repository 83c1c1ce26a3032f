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
from liuqing.core.testing import World, login_verified
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
    fire = next(r for r in by_category if r.label == "火灾")
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


def test_the_plan_is_proposed_by_risk_and_edited(hot: World) -> None:
    s1 = hot.units["S1"]
    chief = hot.persona(Role.STATION_CHIEF)
    plan = patrols.propose_plan(actor=chief, unit=s1, week=WEEK + dt.timedelta(days=2), hours="40")
    assert plan.week == WEEK
    hours = {a.mode: a.hours for a in plan.allocations.all()}
    assert hours == {"car": Decimal("16.0"), "foot": Decimal("16.0"), "video": Decimal("8.0")}
    car = plan.allocations.get(mode="car")
    patrols.edit_plan(actor=chief, plan=plan, hours={car.pk: "20"})
    plan.refresh_from_db()
    assert plan.hours == Decimal("44.0")
    with pytest.raises(ValidationError):
        patrols.edit_plan(actor=chief, plan=plan, hours={car.pk: "-1"})
    with pytest.raises(ValidationError):
        patrols.propose_plan(actor=chief, unit=s1, week=WEEK, hours="1.3")
    assert AuditEvent.objects.filter(action__startswith="patrol.plan").count() == 2


def test_the_patrol_pages(hot: World) -> None:
    s1 = hot.units["S1"]
    client = login_verified(Client(), hot.persona(Role.STATION_CHIEF))
    response = client.post(
        reverse("incidents:patrols"),
        {"action": "propose", "unit": s1.pk, "week": WEEK.isoformat(), "hours": "20"},
    )
    assert response.status_code == 302
    plan = PatrolPlan.objects.get()
    page = client.get(response["Location"])
    assert 'name="alloc-' in page.content.decode()
    video = plan.allocations.get(mode="video")
    saved = client.post(response["Location"], {"action": "save", f"alloc-{video.pk}": "6"})
    assert saved.status_code == 302
    video.refresh_from_db()
    assert video.hours == Decimal("6.0")
    bad = client.post(
        reverse("incidents:patrols"),
        {"action": "propose", "unit": s1.pk, "week": "soon", "hours": "x"},
    )
    assert bad.status_code == 200
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
