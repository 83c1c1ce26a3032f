"""The working-day calendar: which dates are working days, and working time between instants.

A working day is the whole of a date (midnight to midnight in the deployment's time zone,
``settings.TIME_ZONE``) that is a workday: Monday to Friday, unless the national schedule says
otherwise (a public holiday on a weekday is off; a make-up working day, 调休, on a weekend is on).
Time on off days does not count. One working day is 86,400 working seconds, so "resolve within
5 working days" from Friday 10:00 ends the next Friday 10:00, and from Saturday 10:00 it ends
at the end of the next Friday (Saturday 00:00).

Overrides exist only for years whose schedule was entered (`CalendarYear`, loaded from the
shipped file for 2004-2026, entered by an administrator after the State Council publishes the
next year in November). A year without a schedule falls back to weekends only;
`WorkCalendar.has_schedule()` says which, so SLA pages can warn.

Cost: a cumulative working-seconds index per date (a few tens of thousands of days, built once
per process with numpy) turns every measurement into one binary search: `working_seconds_between`
is O(log n) whatever the span, `add_working_days(…, 30)` does not walk the days, and the `_many`
variants measure a million cases in one vectorised call. `get_calendar()` caches the calendar
per process and notices changes (see `reset_calendar_cache`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

SECONDS_PER_DAY = 86_400
_US = 1_000_000
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# The index covers these years at first and grows on demand (a date outside it is rare: old
# imported ledgers, or a deadline decades away).
_INITIAL_FIRST_YEAR = 2000
_INITIAL_END_YEAR = 2051  # exclusive
_GROW_DAYS = 3653  # grow ten years at a time
_MIN_ORDINAL = dt.date(1900, 1, 1).toordinal()
_MAX_ORDINAL = dt.date(9000, 1, 1).toordinal()
# Offsets are sampled weekly and computed per day only inside a week in which they change;
# every real zone keeps an offset for longer than a week between transitions.
_SAMPLE_DAYS = 7


@dataclass(frozen=True)
class _Index:
    """Dates ``first`` … ``first + n - 1`` (as proleptic ordinals).

    ``starts[i]``: epoch second of local midnight at the start of day i (n + 1 entries, the
    last being the end of the final day); ``work[i]``: whether day i is a workday;
    ``cum[i]``: working seconds from ``starts[0]`` to ``starts[i]`` (n + 1 entries).
    """

    first: int
    starts: npt.NDArray[np.int64]
    work: npt.NDArray[np.bool_]
    cum: npt.NDArray[np.int64]
    starts_list: list[int]
    cum_list: list[int]

    @property
    def n(self) -> int:
        return len(self.work)


class WorkCalendar:
    """Working days and working time on one national schedule in one time zone.

    `overrides` maps a date to whether it is a workday where that differs from the plain week
    (other entries are harmless); `scheduled_years` are the years whose schedule is known.
    Datetimes passed in must be aware; results are aware, in `tz`. `names` optionally labels
    the override dates ("春节") for display.
    """

    def __init__(
        self,
        overrides: Mapping[dt.date, bool],
        scheduled_years: Iterable[int],
        tz: dt.tzinfo,
        *,
        names: Mapping[dt.date, str] | None = None,
    ) -> None:
        self.overrides: dict[dt.date, bool] = dict(overrides)
        self.names: dict[dt.date, str] = dict(names or {})
        self.scheduled_years: frozenset[int] = frozenset(scheduled_years)
        self.tz = tz
        self._override_ordinals = np.array(
            sorted(d.toordinal() for d in self.overrides), dtype=np.int64
        )
        self._override_values = np.array(
            [self.overrides[dt.date.fromordinal(int(o))] for o in self._override_ordinals],
            dtype=bool,
        )
        self._lock = threading.Lock()
        self._index = self._build(
            dt.date(_INITIAL_FIRST_YEAR, 1, 1).toordinal(),
            dt.date(_INITIAL_END_YEAR, 1, 1).toordinal(),
        )

    def __repr__(self) -> str:
        years = sorted(self.scheduled_years)
        span = f"{years[0]}-{years[-1]}" if years else "none"
        return f"<WorkCalendar {self.tz} scheduled={span} overrides={len(self.overrides)}>"

    # --- Dates ---------------------------------------------------------------------------

    def is_workday(self, d: dt.date) -> bool:
        """The schedule's answer for `d` if it has one, else Monday to Friday."""
        if isinstance(d, dt.datetime):
            d = self.local_date(d)
        override = self.overrides.get(d)
        if override is not None:
            return override
        return d.weekday() < 5

    def has_schedule(self, year: int) -> bool:
        """Whether the national schedule of `year` is known (else weekends only)."""
        return year in self.scheduled_years

    def years_without_schedule(self, start: dt.datetime, end: dt.datetime) -> list[int]:
        """Years touched by [start, end] whose schedule is unknown (for the SLA pages' warning)."""
        first, last = self.local_date(start).year, self.local_date(end).year
        return [y for y in range(first, last + 1) if y not in self.scheduled_years]

    def local_date(self, instant: dt.datetime) -> dt.date:
        _require_aware(instant)
        return instant.astimezone(self.tz).date()

    def day_name(self, d: dt.date) -> str:
        """The holiday or make-up day's name ("春节"), or "" for a plain day."""
        return self.names.get(d, "")

    # --- Instants ------------------------------------------------------------------------

    def working_clock(self, instant: dt.datetime) -> int:
        """Working seconds from a fixed origin (1 Jan 2000, local) to `instant`: a monotonic
        clock that stands still on off days. Differences of it are working time; values from
        different calendars are not comparable."""
        us = _epoch_us(instant)
        index = self._covering_us(us, us)
        origin = self._origin_offset(index)
        return (self._clock_us(index, us) // _US) - origin

    def working_seconds_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Working seconds in [a, b) (whole seconds, rounded down); 0 if b <= a."""
        a_us, b_us = _epoch_us(a), _epoch_us(b)
        if b_us <= a_us:
            return 0
        index = self._covering_us(a_us, b_us)
        return (self._clock_us(index, b_us) - self._clock_us(index, a_us)) // _US

    def working_days_between(self, a: dt.datetime, b: dt.datetime) -> float:
        """`working_seconds_between` in working days (86,400 s each), as a float."""
        return self.working_seconds_between(a, b) / SECONDS_PER_DAY

    def add_working_time(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """The earliest instant at which `seconds` of working time have passed since `start`.

        Zero returns `start` itself (even on an off day). A positive amount that ends exactly at
        the end of a working day gives the following local midnight. Negative amounts go back
        in working time (for "one working day before the deadline").
        """
        start_us = _epoch_us(start)
        if seconds == 0:
            return start.astimezone(self.tz)
        index = self._covering_us(start_us, start_us)
        while True:
            target = self._clock_us(index, start_us) + int(seconds) * _US
            if target <= 0:
                index = self._grow(index, first=index.first - _GROW_DAYS)
                continue
            if target > index.cum_list[-1] * _US:
                index = self._grow(
                    index, end=index.first + index.n + _days_for(target // _US - index.cum_list[-1])
                )
                continue
            break
        # The first day whose end reaches the target (it is a working day: see the docstring
        # of _Index, cum is flat across off days).
        need = -(-target // _US)  # ceil to whole seconds for the search in the seconds index
        i = bisect.bisect_left(index.cum_list, need, lo=1) - 1
        instant_us = index.starts_list[i] * _US + (target - index.cum_list[i] * _US)
        return _from_epoch_us(instant_us, self.tz)

    def add_working_days(self, start: dt.datetime, days: int | float) -> dt.datetime:
        """`add_working_time` with `days` × 86,400 seconds."""
        return self.add_working_time(start, round(days * SECONDS_PER_DAY))

    # --- Vectorised ----------------------------------------------------------------------

    def working_clock_many(self, epochs: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """`working_clock` of many instants given as epoch seconds (NaN stays NaN)."""
        t = np.asarray(epochs, dtype=np.float64)
        finite = np.isfinite(t)
        out = np.full(t.shape, np.nan)
        if not finite.any():
            return out
        lo, hi = float(t[finite].min()), float(t[finite].max())
        index = self._covering_us(int(np.floor(lo)) * _US, int(np.ceil(hi)) * _US)
        values = t[finite]
        whole = np.floor(values).astype(np.int64)
        i = np.searchsorted(index.starts, whole, side="right") - 1
        inside = np.where(index.work[i], values - index.starts[i], 0.0)
        out[finite] = index.cum[i] + inside - self._origin_offset(index)
        return out

    def working_seconds_between_many(
        self, starts: npt.ArrayLike, ends: npt.ArrayLike
    ) -> npt.NDArray[np.float64]:
        """Working seconds between paired epoch seconds, elementwise: 0 where end <= start,
        NaN where either is NaN (an open case). One binary search per element, no loop."""
        a = self.working_clock_many(starts)
        b = self.working_clock_many(ends)
        with np.errstate(invalid="ignore"):
            return np.where(np.isnan(a) | np.isnan(b), np.nan, np.maximum(b - a, 0.0))

    def add_working_time_many(
        self, starts: npt.ArrayLike, seconds: npt.ArrayLike
    ) -> npt.NDArray[np.float64]:
        """`add_working_time` elementwise over epoch seconds; returns epoch seconds (NaN in,
        NaN out). A zero amount returns the start unchanged."""
        t = np.asarray(starts, dtype=np.float64)
        s = np.broadcast_to(np.asarray(seconds, dtype=np.float64), t.shape)
        clock = self.working_clock_many(t)
        out = np.full(t.shape, np.nan)
        ok = np.isfinite(clock) & np.isfinite(s)
        if not ok.any():
            return out
        index = self._index
        target = clock[ok] + self._origin_offset(index) + s[ok]
        while target.min() <= 0 or target.max() > index.cum[-1]:
            first, end = index.first, index.first + index.n
            if target.min() <= 0:
                first -= _GROW_DAYS
            if target.max() > index.cum[-1]:
                end += _days_for(int(target.max() - index.cum[-1]))
            shift = self._origin_offset(index)
            index = self._grow(index, first=first, end=end)
            target = target - shift + self._origin_offset(index)
        i = np.searchsorted(index.cum[1:], np.ceil(target), side="left")
        result = index.starts[i] + (target - index.cum[i])
        out[ok] = np.where(s[ok] == 0, t[ok], result)
        return out

    # --- The index -----------------------------------------------------------------------

    def _origin_offset(self, index: _Index) -> int:
        """cum at 1 Jan 2000 in this index, so that working_clock has a stable origin."""
        origin = dt.date(_INITIAL_FIRST_YEAR, 1, 1).toordinal() - index.first
        return index.cum_list[origin]

    def _clock_us(self, index: _Index, us: int) -> int:
        """Working microseconds from the index's first midnight to epoch microsecond `us`."""
        i = bisect.bisect_right(index.starts_list, us // _US) - 1
        if index.work[i]:
            return index.cum_list[i] * _US + (us - index.starts_list[i] * _US)
        return index.cum_list[i] * _US

    def _covering_us(self, lo_us: int, hi_us: int) -> _Index:
        index = self._index
        if index.starts_list[0] * _US <= lo_us and hi_us < index.starts_list[-1] * _US:
            return index
        lo_day = _EPOCH_ORDINAL + lo_us // _US // SECONDS_PER_DAY - 2
        hi_day = _EPOCH_ORDINAL + hi_us // _US // SECONDS_PER_DAY + 2
        index = self._grow(
            index,
            first=min(index.first, lo_day - _GROW_DAYS),
            end=max(index.first + index.n, hi_day + _GROW_DAYS),
        )
        if not (index.starts_list[0] * _US <= lo_us and hi_us < index.starts_list[-1] * _US):
            raise ValueError("date outside the supported calendar range (1900-8999)")
        return index

    def _grow(self, index: _Index, first: int | None = None, end: int | None = None) -> _Index:
        first = max(_MIN_ORDINAL, min(index.first, first if first is not None else index.first))
        end = min(_MAX_ORDINAL, max(index.first + index.n, end or 0))
        if first == index.first and end == index.first + index.n:
            raise ValueError("date outside the supported calendar range")
        with self._lock:
            current = self._index
            if current.first <= first and current.first + current.n >= end:
                return current
            first, end = min(first, current.first), max(end, current.first + current.n)
            self._index = self._build(first, end)
            return self._index

    def _build(self, first: int, end: int) -> _Index:
        ordinals = np.arange(first, end, dtype=np.int64)
        work = ((ordinals - 1) % 7) < 5  # date.fromordinal(1) is a Monday
        if len(self._override_ordinals):
            pos = np.searchsorted(ordinals, self._override_ordinals)
            hit = (pos < len(ordinals)) & (
                ordinals[np.minimum(pos, len(ordinals) - 1)] == self._override_ordinals
            )
            work[pos[hit]] = self._override_values[hit]
        starts = _local_midnights(first, end + 1, self.tz)
        lengths = np.diff(starts)
        cum = np.concatenate(([0], np.cumsum(np.where(work, lengths, 0)))).astype(np.int64)
        return _Index(
            first=first,
            starts=starts,
            work=work,
            cum=cum,
            starts_list=starts.tolist(),
            cum_list=cum.tolist(),
        )


# --- Helpers -------------------------------------------------------------------------------


def _require_aware(instant: dt.datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("the working-day calendar needs aware datetimes")


def _epoch_us(instant: dt.datetime) -> int:
    _require_aware(instant)
    delta = instant - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * SECONDS_PER_DAY + delta.seconds) * _US + delta.microseconds


def _from_epoch_us(us: int, tz: dt.tzinfo) -> dt.datetime:
    utc = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us)
    return utc.astimezone(tz)


def _days_for(working_seconds: int) -> int:
    """Calendar days certainly holding `working_seconds` of work (weeks of 5 + holidays)."""
    return int(working_seconds // SECONDS_PER_DAY) * 2 + 60


def _offset_seconds(ordinal: int, tz: dt.tzinfo) -> int:
    midnight = dt.datetime.combine(dt.date.fromordinal(ordinal), dt.time(), tz)
    offset = midnight.utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _local_midnights(first: int, end: int, tz: dt.tzinfo) -> npt.NDArray[np.int64]:
    """Epoch seconds of local midnight for each ordinal in [first, end).

    The UTC offset is sampled weekly and computed day by day only in weeks where it changes,
    so a fixed-offset zone (Asia/Shanghai, Asia/Urumqi) costs a few thousand look-ups for a
    century rather than one per day.
    """
    ordinals = np.arange(first, end, dtype=np.int64)
    samples = [*range(first, end, _SAMPLE_DAYS), end - 1]
    offsets_at = {o: _offset_seconds(o, tz) for o in samples}
    offsets = np.empty(len(ordinals), dtype=np.int64)
    for a, b in itertools.pairwise(samples):
        if offsets_at[a] == offsets_at[b]:
            offsets[a - first : b - first + 1] = offsets_at[a]
        else:
            for o in range(a, b + 1):
                offsets[o - first] = _offset_seconds(o, tz)
    return (ordinals - _EPOCH_ORDINAL) * SECONDS_PER_DAY - offsets


# --- The deployment's calendar, cached per process -------------------------------------------

# How often (seconds) a cached calendar asks the database whether the schedule changed. Another
# process's change shows here within this time; this process's own changes reset at once.
CHECK_INTERVAL = 60.0

_cache_lock = threading.Lock()
_cached: WorkCalendar | None = None
_cached_version: tuple[Any, ...] | None = None
_checked_at = 0.0
_override: WorkCalendar | None = None


def _version() -> tuple[Any, ...]:
    from django.db.models import Count, Max

    from liuqing.casework.models import CalendarDay, CalendarYear

    years = CalendarYear.objects.aggregate(n=Count("id"), last=Max("entered_at"))
    days = CalendarDay.objects.aggregate(n=Count("id"), last=Max("id"))
    return (years["n"], years["last"], days["n"], days["last"])


def load_calendar() -> WorkCalendar:
    """A fresh calendar from the CalendarDay and CalendarYear rows (two small queries)."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from liuqing.casework.models import CalendarDay, CalendarYear

    rows = list(CalendarDay.objects.values_list("date", "is_workday", "name"))
    years = CalendarYear.objects.values_list("year", flat=True)
    return WorkCalendar(
        {d: w for d, w, _n in rows},
        years,
        ZoneInfo(settings.TIME_ZONE or "UTC"),
        names={d: n for d, _w, n in rows if n},
    )


def get_calendar() -> WorkCalendar:
    """The deployment's calendar, loaded once per process.

    At most every `CHECK_INTERVAL` seconds one aggregate query checks whether the rows
    changed (another process entered a year) and reloads if so; `reset_calendar_cache()`
    forces a reload at the next call (the calendar services call it after every write).
    """
    global _cached, _cached_version, _checked_at
    if _override is not None:
        return _override
    now = time.monotonic()
    calendar = _cached
    if calendar is not None and now - _checked_at < CHECK_INTERVAL:
        return calendar
    with _cache_lock:
        version = _version()
        if _cached is None or version != _cached_version:
            _cached = load_calendar()
            _cached_version = version
        _checked_at = time.monotonic()
        return _cached


def reset_calendar_cache() -> None:
    """Forget the cached calendar; the next `get_calendar()` reloads it."""
    global _cached, _cached_version, _checked_at
    with _cache_lock:
        _cached = None
        _cached_version = None
        _checked_at = 0.0


@contextmanager
def use_calendar(calendar: WorkCalendar) -> Iterator[WorkCalendar]:
    """Make `get_calendar()` return `calendar` inside the block (tests, what-if tools)."""
    global _override
    previous, _override = _override, calendar
    try:
        yield calendar
    finally:
        _override = previous


def weekends_only(tz: dt.tzinfo | None = None) -> WorkCalendar:
    """A calendar with no schedule at all: Monday to Friday in `tz` (default UTC)."""
    return WorkCalendar({}, (), tz or dt.UTC)
