"""Matrix routes of the working-day calendar pages (liuqing.casework.calendar_admin).

Merged into ``casework/permissions.py``. The calendar is national and belongs to no unit, so
no route names a target or a unit: the access policy ``calendar`` (every staff member views;
system administrators and detachment staff change, see calendar_services) decides alone, and
each route is exercised once per role.
"""

from __future__ import annotations

from typing import Any

from liuqing.casework import calendar_services  # noqa: F401  (registers the "calendar" policy)
from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Unit


def _schedule(world: Any, unit: Unit, kwargs: dict[str, Any]) -> dict[str, Any]:
    # 1 Jan 2031 is a Wednesday, 4 Jan a Saturday: a valid holiday and make-up day.
    return {
        "year": 2031,
        "days": "2031-01-01,off,元旦\n2031-01-04,on,元旦",
        "source": "permission matrix",
    }


PUBLIC: set[str] = set()
TARGETS: dict[str, TargetFactory] = {}
ROUTES: list[Route] = [
    Route(name="casework:calendar", kind="calendar"),
    Route(name="casework:calendar_year", kind="calendar"),
    Route(name="casework:calendar_edit", kind="calendar", action=CHANGE),
    Route(
        name="casework:calendar_edit",
        kind="calendar",
        action=CHANGE,
        method="POST",
        data=_schedule,
    ),
]
