"""Getis-Ord Gi* hot spots over H3 cells: analytic z, permutation inference, FDR, Gi_Bin.

The maths (hotspots.md §1). x = counts per cell (zero cells inside the jurisdiction kept),
n = number of cells, W = binary neighbour weights (`cells.neighbour_weights`) plus a self-weight
of 1, so Wᵢ = (neighbours of i) + 1 and Σⱼ wᵢⱼ² = Wᵢ:

    x̄ = Σx / n,   S² = Σx² / n − x̄²   (population variance)
    zᵢ = (Σⱼ wᵢⱼ xⱼ − x̄ Wᵢ) / (S · √((n Wᵢ − Wᵢ²) / (n − 1)))

This is Ord & Getis (1995) / ArcGIS, and equals esda ``G_Local(y, w, transform="B",
star=True).Zs`` (Gi*ᵢ = Σwx/Σx, E = Wᵢ/n, V = Wᵢ(n−Wᵢ)/((n−1)n²)·S²/x̄²) to rounding. Binary
weights only: esda's variance is wrong for row-standardised weights (finding 1), so this module
offers no other transform.

**Permutations** (conditional randomisation, as esda's ``crand``): xᵢ and its self-weight stay
fixed; i's kᵢ neighbour values are replaced by kᵢ values drawn without replacement from the other
n − 1 cells. One matrix of draws (permutations × max kᵢ, positions in 0…n−2) is made once from
``numpy.random.default_rng(seed)`` and shared by all cells; for cell i a drawn position p ≥ i
means cell p + 1, so i itself is never drawn. Because xᵢ, Σx and Wᵢ are fixed, Gi*ᵢ orders
exactly as the neighbour sum does, so the kernel compares neighbour sums. Counts are whole
numbers, so the sums are exact in float64 and ties are exact (finding 3): we count
``sim ≥ obs`` and ``sim ≤ obs`` separately (a tie counts for both tails) and report

    p_greater = (#{sim ≥ obs} + 1) / (P + 1),   p_lesser = (#{sim ≤ obs} + 1) / (P + 1),
    p = min(1, 2 · min(p_greater, p_lesser))   (two-sided).

(esda's ``p_sim`` folds one count and is one-sided; it is about half of our p.) The kernel is
numba, compiled once per process and cached on disk (``cache=True``); call `warm_up()` when a
worker starts so no request pays the compile. Sites run in parallel but each is independent, so
a run is deterministic for a seed whatever the thread count.

**FDR and Gi_Bin** (ArcGIS semantics): Benjamini–Hochberg is applied to the two-sided p of all
cells separately at α = 0.10, 0.05 and 0.01; a cell significant at 0.01 is ±3, else at 0.05 ±2,
else at 0.10 ±1, else 0; the sign is the tail (hot +, cold −).

**Empty neighbourhoods** (finding 2): a cell that has no incident and none in any neighbour is
never a hot or cold spot (bin 0, `HotSpots.empty_neighbourhood`), whatever its p. On sparse
monthly maps such cells are most of the map, and calling them cold spots says nothing but "no
incidents here this month", which the count map already shows.

**Not enough data**: fewer than 30 cells or zero variance (every cell the same count, including
a map with no incidents) raise `NotEnoughData` with a `Reason`, which the page shows instead of
a map (ArcGIS's checks, hotspots.md §2).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from scipy import sparse

# numba and scipy are imported where they are used, not here: with them a process holds about
# 150 MB more, and most processes that import this module (every one that registers the
# dashboard's figures, the import worker) never test a map.

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MIN_CELLS = 30
DEFAULT_PERMUTATIONS = 999
FDR_LEVELS: tuple[tuple[float, int], ...] = ((0.01, 3), (0.05, 2), (0.10, 1))

# numba's default threading layer (workqueue) must not be entered by two Python threads at
# once (it aborts the process), so a threaded worker runs one permutation kernel at a time;
# the kernel already uses every core.
_KERNEL_LOCK = threading.Lock()


class Reason(StrEnum):
    TOO_FEW_CELLS = "too_few_cells"
    ZERO_VARIANCE = "zero_variance"
    TOO_FEW_STEPS = "too_few_steps"  # emerging hot spots: too short a time series


class NotEnoughData(ValueError):
    """The map cannot be tested: `reason` says why (a code the page translates)."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def check_data(x: npt.ArrayLike, *, min_cells: int = MIN_CELLS) -> Reason | None:
    """The reason the counts cannot be tested, or None when they can."""
    values = np.asarray(x, dtype=np.float64)
    if values.size < min_cells:
        return Reason.TOO_FEW_CELLS
    if float(values.max()) == float(values.min()):
        return Reason.ZERO_VARIANCE
    return None


def _require_data(x: FloatArray, weights: sparse.csr_matrix, min_cells: int) -> None:
    if x.ndim != 1:
        raise ValueError("counts must be a 1-d array, one value per cell")
    if weights.shape != (x.size, x.size):
        raise ValueError("weights must be n × n for n cells")
    reason = check_data(x, min_cells=min_cells)
    if reason == Reason.TOO_FEW_CELLS:
        raise NotEnoughData(reason, f"{x.size} cells; at least {min_cells} are needed")
    if reason == Reason.ZERO_VARIANCE:
        raise NotEnoughData(reason, "every cell has the same count")


# --- Analytic z --------------------------------------------------------------------------------


def gi_star_z(
    x: npt.ArrayLike, weights: sparse.csr_matrix, *, min_cells: int = MIN_CELLS
) -> FloatArray:
    """Gi* z-score per cell (formula in the module docstring), binary weights, self-weight 1.

    `weights` is binary with an empty diagonal (`cells.neighbour_weights`). A cell whose
    neighbourhood is the whole study area (Wᵢ = n) has no variance and gets z = 0.
    About 1–2 ms for 100,000 cells.
    """
    values = np.asarray(x, dtype=np.float64)
    _require_data(values, weights, min_cells)
    return _z(values, _neighbour_sums(values, weights), _row_weights(weights))


def _row_weights(weights: sparse.csr_matrix) -> FloatArray:
    """Wᵢ = number of neighbours + 1 (the self-weight)."""
    return np.diff(weights.indptr).astype(np.float64) + 1.0


def _neighbour_sums(x: FloatArray, weights: sparse.csr_matrix) -> FloatArray:
    result: FloatArray = weights @ x
    return result


def _z(x: FloatArray, neighbour_sums: FloatArray, w_i: FloatArray) -> FloatArray:
    n = float(x.size)
    mean = float(x.mean())
    s = float(np.sqrt(float(np.mean(x * x)) - mean * mean))
    num = neighbour_sums + x - mean * w_i
    den = s * np.sqrt((n * w_i - w_i * w_i) / (n - 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


# --- Permutations ------------------------------------------------------------------------------


def permutation_draws(n: int, max_neighbours: int, permutations: int, seed: int) -> IntArray:
    """The shared draws: row p holds `max_neighbours` distinct positions in 0…n−2, from
    ``numpy.random.default_rng(seed)`` (one ``choice(..., replace=False)`` per row)."""
    if max_neighbours > n - 1:
        raise ValueError("a cell cannot have more neighbours than there are other cells")
    rng = np.random.default_rng(seed)
    draws = np.empty((permutations, max_neighbours), dtype=np.int64)
    for p in range(permutations):
        draws[p] = rng.choice(n - 1, size=max_neighbours, replace=False)
    return draws


@dataclass(frozen=True)
class PermutationTest:
    """Per cell: tail counts over `permutations` draws and the p-values made from them."""

    permutations: int
    seed: int
    greater: IntArray  # #{sim ≥ obs}
    lesser: IntArray  # #{sim ≤ obs}

    @property
    def p_greater(self) -> FloatArray:
        return (self.greater + 1) / (self.permutations + 1)

    @property
    def p_lesser(self) -> FloatArray:
        return (self.lesser + 1) / (self.permutations + 1)

    @property
    def p_two_sided(self) -> FloatArray:
        return np.minimum(1.0, 2.0 * np.minimum(self.p_greater, self.p_lesser))

    @property
    def tail(self) -> npt.NDArray[np.int8]:
        """+1 where the observed neighbourhood sits in the upper tail, −1 lower, 0 neither."""
        return np.sign(self.lesser - self.greater).astype(np.int8)


def permutation_test(
    x: npt.ArrayLike,
    weights: sparse.csr_matrix,
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
    min_cells: int = MIN_CELLS,
    draws: IntArray | None = None,
) -> PermutationTest:
    """Conditional-randomisation test of Gi* per cell (module docstring). Deterministic for
    a seed. 999 permutations of 100,000 cells: about 0.6 s on 2 cores after `warm_up()`.

    `draws` (optional) is a matrix `permutation_draws(n, max_k, permutations, seed)` made
    earlier: many maps over the same cells (months, categories) can share one, which saves
    its making (a few milliseconds per map) without changing any result for that seed."""
    values = np.ascontiguousarray(x, dtype=np.float64)
    _require_data(values, weights, min_cells)
    if permutations < 1:
        raise ValueError("at least one permutation")
    max_k = int(np.diff(weights.indptr).max(initial=0))
    if draws is None:
        draws = permutation_draws(values.size, max_k, permutations, seed)
    elif draws.shape != (permutations, max_k) or (
        draws.size and (int(draws.min()) < 0 or int(draws.max()) > values.size - 2)
    ):
        raise ValueError("draws must be permutations × max neighbours positions in 0…n−2")
    from liuqing.analytics.kernels import permutation_counts

    with _KERNEL_LOCK:
        greater, lesser = permutation_counts(
            values,
            np.ascontiguousarray(weights.indptr, dtype=np.int32),
            np.ascontiguousarray(weights.indices, dtype=np.int32),
            draws,
        )
    return PermutationTest(permutations, seed, greater, lesser)


def warm_up() -> None:
    """Compile (or load from numba's on-disk cache) the permutation kernel. Call once when a
    worker process starts; takes a few seconds cold, milliseconds with a warm cache."""
    x = np.arange(4, dtype=np.float64)
    indptr = np.array([0, 1, 2, 3, 4], dtype=np.int32)
    indices = np.array([1, 0, 3, 2], dtype=np.int32)
    from liuqing.analytics.kernels import permutation_counts

    with _KERNEL_LOCK:
        permutation_counts(x, indptr, indices, np.zeros((2, 1), dtype=np.int64))


# --- FDR and bins ------------------------------------------------------------------------------


def fdr_significant(p: npt.ArrayLike, alpha: float) -> npt.NDArray[np.bool_]:
    """Benjamini–Hochberg at level `alpha`: with p sorted ascending p₍₁₎ ≤ … ≤ p₍ₘ₎, find the
    largest k with p₍ₖ₎ ≤ k·α/m and reject the k hypotheses with the smallest p (all p ≤ p₍ₖ₎).
    Nothing is significant when no such k exists."""
    values = np.asarray(p, dtype=np.float64)
    m = values.size
    if m == 0:
        return np.zeros(0, dtype=bool)
    ordered = np.sort(values)
    passing = np.nonzero(ordered <= alpha * np.arange(1, m + 1) / m)[0]
    if passing.size == 0:
        return np.zeros(m, dtype=bool)
    return values <= ordered[passing[-1]]


def gi_bins(
    p: npt.ArrayLike,
    direction: npt.ArrayLike,
    *,
    fdr: bool = True,
    exclude: npt.ArrayLike | None = None,
) -> npt.NDArray[np.int8]:
    """Gi_Bin −3…+3 from two-sided p and the direction (sign of z, or the permutation tail).

    ±3 at 99 %, ±2 at 95 %, ±1 at 90 % confidence; with `fdr` each level is a separate
    Benjamini–Hochberg test over all cells, else p is compared with α directly. Cells in
    `exclude` (a boolean mask) are 0.
    """
    values = np.asarray(p, dtype=np.float64)
    sign = np.sign(np.asarray(direction, dtype=np.float64)).astype(np.int8)
    level = np.zeros(values.size, dtype=np.int8)
    for alpha, bin_ in sorted(FDR_LEVELS, key=lambda item: item[1]):
        significant = fdr_significant(values, alpha) if fdr else values <= alpha
        level[significant] = bin_
    bins = (level * sign).astype(np.int8)
    if exclude is not None:
        bins[np.asarray(exclude, dtype=bool)] = 0
    return bins


def empty_neighbourhoods(x: npt.ArrayLike, weights: sparse.csr_matrix) -> npt.NDArray[np.bool_]:
    """True where the cell and all its neighbours have a count of zero."""
    values = np.asarray(x, dtype=np.float64)
    return (values == 0) & (weights @ (values != 0).astype(np.float64) == 0)


# --- The whole analysis ------------------------------------------------------------------------


@dataclass(frozen=True)
class HotSpots:
    """Per cell, in the order of the sorted cell array: z, p (two-sided), Gi_Bin."""

    z: FloatArray
    p: FloatArray  # two-sided: permutation p, or 2·(1 − Φ(|z|)) without permutations
    bins: npt.NDArray[np.int8]
    empty_neighbourhood: npt.NDArray[np.bool_]
    permutation: PermutationTest | None  # None for the analytic test
    fdr: bool

    @property
    def hot(self) -> npt.NDArray[np.bool_]:
        return self.bins > 0

    @property
    def cold(self) -> npt.NDArray[np.bool_]:
        return self.bins < 0


def hot_spots(
    x: npt.ArrayLike,
    weights: sparse.csr_matrix,
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
    fdr: bool = True,
    min_cells: int = MIN_CELLS,
    draws: IntArray | None = None,
) -> HotSpots:
    """Gi* hot and cold spots for counts per cell.

    With ``permutations > 0`` p comes from the permutation test and the direction from its
    tail; with ``permutations=0`` from the normal distribution of z (faster, and the better
    choice for very large maps, where BH needs p below the 1/(P+1) floor, hotspots.md §1).
    Raises `NotEnoughData`.
    """
    values = np.ascontiguousarray(x, dtype=np.float64)
    z = gi_star_z(values, weights, min_cells=min_cells)
    test: PermutationTest | None = None
    if permutations > 0:
        test = permutation_test(
            values,
            weights,
            permutations=permutations,
            seed=seed,
            min_cells=min_cells,
            draws=draws,
        )
        p = test.p_two_sided
        direction: npt.NDArray[np.int8] | FloatArray = test.tail
    else:
        from scipy.special import ndtr

        p = 2.0 * ndtr(-np.abs(z))
        direction = z
    empty = empty_neighbourhoods(values, weights)
    bins = gi_bins(p, direction, fdr=fdr, exclude=empty)
    return HotSpots(z=z, p=p, bins=bins, empty_neighbourhood=empty, permutation=test, fdr=fdr)
