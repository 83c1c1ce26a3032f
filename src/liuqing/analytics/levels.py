"""Red / yellow / green cell levels (KPIS.md, Incidents: "cell level").

Default: among the cells with at least one incident, the top 10 % by count are red, the next
20 % yellow; the rest, and every cell with no incident, green.

Ties are settled by count, never by cell order: a cell's rank is 1 + the number of non-zero
cells with a strictly larger count (competition ranking, "1224"), and a cell is red when its
rank ≤ red_share · m (m = non-zero cells), yellow when its rank ≤ (red_share + yellow_share) · m,
compared exactly. So equal counts always get the same colour and the result does not depend on
how the cells are ordered. A tied group that straddles a cut is taken whole into the higher
level (a cell with the same count as a red cell is red), so with ties the red share can exceed
the nominal one. With fewer than 1/red_share non-zero cells (10 by default) no cell is red,
and with fewer than 1/(red_share + yellow_share) (4) none is yellow: the top 10 % of five
cells is less than one cell. The levels rank the month's map; whether a
cluster is statistically unusual is for Gi* (`hotspots`) to say.
"""

from __future__ import annotations

from enum import IntEnum
from fractions import Fraction

import numpy as np
import numpy.typing as npt

DEFAULT_RED_SHARE = Fraction(1, 10)
DEFAULT_YELLOW_SHARE = Fraction(2, 10)


class Level(IntEnum):
    GREEN = 0
    YELLOW = 1
    RED = 2


def cell_levels(
    counts: npt.ArrayLike,
    *,
    red_share: Fraction | float = DEFAULT_RED_SHARE,
    yellow_share: Fraction | float = DEFAULT_YELLOW_SHARE,
) -> npt.NDArray[np.int8]:
    """`Level` codes (0 green, 1 yellow, 2 red) per cell; rules in the module docstring.

    `red_share` and `yellow_share` are exact fractions of the non-zero cells (floats are read
    through their decimal text, so 0.1 means 1/10); their sum is at most 1.
    """
    values = np.asarray(counts)
    if values.ndim != 1:
        raise ValueError("counts must be a 1-d array")
    return level_matrix(values[:, None], red_share=red_share, yellow_share=yellow_share)[:, 0]


def check_shares(red_share: Fraction | float, yellow_share: Fraction | float) -> None:
    """Raise ValueError unless both shares are in [0, 1] and their sum is at most 1."""
    if _share(red_share) + _share(yellow_share) > 1:
        raise ValueError("red_share + yellow_share cannot exceed 1")


def level_matrix(
    counts: npt.ArrayLike,
    *,
    red_share: Fraction | float = DEFAULT_RED_SHARE,
    yellow_share: Fraction | float = DEFAULT_YELLOW_SHARE,
) -> npt.NDArray[np.int8]:
    """The levels of every column of `counts` (cells × maps), each column ranked on its own
    by the rule of the module docstring: one sort and one search for the whole matrix, so a
    refresh levels all of a grid's months and categories at once."""
    check_shares(red_share, yellow_share)
    red, yellow = _share(red_share), _share(yellow_share)
    values = np.asarray(counts)
    if values.ndim != 2:
        raise ValueError("counts must be a 2-d array (cells × maps)")
    if (values < 0).any():
        raise ValueError("counts cannot be negative")
    if values.dtype.kind == "f" and not np.array_equal(values, np.floor(values)):
        raise ValueError("counts are whole numbers")
    n, cols = values.shape
    out = np.zeros((n, cols), dtype=np.int8)
    if not n or not cols:
        return out
    whole = values.astype(np.int64)
    nonzero = whole > 0
    m = nonzero.sum(axis=0)
    # Each column's values shifted into a range of its own, so that one sorted array serves
    # every column: a value's position in it, less the column's offset, is the number of the
    # column's values at most equal to it.
    span = int(whole.max()) + 1
    shift = np.arange(cols, dtype=np.int64) * span
    ordered = (np.sort(whole, axis=0) + shift).T.ravel()
    at_most = np.searchsorted(ordered, (whole + shift).ravel(), side="right").reshape(n, cols)
    # Rank = 1 + number of non-zero counts strictly greater (zeros are never greater).
    rank = 1 + (n - (at_most - np.arange(cols, dtype=np.int64) * n))
    # rank ≤ share · m  ⇔  rank · denominator ≤ numerator · m  (exact integers).
    red_mask = nonzero & (rank * red.denominator <= red.numerator * m)
    cut = red + yellow
    yellow_mask = nonzero & ~red_mask & (rank * cut.denominator <= cut.numerator * m)
    out[yellow_mask] = Level.YELLOW
    out[red_mask] = Level.RED
    return out


def _share(value: Fraction | float | int) -> Fraction:
    share = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    if not 0 <= share <= 1:
        raise ValueError("a share is between 0 and 1")
    return share
