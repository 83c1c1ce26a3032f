"""The liaison figures against a hand-counted fixture."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from liuqing.casework.models import Case
from liuqing.casework.testing import root_staff
from liuqing.core.models import Role
from liuqing.core.testing import World
from liuqing.liaison import kpis, services
from liuqing.liaison.models import Organisation
from liuqing.liaison.testing import assign, organisation, problem
from liuqing.visits import services as visit_services

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def test_the_liaison_figures_by_hand(world: World) -> None:
    u = world.units
    officer = world.persona(Role.OFFICER)
    a = organisation(u["S1"], name="甲厂")
    b = organisation(u["C1"], name="乙校", kind="school")
    organisation(u["S1"], name="丙市场", kind="market")  # never assigned
    organisation(u["S3"], name="外单位")  # outside S1
    Organisation.objects.update(created_at=at("2025-12-01T09:00"))
    assign(a, officer, starts_on=dt.date(2026, 1, 1))
    assign(b, officer, role="school", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 1, 15))
    # Coverage on 31 January: a only → 1 of 3.
    solved = problem(a, savings="1200.00")
    open_one = problem(a, savings="800.00")
    withdrawn = problem(b, savings="50.00")
    Case.objects.filter(pk__in=[solved.case_id, open_one.case_id, withdrawn.case_id]).update(
        received_at=at("2026-01-10T10:00")
    )
    boss = root_staff(u["S1"])
    # Closed on 20 January (the workflow itself is casework's, tested there).
    Case.objects.filter(pk=solved.case_id).update(status="closed", closed_at=at("2026-01-20T10:00"))
    Case.objects.filter(pk=withdrawn.case_id).update(status="withdrawn")
    # Monthly visits to a from 1 January: January's period ends 31 January → due, visited.
    plan = services.plan_monthly_visits(actor=boss, organisation=a, starts_on="2026-01-01")
    visit_services.record_visit(
        actor=boss, plan=plan, visited_on=dt.date(2026, 1, 12), visitors=[officer], summary="走访"
    )
    readings = {
        r.key: r.value
        for r in kpis.compute(
            world.persona(Role.STATION_CHIEF),
            u["S1"],
            at("2026-01-01T00:00"),
            at("2026-02-01T00:00"),
            at("2026-02-10T00:00"),
        )
    }
    assert (readings["coverage"].numerator, readings["coverage"].denominator) == (1, 3)
    assert (readings["visits_on_time"].numerator, readings["visits_on_time"].denominator) == (1, 1)
    assert readings["problems_raised"] == 2
    assert readings["problems_solved"] == 1
    assert (readings["solve_rate"].numerator, readings["solve_rate"].denominator) == (1, 2)
    assert readings["savings"] == Decimal("1200.00")
    assert timezone.is_aware(at("2026-01-01T00:00"))
