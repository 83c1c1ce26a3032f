"""Reads of the stored maps (see `refresh`), scoped to the acting member's jurisdiction.

`map_units_for(member)` lists the units of the member's jurisdiction that have maps;
`load_map(member, unit=..., resolution=..., month=..., category=...)` gives a month's map of
one of them with every cell of its grid (count, level, Gi* bin and z, emerging pattern), and
`as_geojson` / `csv_rows` make what the map page draws and the exports download.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import h3.api.basic_int as h3int
import numpy as np
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liuqing.analytics import cells as cellsmod
from liuqing.analytics import emerging
from liuqing.analytics.levels import Level
from liuqing.core import access
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import Member, Unit
from liuqing.incidents.locate import resolutions
from liuqing.incidents.models import (
    CellGrid,
    CellMap,
    CellTrend,
    IncidentCategory,
    MapRun,
    RunStatus,
)
from liuqing.incidents.policies import INCIDENT

LEVEL_LABELS = {
    Level.GREEN: gettext_lazy("Green"),
    Level.YELLOW: gettext_lazy("Yellow"),
    Level.RED: gettext_lazy("Red"),
}
LEVEL_KEYS = {Level.GREEN: "green", Level.YELLOW: "yellow", Level.RED: "red"}
BIN_LABELS = {
    # xgettext:no-python-format
    3: gettext_lazy("Hot spot, 99 % confidence"),
    # xgettext:no-python-format
    2: gettext_lazy("Hot spot, 95 % confidence"),
    # xgettext:no-python-format
    1: gettext_lazy("Hot spot, 90 % confidence"),
    0: gettext_lazy("Not significant"),
    # xgettext:no-python-format
    -1: gettext_lazy("Cold spot, 90 % confidence"),
    # xgettext:no-python-format
    -2: gettext_lazy("Cold spot, 95 % confidence"),
    # xgettext:no-python-format
    -3: gettext_lazy("Cold spot, 99 % confidence"),
}
REASON_LABELS = {
    "too_few_cells": gettext_lazy(
        "Not enough data: a hot-spot test needs at least 30 cells; this map has fewer."
    ),
    "zero_variance": gettext_lazy(
        "Not enough data: every cell has the same count (for example none at all), so no "
        "cell can stand out."
    ),
    "too_few_steps": gettext_lazy(
        "Not enough data: emerging hot spots need at least four months of maps."
    ),
}
PATTERN_LABELS = {
    emerging.Pattern.NEW_HOT: gettext_lazy("New hot spot"),
    emerging.Pattern.CONSECUTIVE_HOT: gettext_lazy("Consecutive hot spot"),
    emerging.Pattern.INTENSIFYING_HOT: gettext_lazy("Intensifying hot spot"),
    emerging.Pattern.PERSISTENT_HOT: gettext_lazy("Persistent hot spot"),
    emerging.Pattern.DIMINISHING_HOT: gettext_lazy("Diminishing hot spot"),
    emerging.Pattern.SPORADIC_HOT: gettext_lazy("Sporadic hot spot"),
    emerging.Pattern.OSCILLATING_HOT: gettext_lazy("Oscillating hot spot"),
    emerging.Pattern.HISTORICAL_HOT: gettext_lazy("Historical hot spot"),
    emerging.Pattern.NEW_COLD: gettext_lazy("New cold spot"),
    emerging.Pattern.CONSECUTIVE_COLD: gettext_lazy("Consecutive cold spot"),
    emerging.Pattern.INTENSIFYING_COLD: gettext_lazy("Intensifying cold spot"),
    emerging.Pattern.PERSISTENT_COLD: gettext_lazy("Persistent cold spot"),
    emerging.Pattern.DIMINISHING_COLD: gettext_lazy("Diminishing cold spot"),
    emerging.Pattern.SPORADIC_COLD: gettext_lazy("Sporadic cold spot"),
    emerging.Pattern.OSCILLATING_COLD: gettext_lazy("Oscillating cold spot"),
    emerging.Pattern.HISTORICAL_COLD: gettext_lazy("Historical cold spot"),
    emerging.Pattern.NO_PATTERN: gettext_lazy("No pattern detected"),
}


def require_view(member: Member) -> None:
    if not access.can(member, INCIDENT, access.VIEW):
        raise AccessDenied


def latest_grid(unit: Unit, resolution: int) -> CellGrid | None:
    return (
        CellGrid.objects.filter(unit=unit, resolution=resolution, run__status=RunStatus.DONE)
        .select_related("run")
        .order_by("-run__started_at", "-run__pk")
        .first()
    )


def map_units_for(member: Member) -> QuerySet[Unit]:
    """Units of the member's jurisdiction that have a stored map, in tree order."""
    require_view(member)
    with_maps = CellGrid.objects.filter(run__status=RunStatus.DONE).values("unit_id")
    return Unit.objects.filter(
        access.subtree_q(member.unit), is_active=True, pk__in=with_maps
    ).order_by("path")


def default_unit(member: Member) -> Unit | None:
    """The member's own unit when it has a map, else the first unit with one below it."""
    return map_units_for(member).first()


def access_map_unit(member: Member, pk: Any) -> Unit:
    """A unit of the member's jurisdiction (NotFound outside it or not a unit id)."""
    require_view(member)
    text = str(pk)
    unit = Unit.objects.filter(pk=int(text)).first() if text.isdigit() and len(text) < 19 else None
    if unit is None or not access.in_jurisdiction(member, unit):
        raise NotFound
    return unit


def months_of(grid: CellGrid) -> list[dt.date]:
    return list(
        CellMap.objects.filter(grid=grid, category__isnull=True)
        .order_by("month")
        .values_list("month", flat=True)
    )


@dataclass
class MapView:
    unit: Unit
    resolution: int
    month: dt.date
    category: IncidentCategory | None
    run: MapRun
    cells: np.ndarray  # uint64, sorted
    counts: np.ndarray  # int64 per cell
    levels: np.ndarray  # int8 per cell
    bins: np.ndarray  # int8 per cell
    z: np.ndarray  # float per cell (nan where not stored: bin 0)
    reason: str
    incidents: int
    outside: int
    months: list[dt.date]
    patterns: np.ndarray | None  # int8 codes per cell, None when not enough data
    trend_reason: str

    @property
    def reason_text(self) -> str:
        return str(REASON_LABELS.get(self.reason, "")) if self.reason else ""

    @property
    def trend_reason_text(self) -> str:
        return str(REASON_LABELS.get(self.trend_reason, "")) if self.trend_reason else ""

    def level_counts(self) -> dict[str, int]:
        return {LEVEL_KEYS[lv]: int((self.levels == lv).sum()) for lv in Level}

    def bin_counts(self) -> list[tuple[int, str, int]]:
        return [(b, str(BIN_LABELS[b]), int((self.bins == b).sum())) for b in range(3, -4, -1)]

    def pattern_counts(self) -> list[tuple[str, str, int]]:
        if self.patterns is None:
            return []
        found = np.bincount(self.patterns.astype(np.int64), minlength=len(emerging.PATTERNS))
        return [
            (p.value, str(PATTERN_LABELS[p]), int(found[i]))
            for i, p in enumerate(emerging.PATTERNS)
        ]


def _array(blob: Any, dtype: str) -> np.ndarray:
    return np.frombuffer(bytes(blob or b""), dtype=dtype)


def load_map(
    member: Member,
    *,
    unit: Unit,
    resolution: int | None = None,
    month: dt.date | None = None,
    category: IncidentCategory | None = None,
) -> MapView | None:
    """The month's map of `unit` (latest stored run); None when the unit has no map. The
    month defaults to the latest; a month not in the run is NotFound. Reading a map is not
    audited (counts per cell carry nothing about anyone); exports are."""
    require_view(member)
    if not access.in_jurisdiction(member, unit):
        raise NotFound
    resolution = resolution or resolutions()[1]
    grid = latest_grid(unit, resolution)
    if grid is None:
        return None
    months = months_of(grid)
    if not months:
        return None
    month = month or months[-1]
    stored = CellMap.objects.filter(grid=grid, category=category, month=month).first()
    if stored is None:
        raise NotFound
    cells = grid.cell_array()
    n = cells.size
    counts = np.zeros(n, dtype=np.int64)
    lv = np.zeros(n, dtype=np.int8)
    nz = _array(stored.nonzero, "<i4")
    counts[nz] = _array(stored.counts, "<i4")
    lv[nz] = _array(stored.levels, "i1")
    bins = np.zeros(n, dtype=np.int8)
    z = np.full(n, np.nan)
    spots = _array(stored.spots, "<i4")
    bins[spots] = _array(stored.bins, "i1")
    z[spots] = _array(stored.z, "<f4")
    trend = CellTrend.objects.filter(grid=grid, category=category).first()
    patterns = None
    trend_reason = "too_few_steps"
    if trend is not None:
        trend_reason = trend.reason
        if not trend.reason:
            patterns = _array(trend.patterns, "i1").copy()
    return MapView(
        unit=unit,
        resolution=resolution,
        month=month,
        category=category,
        run=grid.run,
        cells=cells,
        counts=counts,
        levels=lv,
        bins=bins,
        z=z,
        reason=stored.reason,
        incidents=stored.incidents,
        outside=stored.outside,
        months=months,
        patterns=patterns,
        trend_reason=trend_reason,
    )


def cell_records(view: MapView, *, only_nonzero: bool = False) -> list[dict[str, Any]]:
    """One record per cell: H3 index (hex), count, level, Gi* bin, z, emerging pattern."""
    records = []
    for i, cell in enumerate(view.cells):
        if only_nonzero and not (view.counts[i] or view.bins[i]):
            continue
        pattern = (
            emerging.PATTERNS[int(view.patterns[i])].value if view.patterns is not None else ""
        )
        records.append(
            {
                "cell": h3int.int_to_str(int(cell)),
                "count": int(view.counts[i]),
                "level": LEVEL_KEYS[Level(int(view.levels[i]))],
                "gi_bin": int(view.bins[i]),
                "z": None if np.isnan(view.z[i]) else round(float(view.z[i]), 4),
                "pattern": pattern,
            }
        )
    return records


def as_geojson(view: MapView) -> dict[str, Any]:
    """The map's cells as a GeoJSON FeatureCollection (H3 hexagons, [lng, lat])."""
    records = cell_records(view)
    collection = cellsmod.cells_feature_collection(view.cells, records, places=6)
    collection["properties"] = {
        "unit": view.unit.code,
        "resolution": view.resolution,
        "month": view.month.strftime("%Y-%m"),
        "category": view.category.code if view.category else "",
        "incidents": view.incidents,
        "outside": view.outside,
        "run": view.run.pk,
        "not_enough_data": view.reason,
    }
    return collection


def boundaries(member: Member, unit: Unit) -> dict[str, Any]:
    """The boundaries of `unit` and the units below it that have one, as GeoJSON."""
    import json

    require_view(member)
    low, high = unit.subtree_range()
    features = []
    for u in Unit.objects.filter(path__gte=low, path__lt=high, is_active=True).exclude(boundary=""):
        try:
            geometry = json.loads(u.boundary)
        except ValueError:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"unit": u.code, "name": u.name, "depth": u.depth},
            }
        )
    return {"type": "FeatureCollection", "features": features}


CSV_HEADER = ["cell", "resolution", "month", "category", "count", "level", "gi_bin", "z", "pattern"]


def csv_rows(view: MapView) -> list[list[Any]]:
    month = view.month.strftime("%Y-%m")
    category = view.category.code if view.category else "all"
    return [
        [
            r["cell"],
            view.resolution,
            month,
            category,
            r["count"],
            r["level"],
            r["gi_bin"],
            "" if r["z"] is None else r["z"],
            r["pattern"],
        ]
        for r in cell_records(view)
    ]


def hot_rows(view: MapView) -> list[dict[str, Any]]:
    """Cells with a Gi* bin ≠ 0, hottest first, for the hot-spot table."""
    rows = [r for r in cell_records(view, only_nonzero=True) if r["gi_bin"]]
    rows.sort(key=lambda r: (-r["gi_bin"], -(r["z"] or 0.0)))
    for r in rows:
        r["label"] = str(BIN_LABELS[r["gi_bin"]])
    return rows


def pattern_rows(view: MapView) -> list[dict[str, Any]]:
    """Cells with an emerging pattern other than "no pattern", for the table."""
    if view.patterns is None:
        return []
    none = emerging.PATTERNS.index(emerging.Pattern.NO_PATTERN)
    rows = []
    for i in np.flatnonzero(view.patterns != none):
        pattern = emerging.PATTERNS[int(view.patterns[i])]
        rows.append(
            {
                "cell": h3int.int_to_str(int(view.cells[i])),
                "pattern": pattern.value,
                "label": str(PATTERN_LABELS[pattern]),
                "count": int(view.counts[i]),
            }
        )
    rows.sort(key=lambda r: (emerging.PATTERNS.index(emerging.Pattern(r["pattern"])), -r["count"]))
    return rows


def not_enough_text(reason: str) -> str:
    return str(REASON_LABELS.get(reason, _("Not enough data.")))
