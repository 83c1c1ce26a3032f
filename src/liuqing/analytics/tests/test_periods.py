"""Periods: half-open spans of local days; year-on-year across 29 February; month-on-month."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

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
