"""同比 / 环比 with an exact Poisson comparison, against scipy's binomial test."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from scipy.stats import binomtest

from liuqing.analytics import periods, trends
from liuqing.analytics.trends import Note

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("k", "n", "prob"),
    [
        (0, 1, 0.5),
        (1, 4, 0.5),
        (3, 4, 0.5),
        (10, 40, 0.5),
        (30, 40, 0.5),
        (20, 40, 0.5),  # the mode: p = 1
        (31, 59, 31 / 59),
        (5, 60, 31 / 59),
        (140, 200, 0.45),
        (7, 1000, 0.01),
        (900, 2000, 0.47),
    ],
)
def test_two_sided_p_equals_scipy_binomtest(k: int, n: int, prob: float) -> None:
    expected = binomtest(k, n, prob, alternative="two-sided").pvalue
    assert trends.binomial_two_sided_p(k, n, prob) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_three_to_one_is_too_few_to_say() -> None:
    result = trends.compare_counts(1, 3)
    assert result.change == Fraction(-2, 3)  # a "67 % drop"...
    assert result.note == Note.TOO_FEW  # ...that no split of 4 incidents could make significant
    assert result.p == pytest.approx(binomtest(1, 4, 0.5).pvalue)
    assert trends.smallest_p(4, 0.5) == pytest.approx(0.125)
    assert not result.significant


def test_a_large_drop_is_significant_and_a_modest_one_is_not() -> None:
    big = trends.compare_counts(10, 30)
    assert big.note == Note.SIGNIFICANT
    assert big.p == pytest.approx(binomtest(10, 40, 0.5).pvalue)
    modest = trends.compare_counts(4, 10)
    assert modest.note == Note.NOT_SIGNIFICANT
    assert modest.change == Fraction(-6, 10)


def test_change_from_zero_is_undefined_but_still_tested() -> None:
    result = trends.compare_counts(7, 0)
    assert result.change is None
    assert result.rate_change is None
    assert result.note == Note.SIGNIFICANT  # 7 against 0: p = 2·0.5⁷ = 0.0156
    assert result.p == pytest.approx(2 * 0.5**7)


def test_month_on_month_uses_days_as_exposure() -> None:
    march = periods.month(2026, 3, TZ)
    february = periods.month_on_month(march)
    # 31 in March's 31 days and 28 in February's 28: +10.7 % in count, no change per day.
    result = trends.compare_periods(31, 28, march, february)
    assert result.change == Fraction(3, 28)
    assert result.rate_change == 0
    assert result.p == pytest.approx(1.0)
    assert result.note == Note.NOT_SIGNIFICANT
    assert result.p == pytest.approx(binomtest(31, 59, 31 / 59).pvalue)


def test_year_on_year_of_equal_periods() -> None:
    june = periods.month(2026, 6, TZ)
    result = trends.compare_periods(60, 30, june, periods.year_on_year(june))
    assert result.change == 1
    assert result.note == Note.SIGNIFICANT
    assert result.p == pytest.approx(binomtest(60, 90, 0.5).pvalue)


def test_counts_must_be_whole_and_exposures_positive() -> None:
    with pytest.raises(ValueError, match="whole"):
        trends.compare_counts(-1, 3)
    with pytest.raises(ValueError, match="positive"):
        trends.compare_counts(1, 3, now_exposure=0)


def test_summer_against_the_rest_of_the_year() -> None:
    monthly = []
    for year in (2024, 2025):
        for m in range(1, 13):
            period = periods.month(year, m, TZ)
            monthly.append((period, 2 * period.days if m in (6, 7, 8) else period.days))
    result = trends.seasonal_comparison(monthly, {6, 7, 8})
    assert result.in_days == 2 * (30 + 31 + 31)
    assert result.out_days == 366 + 365 - result.in_days
    assert result.in_rate == 2
    assert result.out_rate == 1
    assert result.ratio == 2
    assert result.test.note == Note.SIGNIFICANT
    prob = result.in_days / (result.in_days + result.out_days)
    total = result.in_count + result.out_count
    assert result.test.p == pytest.approx(binomtest(result.in_count, total, prob).pvalue)


def test_seasonal_comparison_needs_months_on_both_sides() -> None:
    only_summer = [(periods.month(2025, 7, TZ), 4)]
    with pytest.raises(ValueError, match="both"):
        trends.seasonal_comparison(only_summer, {7})
    custom = [(periods.days(dt.date(2025, 1, 1), dt.date(2025, 1, 10), TZ), 4)]
    with pytest.raises(ValueError, match="monthly"):
        trends.seasonal_comparison(custom, {1})
