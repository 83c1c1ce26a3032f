"""Reporting periods: half-open [start, end) spans of local dates in the deployment time zone.

A `Period` is a month, quarter, half-year (上半年 = 1 Jan – 30 Jun, 下半年 = 1 Jul – 31 Dec), year
or custom range of whole days. Its boundaries are local midnights; `start` and `end` are aware
datetimes and `start_epoch` / `end_epoch` the same instants in epoch seconds, for filtering
numpy arrays (`start_epoch <= t < end_epoch`).

Comparisons (KPIS.md):

* `year_on_year(p)` (同比): the same calendar span one year earlier. Each boundary moves back
  one year; a boundary on 29 February (only possible in a custom range) moves to 28 February
  when it is the start and to 1 March when it is the (exclusive) end, so the earlier span
  covers the same dates with the leap day folded in: [29 Feb 2024, 1 Mar 2024) → [28 Feb 2023,
  1 Mar 2023), and February 2025 → February 2024, all 29 days of it.
* `month_on_month(p)` (环比): the span of equal length just before P. For a calendar period
  the length is counted in its own unit (the previous month, quarter, half-year or year, as
  statistical practice reads 环比 "本期比上期"), so March compares with all of February; for a
  custom range it is the same number of days just before it.

`local_dates` gives the local date and month of many instants at once (numpy arrays), by the
same local midnights the periods start at, so that counts kept by day or month (the appeals
figures' rollup, the monthly incident counts) agree with period filters by construction.

No Django, like the rest of `analytics`: the time zone is an argument.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Kind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"
    CUSTOM = "custom"


# Months per calendar period kind.
_MONTHS = {Kind.MONTH: 1, Kind.QUARTER: 3, Kind.HALF: 6, Kind.YEAR: 12}


@dataclass(frozen=True)
class Period:
    """[first, end) as local dates (`end` exclusive) in `tz`, with the kind that made it."""

    first: dt.date
    end_date: dt.date
    tz: dt.tzinfo
    kind: Kind = Kind.CUSTOM

    def __post_init__(self) -> None:
        if self.end_date <= self.first:
            raise ValueError("a period must end after it starts")
        if self.kind != Kind.CUSTOM:
            months = _MONTHS[self.kind]
            if self.first.day != 1 or (self.first.month - 1) % months:
                raise ValueError(f"a {self.kind} starts on the first day of its first month")
            if self.end_date != _add_months(self.first, months):
                raise ValueError(f"a {self.kind} lasts {months} month(s)")

    # --- Instants --------------------------------------------------------------------------

    @property
    def start(self) -> dt.datetime:
        return _midnight(self.first, self.tz)

    @property
    def end(self) -> dt.datetime:
        return _midnight(self.end_date, self.tz)

    @property
    def start_epoch(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_epoch(self) -> int:
        return int(self.end.timestamp())

    @property
    def last(self) -> dt.date:
        """The last day inside the period (for "1 Jan – 31 Mar" labels)."""
        return self.end_date - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end_date - self.first).days

    def contains(self, instant: dt.datetime) -> bool:
        return self.start <= instant < self.end

    @property
    def key(self) -> str:
        """A stable, language-neutral name: 2026-03, 2026-Q1, 2026-H1, 2026, or
        2026-01-05..2026-01-20 (inclusive days) for a custom range."""
        y = self.first.year
        if self.kind == Kind.MONTH:
            return f"{y}-{self.first.month:02d}"
        if self.kind == Kind.QUARTER:
            return f"{y}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == Kind.HALF:
            return f"{y}-H{1 if self.first.month == 1 else 2}"
        if self.kind == Kind.YEAR:
            return str(y)
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def __str__(self) -> str:
        return self.key


# --- Constructors ------------------------------------------------------------------------------


def month(year: int, month_: int, tz: dt.tzinfo) -> Period:
    first = dt.date(year, month_, 1)
    return Period(first, _add_months(first, 1), tz, Kind.MONTH)


def quarter(year: int, q: int, tz: dt.tzinfo) -> Period:
    if not 1 <= q <= 4:
        raise ValueError("a quarter is 1 to 4")
    first = dt.date(year, 3 * (q - 1) + 1, 1)
    return Period(first, _add_months(first, 3), tz, Kind.QUARTER)


def half_year(year: int, half: int, tz: dt.tzinfo) -> Period:
    """half=1: 上半年, 1 Jan – 30 Jun; half=2: 下半年, 1 Jul – 31 Dec."""
    if half not in (1, 2):
        raise ValueError("a half-year is 1 or 2")
    first = dt.date(year, 1 if half == 1 else 7, 1)
    return Period(first, _add_months(first, 6), tz, Kind.HALF)


def year(year_: int, tz: dt.tzinfo) -> Period:
    return Period(dt.date(year_, 1, 1), dt.date(year_ + 1, 1, 1), tz, Kind.YEAR)


def custom(first: dt.date, end: dt.date, tz: dt.tzinfo) -> Period:
    """Days [first, end): `end` is the day after the last one included."""
    return Period(first, end, tz, Kind.CUSTOM)


def days(first: dt.date, last: dt.date, tz: dt.tzinfo) -> Period:
    """Days `first` to `last`, both included (what a date-range form asks for)."""
    return custom(first, last + dt.timedelta(days=1), tz)


def containing(kind: Kind | str, when: dt.date | dt.datetime, tz: dt.tzinfo) -> Period:
    """The month, quarter, half-year or year around `when` (an aware instant or a local date)."""
    kind = Kind(kind)
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            raise ValueError("an aware datetime is needed")
        when = when.astimezone(tz).date()
    if kind == Kind.MONTH:
        return month(when.year, when.month, tz)
    if kind == Kind.QUARTER:
        return quarter(when.year, (when.month - 1) // 3 + 1, tz)
    if kind == Kind.HALF:
        return half_year(when.year, 1 if when.month <= 6 else 2, tz)
    if kind == Kind.YEAR:
        return year(when.year, tz)
    raise ValueError("a custom period needs its own dates")


# --- Comparisons -------------------------------------------------------------------------------


_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str], dt.tzinfo], Period]]] = [
    (re.compile(r"^(\d{4})$"), lambda m, z: year(int(m[1]), z)),
    (re.compile(r"^(\d{4})-(\d{2})$"), lambda m, z: month(int(m[1]), int(m[2]), z)),
    (re.compile(r"^(\d{4})-Q([1-4])$"), lambda m, z: quarter(int(m[1]), int(m[2]), z)),
    (re.compile(r"^(\d{4})-H([12])$"), lambda m, z: half_year(int(m[1]), int(m[2]), z)),
    (
        re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$"),
        lambda m, z: days(dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2]), z),
    ),
]
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_DAYS = 3 * 366


def parse(text: str, tz: dt.tzinfo) -> Period:
    """A period from its key: "2025", "2025-06", "2025-Q2", "2025-H1" or
    "2025-01-05..2025-01-20" (both days included); ValueError for anything else, a year
    outside 2000–2100 or a span over three years."""
    text = (text or "").strip().upper()
    for pattern, make in _PATTERNS:
        match = pattern.match(text)
        if match:
            period = make(match, tz)
            if period.first.year < MIN_YEAR or period.last.year > MAX_YEAR:
                raise ValueError("year out of range")
            if period.days > MAX_DAYS:
                raise ValueError("at most three years")
            return period
    raise ValueError(f"not a period: {text!r}")


def year_on_year(p: Period) -> Period:
    """同比: the same calendar span one year earlier (see the module docstring for 29 Feb)."""
    first = _minus_year(p.first, leap_day_to=dt.date(1, 2, 28))
    end = _minus_year(p.end_date, leap_day_to=dt.date(1, 3, 1))
    return Period(first, end, p.tz, p.kind)


def month_on_month(p: Period) -> Period:
    """环比: the period of equal length just before P (the previous month, quarter, half-year
    or year for calendar periods; the same number of days for a custom range)."""
    if p.kind == Kind.CUSTOM:
        return Period(p.first - dt.timedelta(days=p.days), p.first, p.tz, Kind.CUSTOM)
    first = _add_months(p.first, -_MONTHS[p.kind])
    return Period(first, p.first, p.tz, p.kind)


def previous(p: Period, count: int = 1) -> list[Period]:
    """The `count` periods before P, oldest first (for trend lines)."""
    result: list[Period] = []
    current = p
    for _ in range(count):
        current = month_on_month(current)
        result.append(current)
    return result[::-1]


# --- Local dates of many instants ------------------------------------------------------------

_UTC_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORDINAL = _UTC_EPOCH.date().toordinal()
_MIN_ORDINAL, _MAX_ORDINAL = dt.date.min.toordinal(), dt.date.max.toordinal()


def local_dates(
    instants: np.ndarray, tz: dt.tzinfo, *, per_second: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """The local date (as date.toordinal()) and month (year × 12 + month − 1) in `tz` of each
    of `instants`, finite times since the epoch counted `per_second` to the second: 1 for
    epoch seconds (fractions allowed), 1_000_000 for integer microseconds.

    An instant's date is the last one whose local midnight (a period's `start`) is at or
    before it, so `start <= t < end` and these dates never disagree: across daylight-saving
    changes, a midnight that falls in a spring-forward gap (the day starts at the change) and
    a day a zone skipped (Pacific/Apia's 30 December 2011 has no instants). It assumes a
    zone's midnights never go backwards, true of every zone in the tz database since 1970.
    Costs a few conversions per distinct UTC day among the instants, not per instant."""
    values = np.asarray(instants)
    if not values.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    utc_days = np.unique(np.floor_divide(values, 86_400 * per_second).astype(np.int64))
    # An offset is under a day, so the local date is the UTC date or one either side; the
    # midnight after it is needed too, to end it.
    candidates = np.unique(np.concatenate([utc_days + shift for shift in (-1, 0, 1, 2)]))
    ordinals = np.clip(candidates + _EPOCH_ORDINAL, _MIN_ORDINAL, _MAX_ORDINAL)
    dates = [dt.date.fromordinal(o) for o in np.unique(ordinals).tolist()]
    starts = np.array(
        [
            (_midnight(d, tz) - _UTC_EPOCH)
            // dt.timedelta(microseconds=1)
            * per_second
            // 1_000_000
            for d in dates
        ],
        dtype=np.int64,
    )
    index = np.searchsorted(starts, values, side="right") - 1
    days = np.array([d.toordinal() for d in dates], dtype=np.int64)
    months = np.array([d.year * 12 + d.month - 1 for d in dates], dtype=np.int64)
    return days[index], months[index]


# --- Helpers -----------------------------------------------------------------------------------


def _midnight(d: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(), tz)


def _add_months(d: dt.date, months: int) -> dt.date:
    """The first-of-month `d` moved by `months` (only used on the 1st of a month)."""
    index = d.year * 12 + d.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, d.day)


def _minus_year(d: dt.date, *, leap_day_to: dt.date) -> dt.date:
    if d.month == 2 and d.day == 29:
        return dt.date(d.year - 1, leap_day_to.month, leap_day_to.day)
    return dt.date(d.year - 1, d.month, d.day)
