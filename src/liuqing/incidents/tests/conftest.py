"""Fixtures of the incident tests: the standing world with jurisdiction boundaries drawn.

S1 (station)   a square of ±0.01° around (LAT, LNG)
  C1 (office)  a small square of ±0.002° around (LAT + 0.005, LNG + 0.005): deeper, wins
S2 (station)   a square of ±0.01° around (LAT, LNG + 0.05)
G1 (grid)      no boundary; its seat 0.1° north of S1, for the nearest-seat fallback
"""

from __future__ import annotations

import pytest

from liuqing.casework.testing import root_staff
from liuqing.core import services as core_services
from liuqing.core.models import Member, Role
from liuqing.core.testing import World
from liuqing.incidents.defaults import ensure_default_categories
from liuqing.incidents.testing import LAT, LNG, square


@pytest.fixture(autouse=True)
def default_categories(db: None) -> None:
    """The data migration's categories, again: a test elsewhere may have flushed them."""
    ensure_default_categories()


@pytest.fixture
def mapped(world: World) -> World:
    u = world.units
    boss = root_staff(u["S1"])
    core_services.update_unit(actor=boss, unit=u["S1"], boundary=square(LAT, LNG))
    core_services.update_unit(
        actor=boss, unit=u["C1"], boundary=square(LAT + 0.005, LNG + 0.005, 0.002)
    )
    core_services.update_unit(actor=boss, unit=u["S2"], boundary=square(LAT, LNG + 0.05))
    core_services.update_unit(actor=boss, unit=u["G1"], latitude=LAT + 0.1, longitude=LNG)
    for unit in u.values():
        unit.refresh_from_db()
    return world


@pytest.fixture
def analyst(mapped: World) -> Member:
    return mapped.persona(Role.ANALYST)
