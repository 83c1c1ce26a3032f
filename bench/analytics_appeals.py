"""Benchmark: the appeals figures core (liuqing.analytics.appeals.appeal_figures) on a million
appeals, beside a same-run reference.

This used to be a timing assertion in analytics/tests/test_appeals.py (a million appeals in
under 0.5 s); the test now checks the figures against a row-by-row count, and the time is
measured here. Synthetic data as the test's: 1,000,000 appeals received uniformly over the
300 days before March 2026 and March itself, 80 % closed within 20 days, half followed up,
some reopened, 1 % withdrawn or merged.

Two same-run references, so that a loaded machine shows in both:

* `numpy_floor`: one pass of the cheapest numpy work every figure needs (a boolean mask of the
  cohort and its sum): the figures cost `ratio_to_floor` of it;
* `python_loop`: the figures counted row by row in plain Python (on `--loop-rows` rows, 200,000
  by default, scaled to the million linearly), whose counts must equal ours: `speedup`.

Times are the best of `--runs` warm runs.

    python bench/analytics_appeals.py
    python bench/analytics_appeals.py --rows 2000000 --runs 9
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "bench"))
sys.path.insert(0, str(PROJECT / "src"))

import benchlib  # noqa: E402
from liuqing.analytics import appeals, periods  # noqa: E402
from liuqing.analytics.appeals import AppealRows, FollowUpRows  # noqa: E402

DAY = 86_400
TARGET_SECONDS = 0.5  # the budget the former test asserted, for 1,000,000 appeals


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--loop-rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def best(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Fastest of `runs` calls (after one warm-up), in seconds, and the last result."""
    result = fn()
    fastest = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        fastest = min(fastest, time.perf_counter() - started)
    return fastest, result


def synthetic(n: int, seed: int, start: float, end: float) -> AppealRows:
    rng = np.random.default_rng(seed)
    received = rng.uniform(start - 300 * DAY, end, n)
    closed_at = np.where(rng.random(n) < 0.8, received + rng.uniform(0, 20 * DAY, n), math.nan)
    return AppealRows(
        received_at=received,
        closed_at=closed_at,
        due=received + 10 * DAY,
        reopened=rng.integers(0, 2, n),
        followed_up=rng.random(n) < 0.5,
        handling_seconds=np.where(np.isnan(closed_at), math.nan, np.rint(closed_at - received)),
        excluded=rng.random(n) < 0.01,
        warning=rng.integers(0, 4, n),
    )


def python_loop(r: AppealRows, limit: int, start: float, end: float, as_of: float) -> list[int]:
    """received, closed, on time, followed up, reopened, ever closed: row by row."""
    counts = [0] * 6
    received, closed_at, due = r.received_at.tolist(), r.closed_at.tolist(), r.due.tolist()
    excluded, followed, reopened = r.excluded.tolist(), r.followed_up.tolist(), r.reopened.tolist()
    for i in range(limit):
        if excluded[i] or not start <= received[i] < end:
            continue
        is_closed = closed_at[i] <= as_of  # NaN compares false
        counts[0] += 1
        if is_closed:
            counts[1] += 1
            counts[2] += closed_at[i] <= due[i] or math.isnan(due[i])
            counts[3] += bool(followed[i])
        counts[4] += reopened[i] > 0
        counts[5] += is_closed or reopened[i] > 0
    return counts


def main() -> None:
    args = parse_args()
    period = periods.month(2026, 3, ZoneInfo("Asia/Shanghai"))
    start, end = period.start_epoch, period.end_epoch
    wide_start, as_of = start - 300 * DAY, end + 10 * DAY
    rows = synthetic(args.rows, args.seed, start, end)
    empty = FollowUpRows.empty()

    def ours() -> appeals.AppealFigures:
        return appeals.appeal_figures(rows, empty, start=wide_start, end=end, as_of=as_of)

    def floor() -> int:
        return int(((rows.received_at >= wide_start) & (rows.received_at < end)).sum())

    ours_s, figures = best(ours, args.runs)
    floor_s, _ = best(floor, args.runs)
    loop_rows = min(args.loop_rows, args.rows)
    loop_s, _ = best(lambda: python_loop(rows, loop_rows, wide_start, end, as_of), 1)
    loop_scaled = loop_s * args.rows / loop_rows

    # The counts must agree (on the loop's rows): the speed is of the right answer.
    head = AppealRows(
        received_at=rows.received_at[:loop_rows],
        closed_at=rows.closed_at[:loop_rows],
        due=rows.due[:loop_rows],
        reopened=rows.reopened[:loop_rows],
        followed_up=rows.followed_up[:loop_rows],
        handling_seconds=rows.handling_seconds[:loop_rows],
        excluded=rows.excluded[:loop_rows],
        warning=rows.warning[:loop_rows],
    )
    mine = appeals.appeal_figures(head, empty, start=wide_start, end=end, as_of=as_of)
    theirs = python_loop(rows, loop_rows, wide_start, end, as_of)
    agree = theirs == [
        mine.received,
        mine.completion.numerator,
        mine.on_time.numerator,
        mine.followup.numerator,
        mine.reopen.numerator,
        mine.reopen.denominator,
    ]
    benchlib.emit(
        {
            "benchmark": "analytics_appeals",
            "machine": benchlib.machine(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "rows": args.rows,
            "received_in_period": figures.received,
            "appeal_figures": {
                "ours_s": round(ours_s, 4),
                "target_s": TARGET_SECONDS,
                "pass": ours_s <= TARGET_SECONDS,
            },
            "numpy_floor": {
                "what": "cohort mask and sum, one pass",
                "seconds": round(floor_s, 5),
                "ratio_to_floor": round(ours_s / floor_s, 1),
            },
            "python_loop": {
                "what": f"row-by-row count on {loop_rows} rows, scaled to {args.rows}",
                "seconds_scaled": round(loop_scaled, 3),
                "speedup": round(loop_scaled / ours_s, 1),
                "same_counts": agree,
            },
        }
    )


if __name__ == "__main__":
    main()
