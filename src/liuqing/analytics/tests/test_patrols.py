"""Patrol coverage and allocation against hand counts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from liuqing.analytics.patrols import allocate, cell_risk, patrol_coverage, pooled, split
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


def test_risk_is_the_incidents_of_each_units_hot_cells() -> None:
    counts = np.array([5, 3, 2, 7])
    bins = np.array([2, 0, 1, -1])  # cells 1 and 3 hot; 4 is cold
    owners = np.array([10, 10, 20, 20])
    assert cell_risk(counts, bins, owners, [1, 2, 3, 4]) == {10: {1: 5}, 20: {3: 2}}
    assert cell_risk(counts, np.zeros(4), owners, [1, 2, 3, 4]) == {}


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


def test_each_units_own_hours_go_to_modes_then_to_its_hot_cells_by_incidents() -> None:
    h = Fraction(1, 2)
    plan = allocate(
        {1: Fraction(20), 2: Fraction(7), 3: Fraction(3)},
        {1: {101: 6, 102: 3, 103: 0}, 3: {201: 0, 202: 0}},
    )
    # Unit 1: 20 h → car 8, foot 8, video 4. Car 8 h = 16 halves by 6 : 3 : 0 → 10.67, 5.33,
    # 0 → 11, 5, 0 halves; video 8 halves → 5.33, 2.67, 0 → 5, 3, 0.
    assert plan[1] == {
        101: {"car": 11 * h, "foot": 11 * h, "video": 5 * h},
        102: {"car": 5 * h, "foot": 5 * h, "video": 3 * h},
        103: {"car": 0, "foot": 0, "video": 0},
    }
    # Unit 2 has no hot cell: its 7 h stay at unit level. 14 halves → 5.6, 5.6, 2.8 → floors
    # 5, 5, 2 and the two halves left go to video (.8) then car (.6, the earlier key).
    assert plan[2] == {None: {"car": 6 * h, "foot": 5 * h, "video": 3 * h}}
    # Unit 3: hot cells without incidents share evenly. 6 halves → 3, 2, 1 by mode; car's 3
    # halves → 2, 1; video's single half goes to the first cell.
    assert plan[3] == {
        201: {"car": 2 * h, "foot": 1 * h, "video": 1 * h},
        202: {"car": 1 * h, "foot": 1 * h, "video": 0},
    }
    for unit, total in ((1, 20), (2, 7), (3, 3)):
        assert sum(sum(m.values()) for m in plan[unit].values()) == total


def test_mode_shares_are_configurable_and_must_add_up_to_one() -> None:
    plan = allocate({1: Fraction(3)}, {}, {"car": Fraction(1, 2), "foot": Fraction(1, 2)})
    assert plan == {1: {None: {"car": Fraction(3, 2), "foot": Fraction(3, 2)}}}
    with pytest.raises(ValueError, match="add up to 1"):
        allocate({1: Fraction(3)}, {}, {"car": Fraction(1, 2)})
    with pytest.raises(ValueError, match="multiple"):
        allocate({1: Fraction(13, 10)}, {})
