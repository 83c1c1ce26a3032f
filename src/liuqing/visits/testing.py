"""Test helpers of the visits engine, importable by any app's tests and by the permission
matrix: places and plans made through the real services."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from liuqing.casework.testing import member_at, png_upload, root_staff
from liuqing.core import services as core_services
from liuqing.core.models import Member, Place, PlaceKind, Role, Team, TeamPosition, Unit
from liuqing.visits import services
from liuqing.visits.models import Visit, VisitPlan

_numbers = itertools.count(1)


def make_place(unit: Unit, name: str = "") -> Place:
    return core_services.create_place(
        actor=root_staff(unit),
        unit=unit,
        name=name or f"村{next(_numbers)}",
        kind=PlaceKind.VILLAGE,
        latitude=43.8,
        longitude=87.6,
    )


def make_team(unit: Unit, name: str = "") -> Team:
    """A team of `unit` with its one officer (made at the unit on first use)."""
    number = next(_numbers)
    officer = member_at(unit, Role.OFFICER, f"team{number}")
    return core_services.create_team(
        actor=root_staff(unit),
        unit=unit,
        name=name or f"组{number}",
        members=[(officer, TeamPosition.OFFICER)],
    )


def plan_place_visits(
    unit: Unit,
    *,
    name: str = "",
    cadence: str = "weekly",
    interval_days: int | None = None,
    responsible: Member | None = None,
    starts_on: dt.date | None = None,
) -> VisitPlan:
    """A plan of visits to a new village of `unit`, made by a root staff member."""
    boss = root_staff(unit)
    place = make_place(unit, name)
    return services.schedule_visits(
        actor=boss,
        target_kind="place",
        target_id=place.pk,
        cadence=cadence,
        interval_days=interval_days,
        responsible=responsible or boss,
        starts_on=starts_on or dt.date(2026, 1, 5),
    )


def visit(plan: VisitPlan, day: dt.date, *, photo: bool = False, **over: Any) -> Visit:
    boss = root_staff(plan.unit)
    return services.record_visit(
        actor=boss,
        plan=plan,
        visited_on=day,
        visitors=over.pop("visitors", [boss]),
        summary=over.pop("summary", "走访了解情况"),
        photos=over.pop("photos", [png_upload()] if photo else []),
        **over,
    )
