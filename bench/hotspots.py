"""Benchmark: the hot-spot core (liuqing.analytics.cells / hotspots) against its references.

Synthetic data like hotspots.md §4: H3 resolution-9 cells in a disk around (39.9, 116.4)
(ring 182 ≈ 100,000 cells, zero cells kept), 1,000,000 incident points (30 % uniform, 70 % in
Gaussian hot spots) binned into them, binary k-ring-1 weights. Each figure is measured beside a
reference run in the same process, and the JSON gives their ratio:

* binning 1M points: ours (h3ronpy, vectorised) against a plain h3-py loop (int API);
* weights for ~100k cells: ours (vectorised grid_disk) against a Python grid_disk loop + CSR;
* Gi* z for ~100k cells: ours against esda ``G_Local(transform="B", star=True,
  permutations=0)`` on a libpysal Graph, with the largest |Δz|;
* 999 permutations: ours at ~100k cells against the target; and, like for like, ours and esda
  (``n_jobs=1``, ``keep_simulations=False``, after a warm-up call so its JIT is not timed) at
  `--esda-ring` (57 ≈ 10,000 cells by default, since esda's O(n²) copying takes ~15 s at 100k;
  ``--esda-ring 182`` runs it at full size).

Times are the best of `--runs` warm runs (references: fewer runs where they are slow).

    python bench/hotspots.py
    python bench/hotspots.py --esda-ring 182
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "src"))

from liuqing.analytics import cells, hotspots  # noqa: E402

TARGETS_SECONDS = {
    "binning_1m": 0.5,
    "weights_100k": 0.100,
    "gi_star_z_100k": 0.005,
    "permutations_999_100k": 1.5,
}
MAX_ABS_DIFF = 1e-9


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ring", type=int, default=182, help="disk radius: 182 ≈ 100k cells")
    parser.add_argument("--esda-ring", type=int, default=57, help="57 ≈ 10k cells")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--resolution", type=int, default=9)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def best(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Fastest of `runs` calls, in seconds, and the last result."""
    fastest = float("inf")
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        fastest = min(fastest, time.perf_counter() - started)
    return fastest, result


def disk(ring: int, resolution: int) -> np.ndarray:
    import h3.api.basic_int as h3int

    centre = h3int.latlng_to_cell(39.9, 116.4, resolution)
    return np.unique(np.array(h3int.grid_disk(centre, ring), dtype=np.uint64))


def synthetic_points(area: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """30 % uniform over the area's bounding box, 70 % around 20 Gaussian centres."""
    import h3.api.basic_int as h3int

    rng = np.random.default_rng(seed)
    centres = np.array([h3int.cell_to_latlng(int(c)) for c in area[:: max(1, area.size // 2000)]])
    lat_lo, lat_hi = centres[:, 0].min(), centres[:, 0].max()
    lng_lo, lng_hi = centres[:, 1].min(), centres[:, 1].max()
    uniform = int(count * 0.3)
    hot = count - uniform
    spots = centres[rng.choice(len(centres), 20, replace=False)]
    which = rng.integers(0, 20, hot)
    lat = np.concatenate(
        [rng.uniform(lat_lo, lat_hi, uniform), spots[which, 0] + rng.normal(0, 0.01, hot)]
    )
    lng = np.concatenate(
        [rng.uniform(lng_lo, lng_hi, uniform), spots[which, 1] + rng.normal(0, 0.01, hot)]
    )
    return lat, lng


def h3py_loop_binning(lat: np.ndarray, lng: np.ndarray, resolution: int) -> np.ndarray:
    import h3.api.basic_int as h3int

    to_cell = h3int.latlng_to_cell
    return np.fromiter(
        (to_cell(a, b, resolution) for a, b in zip(lat.tolist(), lng.tolist(), strict=True)),
        dtype=np.uint64,
        count=lat.size,
    )


def python_loop_weights(area: np.ndarray) -> Any:
    import h3.api.basic_int as h3int
    from scipy import sparse

    position = {c: i for i, c in enumerate(area.tolist())}
    rows: list[int] = []
    cols: list[int] = []
    for i, cell in enumerate(area.tolist()):
        for other in h3int.grid_disk(cell, 1):
            j = position.get(other)
            if j is not None and j != i:
                rows.append(i)
                cols.append(j)
    data = np.ones(len(rows))
    return sparse.csr_matrix((data, (rows, cols)), shape=(area.size, area.size))


def esda_g_local(x: np.ndarray, weights: Any, permutations: int, seed: int) -> Any:
    from esda.getisord import G_Local
    from libpysal.graph import Graph

    graph = Graph.from_sparse(weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return G_Local(
            x,
            graph,
            transform="B",
            star=True,
            permutations=permutations,
            n_jobs=1,
            keep_simulations=False,
            seed=seed,
        )


def main() -> None:
    args = parse_args()
    result: dict[str, Any] = {}

    # --- Setup and binning ------------------------------------------------------------------
    area = disk(args.ring, args.resolution)
    lat, lng = synthetic_points(area, args.points, args.seed)
    ours_bin, point_cells = best(
        lambda: cells.points_to_cells(lat, lng, args.resolution), args.runs
    )
    ref_bin, ref_cells = best(lambda: h3py_loop_binning(lat, lng, args.resolution), 1)
    counts, outside = cells.counts_in_cells(point_cells, area)
    count_seconds, _ = best(lambda: cells.counts_in_cells(point_cells, area), args.runs)
    result["data"] = {
        "cells": int(area.size),
        "resolution": args.resolution,
        "points": int(args.points),
        "points_outside_area": outside,
        "zero_cells": int((counts == 0).sum()),
    }
    result["binning"] = {
        "points": int(args.points),
        "ours_s": round(ours_bin, 4),
        "reference": "h3-py int API, Python loop",
        "reference_s": round(ref_bin, 4),
        "speedup": round(ref_bin / ours_bin, 1),
        "identical_cells": bool(np.array_equal(point_cells, ref_cells)),
        "counts_per_cell_s": round(count_seconds, 4),
        "target_s": TARGETS_SECONDS["binning_1m"],
        "pass": ours_bin <= TARGETS_SECONDS["binning_1m"],
    }

    # --- Weights ----------------------------------------------------------------------------
    ours_w, weights = best(lambda: cells.neighbour_weights(area, 1), args.runs)
    ref_w, ref_weights = best(lambda: python_loop_weights(area), 1)
    result["weights"] = {
        "cells": int(area.size),
        "k": 1,
        "ours_s": round(ours_w, 4),
        "reference": "h3-py grid_disk loop + scipy CSR",
        "reference_s": round(ref_w, 4),
        "speedup": round(ref_w / ours_w, 1),
        "identical": bool((weights != ref_weights).nnz == 0),
        "target_s": TARGETS_SECONDS["weights_100k"],
        "pass": ours_w <= TARGETS_SECONDS["weights_100k"],
    }

    # --- Gi* z ------------------------------------------------------------------------------
    x = counts.astype(np.float64)
    ours_z, z = best(lambda: hotspots.gi_star_z(x, weights), max(args.runs, 20))
    ref_z, esda_result = best(lambda: esda_g_local(x, weights, 0, args.seed), 3)
    diff = float(np.abs(np.asarray(esda_result.Zs) - z).max())
    result["gi_star_z"] = {
        "cells": int(area.size),
        "ours_s": round(ours_z, 5),
        "reference": 'esda G_Local(transform="B", star=True, permutations=0), libpysal Graph',
        "reference_s": round(ref_z, 4),
        "speedup": round(ref_z / ours_z, 1),
        "max_abs_diff": diff,
        "max_abs_diff_allowed": MAX_ABS_DIFF,
        "target_s": TARGETS_SECONDS["gi_star_z_100k"],
        "pass": ours_z <= TARGETS_SECONDS["gi_star_z_100k"] and diff <= MAX_ABS_DIFF,
    }

    # --- Permutations -----------------------------------------------------------------------
    started = time.perf_counter()
    hotspots.warm_up()
    warm_up_s = time.perf_counter() - started
    ours_p, test = best(
        lambda: hotspots.permutation_test(
            x, weights, permutations=args.permutations, seed=args.seed
        ),
        max(1, args.runs // 2),
    )
    repeat = hotspots.permutation_test(x, weights, permutations=args.permutations, seed=args.seed)

    small = disk(args.esda_ring, args.resolution)
    small_weights = cells.neighbour_weights(small, 1)
    small_x, _ = cells.counts_in_cells(point_cells, small)
    small_x = small_x.astype(np.float64)
    ours_small, _ = best(
        lambda: hotspots.permutation_test(
            small_x, small_weights, permutations=args.permutations, seed=args.seed
        ),
        args.runs,
    )
    started = time.perf_counter()
    esda_g_local(small_x[:200], small_weights[:200, :200], args.permutations, args.seed)
    esda_first_call_s = time.perf_counter() - started  # numba JIT of esda's kernel
    ref_small, _ = best(
        lambda: esda_g_local(small_x, small_weights, args.permutations, args.seed), 1
    )
    result["permutations"] = {
        "permutations": args.permutations,
        "cells": int(area.size),
        "ours_s": round(ours_p, 3),
        "deterministic_for_seed": bool(
            np.array_equal(test.greater, repeat.greater)
            and np.array_equal(test.lesser, repeat.lesser)
        ),
        "warm_up_s": round(warm_up_s, 3),
        "target_s": TARGETS_SECONDS["permutations_999_100k"],
        "pass": ours_p <= TARGETS_SECONDS["permutations_999_100k"],
        "like_for_like": {
            "cells": int(small.size),
            "ours_s": round(ours_small, 4),
            "reference": "esda G_Local(transform='B', star=True, n_jobs=1, keep_simulations=False)",
            "reference_s": round(ref_small, 4),
            "speedup": round(ref_small / ours_small, 1),
            "reference_first_call_s": round(esda_first_call_s, 2),
            "why_not_at_full_size": (
                "esda copies all other values per site (O(n^2)); at ~100k cells it takes "
                "~15 s per run (hotspots.md §4), so it is compared at --esda-ring; our "
                "kernel is O(n·P·k), so its speedup grows with n"
            ),
        },
    }

    result["targets_met"] = all(
        result[name]["pass"] for name in ("binning", "weights", "gi_star_z", "permutations")
    )
    result["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "numba_threads": int(__import__("numba").get_num_threads()),
        "versions": {
            name: metadata.version(name)
            for name in ("numpy", "scipy", "numba", "h3", "h3ronpy", "esda", "libpysal")
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
