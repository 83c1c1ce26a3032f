"""Fixtures of the appeals tests: a calendar pinned to weekends only (tests that need holidays
pin their own), and the people of the test station.

The cast, seen from station S1 of the standing world (liuqing.core.testing): Alice and Bob
handle appeals (Bob at the community office below), Sam is the sergeant, Carla the station
chief, Olga an officer at the sibling station (outside), Ann the auditor, Sid the system
administrator, Nia the analyst.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from liuqing.appeals.defaults import ensure_default_categories
from liuqing.appeals.testing import appeal_category
from liuqing.casework.calendar import use_calendar
from liuqing.casework.models import Category
from liuqing.casework.testing import member_at, shanghai_calendar
from liuqing.core.models import Member, Role, Unit
from liuqing.core.testing import World


@pytest.fixture(autouse=True)
def weekends_only_calendar() -> Iterator[None]:
    with use_calendar(shanghai_calendar()):
        yield


@pytest.fixture(autouse=True)
def default_categories(request: pytest.FixtureRequest) -> None:
    """The default tree, as the data migration installs it (a test elsewhere that flushes
    the database removes it for the tests after it)."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("_django_db_helper")  # pytest-django's database access
    ensure_default_categories(Category)


@dataclass
class Cast:
    unit: Unit
    child: Unit
    other: Unit
    alice: Member
    bob: Member
    sam: Member
    carla: Member
    olga: Member
    ann: Member
    sid: Member
    nia: Member
    grid: Member
    category: Category
    located: Category  # needs a location


@pytest.fixture
def cast(world: World) -> Cast:
    return Cast(
        unit=world.units["S1"],
        child=world.units["C1"],
        other=world.units["S2"],
        alice=world.persona(Role.OFFICER),
        bob=member_at(world.units["C1"], Role.AUXILIARY, "bob"),
        sam=world.persona(Role.SERGEANT),
        carla=world.persona(Role.STATION_CHIEF),
        olga=member_at(world.units["S2"], Role.OFFICER, "olga"),
        ann=world.persona(Role.AUDITOR),
        sid=world.persona(Role.SYSADMIN),
        nia=world.persona(Role.ANALYST),
        grid=world.persona(Role.GRID_WORKER),
        category=appeal_category("test.noise", resolve_days=5),
        located=appeal_category("test.pens", resolve_days=10, needs_location=True),
    )
