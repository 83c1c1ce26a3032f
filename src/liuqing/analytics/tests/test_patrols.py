"""Patrol coverage and allocation against hand counts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from liuqing.analytics.patrols import allocate, patrol_coverage, pooled, split, unit_risk
from liuqing.analytics.rates import Rate


def test_coverage_counts_each_hot_cell_once() -> None:
    # Hot cells 1, 2, 3, 4; patrols went through 2 (twice), 4 and 9 (not hot): 2 of 4.
    rate = patrol_coverage([1, 2, 3, 4, 4], [2, 2, 4, 9])
    assert rate == Rate(2, 4)
    assert rate.percent_display() == "50.0%"


def test_no_hot_cell_is_an_undefined_coverage() -> None:
    assert patrol_coverage([], [1, 2]).value is None


def test_weeks_pool_their_counts() -> None:
    assert pooled([Rate(1, 4), Rate(3, 3), Rate(0, 0)]) == Rate(4, 7)


def test_risk_is_the_incidents_in_hot_cells_or_all_when_none_is_hot() -> None:
    counts = np.array([5, 3, 2, 7])
    owners = np.array([10, 10, 20, 20])
    assert unit_risk(counts, np.array([2, 0, 0, 1]), owners) == {10: 5, 20: 7}
    assert unit_risk(counts, np.zeros(4), owners) == {10: 8, 20: 9}


def test_split_adds_up_exactly_by_largest_remainder() -> None:
    # 10 h by 1 : 1 : 1 in half hours: 20 halves → 6.67 each → 7, 7, 6 halves.
    parts = split(Fraction(10), {"a": 1, "b": 1, "c": 1}, Fraction(1, 2))
    assert parts == {"a": Fraction(7, 2), "b": Fraction(7, 2), "c": Fraction(3)}
    assert sum(parts.values()) == 10
    assert split(Fraction(3), {"a": 0, "b": 0}, Fraction(1, 2)) == {
        "a": Fraction(3, 2),
        "b": Fraction(3, 2),
    }
    with pytest.raises(ValueError, match="multiple"):
        split(Fraction(1, 3), {"a": 1}, Fraction(1, 2))


def test_allocation_follows_risk_then_mode_shares() -> None:
    # 100 h, risk 30 : 10 → 75 h and 25 h; modes 40 / 40 / 20 %.
    plan = allocate(Fraction(100), {1: 30, 2: 10})
    assert plan[1] == {"car": 30, "foot": 30, "video": 15}
    assert plan[2] == {"car": 10, "foot": 10, "video": 5}
    assert sum(sum(m.values()) for m in plan.values()) == 100
