"""Fixtures of the casework tests: the "test" workflow kind, people at the test station, and
a calendar pinned to weekends only (tests that need holidays pin their own)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from liuqing.casework.calendar import use_calendar
from liuqing.casework.models import Category
from liuqing.casework.testing import TEST_KIND, make_category, member_at, shanghai_calendar
from liuqing.core.models import Member, Role, Unit
from liuqing.core.testing import World


@pytest.fixture(autouse=True)
def national_calendar_rows(request: pytest.FixtureRequest) -> None:
    """The shipped calendar rows come from a data migration; a transactional test that ran
    earlier in the same worker flushed them. Put them back (idempotent) for database tests."""
    wants_db = request.node.get_closest_marker("django_db") is not None
    if not wants_db and "db" not in request.fixturenames:
        return
    request.getfixturevalue("db")
    from liuqing.casework.calendar import reset_calendar_cache
    from liuqing.casework.calendar_services import install_shipped_calendar
    from liuqing.casework.models import CalendarDay, CalendarYear

    if not CalendarYear.objects.exists():
        install_shipped_calendar(CalendarDay, CalendarYear)
        reset_calendar_cache()


@pytest.fixture(autouse=True)
def weekends_only_calendar() -> Iterator[None]:
    with use_calendar(shanghai_calendar()):
        yield


@dataclass
class Cast:
    """The people of one station: Alice and Bob handle, Sam is the sergeant, Carla the
    station chief, Olga an officer at another station (outside), Ann the auditor."""

    unit: Unit
    alice: Member
    bob: Member
    sam: Member
    carla: Member
    olga: Member
    ann: Member
    grid: Member
    category: Category


@pytest.fixture
def cast(world: World) -> Cast:
    s1 = world.units["S1"]
    return Cast(
        unit=s1,
        alice=world.persona(Role.OFFICER),
        bob=member_at(world.units["C1"], Role.AUXILIARY, "bob"),
        sam=world.persona(Role.SERGEANT),
        carla=world.persona(Role.STATION_CHIEF),
        olga=member_at(world.units["S2"], Role.OFFICER, "olga"),
        ann=world.persona(Role.AUDITOR),
        grid=world.persona(Role.GRID_WORKER),
        category=make_category("noise", kind=TEST_KIND),
    )
