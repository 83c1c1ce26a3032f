"""The appeals figures of KPIS.md (知民情), as pure functions over numpy arrays.

The appeals selector fetches, for the member's scope and the cuts asked for (unit subtree,
place, category), one row per appeal received in the period (the cohort) plus the follow-ups
done in the period, as arrays; everything below is arithmetic on them. Instants are epoch
seconds (float; NaN for "not yet"). Each function takes the period as `start`, `end` epoch
seconds (half-open, see `liuqing.analytics.periods.Period.start_epoch`) and the report's
`as_of` instant, and filters the rows itself, so rows outside P may be passed in freely.

Definitions (the contract, KPIS.md):

* cohort: appeals received in [start, end), less those withdrawn or merged as duplicates
  (`excluded`), which leave numerator and denominator alike (and the received count);
* closed: `closed_at <= as_of`. An appeal reopened (重办) and not closed again is open: the
  selector passes NaN for its `closed_at`;
* completion rate 办结率: closed ÷ cohort;
* on-time rate 按时办结率: closed at or before `due` (the resolution due time after every
  approved extension and pause) ÷ cohort; an appeal with no due time (NaN) cannot be late;
* average handling time: mean of `handling_seconds` (working seconds from received to closed,
  on the national calendar) over closed appeals, in working days of 86,400 s;
* follow-up rate 回访率: closed with a follow-up done (`followed_up`) ÷ closed;
* satisfaction rate 满意率: follow-ups done in P (and by `as_of`) rated satisfied or basically
  satisfied ÷ follow-ups in P with a rating; the fully-satisfied rate beside it;
* reopen rate 重办率: cohort appeals reopened at least once ÷ cohort appeals closed at least
  once. "Closed at least once" is closed now or reopened (a reopened appeal was closed
  before), so an appeal reopened and still being handled counts in both and the rate never
  exceeds 100 %;
* open now: appeals not closed at `as_of` (whenever received), how many are past due, and how
  many sit at each warning level of the casework engine's ladder.

Grouped rows. Every figure is a sum over rows of a mask built from comparisons with a few
instants: the period bounds (`>= start`, `< end`, local midnights) and the as-of instants
(`<= as_of`). Rows that every such comparison treats alike can therefore travel as one row
of `weight` w (the number of appeals or follow-ups it stands for; 1 by default), whose
`handling_seconds` is the sum over the group: each count becomes Σ w over the mask and each
total Σ handling_seconds over it, so the figures are exactly those of the ungrouped rows,
provided the masks are only ever evaluated at the bounds and as-of instants the groups were
formed for (open now: at the one as-of instant it was grouped for). A group's instants are
then stand-ins chosen by the selector, any instant that compares with those bounds and
as-of instants as every member does (NaN for "never", as before).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from liuqing.analytics.rates import Average, Rate

SECONDS_PER_WORKING_DAY = 86_400

# Follow-up ratings, as stored by the casework engine (casework.models.Satisfaction).
SATISFIED = "satisfied"
BASICALLY = "basically"
DISSATISFIED = "dissatisfied"
RATINGS = (SATISFIED, BASICALLY, DISSATISFIED)

# Warning levels by code, as the casework engine orders them (casework.models.WARNING_ORDER).
WARNING_LEVELS = ("none", "blue", "yellow", "red")

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _floats(values: npt.ArrayLike, n: int) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:  # one value for every row (a constant due time, say)
        array = np.full(n, float(array))
    return array


def _weights(values: npt.ArrayLike | None, n: int) -> npt.NDArray[np.int64]:
    if values is None:
        return np.ones(n, dtype=np.int64)
    weight = np.asarray(values, dtype=np.int64)
    if (weight < 0).any():
        raise ValueError("weights count appeals: none may be negative")
    return weight


def _count(weight: npt.NDArray[np.int64], mask: BoolArray) -> int:
    """Σ weight over the mask: the number of appeals (or follow-ups) the masked rows stand for."""
    return int(weight[mask].sum())


def _check(name: str, array: npt.NDArray[Any], n: int) -> None:
    if array.shape != (n,):
        raise ValueError(f"{name} has {array.shape} values, expected {n}")


class AppealRows:
    """One row per appeal, as parallel arrays (anything numpy can turn into an array).

    received_at, closed_at, due: epoch seconds (closed_at NaN while open, due NaN when the
    category has no resolution deadline). reopened: times reopened. followed_up: a follow-up
    was done (by as-of). handling_seconds: working seconds from received to closed (NaN while
    open). excluded: withdrawn or merged into another appeal. warning: the engine's warning
    level code (0 none, 1 blue, 2 yellow, 3 red); optional, zeros when not given.
    """

    received_at: FloatArray
    closed_at: FloatArray
    due: FloatArray
    reopened: npt.NDArray[np.int64]
    followed_up: BoolArray
    handling_seconds: FloatArray
    excluded: BoolArray
    warning: npt.NDArray[np.int64]
    weight: npt.NDArray[np.int64]

    def __init__(
        self,
        *,
        received_at: npt.ArrayLike,
        closed_at: npt.ArrayLike,
        due: npt.ArrayLike,
        reopened: npt.ArrayLike,
        followed_up: npt.ArrayLike,
        handling_seconds: npt.ArrayLike,
        excluded: npt.ArrayLike,
        warning: npt.ArrayLike | None = None,
        weight: npt.ArrayLike | None = None,
    ) -> None:
        self.received_at = np.atleast_1d(np.asarray(received_at, dtype=np.float64))
        n = len(self.received_at)
        self.closed_at = _floats(closed_at, n)
        self.due = _floats(due, n)
        self.reopened = np.asarray(reopened, dtype=np.int64)
        self.followed_up = np.asarray(followed_up, dtype=bool)
        self.handling_seconds = _floats(handling_seconds, n)
        self.excluded = np.asarray(excluded, dtype=bool)
        self.warning = (
            np.zeros(n, dtype=np.int64) if warning is None else np.asarray(warning, dtype=np.int64)
        )
        self.weight = _weights(weight, n)
        for name in (
            "closed_at",
            "due",
            "reopened",
            "followed_up",
            "handling_seconds",
            "excluded",
            "warning",
            "weight",
        ):
            _check(name, getattr(self, name), n)

    def __len__(self) -> int:
        return len(self.received_at)

    @classmethod
    def empty(cls) -> AppealRows:
        none = np.zeros(0)
        return cls(
            received_at=none,
            closed_at=none,
            due=none,
            reopened=none,
            followed_up=none,
            handling_seconds=none,
            excluded=none,
        )


class FollowUpRows:
    """One row per follow-up done: done_at (epoch seconds) and rating ("satisfied",
    "basically", "dissatisfied", or "" when the resident gave none); optionally a weight, the
    number of follow-ups the row stands for (ones when not given)."""

    done_at: FloatArray
    rating: npt.NDArray[np.str_]
    weight: npt.NDArray[np.int64]

    def __init__(
        self,
        *,
        done_at: npt.ArrayLike,
        rating: npt.ArrayLike,
        weight: npt.ArrayLike | None = None,
    ) -> None:
        self.done_at = np.atleast_1d(np.asarray(done_at, dtype=np.float64))
        n = len(self.done_at)
        self.rating = np.asarray(rating, dtype=str)
        self.weight = _weights(weight, n)
        _check("rating", self.rating, n)
        _check("weight", self.weight, n)

    def __len__(self) -> int:
        return len(self.done_at)

    @classmethod
    def empty(cls) -> FollowUpRows:
        return cls(done_at=np.zeros(0), rating=np.zeros(0, dtype=str))


# --- Masks -------------------------------------------------------------------------------------


def cohort(rows: AppealRows, start: float, end: float) -> BoolArray:
    """Appeals received in [start, end), withdrawn and merged ones left out."""
    return (rows.received_at >= start) & (rows.received_at < end) & ~rows.excluded


def closed(rows: AppealRows, as_of: float) -> BoolArray:
    """Closed by `as_of` (NaN compares false: open)."""
    return rows.closed_at <= as_of


# --- Figures -----------------------------------------------------------------------------------


def received(rows: AppealRows, start: float, end: float) -> int:
    """受理量: appeals received in P (not withdrawn or merged)."""
    return _count(rows.weight, cohort(rows, start, end))


def excluded_count(rows: AppealRows, start: float, end: float) -> int:
    """Appeals received in P that were withdrawn or merged (shown beside `received`)."""
    in_p = (rows.received_at >= start) & (rows.received_at < end)
    return _count(rows.weight, in_p & rows.excluded)


def completion_rate(rows: AppealRows, start: float, end: float, as_of: float) -> Rate:
    """办结率: cohort appeals closed by as-of ÷ cohort appeals."""
    c = cohort(rows, start, end)
    return Rate(_count(rows.weight, c & closed(rows, as_of)), _count(rows.weight, c))


def on_time_rate(rows: AppealRows, start: float, end: float, as_of: float) -> Rate:
    """按时办结率: cohort appeals closed by as-of at or before their due time ÷ cohort."""
    c = cohort(rows, start, end)
    in_time = closed(rows, as_of) & ((rows.closed_at <= rows.due) | np.isnan(rows.due))
    return Rate(_count(rows.weight, c & in_time), _count(rows.weight, c))


def average_handling_days(rows: AppealRows, start: float, end: float, as_of: float) -> Average:
    """Mean working days from received to closed, over cohort appeals closed by as-of.

    Raises ValueError if a closed appeal has no handling time: the selector must supply it
    (the engine stores it at closure) rather than let the mean quietly skip rows.
    """
    mask = cohort(rows, start, end) & closed(rows, as_of)
    seconds = rows.handling_seconds[mask]
    if not np.isfinite(seconds).all():
        raise ValueError("every closed appeal needs its handling time in working seconds")
    total = int(np.rint(seconds).astype(np.int64).sum())
    return Average(Fraction(total, SECONDS_PER_WORKING_DAY), _count(rows.weight, mask))


def followup_rate(rows: AppealRows, start: float, end: float, as_of: float) -> Rate:
    """回访率: cohort closed appeals with a follow-up ÷ cohort closed appeals."""
    mask = cohort(rows, start, end) & closed(rows, as_of)
    return Rate(_count(rows.weight, mask & rows.followed_up), _count(rows.weight, mask))


def reopen_rate(rows: AppealRows, start: float, end: float, as_of: float) -> Rate:
    """重办率: cohort appeals reopened at least once ÷ cohort appeals closed at least once."""
    c = cohort(rows, start, end)
    reopened = rows.reopened > 0
    ever_closed = closed(rows, as_of) | reopened
    return Rate(_count(rows.weight, c & reopened), _count(rows.weight, c & ever_closed))


@dataclass(frozen=True)
class Satisfaction:
    """满意率 and, beside it, the fully-satisfied rate (both over follow-ups with a rating)."""

    satisfied: Rate  # satisfied or basically satisfied
    fully: Rate  # satisfied only
    followups: int  # follow-ups done in P, rated or not


def satisfaction(followups: FollowUpRows, start: float, end: float, as_of: float) -> Satisfaction:
    """Follow-ups done in P (by as-of): satisfied + basically ÷ rated, and satisfied ÷ rated."""
    in_p = (followups.done_at >= start) & (followups.done_at < end) & (followups.done_at <= as_of)
    rating, weight = followups.rating[in_p], followups.weight[in_p]
    rated = _count(weight, np.isin(rating, RATINGS))
    fully = _count(weight, rating == SATISFIED)
    basically = _count(weight, rating == BASICALLY)
    return Satisfaction(
        satisfied=Rate(fully + basically, rated),
        fully=Rate(fully, rated),
        followups=_count(followups.weight, in_p),
    )


@dataclass(frozen=True)
class OpenNow:
    """Appeals open at as-of: how many, how many past due, and how many at each warning level
    ("none", "blue", "yellow", "red")."""

    open: int
    overdue: int
    by_level: dict[str, int]


def open_now(rows: AppealRows, as_of: float) -> OpenNow:
    """Appeals received by as-of and not closed at as-of (whenever received), not withdrawn or
    merged: their number, those past their due time, and the count per warning level."""
    mask = (rows.received_at <= as_of) & ~closed(rows, as_of) & ~rows.excluded
    overdue = mask & (rows.due < as_of)
    level = np.clip(rows.warning[mask], 0, len(WARNING_LEVELS) - 1)
    levels = [_count(rows.weight[mask], level == i) for i in range(len(WARNING_LEVELS))]
    return OpenNow(
        open=_count(rows.weight, mask),
        overdue=_count(rows.weight, overdue),
        by_level=dict(zip(WARNING_LEVELS, levels, strict=True)),
    )


# --- All at once -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppealFigures:
    """Every appeals figure of KPIS.md for one period and as-of time."""

    start: float
    end: float
    as_of: float
    received: int
    excluded: int
    completion: Rate
    on_time: Rate
    average_handling_days: Average
    followup: Rate
    satisfaction: Rate
    fully_satisfied: Rate
    reopen: Rate
    open_now: OpenNow | None  # None when not asked for (a comparison period's figures)

    def as_dict(self) -> dict[str, Any]:
        """For the JSON API and exports: every rate with numerator, denominator and display."""
        return {
            "start": self.start,
            "end": self.end,
            "as_of": self.as_of,
            "received": self.received,
            "excluded": self.excluded,
            "completion": self.completion.as_dict(),
            "on_time": self.on_time.as_dict(),
            "average_handling_days": self.average_handling_days.as_dict(),
            "followup": self.followup.as_dict(),
            "satisfaction": self.satisfaction.as_dict(),
            "fully_satisfied": self.fully_satisfied.as_dict(),
            "reopen": self.reopen.as_dict(),
            "open_now": (
                {
                    "open": self.open_now.open,
                    "overdue": self.open_now.overdue,
                    "by_level": dict(self.open_now.by_level),
                }
                if self.open_now is not None
                else None
            ),
        }


def appeal_figures(
    rows: AppealRows,
    followups: FollowUpRows,
    *,
    start: float,
    end: float,
    as_of: float,
    with_open_now: bool = True,
) -> AppealFigures:
    """All the appeals figures for P = [start, end) as of `as_of` (epoch seconds); open now
    left out (None) if not `with_open_now`."""
    sat = satisfaction(followups, start, end, as_of)
    return AppealFigures(
        start=start,
        end=end,
        as_of=as_of,
        received=received(rows, start, end),
        excluded=excluded_count(rows, start, end),
        completion=completion_rate(rows, start, end, as_of),
        on_time=on_time_rate(rows, start, end, as_of),
        average_handling_days=average_handling_days(rows, start, end, as_of),
        followup=followup_rate(rows, start, end, as_of),
        satisfaction=sat.satisfied,
        fully_satisfied=sat.fully,
        reopen=reopen_rate(rows, start, end, as_of),
        open_now=open_now(rows, as_of) if with_open_now else None,
    )
