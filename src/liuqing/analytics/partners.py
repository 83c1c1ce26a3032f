"""The partner figures of KPIS.md (增感情): partners and groups active, alerts issued, the
delivery success rate, and the median time from alert to resolution.

Pure functions over numpy arrays of epoch seconds (NaN = never); no Django.

* partners active as of t: registered at or before t and not left by t;
* groups active as of t: created at or before t (and not retired: the caller passes only
  active groups);
* alerts issued in [start, end): issue instant in the half-open period;
* delivery success rate: of the deliveries of alerts issued in the period that reached an
  outcome (sent or dead-lettered), the share sent; pending and skipped ones (expired or
  withdrawn before going out) are in neither numerator nor denominator;
* median time to resolution: over alerts resolved in [start, end), the median of
  (resolved − issued), in hours (exact: the mean of the two middle values for an even count).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt

from liuqing.analytics.rates import Rate

FloatArray = npt.NDArray[np.float64]


def active_count(created: npt.ArrayLike, left: npt.ArrayLike, as_of: float) -> int:
    c = np.asarray(created, dtype=np.float64)
    lft = np.asarray(left, dtype=np.float64)
    if c.shape != lft.shape:
        raise ValueError("created and left differ in length")
    alive = (c <= as_of) & (np.isnan(lft) | (lft > as_of))
    return int(alive.sum())


def issued_count(issued: npt.ArrayLike, start: float, end: float) -> int:
    i = np.asarray(issued, dtype=np.float64)
    return int(((i >= start) & (i < end)).sum())


def delivery_success(sent: int, dead: int) -> Rate:
    return Rate(int(sent), int(sent) + int(dead))


def median_hours(
    issued: npt.ArrayLike, resolved: npt.ArrayLike, start: float, end: float
) -> Fraction | None:
    """Median hours from issue to resolution of the alerts resolved in [start, end)."""
    i = np.asarray(issued, dtype=np.float64)
    r = np.asarray(resolved, dtype=np.float64)
    if i.shape != r.shape:
        raise ValueError("issued and resolved differ in length")
    mask = ~np.isnan(r) & ~np.isnan(i) & (r >= start) & (r < end)
    seconds = sorted(Fraction(float(x)).limit_denominator(10**6) for x in (r[mask] - i[mask]))
    if not seconds:
        return None
    n = len(seconds)
    middle = seconds[n // 2] if n % 2 else (seconds[n // 2 - 1] + seconds[n // 2]) / 2
    return middle / 3600
