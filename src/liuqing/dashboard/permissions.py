"""Permission-matrix declarations of the board: any verified staff member may open it; what
it shows is decided per figure section (`core.figures`) and by the unit's jurisdiction."""

from __future__ import annotations

from liuqing.core.matrix import Route

ROUTES: list[Route] = [
    Route(name="dashboard:board", kind=None),
    Route(name="dashboard:board_csv", kind=None),
    Route(name="dashboard_board", kind=None, api=True),
]
