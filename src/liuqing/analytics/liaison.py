"""Liaison figures (KPIS.md, liaison), pure functions over arrays (no Django):

* coverage: organisations with an officer assigned on the day ÷ organisations registered;
* problems raised (the cohort received in the period), solved (closed by as-of), the solve
  rate, and the estimated savings of the solved ones.

Visits on time ÷ due are analytics.visits.compliance over the organisations' plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]


def coverage(
    n_organisations: int, org_of_assignment: Ints, starts: Ints, ends: Ints, day: int
) -> int:
    """How many of the organisations (indexed 0 … n−1) have an assignment running on `day`
    (start ≤ day ≤ end; an open end is a large day number)."""
    org_of_assignment = np.asarray(org_of_assignment, dtype=np.int64)
    running = (np.asarray(starts) <= day) & (np.asarray(ends) >= day)
    covered = np.zeros(n_organisations, dtype=bool)
    covered[org_of_assignment[running]] = True
    return int(covered.sum())


@dataclass(frozen=True)
class Problems:
    raised: int
    solved: int
    savings: Decimal  # estimated savings of the solved problems, yuan


def problems(closed: npt.NDArray[np.bool_], savings_cents: Ints) -> Problems:
    """The cohort's counts: `closed[i]` whether problem i was closed by as-of, and its
    estimated savings in cents (exact integers; shown in yuan)."""
    closed = np.asarray(closed, dtype=bool)
    cents = np.asarray(savings_cents, dtype=np.int64)
    total = int(cents[closed].sum()) if len(cents) else 0
    return Problems(
        raised=len(closed),
        solved=int(closed.sum()),
        savings=(Decimal(total) / Decimal(100)).quantize(Decimal("0.01")),
    )
