"""The care figures against a hand-counted register: recipients by category, visits on
time ÷ due, overdue visits now."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from liuqing.care import kpis
from liuqing.care.models import Recipient
from liuqing.care.testing import grant, register
from liuqing.casework.testing import root_staff
from liuqing.core import figures
from liuqing.core.models import Role
from liuqing.core.testing import World
from liuqing.visits import services as visit_services

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def test_the_care_figures_by_hand(world: World) -> None:
    u = world.units
    a = register(u["S1"], category="elderly_alone")
    b = register(u["C1"], category="elderly_alone")
    register(u["S1"], category="low_income")
    register(u["S3"], category="low_income")  # another brigade: outside S1's figures
    # Registered in January (the register's own clock says today).
    Recipient.objects.update(registered_at=at("2026-01-10T09:00"))
    boss = root_staff(u["S1"])
    # a: weekly from Mon 2 Feb; February's due periods end 8, 15, 22 Feb (1 Mar is outside):
    # visits on 3 and 4 Feb (once) and 20 Feb → 2 of 3.
    plan_a = visit_services.schedule_visits(
        actor=boss,
        target_kind="care_recipient",
        target_id=a.pk,
        cadence="weekly",
        responsible=boss,
        starts_on=dt.date(2026, 2, 2),
    )
    for day in (dt.date(2026, 2, 3), dt.date(2026, 2, 4), dt.date(2026, 2, 20)):
        visit_services.record_visit(
            actor=boss, plan=plan_a, visited_on=day, visitors=[boss], summary="送药"
        )
    # b: monthly from 15 Jan; February's period ends 28 Feb → due, no visit → 0 of 1.
    visit_services.schedule_visits(
        actor=boss,
        target_kind="care_recipient",
        target_id=b.pk,
        cadence="monthly",
        responsible=boss,
        starts_on=dt.date(2026, 1, 15),
    )
    chief = grant(world.persona(Role.STATION_CHIEF))
    readings = {
        r.key: r.value
        for r in kpis.compute(
            chief, u["S1"], at("2026-02-01T00:00"), at("2026-03-01T00:00"), at("2026-03-10T12:00")
        )
    }
    assert readings["recipients.elderly_alone"] == 2
    assert readings["recipients.low_income"] == 1
    assert readings["recipients.disability"] == 0
    assert (readings["visits_on_time"].numerator, readings["visits_on_time"].denominator) == (2, 4)
    # As of 10 March: a is due by 1 March (overdue); b by 31 January (overdue).
    assert readings["visits_overdue"] == 2
    section = figures.section("care")
    assert section in figures.sections_for(chief)
    assert section not in figures.sections_for(world.persona(Role.OFFICER))  # no grant
