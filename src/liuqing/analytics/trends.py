"""Is the change real? 同比 / 环比 of incident counts with an exact Poisson comparison.

A count going from 3 to 1 is a 67 % drop, and says almost nothing. Every change shown comes with
a note from an exact test of "the underlying rate did not change":

* Counts n₁ (before, exposure e₁) and n₂ (now, exposure e₂) are modelled as Poisson with rates
  λ·e₁ and λ·e₂ under the null hypothesis. Given the total n = n₁ + n₂, n₂ is then
  Binomial(n, π₀) with π₀ = e₂ / (e₁ + e₂) (½ for equal exposure; exposures are days, so
  31-day March against 28-day February is not read as a rise of 11 %). This is the exact
  conditional test (Przyborowski & Wilenski 1940), with no normal approximation.
* Two-sided p: the probability under Binomial(n, π₀) of every outcome no more likely than the
  one observed, Σ P(i) over i with P(i) ≤ P(n₂)·(1 + 10⁻⁷) — the definition
  ``scipy.stats.binomtest`` uses (the relative slack absorbs rounding between equal
  probabilities).
* The note: ``too_few`` when even the most lopsided split of n (all before, or all now) would
  not reach p < α, so no result could be significant (3 → 1: n = 4, smallest possible
  p = 0.125); else ``significant`` when p < α, else ``not_significant``.

The change itself stays an exact fraction (`rates.change`), undefined (None, shown "—") when the
earlier count is zero.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

import numpy as np

from .periods import Kind, Period
from .rates import Number, change

DEFAULT_ALPHA = 0.05
_RELATIVE_SLACK = 1e-7


class Note(StrEnum):
    SIGNIFICANT = "significant"
    NOT_SIGNIFICANT = "not_significant"
    TOO_FEW = "too_few"  # "too few to say"


def _log_pmf(n: int, prob: float) -> np.ndarray:
    """log P(i) for i = 0…n under Binomial(n, prob), 0 < prob < 1."""
    from scipy.special import gammaln  # here, not with the module (see `hotspots`)

    i = np.arange(n + 1, dtype=np.float64)
    return (
        gammaln(n + 1.0)
        - gammaln(i + 1.0)
        - gammaln(n - i + 1.0)
        + i * math.log(prob)
        + (n - i) * math.log1p(-prob)
    )


def binomial_two_sided_p(k: int, n: int, prob: float) -> float:
    """Exact two-sided p of k successes in n trials with success probability `prob`
    (the "no more likely than observed" rule in the module docstring)."""
    if not 0 <= k <= n:
        raise ValueError("k must be between 0 and n")
    if not 0.0 < prob < 1.0:
        raise ValueError("prob must be strictly between 0 and 1")
    if n == 0:
        return 1.0
    log_pmf = _log_pmf(n, prob)
    threshold = log_pmf[k] + math.log1p(_RELATIVE_SLACK)
    # Sum the smallest terms first for accuracy.
    terms = np.sort(np.exp(log_pmf[log_pmf <= threshold]))
    return float(min(1.0, terms.sum()))


def smallest_p(n: int, prob: float) -> float:
    """The smallest two-sided p that any split of n events can reach."""
    if n == 0:
        return 1.0
    return min(binomial_two_sided_p(0, n, prob), binomial_two_sided_p(n, n, prob))


@dataclass(frozen=True)
class CountComparison:
    """`now` against `before` with the exposures (days) they were counted over."""

    now: int
    before: int
    now_exposure: Fraction
    before_exposure: Fraction
    p: float
    note: Note
    alpha: float

    @property
    def change(self) -> Fraction | None:
        """(now − before) ÷ before of the counts; None when before is 0."""
        return change(self.now, self.before)

    @property
    def rate_change(self) -> Fraction | None:
        """The change of the rate per unit of exposure (what the test is about); equals
        `change` when the exposures are equal; None when before is 0."""
        return change(
            Fraction(self.now) / self.now_exposure, Fraction(self.before) / self.before_exposure
        )

    @property
    def significant(self) -> bool:
        return self.note == Note.SIGNIFICANT


def compare_counts(
    now: int,
    before: int,
    *,
    now_exposure: Number = 1,
    before_exposure: Number = 1,
    alpha: float = DEFAULT_ALPHA,
) -> CountComparison:
    """Compare two counts with the exact conditional Poisson test (module docstring).

    Exposures are what the counts were collected over (days of the period, or days × cells);
    only their ratio matters.
    """
    for name, value in (("now", now), ("before", before)):
        if int(value) != value or value < 0:
            raise ValueError(f"{name} must be a non-negative whole number")
    e_now, e_before = Fraction(now_exposure), Fraction(before_exposure)
    if e_now <= 0 or e_before <= 0:
        raise ValueError("exposures must be positive")
    now, before = int(now), int(before)
    total = now + before
    prob = float(e_now / (e_now + e_before))
    p = binomial_two_sided_p(now, total, prob)
    if smallest_p(total, prob) >= alpha:
        note = Note.TOO_FEW
    elif p < alpha:
        note = Note.SIGNIFICANT
    else:
        note = Note.NOT_SIGNIFICANT
    return CountComparison(now, before, e_now, e_before, p, note, alpha)


def compare_periods(
    now: int,
    before: int,
    now_period: Period,
    before_period: Period,
    *,
    alpha: float = DEFAULT_ALPHA,
) -> CountComparison:
    """Counts in two periods (e.g. P and `periods.year_on_year(P)` or `month_on_month(P)`),
    with the periods' lengths in days as exposures."""
    return compare_counts(
        now, before, now_exposure=now_period.days, before_exposure=before_period.days, alpha=alpha
    )


@dataclass(frozen=True)
class SeasonalComparison:
    """Incidents per day in the chosen months against the other months."""

    months: frozenset[int]
    in_count: int
    in_days: int
    out_count: int
    out_days: int
    test: CountComparison  # "now" = the chosen months, "before" = the rest

    @property
    def in_rate(self) -> Fraction | None:
        return Fraction(self.in_count, self.in_days) if self.in_days else None

    @property
    def out_rate(self) -> Fraction | None:
        return Fraction(self.out_count, self.out_days) if self.out_days else None

    @property
    def ratio(self) -> Fraction | None:
        """in_rate ÷ out_rate; None when either is undefined or the other months had none."""
        a, b = self.in_rate, self.out_rate
        if a is None or b is None or b == 0:
            return None
        return a / b


def seasonal_comparison(
    monthly: Sequence[tuple[Period, int]],
    months: Collection[int],
    *,
    alpha: float = DEFAULT_ALPHA,
) -> SeasonalComparison:
    """Are incidents per day higher in `months` (1–12, e.g. {6, 7, 8} for summer) than in the
    other months? `monthly` holds (month period, count) pairs, e.g. the last three years; each
    month's exposure is its number of days."""
    chosen = frozenset(months)
    if not chosen or not chosen <= set(range(1, 13)):
        raise ValueError("months are 1 to 12, at least one")
    counts = {True: 0, False: 0}
    days = {True: 0, False: 0}
    for period, count in monthly:
        if period.kind != Kind.MONTH:
            raise ValueError("seasonal comparison needs monthly periods")
        inside = period.first.month in chosen
        counts[inside] += int(count)
        days[inside] += period.days
    if not days[True] or not days[False]:
        raise ValueError("the series needs months both inside and outside the season")
    test = compare_counts(
        counts[True],
        counts[False],
        now_exposure=days[True],
        before_exposure=days[False],
        alpha=alpha,
    )
    return SeasonalComparison(chosen, counts[True], days[True], counts[False], days[False], test)
