"""Periods: half-open spans of local days; year-on-year across 29 February; month-on-month."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from liuqing.analytics import periods
from liuqing.analytics.periods import Kind, Period

TZ = ZoneInfo("Asia/Shanghai")
D = dt.date


def test_a_month_is_half_open_at_local_midnight() -> None:
    p = periods.month(2026, 3, TZ)
    assert (p.first, p.end_date, p.kind, p.key) == (
        D(2026, 3, 1),
        D(2026, 4, 1),
        Kind.MONTH,
        "2026-03",
    )
    assert p.start == dt.datetime(2026, 3, 1, tzinfo=TZ)
    assert p.end_epoch - p.start_epoch == 31 * 86400
    # 1 March 00:00 in Beijing is 28 February 16:00 UTC.
    assert p.start_epoch == int(dt.datetime(2026, 2, 28, 16, tzinfo=dt.UTC).timestamp())
    assert p.contains(dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=TZ))
    assert not p.contains(dt.datetime(2026, 4, 1, tzinfo=TZ))
    assert p.last == D(2026, 3, 31)


def test_quarters_halves_and_years() -> None:
    assert periods.quarter(2026, 4, TZ).first == D(2026, 10, 1)
    assert periods.quarter(2026, 4, TZ).end_date == D(2027, 1, 1)
    first_half = periods.half_year(2026, 1, TZ)  # 上半年: 1 Jan – 30 Jun
    assert (first_half.first, first_half.last, first_half.key) == (
        D(2026, 1, 1),
        D(2026, 6, 30),
        "2026-H1",
    )
    assert periods.half_year(2026, 2, TZ).key == "2026-H2"
    assert periods.year(2024, TZ).days == 366
    assert periods.days(D(2026, 1, 5), D(2026, 1, 20), TZ).key == "2026-01-05..2026-01-20"
    assert periods.days(D(2026, 1, 5), D(2026, 1, 20), TZ).days == 16


def test_containing_finds_the_period_around_an_instant_in_local_time() -> None:
    # 31 March 17:00 UTC is already 1 April in Beijing.
    instant = dt.datetime(2026, 3, 31, 17, tzinfo=dt.UTC)
    assert periods.containing("month", instant, TZ).key == "2026-04"
    assert periods.containing(Kind.QUARTER, instant, TZ).key == "2026-Q2"
    assert periods.containing("half", D(2026, 6, 30), TZ).key == "2026-H1"
    assert periods.containing("year", D(2026, 6, 30), TZ).key == "2026"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: periods.custom(D(2026, 3, 1), D(2026, 3, 1), TZ), "end after"),
        (lambda: Period(D(2026, 2, 1), D(2026, 5, 1), TZ, Kind.QUARTER), "first day"),
        (lambda: Period(D(2026, 1, 1), D(2026, 2, 1), TZ, Kind.QUARTER), "lasts 3"),
        (lambda: periods.quarter(2026, 5, TZ), "1 to 4"),
        (lambda: periods.half_year(2026, 3, TZ), "1 or 2"),
    ],
)
def test_malformed_periods_are_refused(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_year_on_year_of_calendar_periods() -> None:
    assert periods.year_on_year(periods.month(2026, 3, TZ)) == periods.month(2025, 3, TZ)
    assert periods.year_on_year(periods.quarter(2026, 1, TZ)) == periods.quarter(2025, 1, TZ)
    assert periods.year_on_year(periods.half_year(2026, 1, TZ)) == periods.half_year(2025, 1, TZ)
    assert periods.year_on_year(periods.year(2026, TZ)) == periods.year(2025, TZ)


def test_year_on_year_across_a_leap_day() -> None:
    # February 2025 compares with all 29 days of February 2024 …
    feb_2024 = periods.year_on_year(periods.month(2025, 2, TZ))
    assert (feb_2024.first, feb_2024.end_date, feb_2024.days) == (D(2024, 2, 1), D(2024, 3, 1), 29)
    # … and February 2024 with the 28 days of February 2023.
    assert periods.year_on_year(periods.month(2024, 2, TZ)).days == 28
    # The leap day alone compares with 28 February.
    leap_day = periods.days(D(2024, 2, 29), D(2024, 2, 29), TZ)
    before = periods.year_on_year(leap_day)
    assert (before.first, before.end_date) == (D(2023, 2, 28), D(2023, 3, 1))
    # A custom range ending on 28 February 2024 (exclusive end 29 Feb) keeps 28 Feb 2023.
    winter = periods.days(D(2024, 1, 15), D(2024, 2, 28), TZ)
    before = periods.year_on_year(winter)
    assert (before.first, before.last) == (D(2023, 1, 15), D(2023, 2, 28))
    # A range starting on the leap day starts on 28 February a year earlier, same length.
    spring = periods.days(D(2024, 2, 29), D(2024, 3, 9), TZ)
    before = periods.year_on_year(spring)
    assert (before.first, before.last, before.days) == (D(2023, 2, 28), D(2023, 3, 9), 10)


def test_month_on_month_of_a_quarter_is_the_previous_quarter() -> None:
    q1 = periods.month_on_month(periods.quarter(2026, 2, TZ))
    assert q1 == periods.quarter(2026, 1, TZ)
    # Q1 → Q4 of the year before.
    q4 = periods.month_on_month(periods.quarter(2026, 1, TZ))
    assert (q4.first, q4.end_date, q4.kind) == (D(2025, 10, 1), D(2026, 1, 1), Kind.QUARTER)


def test_month_on_month_of_months_halves_years_and_custom_ranges() -> None:
    assert periods.month_on_month(periods.month(2026, 3, TZ)) == periods.month(2026, 2, TZ)
    assert periods.month_on_month(periods.month(2026, 1, TZ)) == periods.month(2025, 12, TZ)
    assert periods.month_on_month(periods.half_year(2026, 1, TZ)) == periods.half_year(2025, 2, TZ)
    assert periods.month_on_month(periods.year(2026, TZ)) == periods.year(2025, TZ)
    # A custom range: the same number of days just before it.
    fortnight = periods.days(D(2026, 3, 1), D(2026, 3, 14), TZ)
    before = periods.month_on_month(fortnight)
    assert (before.first, before.last, before.days) == (D(2026, 2, 15), D(2026, 2, 28), 14)


def test_previous_periods_for_a_trend_line() -> None:
    keys = [p.key for p in periods.previous(periods.month(2026, 2, TZ), 3)]
    assert keys == ["2025-11", "2025-12", "2026-01"]


def test_period_boundaries_follow_daylight_saving_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    march = periods.month(2026, 3, berlin)  # clocks go forward on 29 March
    assert march.end_epoch - march.start_epoch == 31 * 86400 - 3600


# --- Local dates of many instants ------------------------------------------------------------

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def micros(when: dt.datetime) -> int:
    return (when - EPOCH) // dt.timedelta(microseconds=1)


def dates_of(instants: list[dt.datetime], tz: dt.tzinfo) -> tuple[list[D], list[int]]:
    """local_dates of `instants`, after checking that seconds and microseconds agree."""
    seconds = periods.local_dates(np.array([i.timestamp() for i in instants]), tz)
    whole = periods.local_dates(
        np.array([micros(i) for i in instants], dtype=np.int64), tz, per_second=1_000_000
    )
    assert [a.tolist() for a in seconds] == [a.tolist() for a in whole]
    assert all(a.dtype == np.int64 for a in (*seconds, *whole))
    days, months = seconds
    return [D.fromordinal(d) for d in days.tolist()], months.tolist()


def test_local_dates_change_at_beijing_midnight() -> None:
    start = periods.month(2026, 3, TZ).start
    instants = [start, start - dt.timedelta(microseconds=1), dt.datetime(2027, 1, 1, tzinfo=TZ)]
    assert dates_of(instants, TZ) == (
        [D(2026, 3, 1), D(2026, 2, 28), D(2027, 1, 1)],
        [2026 * 12 + 2, 2026 * 12 + 1, 2027 * 12],
    )
    # 16:00 UTC is already the next day in Beijing.
    assert dates_of([dt.datetime(2026, 3, 31, 16, tzinfo=dt.UTC)], TZ) == ([D(2026, 4, 1)], [24315])
    empty = periods.local_dates(np.array([]), TZ)
    assert [a.tolist() for a in empty] == [[], []]


def test_local_dates_follow_daylight_saving_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    utc = [
        dt.datetime(2026, 3, 28, 22, 59, 59, tzinfo=dt.UTC),  # 23:59:59 CET
        dt.datetime(2026, 3, 29, 21, 59, 59, tzinfo=dt.UTC),  # 23:59:59 CEST, after the change
        dt.datetime(2026, 3, 29, 22, tzinfo=dt.UTC),  # midnight CEST
        dt.datetime(2026, 3, 31, 21, 59, 59, 999999, tzinfo=dt.UTC),  # March's last instant
        dt.datetime(2026, 3, 31, 22, tzinfo=dt.UTC),  # April
        dt.datetime(2026, 10, 24, 22, tzinfo=dt.UTC),  # midnight CEST
        dt.datetime(2026, 10, 25, 22, 59, 59, tzinfo=dt.UTC),  # 23:59:59 CET, after the change
        dt.datetime(2026, 10, 25, 23, tzinfo=dt.UTC),  # midnight CET
    ]
    days, months = dates_of(utc, berlin)
    assert days == [
        D(2026, 3, 28),
        D(2026, 3, 29),
        D(2026, 3, 30),
        D(2026, 3, 31),
        D(2026, 4, 1),
        D(2026, 10, 25),
        D(2026, 10, 25),
        D(2026, 10, 26),
    ]
    assert months == [2026 * 12 + 2] * 4 + [2026 * 12 + 3] + [2026 * 12 + 9] * 3


@pytest.mark.parametrize(
    ("zone", "year"),
    [
        ("Asia/Shanghai", 2026),
        ("Europe/Berlin", 2026),
        ("America/Santiago", 2026),  # clocks go forward at midnight: the day starts at 01:00
        ("Australia/Lord_Howe", 2026),  # half-hour daylight saving time
        ("Asia/Kathmandu", 2026),  # +05:45
        ("Pacific/Apia", 2011),  # 30 December 2011 was skipped
    ],
)
def test_local_dates_agree_with_the_clock_and_the_periods(zone: str, year: int) -> None:
    tz = ZoneInfo(zone)
    # Every quarter hour of the year (offsets are whole quarter hours) and the instant before.
    first = micros(dt.datetime(year, 1, 1, tzinfo=dt.UTC))
    grid = np.arange(first, micros(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)), 900_000_000)
    instants = np.concatenate([grid, grid - 1])
    days, months = periods.local_dates(instants, tz, per_second=1_000_000)
    clock = [
        (EPOCH + dt.timedelta(microseconds=t)).astimezone(tz).date() for t in instants.tolist()
    ]
    assert days.tolist() == [d.toordinal() for d in clock]
    assert months.tolist() == [d.year * 12 + d.month - 1 for d in clock]
    # Each month's periods start at the instant its dates begin.
    for month in range(1, 13):
        start = micros(periods.month(year, month, tz).start)
        _, edge = periods.local_dates(np.array([start - 1, start]), tz, per_second=1_000_000)
        assert edge.tolist() == [year * 12 + month - 2, year * 12 + month - 1]
