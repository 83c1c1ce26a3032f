"""Where an incident belongs: the unit whose jurisdiction holds its point.

The units' boundaries (GeoJSON on `Unit.boundary`) become H3 cell sets at the finest
configured resolution (`cells.jurisdiction_cells`, centre containment); a point belongs to the
deepest unit whose cells hold its cell (a grid inside a community inside a station). A point
in no boundary falls back to the nearest unit seat (the unit's own coordinates) within
settings.INCIDENTS_SEAT_RADIUS_KM; beyond that it has no unit and the row is refused.

The detachment's area, against which impossible-but-finite points are refused, is the box
around the detachment's boundary (plus a margin) when it has one, else
settings.INCIDENTS_AREA_BBOX.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np
from django.conf import settings

from liuqing.analytics import cells
from liuqing.core.models import Unit

AREA_MARGIN_DEG = 0.05  # about 5 km: a boundary drawn a little tight still keeps its edge


def resolutions() -> tuple[int, int]:
    coarse, fine = tuple(getattr(settings, "INCIDENTS_CELL_RESOLUTIONS", (8, 9)))
    return int(coarse), int(fine)


@lru_cache(maxsize=512)
def boundary_cells(boundary: str, resolution: int) -> np.ndarray:
    """A boundary's cells (sorted uint64), remembered per (boundary, resolution) in this
    process: a station's boundary changes rarely, an import or a push asks for it often.
    The array is shared: do not modify it."""
    found = cells.jurisdiction_cells(json.loads(boundary), resolution)
    found.flags.writeable = False
    return found


def _box(boundary: str) -> tuple[float, float, float, float] | None:
    try:
        data: Any = json.loads(boundary)
    except ValueError:
        return None
    xs: list[float] = []
    ys: list[float] = []

    def walk(node: Any) -> None:
        if (
            isinstance(node, list)
            and len(node) >= 2
            and all(isinstance(c, int | float) for c in node[:2])
        ):
            xs.append(float(node[0]))
            ys.append(float(node[1]))
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            walk(node.get("coordinates") or node.get("geometry") or [])

    walk(data)
    if not xs:
        return None
    m = AREA_MARGIN_DEG
    return (min(ys) - m, min(xs) - m, max(ys) + m, max(xs) + m)


class Locator:
    """Units of `root`'s jurisdiction by code, by cell and by seat."""

    def __init__(self, root: Unit) -> None:
        self.root = root
        low, high = root.subtree_range()
        rows = list(
            Unit.objects.filter(path__gte=low, path__lt=high, is_active=True).values_list(
                "pk", "code", "depth", "boundary", "latitude", "longitude"
            )
        )
        self.by_code = {code: pk for pk, code, *_rest in rows}
        _coarse, fine = resolutions()
        found, depths, owners = [], [], []
        for pk, _code, depth, boundary, _lat, _lng in rows:
            if boundary:
                unit_cells = boundary_cells(boundary, fine)
                found.append(unit_cells)
                depths.append(np.full(unit_cells.size, depth, dtype=np.int64))
                owners.append(np.full(unit_cells.size, pk, dtype=np.int64))
        if found:
            all_cells = np.concatenate(found)
            all_depths = np.concatenate(depths)
            all_owners = np.concatenate(owners)
            order = np.lexsort((-all_depths, all_cells))  # by cell, deepest first
            all_cells, all_owners = all_cells[order], all_owners[order]
            first = np.ones(all_cells.size, dtype=bool)
            first[1:] = all_cells[1:] != all_cells[:-1]
            self.cells, self.cell_owner = all_cells[first], all_owners[first]
        else:
            self.cells = np.zeros(0, dtype=np.uint64)
            self.cell_owner = np.zeros(0, dtype=np.int64)
        seats = [
            (pk, float(lat), float(lng))
            for pk, _c, _d, _b, lat, lng in rows
            if lat is not None and lng is not None
        ]
        self.seat_owner = np.array([s[0] for s in seats], dtype=np.int64)
        self.seat_lat = np.radians(np.array([s[1] for s in seats], dtype=np.float64))
        self.seat_lng = np.radians(np.array([s[2] for s in seats], dtype=np.float64))
        self.radius_km = float(getattr(settings, "INCIDENTS_SEAT_RADIUS_KM", 5.0))
        self.area = self._area()

    def _area(self) -> tuple[float, float, float, float] | None:
        top = self.root.path.split(".")[0] + "."
        detachment = Unit.objects.filter(path=top).values_list("boundary", flat=True).first()
        if detachment:
            box = _box(detachment)
            if box is not None:
                return box
        configured = getattr(settings, "INCIDENTS_AREA_BBOX", None)
        return tuple(configured) if configured else None

    def locate(self, fine_cells: np.ndarray, lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
        """The owning unit's id for each point (0 = none): boundary cells first, then the
        nearest seat within the radius."""
        owner = np.zeros(fine_cells.size, dtype=np.int64)
        if self.cells.size:
            pos = np.minimum(np.searchsorted(self.cells, fine_cells), self.cells.size - 1)
            hit = self.cells[pos] == fine_cells
            owner[hit] = self.cell_owner[pos[hit]]
        missing = np.flatnonzero(owner == 0)
        if missing.size and self.seat_owner.size:
            la = np.radians(lat[missing])[:, None]
            ln = np.radians(lng[missing])[:, None]
            # Haversine distance to every seat (a detachment has hundreds, not millions).
            h = (
                np.sin((self.seat_lat[None, :] - la) / 2) ** 2
                + np.cos(la)
                * np.cos(self.seat_lat[None, :])
                * np.sin((self.seat_lng[None, :] - ln) / 2) ** 2
            )
            km = 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
            nearest = np.argmin(km, axis=1)
            close = km[np.arange(missing.size), nearest] <= self.radius_km
            owner[missing[close]] = self.seat_owner[nearest[close]]
        return owner
