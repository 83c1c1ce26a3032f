"""The figure registry: each module's figures (KPIS.md), gathered by the dashboard.

A module registers one `FigureSection` per board section at import time (in its
`AppConfig.ready`). The dashboard asks each section the member may see for its readings of a
unit (with its subtree) and a period, as of an instant, and computes year-on-year and
month-on-month itself by asking again for the shifted periods (analytics.periods).

Sections compute from records through the module's own selectors (scoped to the member);
the dashboard never reads a module's tables. A reading's value is one of:

* an `int` (a count), a `Decimal` (an amount of money, yuan);
* an `analytics.rates.Rate` (exact numerator ÷ denominator) or `analytics.rates.Average`;
* `None` when the figure is undefined for that cut.

Core imports neither analytics nor any module: the types above are only a contract.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from liuqing.core.navigation import QING


@dataclass(frozen=True)
class Reading:
    """One figure's value for one cut: `key` is stable (exports, API), `label` translatable."""

    key: str
    label: Any
    value: Any
    # Whether a rise is good news (received requests: neutral; incidents: bad). The board
    # colours changes with it; None means neither.
    rise_is_good: bool | None = None


# compute(member, unit, start, end, as_of) -> readings, in display order.
Compute = Callable[[Any, Any, dt.datetime, dt.datetime, dt.datetime], Sequence[Reading]]
# compute_many(member, unit, [(start, end, as_of), ...]) -> readings of each, in that order:
# for sections that load once for several periods (the board asks for three).
ComputeMany = Callable[
    [Any, Any, Sequence[tuple[dt.datetime, dt.datetime, dt.datetime]]],
    Sequence[Sequence[Reading]],
]


@dataclass(frozen=True)
class FigureSection:
    """A module's block on the board, under one of the six situations (navigation.QING)."""

    key: str
    qing: str
    label: Any
    compute: Compute
    visible: Callable[[Any], bool]
    order: int = 100
    compute_many: ComputeMany | None = None
    # latest(member, unit) -> the instant of the newest record the section counts, or None:
    # the board opens on the latest period with data when nothing happened this year.
    latest: Callable[[Any, Any], dt.datetime | None] | None = None

    def evaluate(
        self,
        member: Any,
        unit: Any,
        spans: Sequence[tuple[dt.datetime, dt.datetime, dt.datetime]],
    ) -> list[Sequence[Reading]]:
        """The readings of each (start, end, as_of), through `compute_many` when given."""
        if self.compute_many is not None:
            return list(self.compute_many(member, unit, spans))
        return [self.compute(member, unit, start, end, as_of) for start, end, as_of in spans]

    def __post_init__(self) -> None:
        if self.qing not in QING:
            raise ValueError(f"not one of the six situations: {self.qing!r}")


_SECTIONS: dict[str, FigureSection] = {}


def register(section: FigureSection) -> FigureSection:
    """Add (or replace, on a reload) a module's section."""
    _SECTIONS[section.key] = section
    return section


def sections_for(member: Any) -> list[FigureSection]:
    """The sections `member` may see, in the order of the six situations, then `order`."""
    rank = {key: i for i, key in enumerate(QING)}
    visible = [s for s in _SECTIONS.values() if s.visible(member)]
    return sorted(visible, key=lambda s: (rank[s.qing], s.order, s.key))


def section(key: str) -> FigureSection:
    return _SECTIONS[key]
