"""Emerging hot spots: space-time Gi* over a monthly cube, Mann–Kendall, the 17 patterns.

After ArcGIS Pro's Emerging Hot Spot Analysis (hotspots.md §2).

**The cube.** ``counts[i, t]``: incidents in cell i (sorted cell array, zero cells kept) in time
step t (months, oldest first), n cells × T steps.

**Space-time Gi\\*.** The neighbourhood of bin (i, t) is cell i and its k-ring neighbours (the
binary `weights` from `cells.neighbour_weights`) in step t and in each of the `time_lag`
previous steps that exist: W_it = (kᵢ + 1) · (min(t, time_lag) + 1) bins, all with weight 1.
The bins of the whole cube are the population (N = n·T, x̄ and S over all bins), so

    z_it = (Σ_nbhd x − x̄ W_it) / (S · √((N W_it − W_it²) / (N − 1)))

the same formula as `hotspots.gi_star_z` with space-time neighbours. ``time_lag=0`` gives a
purely spatial Gi* per month measured against the whole cube. A bin is a significant hot
(cold) bin when z > 0 (< 0) and its two-sided normal p passes Benjamini–Hochberg at
1 − `confidence` over all n·T bins (``fdr=False``: p ≤ 1 − confidence). As in `hotspots`, a
bin whose whole space-time neighbourhood is empty is never significant (finding 2).

**Mann–Kendall** on each cell's z series z₁…z_T (tie-corrected, hotspots.md §2):

    S = Σ_{a<b} sign(z_b − z_a),
    Var S = [T(T−1)(2T+5) − Σ_g t_g(t_g−1)(2t_g+5)] / 18   (t_g = size of tie group g),
    Z = (S − 1)/√Var S if S > 0, (S + 1)/√Var S if S < 0, else 0;  p = 2·(1 − Φ(|Z|)).

The trend is +1 (z rising: hot spots intensify, cold spots weaken) or −1 when p < `trend_alpha`,
else 0.

**Patterns** ("sig hot" = significant hot bin; "frequent" = sig hot in at least `persistence`
(90 %) of the T steps; cold patterns mirror hot ones with hot and cold swapped and the trend
reversed). hotspots.md's table read as follows, first match wins:

1. Final step sig hot:
   new (no sig hot before) → consecutive (a single run of ≥ 2 sig hot bins ends at the final
   step, none before it, not frequent) → intensifying (frequent, rising trend) → persistent
   (frequent, no trend) → diminishing (frequent, falling trend) → sporadic (not frequent, never
   sig cold) → oscillating (not frequent, sig cold at some earlier step).
2. Final step sig cold: the cold mirrors in the same order.
3. Otherwise historical hot (frequent sig hot, final step not hot), historical cold (mirror),
   else no pattern detected.

Two overlaps in the table are settled by that order: a bin hot only in the final step after
earlier cold spots is *new* (table order) rather than oscillating; and a location hot in ≥ 90 %
of steps but not in the final one is *historical*, since ArcGIS requires the final step for
intensifying and diminishing and we hold persistent to the same. Unlike ArcMap 10.3 and sfdep,
sporadic requires the final step (ArcGIS Pro's definition).

**Thresholds.** Every threshold is a parameter of `emerging_hot_spots` (and `classify`), with
the defaults below; the incident maps take them from the settings (settings.py,
`liuqing.incidents.thresholds`), whose defaults are these same values:

=====================  ==================================  ===============================
parameter              meaning                             setting (default)
=====================  ==================================  ===============================
``confidence``         a bin is significant at this         INCIDENTS_EMERGING_CONFIDENCE
                       confidence (two-sided normal p)      (0.90)
``fdr``                Benjamini–Hochberg over all bins     INCIDENTS_EMERGING_FDR (True)
``trend_alpha``        Mann–Kendall p below which the       INCIDENTS_EMERGING_TREND_ALPHA
                       trend counts                         (0.05)
``persistence``        share of steps that makes a spot     INCIDENTS_EMERGING_PERSISTENCE
                       "frequent" (exact fraction)          (9/10)
``time_lag``           previous steps in each bin's         INCIDENTS_EMERGING_TIME_LAG (1)
                       neighbourhood
``min_steps``          fewer steps: `NotEnoughData`         INCIDENTS_EMERGING_MIN_MONTHS (4)
=====================  ==================================  ===============================

The run of "consecutive" (at least 2 bins) is part of the pattern's definition, not a
threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from scipy import sparse

from .hotspots import MIN_CELLS, NotEnoughData, Reason, fdr_significant

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MIN_STEPS = 4
DEFAULT_CONFIDENCE = 0.90
DEFAULT_TREND_ALPHA = 0.05
DEFAULT_PERSISTENCE = Fraction(9, 10)


class Pattern(StrEnum):
    NEW_HOT = "new_hot_spot"
    CONSECUTIVE_HOT = "consecutive_hot_spot"
    INTENSIFYING_HOT = "intensifying_hot_spot"
    PERSISTENT_HOT = "persistent_hot_spot"
    DIMINISHING_HOT = "diminishing_hot_spot"
    SPORADIC_HOT = "sporadic_hot_spot"
    OSCILLATING_HOT = "oscillating_hot_spot"
    HISTORICAL_HOT = "historical_hot_spot"
    NEW_COLD = "new_cold_spot"
    CONSECUTIVE_COLD = "consecutive_cold_spot"
    INTENSIFYING_COLD = "intensifying_cold_spot"
    PERSISTENT_COLD = "persistent_cold_spot"
    DIMINISHING_COLD = "diminishing_cold_spot"
    SPORADIC_COLD = "sporadic_cold_spot"
    OSCILLATING_COLD = "oscillating_cold_spot"
    HISTORICAL_COLD = "historical_cold_spot"
    NO_PATTERN = "no_pattern_detected"


# Codes in result arrays index this tuple.
PATTERNS: tuple[Pattern, ...] = tuple(Pattern)
_CODE = {pattern: np.int8(i) for i, pattern in enumerate(PATTERNS)}
_HOT_ORDER = (
    Pattern.NEW_HOT,
    Pattern.CONSECUTIVE_HOT,
    Pattern.INTENSIFYING_HOT,
    Pattern.PERSISTENT_HOT,
    Pattern.DIMINISHING_HOT,
    Pattern.SPORADIC_HOT,
    Pattern.OSCILLATING_HOT,
    Pattern.HISTORICAL_HOT,
)
_COLD_ORDER = (
    Pattern.NEW_COLD,
    Pattern.CONSECUTIVE_COLD,
    Pattern.INTENSIFYING_COLD,
    Pattern.PERSISTENT_COLD,
    Pattern.DIMINISHING_COLD,
    Pattern.SPORADIC_COLD,
    Pattern.OSCILLATING_COLD,
    Pattern.HISTORICAL_COLD,
)


# --- Mann–Kendall ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MannKendall:
    """Per series (row): S, Var S (tie-corrected), Z (continuity-corrected), two-sided p."""

    s: npt.NDArray[np.int64]
    var_s: FloatArray
    z: FloatArray
    p: FloatArray

    def trend(self, alpha: float = DEFAULT_TREND_ALPHA) -> npt.NDArray[np.int8]:
        """+1 rising, −1 falling where p < alpha; 0 where there is no significant trend."""
        return np.where(self.p < alpha, np.sign(self.s), 0).astype(np.int8)


def mann_kendall(series: npt.ArrayLike) -> MannKendall:
    """Mann–Kendall on each row of a 2-d array (or on one 1-d series, giving length-1 arrays);
    formulas in the module docstring."""
    x = np.asarray(series, dtype=np.float64)
    if x.ndim == 1:
        x = x[np.newaxis, :]
    rows, steps = x.shape
    s = np.zeros(rows, dtype=np.int64)
    for lag in range(1, steps):
        s += np.sign(x[:, lag:] - x[:, :-lag]).astype(np.int64).sum(axis=1)
    # Tie groups: runs of equal values in each sorted row; Σ t(t−1)(2t+5) per row.
    ordered = np.sort(x, axis=1)
    starts_mask = np.ones_like(ordered, dtype=bool)
    starts_mask[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    starts = np.flatnonzero(starts_mask.reshape(-1))
    sizes = np.diff(np.append(starts, rows * steps)).astype(np.float64)
    tie_term = np.bincount(
        starts // steps, weights=sizes * (sizes - 1) * (2 * sizes + 5), minlength=rows
    )
    var_s = (steps * (steps - 1) * (2 * steps + 5) - tie_term) / 18.0
    root = np.sqrt(np.where(var_s > 0, var_s, 1.0))
    z = np.where(var_s > 0, (s - np.sign(s)) / root, 0.0)
    p = _two_sided_normal_p(z)
    return MannKendall(s=s, var_s=var_s, z=z, p=p)


# --- Classification ----------------------------------------------------------------------------


def classify(
    hot: npt.ArrayLike,
    cold: npt.ArrayLike,
    trend: npt.ArrayLike,
    *,
    persistence: Fraction = DEFAULT_PERSISTENCE,
) -> npt.NDArray[np.int8]:
    """Pattern codes (indexes into `PATTERNS`) per row of the n × T significance masks.

    `hot[i, t]` / `cold[i, t]`: bin (i, t) is a significant hot / cold bin (never both);
    `trend[i]`: the Mann–Kendall trend of cell i's z series, +1 / 0 / −1 (`MannKendall.trend`).
    Rules and their order in the module docstring.
    """
    hot_m = np.atleast_2d(np.asarray(hot, dtype=bool))
    cold_m = np.atleast_2d(np.asarray(cold, dtype=bool))
    trend_a = np.atleast_1d(np.asarray(trend, dtype=np.int8))
    if hot_m.shape != cold_m.shape or trend_a.shape != (hot_m.shape[0],):
        raise ValueError("hot and cold must be n × T and trend of length n")
    if (hot_m & cold_m).any():
        raise ValueError("a bin cannot be both a hot and a cold spot")
    steps = hot_m.shape[1]
    # Frequent: at least `persistence` of the steps, compared exactly (count ≥ ⌈persistence·T⌉).
    need = -((-persistence.numerator * steps) // persistence.denominator)
    codes = np.full(hot_m.shape[0], _CODE[Pattern.NO_PATTERN], dtype=np.int8)

    hot_family = _family(hot_m, cold_m, trend_a, need, _HOT_ORDER)
    cold_family = _family(cold_m, hot_m, -trend_a, need, _COLD_ORDER)
    final_hot = hot_m[:, -1]
    final_cold = cold_m[:, -1]
    codes[final_hot] = hot_family[final_hot]
    codes[final_cold] = cold_family[final_cold]
    rest = ~final_hot & ~final_cold
    codes[rest & (hot_m.sum(axis=1) >= need)] = _CODE[Pattern.HISTORICAL_HOT]
    codes[rest & (cold_m.sum(axis=1) >= need)] = _CODE[Pattern.HISTORICAL_COLD]
    return codes


def _family(
    sig: BoolArray,
    other: BoolArray,
    rising: npt.NDArray[np.int8],
    need: int,
    order: tuple[Pattern, ...],
) -> npt.NDArray[np.int8]:
    """Codes for rows whose final bin is in `sig` (rows where it is not are meaningless).
    `rising` is the trend in the direction that intensifies this kind of spot."""
    new, consecutive, intensifying, persistent, diminishing, sporadic, oscillating, _ = order
    steps = sig.shape[1]
    count = sig.sum(axis=1)
    # Length of the run of sig bins that ends at the final step.
    not_sig_reversed = ~sig[:, ::-1]
    run = np.where(not_sig_reversed.any(axis=1), not_sig_reversed.argmax(axis=1), steps)
    frequent = count >= need
    conditions = [
        (count == 1, new),
        ((run >= 2) & (count == run) & ~frequent, consecutive),
        (frequent & (rising > 0), intensifying),
        (frequent & (rising == 0), persistent),
        (frequent & (rising < 0), diminishing),
        (~frequent & ~other.any(axis=1), sporadic),
        (~frequent, oscillating),
    ]
    codes = np.full(sig.shape[0], _CODE[Pattern.NO_PATTERN], dtype=np.int8)
    decided = np.zeros(sig.shape[0], dtype=bool)
    for condition, pattern in conditions:
        take = condition & ~decided
        codes[take] = _CODE[pattern]
        decided |= take
    return codes


def pattern_names(codes: npt.ArrayLike) -> list[Pattern]:
    """The `Pattern` of each code."""
    return [PATTERNS[int(code)] for code in np.asarray(codes).reshape(-1)]


# --- Space-time Gi* ----------------------------------------------------------------------------


def space_time_z(
    counts: npt.ArrayLike, weights: sparse.csr_matrix, *, time_lag: int = 1
) -> FloatArray:
    """Space-time Gi* z per bin (n × T), formula in the module docstring."""
    x = np.asarray(counts, dtype=np.float64)
    n, steps = x.shape
    nbhd = _space_time_sums(x, weights, time_lag)
    w = _space_time_weights(weights, steps, time_lag)
    total = float(n * steps)
    mean = float(x.mean())
    s = float(np.sqrt(float(np.mean(x * x)) - mean * mean))
    den = s * np.sqrt((total * w - w * w) / (total - 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, (nbhd - mean * w) / np.where(den > 0, den, 1.0), 0.0)


def _space_time_sums(x: FloatArray, weights: sparse.csr_matrix, time_lag: int) -> FloatArray:
    spatial = np.asarray(weights @ x) + x  # k-ring plus self, per step
    cumulative = np.cumsum(spatial, axis=1)
    sums = cumulative.copy()
    if time_lag + 1 < x.shape[1]:
        sums[:, time_lag + 1 :] -= cumulative[:, : -(time_lag + 1)]
    return sums


def _space_time_weights(weights: sparse.csr_matrix, steps: int, time_lag: int) -> FloatArray:
    spatial = np.diff(weights.indptr).astype(np.float64) + 1.0
    temporal = np.minimum(np.arange(steps), time_lag).astype(np.float64) + 1.0
    return np.outer(spatial, temporal)


@dataclass(frozen=True)
class EmergingHotSpots:
    """Per cell (rows) and step (columns): z, p, significance; per cell: trend and pattern."""

    z: FloatArray  # n × T
    p: FloatArray  # n × T, two-sided normal
    hot: BoolArray  # n × T
    cold: BoolArray  # n × T
    trend_test: MannKendall
    trend: npt.NDArray[np.int8]
    patterns: npt.NDArray[np.int8]  # codes into PATTERNS

    def pattern_names(self) -> list[Pattern]:
        return pattern_names(self.patterns)


def emerging_hot_spots(
    counts: npt.ArrayLike,
    weights: sparse.csr_matrix,
    *,
    time_lag: int = 1,
    confidence: float = DEFAULT_CONFIDENCE,
    fdr: bool = True,
    trend_alpha: float = DEFAULT_TREND_ALPHA,
    persistence: Fraction = DEFAULT_PERSISTENCE,
    min_cells: int = MIN_CELLS,
    min_steps: int = MIN_STEPS,
) -> EmergingHotSpots:
    """Emerging hot-spot analysis of an n × T cube of counts (module docstring).

    Parameters: `time_lag` previous steps in each bin's neighbourhood (ArcGIS "Neighborhood
    Time Step" − 1); `confidence` for a significant bin (0.90); `fdr` Benjamini–Hochberg over
    all bins; `trend_alpha` for the Mann–Kendall trend (0.05); `persistence` share of steps for
    intensifying / persistent / diminishing / historical (9/10). Raises `NotEnoughData` for
    fewer than `min_cells` cells, fewer than `min_steps` steps or a cube of equal counts.
    """
    x = np.asarray(counts, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("counts must be an n × T array")
    n, steps = x.shape
    if weights.shape != (n, n):
        raise ValueError("weights must be n × n for n cells")
    if time_lag < 0:
        raise ValueError("time_lag cannot be negative")
    if n < min_cells:
        raise NotEnoughData(Reason.TOO_FEW_CELLS, f"{n} cells; at least {min_cells} are needed")
    if steps < min_steps:
        raise NotEnoughData(Reason.TOO_FEW_STEPS, f"{steps} steps; at least {min_steps} are needed")
    if float(x.max()) == float(x.min()):
        raise NotEnoughData(Reason.ZERO_VARIANCE, "every bin has the same count")
    z = space_time_z(x, weights, time_lag=time_lag)
    p = _two_sided_normal_p(z)
    alpha = 1.0 - confidence
    significant = fdr_significant(p.reshape(-1), alpha).reshape(p.shape) if fdr else p <= alpha
    occupied = _space_time_sums((x != 0).astype(np.float64), weights, time_lag) > 0
    significant &= occupied
    hot = significant & (z > 0)
    cold = significant & (z < 0)
    test = mann_kendall(z)
    trend = test.trend(trend_alpha)
    patterns = classify(hot, cold, trend, persistence=persistence)
    return EmergingHotSpots(
        z=z, p=p, hot=hot, cold=cold, trend_test=test, trend=trend, patterns=patterns
    )


def _two_sided_normal_p(z: FloatArray) -> FloatArray:
    """2·Φ(−|z|). scipy is imported here, not with the module (see `hotspots`)."""
    from scipy.special import ndtr

    p: FloatArray = 2.0 * ndtr(-np.abs(z))
    return p
