"""The compiled kernels of the analytics (numba), in a module of their own so that numba (about
100 MB resident) is loaded only by a process that runs one: `hotspots` imports this module
inside the functions that need it."""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@numba.njit(parallel=True, cache=True, nogil=True)
def permutation_counts(
    x: FloatArray, indptr: npt.NDArray[np.int32], indices: npt.NDArray[np.int32], draws: IntArray
) -> tuple[IntArray, IntArray]:  # pragma: no cover - compiled; covered through its callers
    n = x.shape[0]
    permutations = draws.shape[0]
    greater = np.zeros(n, dtype=np.int64)
    lesser = np.zeros(n, dtype=np.int64)
    for i in numba.prange(n):
        start = indptr[i]
        k = indptr[i + 1] - start
        observed = 0.0
        for t in range(start, start + k):
            observed += x[indices[t]]
        ge = 0
        le = 0
        for p in range(permutations):
            simulated = 0.0
            for c in range(k):
                j = draws[p, c]
                if j >= i:
                    j += 1
                simulated += x[j]
            if simulated >= observed:
                ge += 1
            if simulated <= observed:
                le += 1
        greater[i] = ge
        lesser[i] = le
    return greater, lesser
