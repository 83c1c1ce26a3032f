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
    red_share: Fraction = DEFAULT_RED_SHARE,
    yellow_share: Fraction = DEFAULT_YELLOW_SHARE,
) -> npt.NDArray[np.int8]:
    """`Level` codes (0 green, 1 yellow, 2 red) per cell; rules in the module docstring.

    `red_share` and `yellow_share` are exact fractions of the non-zero cells (floats are read
    through their decimal text, so 0.1 means 1/10); their sum is at most 1.
    """
    red = _share(red_share)
    yellow = _share(yellow_share)
    if red + yellow > 1:
        raise ValueError("red_share + yellow_share cannot exceed 1")
    values = np.asarray(counts)
    if values.ndim != 1:
        raise ValueError("counts must be a 1-d array")
    if (values < 0).any():
        raise ValueError("counts cannot be negative")
    levels = np.zeros(values.size, dtype=np.int8)
    nonzero = values > 0
    m = int(nonzero.sum())
    if m == 0:
        return levels
    ordered = np.sort(values[nonzero])
    # Rank = 1 + number of non-zero counts strictly greater.
    rank = 1 + (m - np.searchsorted(ordered, values, side="right"))
    # rank ≤ share · m  ⇔  rank · denominator ≤ numerator · m  (exact integers).
    red_mask = nonzero & (rank * red.denominator <= red.numerator * m)
    yellow_cut = red + yellow
    yellow_mask = nonzero & ~red_mask & (rank * yellow_cut.denominator <= yellow_cut.numerator * m)
    levels[yellow_mask] = Level.YELLOW
    levels[red_mask] = Level.RED
    return levels


def _share(value: Fraction | float | int) -> Fraction:
    share = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    if not 0 <= share <= 1:
        raise ValueError("a share is between 0 and 1")
    return share
