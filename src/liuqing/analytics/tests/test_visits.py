"""The visit cadence formulas (analytics.visits) against hand-counted calendars."""

from __future__ import annotations

import datetime as dt

import numpy as np

from liuqing.analytics import visits as v


def d(text: str) -> int:
    return dt.date.fromisoformat(text).toordinal()


def day(n: int) -> str:
    return dt.date.fromordinal(int(n)).isoformat()


def arr(*xs: int) -> np.ndarray:
    return np.array(xs, dtype=np.int64)


def test_next_due_for_weekly_monthly_and_custom_plans() -> None:
    # Weekly from Mon 5 Jan: periods 5–11, 12–18, ... A visit on the 13th (period 1) makes
    # the next due by the 25th (end of period 2); without visits, by the 11th.
    # Monthly from 20 Jan: period 0 is 20–31 Jan; a visit on 3 Feb (period 1) → due by 31 Mar.
    # Every 10 days from 1 Mar: a visit on 12 Mar (period 1: 11–20) → due by 30 Mar.
    start = arr(d("2026-01-05"), d("2026-01-05"), d("2026-01-20"), d("2026-01-20"), d("2026-03-01"))
    interval = arr(7, 7, v.MONTHLY, v.MONTHLY, 10)
    last = v.latest_visit(
        5, arr(1, 1, 3, 4), arr(d("2026-01-06"), d("2026-01-13"), d("2026-02-03"), d("2026-03-12"))
    )
    due = v.next_due(start, interval, last)
    assert [day(x) for x in due] == [
        "2026-01-11",
        "2026-01-25",
        "2026-01-31",
        "2026-03-31",
        "2026-03-30",
    ]


def test_status_against_today_and_the_week_end() -> None:
    due = arr(d("2026-11-29"), d("2026-11-30"), d("2026-12-06"), d("2026-12-07"))
    states = v.status(due, d("2026-11-30"), d("2026-12-06"))
    assert states.tolist() == [v.OVERDUE, v.DUE, v.DUE, v.OK]


def test_compliance_counts_due_periods_and_those_done_once() -> None:
    # Plan 0, weekly from Mon 5 Jan, span [1 Jan, 1 Feb) as of 1 Feb: periods ending
    # 11, 18, 25 Jan are due (the one ending 1 Feb is not yet) → 3 due. Visits on 6 and 7 Jan
    # (period 0, once), 20 Jan (period 2) → 2 done.
    # Plan 1, monthly from 20 Dec 2025, span January: only January's period ends in it → 1
    # due; a visit on 31 Dec is in December's period → 0 done.
    # Plan 2, every 10 days from 1 Jan, ended 15 Jan: period 0 (1–10) due, period 1 (11–20)
    # ends after the plan's last day → 1 due; visit on 12 Jan is period 1 → 0 done.
    start = arr(d("2026-01-05"), d("2025-12-20"), d("2026-01-01"))
    last_day = arr(d("2099-01-01"), d("2099-01-01"), d("2026-01-15"))
    interval = arr(7, v.MONTHLY, 10)
    plan_of_visit = arr(0, 0, 0, 1, 2)
    visit_day = arr(
        d("2026-01-06"), d("2026-01-07"), d("2026-01-20"), d("2025-12-31"), d("2026-01-12")
    )
    result = v.compliance(
        start, last_day, interval, plan_of_visit, visit_day, d("2026-01-01"), d("2026-02-01")
    )
    assert result.due.tolist() == [3, 1, 1]
    assert result.done.tolist() == [2, 0, 0]
    assert (result.total_done, result.total_due) == (2, 5)


def test_compliance_of_a_plan_starting_after_the_span_is_zero() -> None:
    result = v.compliance(
        arr(d("2026-03-01")),
        arr(d("2099-01-01")),
        arr(7),
        arr(),
        arr(),
        d("2026-01-01"),
        d("2026-02-01"),
    )
    assert result.due.tolist() == [0]
    assert result.done.tolist() == [0]
