"""Emerging hot spots: Mann–Kendall by hand, the 17 patterns on golden series, the cube."""

from __future__ import annotations

import math
from fractions import Fraction

import h3.api.basic_int as h3int
import numpy as np
import pytest

from liuqing.analytics import cells, emerging
from liuqing.analytics.emerging import Pattern
from liuqing.analytics.hotspots import NotEnoughData, Reason

# --- Mann–Kendall ------------------------------------------------------------------------------


def test_mann_kendall_by_hand_with_ties() -> None:
    # Series 1 2 2 3 1. Pairs (a < b), sign(x_b − x_a):
    #   from x1=1: +1 +1 +1  0 → +3;  from x2=2: 0 +1 −1 → 0;  from x3=2: +1 −1 → 0;
    #   from x4=3: −1 → −1.  S = 2.
    # Ties: two 1s and two 2s, each t(t−1)(2t+5) = 2·1·9 = 18.
    # Var S = [5·4·15 − 18 − 18] / 18 = 264 / 18.   Z = (S − 1)/√Var S.
    result = emerging.mann_kendall([1, 2, 2, 3, 1])
    assert result.s.tolist() == [2]
    assert result.var_s[0] == pytest.approx(264 / 18, abs=1e-12)
    z = 1 / math.sqrt(264 / 18)
    assert result.z[0] == pytest.approx(z, abs=1e-12)
    assert result.p[0] == pytest.approx(math.erfc(z / math.sqrt(2)), abs=1e-12)
    assert result.trend().tolist() == [0]


def test_mann_kendall_of_a_rising_and_a_falling_series() -> None:
    rising = np.arange(10, dtype=float)
    result = emerging.mann_kendall(np.vstack([rising, rising[::-1], np.zeros(10)]))
    # Strictly monotone: S = ±45, Var S = 10·9·25/18 = 125, Z = ±44/√125.
    assert result.s.tolist() == [45, -45, 0]
    assert result.var_s[:2].tolist() == [125.0, 125.0]
    assert result.z[0] == pytest.approx(44 / math.sqrt(125), abs=1e-12)
    assert result.z[1] == pytest.approx(-44 / math.sqrt(125), abs=1e-12)
    # All ten values tied: Var S = 0, no trend.
    assert result.var_s[2] == 0
    assert result.z[2] == 0
    assert result.p[2] == 1
    assert result.trend(0.05).tolist() == [1, -1, 0]


def test_mann_kendall_rows_match_the_definition_written_out() -> None:
    series = np.random.default_rng(6).integers(0, 4, (50, 12))  # small integers: many ties
    result = emerging.mann_kendall(series)
    for row, values in enumerate(series.tolist()):
        s = sum(
            (values[b] > values[a]) - (values[b] < values[a])
            for a in range(12)
            for b in range(a + 1, 12)
        )
        groups = [values.count(v) for v in set(values)]
        var_s = (12 * 11 * 29 - sum(t * (t - 1) * (2 * t + 5) for t in groups)) / 18
        assert result.s[row] == s
        assert result.var_s[row] == pytest.approx(var_s, abs=1e-12)
        z = 0.0 if s == 0 else (s - (1 if s > 0 else -1)) / math.sqrt(var_s)
        assert result.z[row] == pytest.approx(z, abs=1e-12)


# --- The 17 patterns ---------------------------------------------------------------------------

# Ten steps, oldest first: H = significant hot bin, C = significant cold bin, . = neither;
# trend = the Mann–Kendall trend of the z series (+1 rising, −1 falling, 0 none).
GOLDEN = [
    (".........H", 0, Pattern.NEW_HOT),
    ("......HHHH", 0, Pattern.CONSECUTIVE_HOT),
    (".HHHHHHHHH", 1, Pattern.INTENSIFYING_HOT),
    ("HHHHHHHHHH", 0, Pattern.PERSISTENT_HOT),
    ("HHHH.HHHHH", -1, Pattern.DIMINISHING_HOT),
    ("H..H...H.H", 0, Pattern.SPORADIC_HOT),
    ("C..H.C..HH", 0, Pattern.OSCILLATING_HOT),
    ("HHHHHHHHH.", 0, Pattern.HISTORICAL_HOT),
    (".........C", 0, Pattern.NEW_COLD),
    ("......CCCC", 0, Pattern.CONSECUTIVE_COLD),
    (".CCCCCCCCC", -1, Pattern.INTENSIFYING_COLD),
    ("CCCCCCCCCC", 0, Pattern.PERSISTENT_COLD),
    ("CCCC.CCCCC", 1, Pattern.DIMINISHING_COLD),
    ("C..C...C.C", 0, Pattern.SPORADIC_COLD),
    ("H..C.H..CC", 0, Pattern.OSCILLATING_COLD),
    ("CCCCCCCCC.", 0, Pattern.HISTORICAL_COLD),
    ("..HH......", 0, Pattern.NO_PATTERN),
]


def masks(series: str) -> tuple[np.ndarray, np.ndarray]:
    return np.array([c == "H" for c in series]), np.array([c == "C" for c in series])


def test_every_pattern_has_a_golden_series() -> None:
    assert {pattern for _, _, pattern in GOLDEN} == set(Pattern)
    assert len(Pattern) == 17


@pytest.mark.parametrize(("series", "trend", "pattern"), GOLDEN, ids=[g[2].value for g in GOLDEN])
def test_golden_series(series: str, trend: int, pattern: Pattern) -> None:
    hot, cold = masks(series)
    assert emerging.pattern_names(emerging.classify(hot, cold, [trend])) == [pattern]


def test_all_golden_series_at_once() -> None:
    hot = np.array([masks(s)[0] for s, _, _ in GOLDEN])
    cold = np.array([masks(s)[1] for s, _, _ in GOLDEN])
    trend = [t for _, t, _ in GOLDEN]
    codes = emerging.classify(hot, cold, trend)
    assert emerging.pattern_names(codes) == [p for _, _, p in GOLDEN]


@pytest.mark.parametrize(
    ("series", "trend", "pattern"),
    [
        # Precedence in the table's order: hot only at the end after cold spots is new.
        ("C........H", 0, Pattern.NEW_HOT),
        ("CC......HH", 0, Pattern.CONSECUTIVE_HOT),
        # 9 of 10 hot but not at the end: historical, whatever the trend.
        ("HHHHHHHHH.", 1, Pattern.HISTORICAL_HOT),
        # A frequent hot spot turning cold at the end is judged by its final step.
        ("HHHHHHHHHC", 0, Pattern.NEW_COLD),
        # 8 of 10 (< 90 %) with a trend: not intensifying, the run was interrupted: sporadic.
        (".H.HHHHHHH", 1, Pattern.SPORADIC_HOT),
        # The final run of 7 with nothing before it, < 90 %: consecutive.
        ("...HHHHHHH", 1, Pattern.CONSECUTIVE_HOT),
        # Hot at some point, not at the end, < 90 %: nothing to say.
        ("H.H.H.H.H.", 0, Pattern.NO_PATTERN),
        ("..........", 0, Pattern.NO_PATTERN),
        # Sporadic needs the final step (ArcGIS Pro; ArcMap 10.3 and sfdep do not).
        ("H..H...H..", 0, Pattern.NO_PATTERN),
    ],
)
def test_where_definitions_meet(series: str, trend: int, pattern: Pattern) -> None:
    hot, cold = masks(series)
    assert emerging.pattern_names(emerging.classify(hot, cold, [trend])) == [pattern]


def test_persistence_threshold_is_a_parameter() -> None:
    hot, cold = masks("..HHHHHHHH")  # 8 of 10
    assert emerging.pattern_names(emerging.classify(hot, cold, [0])) == [Pattern.CONSECUTIVE_HOT]
    eighty = emerging.classify(hot, cold, [0], persistence=Fraction(8, 10))
    assert emerging.pattern_names(eighty) == [Pattern.PERSISTENT_HOT]


def test_a_bin_cannot_be_hot_and_cold() -> None:
    with pytest.raises(ValueError, match="both"):
        emerging.classify([[True, True]], [[False, True]], [0])


# --- The cube ----------------------------------------------------------------------------------


def disk(k: int) -> np.ndarray:
    centre = h3int.latlng_to_cell(39.9, 116.4, 9)
    return np.unique(np.array(h3int.grid_disk(centre, k), dtype=np.uint64))


def test_space_time_z_by_brute_force() -> None:
    area = disk(4)  # 61 cells
    weights = cells.neighbour_weights(area, 1)
    counts = np.random.default_rng(4).poisson(2.0, (area.size, 8)).astype(float)
    z = emerging.space_time_z(counts, weights, time_lag=2)
    total = counts.size
    mean = counts.mean()
    s = math.sqrt((counts**2).mean() - mean**2)
    for i, t in [(0, 0), (5, 1), (30, 2), (60, 7), (17, 5)]:
        spatial = [i, *weights.indices[weights.indptr[i] : weights.indptr[i + 1]].tolist()]
        steps = range(max(0, t - 2), t + 1)
        total_sum = sum(counts[j, u] for j in spatial for u in steps)
        w = len(spatial) * len(steps)
        expected = (total_sum - mean * w) / (s * math.sqrt((total * w - w * w) / (total - 1)))
        assert z[i, t] == pytest.approx(expected, abs=1e-12)


def test_a_spike_in_the_final_month_is_a_new_hot_spot() -> None:
    area = disk(5)  # 91 cells
    weights = cells.neighbour_weights(area, 1)
    rng = np.random.default_rng(8)
    counts = rng.poisson(1.0, (area.size, 12))
    centre = area.size // 2
    cluster = [centre, *weights.indices[weights.indptr[centre] : weights.indptr[centre + 1]]]
    counts[cluster, -1] += 15
    steady = 3  # a corner that is busy every month
    steady_cluster = [steady, *weights.indices[weights.indptr[steady] : weights.indptr[steady + 1]]]
    counts[steady_cluster, :] += 6
    result = emerging.emerging_hot_spots(counts, weights, time_lag=1)
    names = result.pattern_names()
    assert names[centre] == Pattern.NEW_HOT
    assert result.hot[centre, -1]
    assert not result.hot[centre, :-1].any()
    assert result.hot[steady].all()
    assert names[steady] in {
        Pattern.PERSISTENT_HOT,
        Pattern.INTENSIFYING_HOT,
        Pattern.DIMINISHING_HOT,
    }
    assert result.z.shape == (area.size, 12)
    assert result.trend.shape == (area.size,)


def test_an_empty_space_time_neighbourhood_is_never_significant() -> None:
    area = disk(5)
    weights = cells.neighbour_weights(area, 1)
    counts = np.random.default_rng(1).poisson(6.0, (area.size, 6)) + 3
    quiet = 10
    ring = [quiet, *weights.indices[weights.indptr[quiet] : weights.indptr[quiet + 1]]]
    counts[ring, :] = 0
    result = emerging.emerging_hot_spots(counts, weights, fdr=False)
    assert (result.z[quiet] < -2).all()  # the statistic alone would call it cold
    assert not result.cold[quiet].any()
    assert result.pattern_names()[quiet] == Pattern.NO_PATTERN


def test_not_enough_data_for_emerging_hot_spots() -> None:
    area = disk(4)
    weights = cells.neighbour_weights(area, 1)
    with pytest.raises(NotEnoughData) as raised:
        emerging.emerging_hot_spots(np.ones((area.size, 3)) + np.arange(3), weights)
    assert raised.value.reason == Reason.TOO_FEW_STEPS
    with pytest.raises(NotEnoughData) as raised:
        emerging.emerging_hot_spots(np.zeros((area.size, 12)), weights)
    assert raised.value.reason == Reason.ZERO_VARIANCE
    small = disk(2)
    with pytest.raises(NotEnoughData) as raised:
        emerging.emerging_hot_spots(
            np.arange(small.size * 12).reshape(-1, 12), cells.neighbour_weights(small, 1)
        )
    assert raised.value.reason == Reason.TOO_FEW_CELLS
