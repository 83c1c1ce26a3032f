"""The board for a member: the unit checked against their jurisdiction, then `board.board`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from liuqing.analytics import periods
from liuqing.core import selectors as core_selectors
from liuqing.core.models import Member, Unit
from liuqing.dashboard import board as boards


def tz() -> dt.tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def board_for(
    member: Member,
    unit: Unit | None,
    period: periods.Period,
    *,
    as_of: dt.datetime | None = None,
) -> boards.Board:
    """`unit` (default the member's own) must be in the member's jurisdiction: the callers
    resolve it through `core.selectors.access_unit`, which answers 404 outside it."""
    if unit is None:
        unit = core_selectors.access_unit(member, member.unit_id)
    return boards.board(member, unit, period, as_of=as_of or timezone.now())
