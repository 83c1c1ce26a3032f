"""The working-day calendar itself (no database): working time on the shipped national
schedule, the weekend fallback for 2027, the index against a plain day-by-day count."""

from __future__ import annotations

import csv
import datetime as dt
import random
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from liuqing.casework.calendar import SECONDS_PER_DAY, WorkCalendar, weekends_only

SHIPPED_FILE = Path(__file__).resolve().parents[1] / "data" / "cn_calendar.csv"
TZ = ZoneInfo("Asia/Shanghai")
DAY = SECONDS_PER_DAY
D = dt.date


def at(text: str, tz: dt.tzinfo = TZ) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


def shipped() -> WorkCalendar:
    with SHIPPED_FILE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    overrides = {D.fromisoformat(r["date"]): r["is_workday"] == "1" for r in rows}
    names = {D.fromisoformat(r["date"]): r["name"] for r in rows}
    return WorkCalendar(overrides, range(2004, 2027), TZ, names=names)


CAL = shipped()

# Per year, checked against chinesecalendar 1.11.0 (chinese_calendar.is_workday and its
# holidays / workdays tables): the first weekday of the Spring Festival break, the first
# weekend make-up working day, and the first weekday of the National Day break.
KNOWN = {
    2004: ("2004-01-22", "2004-01-17", "2004-10-01"),
    2005: ("2005-02-09", "2005-02-05", "2005-10-03"),
    2006: ("2006-01-30", "2006-01-28", "2006-10-02"),
    2007: ("2007-02-19", "2007-02-17", "2007-10-01"),
    2008: ("2008-02-06", "2008-02-02", "2008-09-29"),
    2009: ("2009-01-26", "2009-01-04", "2009-10-01"),
    2010: ("2010-02-15", "2010-02-20", "2010-10-01"),
    2011: ("2011-02-02", "2011-01-30", "2011-10-03"),
    2012: ("2012-01-23", "2012-01-21", "2012-10-01"),
    2013: ("2013-02-11", "2013-01-05", "2013-10-01"),
    2014: ("2014-01-31", "2014-01-26", "2014-10-01"),
    2015: ("2015-02-18", "2015-01-04", "2015-10-01"),
    2016: ("2016-02-08", "2016-02-06", "2016-10-03"),
    2017: ("2017-01-27", "2017-01-22", "2017-10-02"),
    2018: ("2018-02-15", "2018-02-11", "2018-10-01"),
    2019: ("2019-02-04", "2019-02-02", "2019-10-01"),
    2020: ("2020-01-24", "2020-01-19", "2020-10-01"),
    2021: ("2021-02-11", "2021-02-07", "2021-10-01"),
    2022: ("2022-01-31", "2022-01-29", "2022-10-03"),
    2023: ("2023-01-23", "2023-01-28", "2023-10-02"),
    2024: ("2024-02-12", "2024-02-04", "2024-10-01"),
    2025: ("2025-01-28", "2025-01-26", "2025-10-01"),
    2026: ("2026-02-16", "2026-01-04", "2026-10-01"),
}
# Working days per year, as chinese_calendar.get_workdays counts them.
WORKING_DAYS = {2024: 251, 2025: 248, 2026: 248}


@pytest.mark.parametrize("year", sorted(KNOWN))
def test_each_shipped_year_knows_its_holidays_and_make_up_days(year: int) -> None:
    spring, makeup, national = (D.fromisoformat(s) for s in KNOWN[year])
    assert CAL.has_schedule(year)
    assert [spring.weekday() < 5, national.weekday() < 5, makeup.weekday() >= 5] == [True] * 3
    assert not CAL.is_workday(spring)
    assert not CAL.is_workday(national)
    assert CAL.is_workday(makeup)
    assert CAL.day_name(spring) == "春节"
    assert CAL.day_name(national) == "国庆节"


def test_the_shipped_file_covers_2004_to_2026_only() -> None:
    years = {d.year for d in CAL.overrides}
    assert years == set(range(2004, 2027))
    # Only days that differ from the plain week are stored.
    for day, working in CAL.overrides.items():
        assert working == (day.weekday() >= 5)


@pytest.mark.parametrize(("year", "days"), sorted(WORKING_DAYS.items()))
def test_a_years_working_time(year: int, days: int) -> None:
    span = CAL.working_seconds_between(at(f"{year}-01-01T00:00"), at(f"{year + 1}-01-01T00:00"))
    assert span == days * DAY


def test_2027_falls_back_to_weekends_only() -> None:
    assert CAL.has_schedule(2027) is False
    # 8 Feb 2027 is a Monday in the Spring Festival week, but no schedule says so yet.
    assert CAL.is_workday(D(2027, 2, 8))
    assert not CAL.is_workday(D(2027, 2, 6))  # a Saturday
    assert CAL.working_seconds_between(at("2027-02-05T10:00"), at("2027-02-08T10:00")) == DAY
    assert CAL.years_without_schedule(at("2026-12-01T00:00"), at("2027-01-05T00:00")) == [2027]


def test_the_2026_spring_festival_with_its_make_up_days() -> None:
    # Break: Sun 15 Feb - Mon 23 Feb 2026 off; Sat 14 Feb and Sat 28 Feb are make-up days.
    friday = at("2026-02-13T10:00")
    assert CAL.add_working_days(friday, 1) == at("2026-02-14T10:00")  # Saturday, make-up day
    assert CAL.add_working_days(friday, 2) == at("2026-02-24T10:00")  # after the break
    assert CAL.working_seconds_between(at("2026-02-14T00:00"), at("2026-02-24T00:00")) == DAY
    # 24-27 Feb and the make-up Saturday 28 Feb are five working days in a row.
    assert CAL.add_working_days(at("2026-02-24T00:00"), 5) == at("2026-03-01T00:00")
    assert CAL.is_workday(D(2026, 2, 28))


def test_plain_weeks() -> None:
    friday = at("2027-03-05T10:00")  # no schedule for 2027: weekends only
    assert CAL.add_working_days(friday, 1) == at("2027-03-08T10:00")
    assert CAL.add_working_days(friday, 5) == at("2027-03-12T10:00")
    assert CAL.add_working_time(friday, 3600) == at("2027-03-05T11:00")
    # Starting on a Saturday: the first working day is Monday, ending at midnight.
    assert CAL.add_working_days(at("2027-03-06T10:00"), 1) == at("2027-03-09T00:00")
    # Exactly at the end of Friday: the following midnight, not Monday.
    assert CAL.add_working_time(at("2027-03-05T00:00"), DAY) == at("2027-03-06T00:00")


def test_zero_and_negative_amounts() -> None:
    saturday = at("2027-03-06T10:00")
    assert CAL.add_working_time(saturday, 0) == saturday
    assert CAL.add_working_days(at("2027-03-08T10:00"), -1) == at("2027-03-05T10:00")
    assert CAL.working_seconds_between(at("2027-03-08T10:00"), at("2027-03-05T10:00")) == 0


def test_results_are_aware_in_the_calendars_zone_and_inputs_must_be_aware() -> None:
    result = CAL.add_working_days(dt.datetime(2027, 3, 5, 2, tzinfo=dt.UTC), 1)
    assert result.utcoffset() == dt.timedelta(hours=8)
    assert result == dt.datetime(2027, 3, 8, 2, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="aware"):
        CAL.add_working_days(dt.datetime(2027, 3, 5, 10), 1)


def test_working_days_follow_the_local_date_not_utc() -> None:
    # Saturday 6 March 2027 01:00 in Beijing is still Friday in UTC: it does not count.
    start = at("2027-03-06T01:00")
    assert CAL.working_seconds_between(start, at("2027-03-08T00:00")) == 0
    assert CAL.local_date(start) == D(2027, 3, 6)


def test_microseconds_are_kept() -> None:
    start = at("2027-03-05T10:00:00.250000")
    assert CAL.add_working_days(start, 1) == at("2027-03-08T10:00:00.250000")
    assert CAL.working_seconds_between(start, at("2027-03-05T10:00:01")) == 0  # 0.75 s


def test_a_daylight_saving_zone_counts_real_hours() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    calendar = weekends_only(berlin)
    # Clocks go forward on Sunday 29 March 2026: Monday is a whole 24-hour working day.
    assert (
        calendar.working_seconds_between(
            at("2026-03-27T00:00", berlin), at("2026-03-31T00:00", berlin)
        )
        == 2 * DAY
    )
    # On Sunday 25 October 2026 (25 hours) nothing counts; Friday 23rd counts 24 hours.
    assert calendar.add_working_days(at("2026-10-23T12:00", berlin), 1) == at(
        "2026-10-26T12:00", berlin
    )


def test_dates_far_from_today_extend_the_index() -> None:
    calendar = shipped()
    assert calendar.add_working_days(at("2100-01-01T09:00"), 1) == at("2100-01-04T09:00")
    assert calendar.working_seconds_between(at("1995-01-02T00:00"), at("1995-01-09T00:00")) == (
        5 * DAY
    )
    assert calendar.add_working_days(at("2026-01-05T09:00"), 20_000) > at("2100-01-01T00:00")
    with pytest.raises(ValueError, match="outside the supported calendar range"):
        calendar.working_seconds_between(at("1850-01-01T00:00"), at("1850-02-01T00:00"))


def test_the_index_agrees_with_a_day_by_day_count() -> None:
    rng = random.Random(4)
    base = at("2003-06-01T00:00")
    for _ in range(300):
        a = base + dt.timedelta(seconds=rng.randrange(0, 24 * 365 * DAY))
        b = a + dt.timedelta(seconds=rng.randrange(0, 60 * DAY))
        expected = 0.0
        day = a.date()
        while day <= b.date():
            if CAL.is_workday(day):
                lo = max(a, at(f"{day.isoformat()}T00:00"))
                hi = min(b, at(f"{(day + dt.timedelta(days=1)).isoformat()}T00:00"))
                expected += max(0.0, (hi - lo).total_seconds())
            day += dt.timedelta(days=1)
        assert CAL.working_seconds_between(a, b) == int(expected)
        seconds = rng.randrange(1, 40 * DAY)
        due = CAL.add_working_time(a, seconds)
        assert CAL.working_seconds_between(a, due) == seconds
        assert CAL.is_workday(CAL.local_date(due - dt.timedelta(microseconds=1)))


def test_vectorised_helpers_agree_with_the_scalar_ones() -> None:
    rng = np.random.default_rng(11)
    starts = rng.integers(int(at("2020-01-01T00:00").timestamp()), 1_800_000_000, 2000)
    ends = starts + rng.integers(-DAY, 90 * DAY, 2000)
    many = CAL.working_seconds_between_many(starts, ends)
    due = CAL.add_working_time_many(starts, 5 * DAY)
    for i in range(0, 2000, 37):
        a = dt.datetime.fromtimestamp(int(starts[i]), dt.UTC)
        b = dt.datetime.fromtimestamp(int(ends[i]), dt.UTC)
        assert many[i] == CAL.working_seconds_between(a, b)
        assert due[i] == CAL.add_working_days(a, 5).timestamp()
    assert CAL.working_seconds_between_many([1.8e9, np.nan], [np.nan, 1.9e9]).tolist() == [
        pytest.approx(np.nan, nan_ok=True),
        pytest.approx(np.nan, nan_ok=True),
    ]
    assert CAL.add_working_time_many([1.8e9], 0)[0] == 1.8e9


def test_working_clock_differences_are_working_time() -> None:
    a, b = at("2026-02-13T10:00"), at("2026-02-24T10:00")
    assert CAL.working_clock(b) - CAL.working_clock(a) == CAL.working_seconds_between(a, b)
    clocks = CAL.working_clock_many([a.timestamp(), b.timestamp()])
    assert clocks[1] - clocks[0] == 2 * DAY


def test_it_is_fast_enough_for_the_sla_sweep() -> None:
    start = at("2026-01-05T09:00")
    began = time.perf_counter()
    for _ in range(10_000):
        CAL.add_working_days(start, 30)
        CAL.working_seconds_between(start, at("2026-12-31T09:00"))
    assert time.perf_counter() - began < 2.0  # about 0.3 s; generous for slow CI machines
    starts = np.full(1_000_000, start.timestamp())
    ends = starts + np.arange(1_000_000, dtype=np.float64) * 30
    began = time.perf_counter()
    CAL.working_seconds_between_many(starts, ends)
    assert time.perf_counter() - began < 3.0  # about 0.2 s
