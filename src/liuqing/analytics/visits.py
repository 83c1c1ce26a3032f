"""Visit cadence: when each plan's next visit falls due, and how many due visits were done.

Pure functions over numpy arrays (no Django). Days are integer day numbers
(`datetime.date.toordinal()`); a plan is (start day, interval) where the interval is a number
of days (7 for weekly, N for "every N days") or `MONTHLY` (0) for calendar months.

A plan's time is cut into consecutive **periods**: for an interval of N days, period k is
[start + kN, start + (k+1)N); for monthly plans, period 0 is the rest of the start's calendar
month and period k the k-th calendar month after it. Each period wants at least one visit.

* **Next due** (`next_due`): the last day of the first period after the one holding the
  plan's latest visit (period 0 when it has none). A plan is *overdue* at day t when its next
  due day is before t, *due* when it falls on or before the horizon (the end of this week).
* **On time** (`compliance`): a period is *due* in [p_start, p_end) when its last day lies in
  it (and on or before the plan's last day); it was done on time when a visit fell inside the
  period. Several visits in one period count once.

Visits dated before their plan's start are ignored (the services refuse them anyway).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MONTHLY = 0
OK, DUE, OVERDUE = 0, 1, 2
# date(1970, 1, 1).toordinal(): day numbers to numpy datetime64 and back.
EPOCH_ORDINAL = 719163
NO_DAY = np.iinfo(np.int64).min

Days = npt.NDArray[np.int64]


def _months(days: Days) -> Days:
    """Months since January 1970 of each day number."""
    d = (np.asarray(days, dtype=np.int64) - EPOCH_ORDINAL).astype("datetime64[D]")
    return d.astype("datetime64[M]").astype(np.int64)


def _month_start(months: Days) -> Days:
    """The day number of the first day of each month (months since January 1970)."""
    m = np.asarray(months, dtype=np.int64).astype("datetime64[M]")
    return m.astype("datetime64[D]").astype(np.int64) + EPOCH_ORDINAL


def period_of(days: Days, start: Days, interval: Days) -> Days:
    """The index of the period holding each day (negative before the plan's start)."""
    days = np.asarray(days, dtype=np.int64)
    start = np.asarray(start, dtype=np.int64)
    interval = np.asarray(interval, dtype=np.int64)
    monthly = interval == MONTHLY
    safe = np.where(monthly, 1, interval)
    by_days = (days - start) // safe
    if not monthly.any():
        return by_days
    return np.where(monthly, _months(days) - _months(start), by_days)


def period_end(k: Days, start: Days, interval: Days) -> Days:
    """The day after period k ends (exclusive end)."""
    k = np.asarray(k, dtype=np.int64)
    start = np.asarray(start, dtype=np.int64)
    interval = np.asarray(interval, dtype=np.int64)
    monthly = interval == MONTHLY
    safe = np.where(monthly, 1, interval)
    by_days = start + safe * (k + 1)
    if not monthly.any():
        return by_days.astype(np.int64)
    return np.where(monthly, _month_start(_months(start) + k + 1), by_days).astype(np.int64)


def latest_visit(n_plans: int, plan_of_visit: Days, visit_day: Days) -> Days:
    """The latest visit day of each plan (`NO_DAY` for a plan without visits)."""
    last = np.full(n_plans, NO_DAY, dtype=np.int64)
    if len(plan_of_visit):
        np.maximum.at(last, np.asarray(plan_of_visit, dtype=np.int64), visit_day)
    return last


def next_due(start: Days, interval: Days, last_visit: Days) -> Days:
    """The last day by which each plan's next visit is due (see the module docstring)."""
    start = np.asarray(start, dtype=np.int64)
    last_visit = np.asarray(last_visit, dtype=np.int64)
    visited = last_visit >= start
    k = np.where(visited, period_of(np.where(visited, last_visit, start), start, interval) + 1, 0)
    return period_end(k, start, interval) - 1


def status(due: Days, today: int, horizon: int) -> npt.NDArray[np.int8]:
    """OVERDUE (due before `today`), DUE (due on or before `horizon`) or OK, per plan."""
    due = np.asarray(due, dtype=np.int64)
    out = np.where(due < today, OVERDUE, np.where(due <= horizon, DUE, OK))
    return out.astype(np.int8)


@dataclass(frozen=True)
class Compliance:
    """Per plan: periods due in the span and those of them with a visit inside."""

    due: Days
    done: Days

    @property
    def total_due(self) -> int:
        return int(self.due.sum())

    @property
    def total_done(self) -> int:
        return int(self.done.sum())


def compliance(
    start: Days,
    last_day: Days,
    interval: Days,
    plan_of_visit: Days,
    visit_day: Days,
    p_start: int,
    p_end: int,
) -> Compliance:
    """Periods whose last day lies in [p_start, p_end) and on or before the plan's
    `last_day` (inclusive; a large number for open-ended plans), and how many of them had a
    visit inside. Callers pass `p_end` no later than the as-of day, so a period still
    running is not yet counted as due."""
    start = np.asarray(start, dtype=np.int64)
    interval = np.asarray(interval, dtype=np.int64)
    n = len(start)
    if n == 0 or p_end <= p_start:
        empty = np.zeros(n, dtype=np.int64)
        return Compliance(due=empty, done=empty.copy())
    # First period whose last day is >= p_start: the one holding max(p_start, start).
    k_first = period_of(np.maximum(p_start, start), start, interval)
    # Last period whose last day is < u, u = min(p_end, last_day + 1): the one holding u - 1
    # if it ends exactly at u, else the one before it.
    u = np.minimum(p_end, np.asarray(last_day, dtype=np.int64) + 1)
    holder = period_of(u - 1, start, interval)
    k_last = np.where(period_end(holder, start, interval) == u, holder, holder - 1)
    due = np.maximum(0, k_last - k_first + 1)
    due = np.where(u - 1 < start, 0, due)

    plan_of_visit = np.asarray(plan_of_visit, dtype=np.int64)
    visit_day = np.asarray(visit_day, dtype=np.int64)
    done = np.zeros(n, dtype=np.int64)
    if len(plan_of_visit):
        k = period_of(visit_day, start[plan_of_visit], interval[plan_of_visit])
        ok = (k >= k_first[plan_of_visit]) & (k <= k_last[plan_of_visit]) & (k >= 0)
        p, k = plan_of_visit[ok], k[ok]
        if len(p):
            span = int(k.max()) + 1
            keys = np.unique(p * span + k)
            done = np.bincount(keys // span, minlength=n).astype(np.int64)
    return Compliance(due=due.astype(np.int64), done=done)
