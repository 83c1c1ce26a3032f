"""Gi*: analytic z against esda, permutations against a brute-force reference, FDR, bins."""

from __future__ import annotations

import warnings

import h3.api.basic_int as h3int
import numpy as np
import pytest
from scipy import sparse

from liuqing.analytics import cells, hotspots
from liuqing.analytics.hotspots import NotEnoughData, Reason


def disk_cells(k: int, lat: float = 39.9, lng: float = 116.4, res: int = 9) -> np.ndarray:
    centre = h3int.latlng_to_cell(lat, lng, res)
    return np.unique(np.array(h3int.grid_disk(centre, k), dtype=np.uint64))


def esda_z(x: np.ndarray, weights: sparse.csr_matrix) -> np.ndarray:
    from esda.getisord import G_Local
    from libpysal.graph import Graph

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # esda's deprecation notices, not our concern
        result = G_Local(
            x.astype(np.float64),
            Graph.from_sparse(weights),
            transform="B",
            star=True,
            permutations=0,
        )
    return np.asarray(result.Zs)


# --- Analytic z --------------------------------------------------------------------------------


def docstring_weights() -> sparse.csr_matrix:
    """esda's docstring example: six points, distance band 15 (inclusive), binary."""
    points = np.array([(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)], float)
    distance = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    adjacency = (distance <= 15) & ~np.eye(6, dtype=bool)
    return sparse.csr_matrix(adjacency.astype(np.float64))


def test_z_matches_the_esda_docstring_example() -> None:
    y = np.array([2, 3, 3.2, 5, 8, 7])
    z = hotspots.gi_star_z(y, docstring_weights(), min_cells=1)
    published = [-1.3973, -0.2892, 0.6506, -0.2892, 1.2345, 2.0242]
    np.testing.assert_allclose(z, published, atol=5e-5)
    np.testing.assert_allclose(z, esda_z(y, docstring_weights()), rtol=0, atol=1e-9)


@pytest.mark.parametrize("k", [1, 2])
def test_z_matches_esda_on_a_random_h3_map(k: int) -> None:
    area = disk_cells(10)  # 331 cells
    weights = cells.neighbour_weights(area, k)
    x = np.random.default_rng(7).poisson(2.0, area.size).astype(np.float64)
    x[:40] += 6  # a cluster on top of the noise
    z = hotspots.gi_star_z(x, weights)
    assert np.abs(z - esda_z(x, weights)).max() < 1e-9


def test_z_by_hand_for_one_cell() -> None:
    area = disk_cells(3)  # 37 cells
    weights = cells.neighbour_weights(area, 1)
    x = np.arange(area.size, dtype=np.float64) % 5
    i = 11
    neighbours = weights.indices[weights.indptr[i] : weights.indptr[i + 1]]
    w_i = neighbours.size + 1
    n = x.size
    mean = x.mean()
    s = np.sqrt((x**2).mean() - mean**2)
    expected = (x[neighbours].sum() + x[i] - mean * w_i) / (
        s * np.sqrt((n * w_i - w_i**2) / (n - 1))
    )
    assert hotspots.gi_star_z(x, weights)[i] == pytest.approx(expected, abs=1e-12)


# --- Not enough data ---------------------------------------------------------------------------


def test_fewer_than_30_cells_is_not_enough() -> None:
    area = disk_cells(2)  # 19 cells
    weights = cells.neighbour_weights(area, 1)
    with pytest.raises(NotEnoughData) as raised:
        hotspots.hot_spots(np.arange(19), weights)
    assert raised.value.reason == Reason.TOO_FEW_CELLS
    assert hotspots.check_data(np.arange(19)) == Reason.TOO_FEW_CELLS


@pytest.mark.parametrize("value", [0, 3])
def test_equal_counts_everywhere_is_not_enough(value: int) -> None:
    area = disk_cells(3)
    weights = cells.neighbour_weights(area, 1)
    counts = np.full(area.size, value)
    with pytest.raises(NotEnoughData) as raised:
        hotspots.hot_spots(counts, weights, permutations=0)
    assert raised.value.reason == Reason.ZERO_VARIANCE
    with pytest.raises(NotEnoughData):
        hotspots.permutation_test(counts, weights)


def test_enough_data_has_no_reason() -> None:
    assert hotspots.check_data(np.arange(30)) is None


# --- Permutations ------------------------------------------------------------------------------


def brute_force_counts(
    x: np.ndarray, weights: sparse.csr_matrix, draws: np.ndarray
) -> tuple[list[int], list[int]]:
    """The conditional randomisation written out in plain Python, from the same draws:
    for cell i, the other cells in order, the first kᵢ drawn of them, summed; ties counted
    in both tails."""
    values = [int(v) for v in x]
    greater, lesser = [], []
    for i in range(len(values)):
        neighbours = weights.indices[weights.indptr[i] : weights.indptr[i + 1]].tolist()
        observed = sum(values[j] for j in neighbours)
        others = [j for j in range(len(values)) if j != i]
        ge = le = 0
        for row in draws:
            simulated = sum(values[others[int(d)]] for d in row[: len(neighbours)])
            ge += simulated >= observed
            le += simulated <= observed
        greater.append(ge)
        lesser.append(le)
    return greater, lesser


def test_permutation_counts_match_a_brute_force_reference_with_ties() -> None:
    area = disk_cells(3)  # 37 cells, edge cells with 3–4 neighbours, so kᵢ varies
    weights = cells.neighbour_weights(area, 1)
    x = np.random.default_rng(3).integers(0, 3, area.size).astype(np.float64)  # many ties
    test = hotspots.permutation_test(x, weights, permutations=199, seed=42)
    draws = hotspots.permutation_draws(area.size, 6, 199, 42)
    greater, lesser = brute_force_counts(x, weights, draws)
    assert test.greater.tolist() == greater
    assert test.lesser.tolist() == lesser
    # Ties really happened: some draws counted in both tails.
    assert (test.greater + test.lesser > 199).any()
    p_g = (np.array(greater) + 1) / 200
    p_l = (np.array(lesser) + 1) / 200
    np.testing.assert_array_equal(test.p_greater, p_g)
    np.testing.assert_array_equal(test.p_lesser, p_l)
    np.testing.assert_array_equal(test.p_two_sided, np.minimum(1, 2 * np.minimum(p_g, p_l)))


def test_draws_are_distinct_positions_among_the_other_cells() -> None:
    draws = hotspots.permutation_draws(40, 6, 500, seed=1)
    assert draws.shape == (500, 6)
    assert draws.min() >= 0
    assert draws.max() <= 38
    assert all(len(set(row.tolist())) == 6 for row in draws)


def test_a_permutation_run_is_deterministic_for_a_seed() -> None:
    area = disk_cells(5)
    weights = cells.neighbour_weights(area, 1)
    x = np.random.default_rng(5).poisson(1.5, area.size)
    first = hotspots.permutation_test(x, weights, seed=9)
    again = hotspots.permutation_test(x, weights, seed=9)
    other = hotspots.permutation_test(x, weights, seed=10)
    np.testing.assert_array_equal(first.greater, again.greater)
    np.testing.assert_array_equal(first.lesser, again.lesser)
    assert not np.array_equal(first.greater, other.greater)


def test_draws_made_once_give_the_same_result_as_the_seed() -> None:
    area = disk_cells(5)
    weights = cells.neighbour_weights(area, 1)
    x = np.random.default_rng(5).poisson(1.5, area.size)
    max_k = int(np.diff(weights.indptr).max())
    shared = hotspots.permutation_draws(area.size, max_k, 999, 9)
    given = hotspots.permutation_test(x, weights, seed=9, draws=shared)
    seeded = hotspots.permutation_test(x, weights, seed=9)
    np.testing.assert_array_equal(given.greater, seeded.greater)
    np.testing.assert_array_equal(given.lesser, seeded.lesser)
    with pytest.raises(ValueError, match="draws"):
        hotspots.permutation_test(x, weights, draws=shared[:, :2])
    with pytest.raises(ValueError, match="draws"):
        hotspots.permutation_test(x, weights, draws=shared + area.size)


def test_a_strong_cluster_is_a_hot_spot_in_the_upper_tail() -> None:
    area = disk_cells(6)  # 127 cells
    weights = cells.neighbour_weights(area, 1)
    x = np.random.default_rng(11).poisson(1.0, area.size)
    centre = area.size // 2
    cluster = [centre, *weights.indices[weights.indptr[centre] : weights.indptr[centre + 1]]]
    x[cluster] += 12
    result = hotspots.hot_spots(x, weights, permutations=999, seed=1)
    assert result.permutation is not None
    assert result.permutation.tail[centre] == 1
    assert result.p[centre] == pytest.approx(2 / 1000)  # the floor: no draw reached it
    # With 127 cells, BH at 99 % needs p ≤ k·0.01/127: the 0.002 floor passes only with
    # ≥ 26 cells there (hotspots.md §1), so a permutation hot spot this small is ±1 or ±2.
    assert result.bins[centre] in (1, 2)
    assert result.hot[centre]
    analytic = hotspots.hot_spots(x, weights, permutations=0)
    assert analytic.permutation is None
    assert analytic.bins[centre] == 3
    assert analytic.z[centre] > 5


# --- Empty neighbourhoods ----------------------------------------------------------------------


def test_a_cell_with_an_empty_neighbourhood_is_never_a_cold_spot() -> None:
    area = disk_cells(6)
    weights = cells.neighbour_weights(area, 1)
    x = np.random.default_rng(2).poisson(8.0, area.size) + 2  # every cell busy...
    quiet = 5
    ring = [quiet, *weights.indices[weights.indptr[quiet] : weights.indptr[quiet + 1]]]
    x[ring] = 0  # ...except one neighbourhood with no incident at all
    result = hotspots.hot_spots(x, weights, permutations=0)
    assert result.empty_neighbourhood[quiet]
    assert result.empty_neighbourhood.sum() == 1
    # The statistic alone would call it a cold spot; the rule sets its bin to 0.
    assert result.z[quiet] < -3
    assert result.p[quiet] < 0.01
    assert result.bins[quiet] == 0
    assert not result.cold[quiet]
    by_permutation = hotspots.hot_spots(x, weights, permutations=199)
    assert by_permutation.bins[quiet] == 0


def test_an_empty_cell_next_to_incidents_is_not_an_empty_neighbourhood() -> None:
    area = disk_cells(3)
    weights = cells.neighbour_weights(area, 1)
    x = np.zeros(area.size)
    x[0] = 4
    neighbour = int(weights.indices[weights.indptr[0]])
    empty = hotspots.empty_neighbourhoods(x, weights)
    assert not empty[0]
    assert not empty[neighbour]
    assert empty.sum() == area.size - 1 - (weights.indptr[1] - weights.indptr[0])


# --- FDR and bins ------------------------------------------------------------------------------


def test_benjamini_hochberg_by_hand() -> None:
    p = np.array([0.3, 0.001, 0.041, 0.012, 0.9, 0.029])
    # Sorted: .001 .012 .029 .041 .3 .9 against k·α/6.
    # α=.05: cuts .0083 .0167 .025 .0333 .0417 .05 → .001 ✓ .012 ✓ .029 ✗ .041 ✗ → k = 2
    assert hotspots.fdr_significant(p, 0.05).tolist() == [False, True, False, True, False, False]
    # α=.10: cuts .0167 .0333 .05 .0667 .0833 .1 → k = 4
    assert hotspots.fdr_significant(p, 0.10).tolist() == [False, True, True, True, False, True]
    # α=.01: cuts .00167 .00333 … → k = 1
    assert hotspots.fdr_significant(p, 0.01).tolist() == [False, True, False, False, False, False]


def test_benjamini_hochberg_steps_up() -> None:
    # .02 alone fails its cut (.0125), but the largest passing rank (4: .04 ≤ .05) takes all.
    p = [0.02, 0.021, 0.022, 0.04]
    assert hotspots.fdr_significant(p, 0.05).all()
    assert not hotspots.fdr_significant([0.2, 0.3], 0.05).any()
    assert hotspots.fdr_significant([], 0.05).size == 0


def test_gi_bins_follow_arcgis() -> None:
    p = np.array([0.0001, 0.0001, 0.03, 0.07, 0.5] + [0.9] * 5)
    direction = np.array([2.0, -1.0, 1.0, -1.0, 1.0] + [1.0] * 5)
    # Without FDR: 99 % → ±3, 95 % → ±2, 90 % → ±1.
    assert hotspots.gi_bins(p, direction, fdr=False).tolist() == [3, -3, 2, -1, 0] + [0] * 5
    # With FDR over 10 cells: α=.01 cut 2·.001 passes the two tiny p; α=.05: .03 > 3·.005;
    # α=.10: .03 ≤ 3·.01 passes, .07 > 4·.01 fails.
    assert hotspots.gi_bins(p, direction, fdr=True).tolist() == [3, -3, 1, 0, 0] + [0] * 5
    excluded = np.zeros(10, dtype=bool)
    excluded[0] = True
    assert hotspots.gi_bins(p, direction, exclude=excluded)[0] == 0


def test_warm_up_compiles_the_kernel() -> None:
    from liuqing.analytics import kernels

    hotspots.warm_up()
    assert kernels.permutation_counts.signatures  # the compiled (or cached) signature exists


def test_threads_may_run_permutations_at_the_same_time() -> None:
    from concurrent.futures import ThreadPoolExecutor

    area = disk_cells(5)
    weights = cells.neighbour_weights(area, 1)
    x = np.random.default_rng(12).poisson(2.0, area.size)
    alone = hotspots.permutation_test(x, weights, seed=3)
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: hotspots.permutation_test(x, weights, seed=3), range(8)))
    for run in runs:
        np.testing.assert_array_equal(run.greater, alone.greater)
        np.testing.assert_array_equal(run.lesser, alone.lesser)
