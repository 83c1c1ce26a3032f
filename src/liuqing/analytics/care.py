"""Care-register figures (KPIS.md, care): recipients by category. The visit figures (on time
÷ due, overdue now) are analytics.visits over the care plans. Pure functions, no Django."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def by_category(codes: npt.NDArray[np.int64], n_categories: int) -> list[int]:
    """How many recipients fall in each category, `codes` being each recipient's category
    index (0 … n_categories − 1)."""
    codes = np.asarray(codes, dtype=np.int64)
    return np.bincount(codes, minlength=n_categories)[:n_categories].astype(int).tolist()


def category_codes(values: Sequence[str], categories: Sequence[str]) -> npt.NDArray[np.int64]:
    """Each value's index in `categories` (unknown values are an error)."""
    index = {c: i for i, c in enumerate(categories)}
    return np.array([index[v] for v in values], dtype=np.int64)
