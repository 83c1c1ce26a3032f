"""Every appeals figure of KPIS.md against a hand-counted fixture.

Period P = March 2026 (Asia/Shanghai), as of 10 April 2026 00:00. Working days in
`handling` are given directly (the selector computes them on the calendar).

    id  received     closed       due          reop  f/up  handling  excl  warning
    A   03-02 09:00  03-05 09:00  03-09 09:00   0    yes   3.0 d     -     none
    B   03-03 10:00  03-20 10:00  03-10 10:00   0    yes   9.1 d     -     red
    C   03-10 08:00  03-12 08:00  03-17 08:00   1    no    2.0 d     -     none
    D   03-15 12:00  open         03-22 12:00   0    no    -         -     red
    E   03-20 09:00  open         04-20 09:00   0    no    -         -     blue
    F   03-25 09:00  04-15 09:00  04-01 09:00   0    no    (later)   -     yellow
    G   03-28 09:00  open         04-30 09:00   2    no    -         -     none
    H   03-05 09:00  03-06 09:00  03-12 09:00   0    no    1.0 d     yes   none  (withdrawn)
    I   03-31 23:59  04-01 11:59  no deadline   0    no    0.5 d     -     none
    J   04-01 00:00  04-02 00:00  04-08 00:00   0    no    1.0 d     -     none  (after P)
    K   02-28 23:00  open         03-10 23:00   0    no    -         -     red   (before P)

Cohort (received in P, not withdrawn/merged): A B C D E F G I = 8; H leaves it.
Closed by as-of: A B C I = 4 (F closes after as-of).
    completion  4/8 = 50.0 %
    on time     A (03-05 ≤ 03-09), C (03-12 ≤ 03-17), I (no deadline) = 3/8 = 37.5 %
    handling    (3.0 + 9.1 + 2.0 + 0.5) / 4 = 14.6 / 4 = 3.65 → "3.7" (half up)
    follow-up   A B of the 4 closed = 2/4 = 50.0 %
    reopen      reopened C G = 2; closed at least once A B C I + G = 5 → 2/5 = 40.0 %
Open at as-of (any period): D E F G K = 5 (H withdrawn, J closed 04-02);
    past due: D (03-22), F (04-01), K (03-10) = 3;
    by level: none G = 1, blue E = 1, yellow F = 1, red D K = 2.

Follow-ups:
    1 03-06 satisfied   2 03-21 basically   3 03-13 dissatisfied   4 03-25 (no rating)
    5 02-27 satisfied (before P)   6 04-01 00:00 satisfied (after P)   7 03-31 basically
In P: 1 2 3 4 7 = 5; rated 1 2 3 7 = 4;
    satisfaction (satisfied + basically) 1 2 7 = 3/4 = 75.0 %; fully satisfied 1 = 1/4 = 25.0 %
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from liuqing.analytics import appeals, periods
from liuqing.analytics.appeals import AppealRows, FollowUpRows

TZ = ZoneInfo("Asia/Shanghai")
NAN = math.nan
DAY = 86_400
P = periods.month(2026, 3, TZ)


def t(text: str) -> float:
    """'03-02 09:00' (2026, Beijing time) or '2026-02-28 23:00' as epoch seconds."""
    if text.count("-") == 1:
        text = "2026-" + text
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


AS_OF = t("04-10 00:00")
NONE, BLUE, YELLOW, RED = 0, 1, 2, 3

# id: received, closed, due, reopened, followed up, handling days, excluded, warning
TABLE = {
    "A": ("03-02 09:00", "03-05 09:00", "03-09 09:00", 0, True, 3.0, False, NONE),
    "B": ("03-03 10:00", "03-20 10:00", "03-10 10:00", 0, True, 9.1, False, RED),
    "C": ("03-10 08:00", "03-12 08:00", "03-17 08:00", 1, False, 2.0, False, NONE),
    "D": ("03-15 12:00", None, "03-22 12:00", 0, False, None, False, RED),
    "E": ("03-20 09:00", None, "04-20 09:00", 0, False, None, False, BLUE),
    "F": ("03-25 09:00", "04-15 09:00", "04-01 09:00", 0, False, 15.0, False, YELLOW),
    "G": ("03-28 09:00", None, "04-30 09:00", 2, False, None, False, NONE),
    "H": ("03-05 09:00", "03-06 09:00", "03-12 09:00", 0, False, 1.0, True, NONE),
    "I": ("03-31 23:59", "04-01 11:59", None, 0, False, 0.5, False, NONE),
    "J": ("04-01 00:00", "04-02 00:00", "04-08 00:00", 0, False, 1.0, False, NONE),
    "K": ("2026-02-28 23:00", None, "03-10 23:00", 0, False, None, False, RED),
}

FOLLOWUPS = [
    ("03-06 10:00", "satisfied"),
    ("03-21 10:00", "basically"),
    ("03-13 10:00", "dissatisfied"),
    ("03-25 10:00", ""),
    ("2026-02-27 10:00", "satisfied"),
    ("04-01 00:00", "satisfied"),
    ("03-31 10:00", "basically"),
]


def rows(table: Mapping[str, tuple[Any, ...]] = TABLE) -> AppealRows:
    def when(value: object) -> float:
        return t(str(value)) if value is not None else NAN

    values = list(table.values())
    return AppealRows(
        received_at=[when(r[0]) for r in values],
        closed_at=[when(r[1]) for r in values],
        due=[when(r[2]) for r in values],
        reopened=[r[3] for r in values],
        followed_up=[r[4] for r in values],
        handling_seconds=[r[5] * DAY if r[5] is not None else NAN for r in values],
        excluded=[r[6] for r in values],
        warning=[r[7] for r in values],
    )


def followups() -> FollowUpRows:
    return FollowUpRows(done_at=[t(d) for d, _r in FOLLOWUPS], rating=[r for _d, r in FOLLOWUPS])


S, E = P.start_epoch, P.end_epoch


def test_received_counts_the_cohort_without_withdrawn_or_merged() -> None:
    assert appeals.received(rows(), S, E) == 8
    assert appeals.excluded_count(rows(), S, E) == 1


def test_completion_rate() -> None:
    rate = appeals.completion_rate(rows(), S, E, AS_OF)
    assert (rate.numerator, rate.denominator, rate.percent_display()) == (4, 8, "50.0%")


def test_completion_depends_on_the_as_of_time() -> None:
    # As of 16 April, F (closed 15 April) counts too: 5/8.
    rate = appeals.completion_rate(rows(), S, E, t("04-16 00:00"))
    assert (rate.numerator, rate.denominator) == (5, 8)


def test_on_time_rate() -> None:
    rate = appeals.on_time_rate(rows(), S, E, AS_OF)
    assert (rate.numerator, rate.denominator, rate.percent_display()) == (3, 8, "37.5%")


def test_closing_exactly_at_the_due_time_is_on_time() -> None:
    table = {"X": ("03-02 09:00", "03-09 09:00", "03-09 09:00", 0, False, 5.0, False, NONE)}
    assert appeals.on_time_rate(rows(table), S, E, AS_OF).numerator == 1


def test_average_handling_time_in_working_days() -> None:
    average = appeals.average_handling_days(rows(), S, E, AS_OF)
    assert average.count == 4
    assert float(average.value) == pytest.approx(3.65)  # type: ignore[arg-type]
    assert average.display() == "3.7"


def test_average_handling_time_needs_every_closed_appeals_time() -> None:
    broken = dict(TABLE)
    broken["A"] = ("03-02 09:00", "03-05 09:00", "03-09 09:00", 0, True, None, False, NONE)
    with pytest.raises(ValueError, match="handling time"):
        appeals.average_handling_days(rows(broken), S, E, AS_OF)


def test_followup_rate() -> None:
    rate = appeals.followup_rate(rows(), S, E, AS_OF)
    assert (rate.numerator, rate.denominator, rate.percent_display()) == (2, 4, "50.0%")


def test_reopen_rate() -> None:
    rate = appeals.reopen_rate(rows(), S, E, AS_OF)
    assert (rate.numerator, rate.denominator, rate.percent_display()) == (2, 5, "40.0%")


def test_satisfaction_and_fully_satisfied_rates() -> None:
    result = appeals.satisfaction(followups(), S, E, AS_OF)
    assert result.followups == 5
    assert (result.satisfied.numerator, result.satisfied.denominator) == (3, 4)
    assert result.satisfied.percent_display() == "75.0%"
    assert (result.fully.numerator, result.fully.denominator) == (1, 4)
    assert result.fully.percent_display() == "25.0%"


def test_open_now_by_warning_level() -> None:
    result = appeals.open_now(rows(), AS_OF)
    assert (result.open, result.overdue) == (5, 3)
    assert result.by_level == {"none": 1, "blue": 1, "yellow": 1, "red": 2}


def test_all_figures_at_once() -> None:
    figures = appeals.appeal_figures(rows(), followups(), start=S, end=E, as_of=AS_OF)
    shown = figures.as_dict()
    assert shown["received"] == 8
    assert {k: shown[k]["display"] for k in ("completion", "on_time", "followup", "reopen")} == {
        "completion": "50.0%",
        "on_time": "37.5%",
        "followup": "50.0%",
        "reopen": "40.0%",
    }
    assert shown["satisfaction"] == {
        "numerator": 3,
        "denominator": 4,
        "value": 0.75,
        "display": "75.0%",
    }
    assert shown["fully_satisfied"]["display"] == "25.0%"
    assert shown["average_handling_days"]["display"] == "3.7"
    assert shown["open_now"] == {
        "open": 5,
        "overdue": 3,
        "by_level": {"none": 1, "blue": 1, "yellow": 1, "red": 2},
    }


def test_an_empty_period_shows_dashes_not_zeros() -> None:
    april_2025 = periods.month(2025, 4, TZ)
    figures = appeals.appeal_figures(
        rows(),
        FollowUpRows.empty(),
        start=april_2025.start_epoch,
        end=april_2025.end_epoch,
        as_of=AS_OF,
    )
    assert figures.received == 0
    for rate in (figures.completion, figures.on_time, figures.followup, figures.reopen):
        assert (rate.denominator, rate.percent_display()) == (0, "—")
    assert figures.satisfaction.percent_display() == "—"
    assert figures.fully_satisfied.percent_display() == "—"
    assert figures.average_handling_days.display() == "—"


def test_no_rows_at_all() -> None:
    figures = appeals.appeal_figures(
        AppealRows.empty(), FollowUpRows.empty(), start=S, end=E, as_of=AS_OF
    )
    assert figures.received == 0
    assert figures.open_now.by_level == {"none": 0, "blue": 0, "yellow": 0, "red": 0}


def test_arrays_must_line_up() -> None:
    with pytest.raises(ValueError, match="closed_at"):
        AppealRows(
            received_at=[1.0, 2.0],
            closed_at=[1.0],
            due=[NAN, NAN],
            reopened=[0, 0],
            followed_up=[False, False],
            handling_seconds=[NAN, NAN],
            excluded=[False, False],
        )


def _repeat(r: AppealRows, times: list[int]) -> AppealRows:
    """Each row of `r` copied `times[i]` times (the ungrouped form of weights `times`)."""
    return AppealRows(
        received_at=np.repeat(r.received_at, times),
        closed_at=np.repeat(r.closed_at, times),
        due=np.repeat(r.due, times),
        reopened=np.repeat(r.reopened, times),
        followed_up=np.repeat(r.followed_up, times),
        handling_seconds=np.repeat(r.handling_seconds, times),
        excluded=np.repeat(r.excluded, times),
        warning=np.repeat(r.warning, times),
    )


def test_a_weighted_row_counts_as_its_copies() -> None:
    """A row of weight w whose handling time is the total of its w appeals gives every figure
    of the w rows it stands for (zero weights drop out), in and around P and at any as-of."""
    weights = [3, 1, 2, 0, 5, 1, 4, 2, 1, 7, 3]
    one = rows()
    grouped = AppealRows(
        received_at=one.received_at,
        closed_at=one.closed_at,
        due=one.due,
        reopened=one.reopened,
        followed_up=one.followed_up,
        handling_seconds=one.handling_seconds * weights,
        excluded=one.excluded,
        warning=one.warning,
        weight=weights,
    )
    done = followups()
    follow_weights = [2, 1, 3, 1, 4, 1, 2]
    grouped_done = FollowUpRows(done_at=done.done_at, rating=done.rating, weight=follow_weights)
    copied_done = FollowUpRows(
        done_at=np.repeat(done.done_at, follow_weights),
        rating=np.repeat(done.rating, follow_weights),
    )
    for start, end in ((S, E), (S - 28 * DAY, S), (S, E + 30 * DAY)):
        for as_of in (AS_OF, t("03-20 10:00"), t("04-01 11:59"), E):
            expected = appeals.appeal_figures(
                _repeat(one, weights), copied_done, start=start, end=end, as_of=as_of
            )
            assert (
                appeals.appeal_figures(grouped, grouped_done, start=start, end=end, as_of=as_of)
                == expected
            )
    figures = appeals.appeal_figures(grouped, grouped_done, start=S, end=E, as_of=AS_OF)
    assert figures.received == 3 + 1 + 2 + 0 + 5 + 1 + 4 + 1  # A B C D E F G I
    assert figures.open_now is not None
    assert figures.open_now.by_level == {"none": 4, "blue": 5, "yellow": 1, "red": 3}


def test_weights_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        FollowUpRows(done_at=[1.0], rating=["satisfied"], weight=[-1])


def _random_rows(n: int, seed: int) -> AppealRows:
    """`n` appeals spread over the 300 days before P and P itself, like the benchmark's
    (bench/analytics_appeals.py): 80 % closed within 20 days, some reopened, some excluded."""
    rng = np.random.default_rng(seed)
    received = rng.uniform(S - 300 * DAY, E, n)
    closed_at = np.where(rng.random(n) < 0.8, received + rng.uniform(0, 20 * DAY, n), NAN)
    return AppealRows(
        received_at=received,
        closed_at=closed_at,
        due=np.where(rng.random(n) < 0.95, received + 10 * DAY, NAN),
        reopened=rng.integers(0, 2, n),
        followed_up=rng.random(n) < 0.5,
        handling_seconds=np.where(np.isnan(closed_at), NAN, np.rint(closed_at - received)),
        excluded=rng.random(n) < 0.01,
        warning=rng.integers(0, 4, n),
    )


def _by_hand(r: AppealRows, start: float, end: float, as_of: float) -> dict[str, Any]:
    """The figures counted row by row in plain Python, straight from KPIS.md's wording."""
    got: dict[str, Any] = dict.fromkeys(
        ("received", "excluded", "closed", "on_time", "followed", "reopened", "ever_closed"), 0
    )
    got.update(handling=0, open=0, overdue=0, levels=[0, 0, 0, 0])
    for i in range(len(r)):
        rec, clo, due = float(r.received_at[i]), float(r.closed_at[i]), float(r.due[i])
        is_closed = not math.isnan(clo) and clo <= as_of
        if not r.excluded[i] and rec <= as_of and not is_closed:
            got["open"] += 1
            got["overdue"] += int(not math.isnan(due) and due < as_of)
            got["levels"][int(r.warning[i])] += 1
        if not start <= rec < end:
            continue
        if r.excluded[i]:
            got["excluded"] += 1
            continue
        got["received"] += 1
        if is_closed:
            got["closed"] += 1
            got["on_time"] += int(math.isnan(due) or clo <= due)
            got["followed"] += int(bool(r.followed_up[i]))
            got["handling"] += int(r.handling_seconds[i])
        got["reopened"] += int(r.reopened[i] > 0)
        got["ever_closed"] += int(is_closed or r.reopened[i] > 0)
    return got


def test_many_random_appeals_give_the_figures_counted_row_by_row() -> None:
    """The vectorised figures equal a plain row-by-row count on 20,000 random appeals (their
    speed at a million is measured by bench/analytics_appeals.py, not asserted in a test)."""
    big = _random_rows(20_000, seed=7)
    start = S - 300 * DAY
    figures = appeals.appeal_figures(big, FollowUpRows.empty(), start=start, end=E, as_of=AS_OF)
    hand = _by_hand(big, start, E, AS_OF)
    assert hand["received"] > 15_000, "the data reaches the period"
    assert hand["open"] > 0, "open appeals are counted"
    assert hand["overdue"] > 0, "overdue appeals are counted"
    assert figures.received == hand["received"]
    assert figures.excluded == hand["excluded"]
    assert (figures.completion.numerator, figures.completion.denominator) == (
        hand["closed"],
        hand["received"],
    )
    assert (figures.on_time.numerator, figures.on_time.denominator) == (
        hand["on_time"],
        hand["received"],
    )
    assert (figures.followup.numerator, figures.followup.denominator) == (
        hand["followed"],
        hand["closed"],
    )
    assert figures.average_handling_days.total * DAY == hand["handling"]
    assert figures.average_handling_days.count == hand["closed"]
    assert (figures.reopen.numerator, figures.reopen.denominator) == (
        hand["reopened"],
        hand["ever_closed"],
    )
    assert figures.open_now is not None
    assert figures.open_now.open == hand["open"]
    assert figures.open_now.overdue == hand["overdue"]
    assert list(figures.open_now.by_level.values()) == hand["levels"]
    assert figures.satisfaction.denominator == 0
    assert figures.satisfaction.value is None


def test_analytics_imports_no_django() -> None:
    code = (
        "import sys, pkgutil, importlib, liuqing.analytics as a\n"
        "for m in pkgutil.iter_modules(a.__path__):\n"
        "    importlib.import_module('liuqing.analytics.' + m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'django'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
