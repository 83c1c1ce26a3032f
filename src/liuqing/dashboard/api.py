"""The board at /api/v1/dashboard: the same figures as the page, each value tagged with its
type (count, amount, rate with numerator and denominator, average) and both changes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from liuqing.analytics import periods
from liuqing.core.api import api_actor, unit_in_scope
from liuqing.dashboard import board as boards
from liuqing.dashboard import selectors
from liuqing.dashboard.schemas import BoardOut, BoardQuery

router = Router(tags=["dashboard"])


@router.get("", response=BoardOut, operation_id="dashboard_board", summary="Six-situation board")
def dashboard_board(request: HttpRequest, params: Query[BoardQuery]) -> dict[str, Any]:
    """Every figure section you may see, for a unit's subtree (default yours) and a period
    (default this month, or the month of the newest record when none is from this year), as
    of now, with year-on-year and period-on-period change (null when
    undefined)."""
    actor = api_actor(request)
    unit = unit_in_scope(actor, params.unit)
    if params.period:
        try:
            period = periods.parse(params.period, selectors.tz())
        except ValueError:
            raise ValidationError(
                {"period": _("A period such as 2025, 2025-06, 2025-Q2 or 2025-H1.")}
            ) from None
    else:
        day, _moved = selectors.default_day(actor, unit)
        period = periods.containing(periods.Kind.MONTH, day, selectors.tz())
    return boards.as_dict(selectors.board_for(actor, unit, period))
