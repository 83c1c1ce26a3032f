"""Patrol allocation and patrol coverage (见警率), KPIS.md "patrol coverage".

Place-based: the inputs are cells, counts and hours, never people.

* **Coverage** of a week = hot cells with at least one logged patrol in the week ÷ hot cells
  (`patrol_coverage`); over several weeks the counts add up (a pooled rate, Σ covered ÷ Σ hot),
  so a week with many hot cells weighs more than a quiet one.
* **Allocation** (`allocate`) of the officer-hours each unit has for the week. A unit's hours
  never move to another unit: they are first split among the modes (car, foot, video) by the
  configured shares (default 2/5, 2/5, 1/5), then each mode's hours among the unit's hot cells
  in proportion to each cell's **risk = the incidents counted in the cell** in the month the
  hot cells come from. Hot cells whose incidents are all 0 (hot through their neighbours)
  share the hours evenly; a unit with no hot cell keeps its hours at unit level (cell None).
  Modes come first so that a unit's mode totals follow the shares as closely as rounding
  allows; a cell's total then follows its risk within half an hour per mode.
  Every split is in multiples of `step` (half an hour) by the largest-remainder method, so
  the parts always add up to the whole exactly.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from .rates import Rate

K = TypeVar("K", bound=Hashable)

DEFAULT_MODE_SHARES: dict[str, Fraction] = {
    "car": Fraction(2, 5),
    "foot": Fraction(2, 5),
    "video": Fraction(1, 5),
}


def patrol_coverage(hot_cells: npt.ArrayLike, patrolled_cells: npt.ArrayLike) -> Rate:
    """Hot cells with at least one patrol ÷ hot cells (duplicates count once)."""
    hot = np.unique(np.asarray(hot_cells, dtype=np.uint64))
    patrolled = np.unique(np.asarray(patrolled_cells, dtype=np.uint64))
    covered = int(np.isin(hot, patrolled, assume_unique=True).sum())
    return Rate(covered, int(hot.size))


def pooled(rates: Sequence[Rate]) -> Rate:
    """Σ numerators ÷ Σ denominators (the coverage of several weeks)."""
    return Rate(sum(r.numerator for r in rates), sum(r.denominator for r in rates))


def cell_risk(
    counts: npt.ArrayLike, bins: npt.ArrayLike, owners: npt.ArrayLike, cells: npt.ArrayLike
) -> dict[int, dict[int, int]]:
    """The hot cells (bin > 0) of each owner (unit id) with their incidents, in the order
    given. Owners with no hot cell are absent."""
    c = np.asarray(counts, dtype=np.int64)
    hot = np.asarray(bins) > 0
    o = np.asarray(owners, dtype=np.int64)
    ids = np.asarray(cells, dtype=np.uint64)
    risk: dict[int, dict[int, int]] = {}
    for owner, cell, n in zip(o[hot].tolist(), ids[hot].tolist(), c[hot].tolist(), strict=True):
        risk.setdefault(owner, {})[cell] = n
    return risk


def split(
    total: Fraction, weights: Mapping[K, Fraction | int], step: Fraction
) -> dict[K, Fraction]:
    """`total` split in proportion to `weights`, in multiples of `step`, adding up exactly
    (largest remainder; ties go to the earlier key). Equal parts when every weight is 0."""
    keys = list(weights)
    if not keys:
        return {}
    units = int(Fraction(total) / step)
    if Fraction(units) * step != Fraction(total):
        raise ValueError("the total must be a multiple of the step")
    w = [Fraction(weights[k]) for k in keys]
    if any(x < 0 for x in w):
        raise ValueError("weights cannot be negative")
    s = sum(w)
    if s == 0:
        w = [Fraction(1)] * len(keys)
        s = Fraction(len(keys))
    exact = [units * x / s for x in w]
    floors = [int(e) for e in exact]
    left = units - sum(floors)
    order = sorted(range(len(keys)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return {k: floors[i] * step for i, k in enumerate(keys)}


def allocate(
    hours: Mapping[int, Fraction],
    risk: Mapping[int, Mapping[int, int]],
    mode_shares: Mapping[str, Fraction] | None = None,
    *,
    step: Fraction = Fraction(1, 2),
) -> dict[int, dict[int | None, dict[str, Fraction]]]:
    """Hours per unit, cell (None: the unit as a whole) and mode: each unit's own `hours`
    split among the modes by share, then each mode's among the unit's hot cells by their
    incidents (`risk`: unit → cell → incidents; module docstring)."""
    shares = dict(mode_shares or DEFAULT_MODE_SHARES)
    if sum(shares.values()) != 1 or any(s < 0 for s in shares.values()):
        raise ValueError("mode shares must be non-negative and add up to 1")
    plan: dict[int, dict[int | None, dict[str, Fraction]]] = {}
    for unit, total in hours.items():
        by_mode = split(Fraction(total), shares, step)
        cells = dict(risk.get(unit) or {})
        if not cells:
            plan[unit] = {None: by_mode}
            continue
        per_cell: dict[int | None, dict[str, Fraction]] = {cell: {} for cell in cells}
        for mode, mode_hours in by_mode.items():
            for cell, h in split(mode_hours, cells, step).items():
                per_cell[cell][mode] = h
        plan[unit] = per_cell
    return plan
