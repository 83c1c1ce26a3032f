"""The board for a member: the unit checked against their jurisdiction, then `board.board`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from liuqing.analytics import periods
from liuqing.core import figures
from liuqing.core import selectors as core_selectors
from liuqing.core.models import Member, Unit
from liuqing.dashboard import board as boards


def tz() -> dt.tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def default_day(member: Member, unit: Unit | None) -> tuple[dt.date, bool]:
    """Today, or the day of the newest record the member's sections count when none is from
    this year (a data set that stopped, an archive): (day, whether it moved)."""
    today = timezone.localdate()
    if unit is None:
        unit = core_selectors.access_unit(member, member.unit_id)
    newest = [
        instant
        for section in figures.sections_for(member)
        if section.latest is not None
        for instant in [section.latest(member, unit)]
        if instant is not None
    ]
    if not newest:
        return today, False
    latest = timezone.localtime(max(newest)).date()
    if latest.year < today.year:
        return latest, True
    return today, False


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
