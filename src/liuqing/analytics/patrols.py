"""Patrol allocation and patrol coverage (见警率), KPIS.md "patrol coverage".

Place-based: the inputs are cells, counts and hours, never people.

* **Coverage** of a week = hot cells with at least one logged patrol in the week ÷ hot cells
  (`patrol_coverage`); over several weeks the counts add up (a pooled rate, Σ covered ÷ Σ hot),
  so a week with many hot cells weighs more than a quiet one.
* **Allocation** of a week's officer-hours: each unit gets hours in proportion to its risk
  (`allocate`), then each unit's hours are split among the modes (car, foot, video) by their
  shares. Hours are rounded to `step` (half an hour) by the largest-remainder method, so the
  parts always add up to the total exactly. A unit's risk is the incidents counted in its
  hot cells (Gi* bin > 0) last month; when no cell is hot anywhere, every incident counts, and
  when there were no incidents at all the hours are split evenly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from .rates import Rate

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


def unit_risk(counts: npt.ArrayLike, bins: npt.ArrayLike, owners: npt.ArrayLike) -> dict[int, int]:
    """Risk per owner (unit id): incidents in its hot cells (bin > 0); if no cell is hot,
    all its incidents."""
    c = np.asarray(counts, dtype=np.int64)
    b = np.asarray(bins)
    o = np.asarray(owners, dtype=np.int64)
    take = b > 0 if bool((b > 0).any()) else np.ones(c.size, dtype=bool)
    risk: dict[int, int] = {}
    for owner, n in zip(o[take].tolist(), c[take].tolist(), strict=True):
        risk[owner] = risk.get(owner, 0) + n
    for owner in np.unique(o).tolist():
        risk.setdefault(owner, 0)
    return risk


def split(total: Fraction, weights: Mapping[object, Fraction | int], step: Fraction) -> dict:
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
    total_hours: Fraction,
    risk: Mapping[int, int],
    mode_shares: Mapping[str, Fraction] | None = None,
    *,
    step: Fraction = Fraction(1, 2),
) -> dict[int, dict[str, Fraction]]:
    """Hours per unit and mode: units by risk, then modes by share (module docstring)."""
    shares = dict(mode_shares or DEFAULT_MODE_SHARES)
    if sum(shares.values()) != 1:
        raise ValueError("mode shares must add up to 1")
    per_unit = split(Fraction(total_hours), dict(risk), step)
    return {unit: split(hours, shares, step) for unit, hours in per_unit.items()}
