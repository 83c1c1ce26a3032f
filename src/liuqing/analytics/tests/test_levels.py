"""Red / yellow / green cell levels: top 10 % and next 20 % of non-zero cells, ties by count."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from liuqing.analytics.levels import Level, cell_levels, check_shares, level_matrix


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


def _naive(column: np.ndarray, red: Fraction, yellow: Fraction) -> list[int]:
    """The docstring's rule cell by cell, with plain integers: the reference."""
    m = sum(1 for v in column if v > 0)
    out = []
    for v in column:
        rank = 1 + sum(1 for w in column if w > v)
        if v > 0 and rank <= red * m:
            out.append(Level.RED)
        elif v > 0 and rank <= (red + yellow) * m:
            out.append(Level.YELLOW)
        else:
            out.append(Level.GREEN)
    return out


def test_the_level_matrix_ranks_every_column_on_its_own() -> None:
    rng = np.random.default_rng(11)
    counts = rng.poisson(0.7, (140, 60)) * rng.integers(0, 3, (1, 60))  # ties, empty columns
    counts[:, 5] = 0
    counts[:3, 6] = 4  # fewer non-zero cells than 1 / red share
    counts[:, 7] = 1000 * counts[:, 7]  # a column of large counts beside small ones
    for red, yellow in [(Fraction(1, 10), Fraction(2, 10)), (Fraction(1, 3), Fraction(1, 4))]:
        matrix = level_matrix(counts, red_share=red, yellow_share=yellow)
        for j in range(counts.shape[1]):
            assert matrix[:, j].tolist() == _naive(counts[:, j], red, yellow), j
            assert cell_levels(counts[:, j], red_share=red, yellow_share=yellow).tolist() == (
                matrix[:, j].tolist()
            )
    assert (level_matrix(counts) == Level.RED).any()
    assert level_matrix(np.zeros((0, 3), dtype=int)).shape == (0, 3)


def test_the_level_matrix_refuses_what_is_not_a_count_matrix() -> None:
    with pytest.raises(ValueError, match="2-d"):
        level_matrix(np.array([1, 2]))
    with pytest.raises(ValueError, match="negative"):
        level_matrix(np.array([[1], [-2]]))
    with pytest.raises(ValueError, match="whole"):
        level_matrix(np.array([[1.5], [2.0]]))
    with pytest.raises(ValueError, match="exceed"):
        check_shares(Fraction(2, 3), 0.5)
