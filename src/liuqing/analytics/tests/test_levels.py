"""Red / yellow / green cell levels: top 10 % and next 20 % of non-zero cells, ties by count."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from liuqing.analytics.levels import Level, cell_levels


def test_default_shares_on_distinct_counts() -> None:
    counts = np.array([0, 0, 0, *range(1, 21)])  # 20 non-zero cells
    levels = cell_levels(counts)
    assert levels[:3].tolist() == [Level.GREEN] * 3
    by_count = dict(zip(counts[3:].tolist(), levels[3:].tolist(), strict=True))
    assert [c for c, lv in by_count.items() if lv == Level.RED] == [19, 20]  # top 2 = 10 %
    assert [c for c, lv in by_count.items() if lv == Level.YELLOW] == [15, 16, 17, 18]  # next 4
    assert (levels == Level.GREEN).sum() == 3 + 14


def test_ties_take_the_same_level_whatever_the_order() -> None:
    counts = np.array([9, 9, 9, 1, 1, 1, 1, 1, 1, 2])  # 10 non-zero cells; red cut: rank ≤ 1
    levels = cell_levels(counts)
    assert levels.tolist() == [2, 2, 2, 0, 0, 0, 0, 0, 0, 0]
    # Yellow cut: rank ≤ 3; the 2 ranks 4th, so it is green.
    shuffled = np.random.default_rng(0).permutation(counts.size)
    np.testing.assert_array_equal(cell_levels(counts[shuffled]), levels[shuffled])


def test_too_few_non_zero_cells_for_a_red_one() -> None:
    # m = 4: rank 1 ≤ 0.3·4 is yellow, rank 1 ≤ 0.1·4 fails, so nothing is red.
    assert cell_levels(np.array([5, 4, 3, 2, 0])).tolist() == [1, 0, 0, 0, 0]
    # m = 3: 0.3·3 < 1, so even the busiest cell is green.
    assert cell_levels(np.array([5, 4, 3, 0, 0])).tolist() == [0, 0, 0, 0, 0]
    assert cell_levels(np.zeros(4, dtype=int)).tolist() == [0, 0, 0, 0]


def test_shares_are_configurable() -> None:
    counts = np.arange(1, 11)
    levels = cell_levels(counts, red_share=Fraction(1, 2), yellow_share=0.5)
    assert levels.tolist() == [1] * 5 + [2] * 5
    with pytest.raises(ValueError, match="exceed"):
        cell_levels(counts, red_share=0.6, yellow_share=0.6)
    with pytest.raises(ValueError, match="negative"):
        cell_levels(np.array([-1, 2]))
