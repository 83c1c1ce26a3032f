"""Rates: exact until display, one decimal rounded half up, "—" for an undefined rate."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from liuqing.analytics.rates import (
    Average,
    Rate,
    change,
    change_display,
    format_percent,
    points_change,
    round_half_up,
)


@pytest.mark.parametrize(
    ("numerator", "denominator", "shown"),
    [
        (2, 3, "66.7%"),  # 66.666… rounds up
        (1, 3, "33.3%"),  # 33.333… rounds down
        (1, 8, "12.5%"),  # exact
        (1, 16, "6.3%"),  # 6.25 → half up (banker's rounding would say 6.2)
        (3, 16, "18.8%"),  # 18.75 → half up
        (1, 2000, "0.1%"),  # 0.05 → half up
        (1, 2001, "0.0%"),  # 0.04997… → down
        (0, 5, "0.0%"),
        (5, 5, "100.0%"),
        (937, 1000, "93.7%"),
        (0, 0, "—"),
        (3, 0, "—"),
    ],
)
def test_percent_display_rounds_half_up(numerator: int, denominator: int, shown: str) -> None:
    assert Rate(numerator, denominator).percent_display() == shown


def test_a_rate_keeps_its_counts_and_exact_value() -> None:
    # numpy sums are accepted and stored as plain ints (typed as int for callers' sake)
    rate = Rate(np.int64(45), np.int64(48))  # type: ignore[arg-type]
    assert rate.value == Fraction(15, 16)
    assert type(rate.numerator) is int
    assert rate.hover() == "45 / 48"
    assert rate.as_dict() == {
        "numerator": 45,
        "denominator": 48,
        "value": 0.9375,
        "display": "93.8%",
    }


def test_a_zero_denominator_is_undefined_not_zero() -> None:
    rate = Rate(0, 0)
    assert rate.value is None
    assert not rate.defined
    assert rate.as_dict()["value"] is None
    assert str(rate) == "—"


@pytest.mark.parametrize("bad", [(-1, 3), (1.5, 3), (1, -2)])
def test_counts_must_be_non_negative_whole_numbers(bad: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="non-negative whole number"):
        Rate(*bad)  # type: ignore[arg-type]


def test_round_half_up_is_symmetric_and_exact() -> None:
    assert round_half_up(Fraction(625, 100)) == Fraction(63, 10)
    assert round_half_up(Fraction(-625, 100)) == Fraction(-63, 10)
    assert round_half_up(Fraction(1, 3), 2) == Fraction(33, 100)
    # 3.65 is 3.6499999… as a binary float; the exact fraction still rounds up.
    assert round_half_up(Fraction(365, 100)) == Fraction(37, 10)


def test_change_is_relative_to_before_and_undefined_when_before_is_zero() -> None:
    assert change(9, 8) == Fraction(1, 8)
    assert change_display(9, 8) == "+12.5%"
    assert change_display(7, 8) == "-12.5%"
    assert change_display(15, 16) == "-6.3%"  # -6.25 rounds away from zero
    assert change_display(8, 8) == "0.0%"  # no sign on zero
    assert change(5, 0) is None
    assert change_display(5, 0) == "—"
    assert change_display(0, 0) == "—"
    assert change_display(0, 4) == "-100.0%"


def test_change_of_rates_and_percentage_points() -> None:
    now, before = Rate(3, 4), Rate(1, 2)
    assert change(now, before) == Fraction(1, 2)  # 75 % is half as much again as 50 %
    assert points_change(now, before) == Fraction(1, 4)  # 25 percentage points
    assert format_percent(points_change(now, before), signed=True) == "+25.0%"
    assert change(now, Rate(0, 0)) is None
    assert change(now, Rate(0, 3)) is None  # 0 % before: relative change undefined
    assert points_change(now, Rate(0, 0)) is None


def test_average_is_exact_and_undefined_when_empty() -> None:
    assert Average(Fraction(146, 10), 4).display() == "3.7"  # 3.65 → 3.7
    assert Average(10, 4).value == Fraction(5, 2)
    assert Average(0, 0).value is None
    assert Average(0, 0).display() == "—"
    assert Average(7, 2).as_dict() == {"total": 7.0, "count": 2, "value": 3.5, "display": "3.5"}
