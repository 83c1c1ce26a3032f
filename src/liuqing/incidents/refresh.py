"""The monthly refresh: cell counts, levels, Gi* hot spots and emerging hot spots, stored.

`refresh_maps(root=...)` computes, for `root` and every unit below it whose kind has maps
(settings.INCIDENTS_MAP_UNIT_KINDS) or that has a boundary of its own, at both cell resolutions,
for each of the last settings.INCIDENTS_MAP_MONTHS complete months and each category (and all
categories together): the count per cell of the unit's full cell set (empty cells count), the
red / yellow / green level (`analytics.levels`), the Gi* bin (`analytics.hotspots`, seeded
permutations) and, per category over all the months, the emerging hot-spot pattern
(`analytics.emerging`). Results go to `MapRun` / `CellGrid` / `CellMap` / `CellTrend` in one
transaction with its audit event; the two previous runs of the same root are kept, older ones
deleted.

Cost. The counts are read once, from the monthly count table (`incidents.counts`: per unit,
local month, category and cell, kept exact by the ledger writer), so neither the database
nor Python sees one row per incident. The permutation
test is the expensive step; a map whose counts (and cell set and settings) equal the previous
run's keeps that run's Gi* result (the test is seeded from the map's identity, so it would
give the same answer), so the monthly run pays the permutations of the new month only, and a
run after an import those of the months the import touched.

A unit's cells are those of its own boundary, else the union of its subtree's boundaries; a
unit with neither has no map. Incidents of the subtree outside those cells (located by the
nearest seat) are counted as `outside` on the map, never dropped silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import zlib
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from liuqing.analytics import cells as cellsmod
from liuqing.analytics import emerging, hotspots, levels, periods
from liuqing.core import audit
from liuqing.core.models import Member, Unit
from liuqing.incidents import counts, thresholds
from liuqing.incidents.locate import boundary_cells, resolutions
from liuqing.incidents.models import (
    CellGrid,
    CellMap,
    CellTrend,
    IncidentCategory,
    MapRun,
    RunStatus,
    RunTrigger,
)

KEEP_RUNS = 3
ALL = 0  # category index of "all categories" in the cube


def local_tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


def last_complete_month(as_of: dt.datetime | None = None) -> dt.date:
    """The first day of the last month that has ended by `as_of` (local time)."""
    now = timezone.localtime(as_of or timezone.now(), local_tz())
    first = now.date().replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def month_window(last_month: dt.date, months: int) -> list[periods.Period]:
    """The `months` month periods ending with `last_month`, oldest first."""
    last = periods.month(last_month.year, last_month.month, local_tz())
    return [*periods.previous(last, months - 1), last] if months > 1 else [last]


@dataclass
class MapUnit:
    unit: Unit
    subtree: np.ndarray  # int64 ids of the unit and everything below it
    grids: dict[int, np.ndarray]  # resolution -> sorted uint64 cells


def map_units(root: Unit) -> list[MapUnit]:
    """`root` and the units below it that get maps, with their cell sets (module docstring)."""
    low, high = root.subtree_range()
    rows = list(
        Unit.objects.filter(path__gte=low, path__lt=high, is_active=True)
        .order_by("path")
        .only("pk", "path", "kind", "boundary", "name", "code", "depth")
    )
    kinds = set(getattr(settings, "INCIDENTS_MAP_UNIT_KINDS", ("detachment", "brigade", "station")))
    found = []
    for unit in rows:
        if unit.pk != root.pk and unit.kind not in kinds and not unit.boundary:
            continue
        below = [u for u in rows if u.path.startswith(unit.path)]
        grids: dict[int, np.ndarray] = {}
        for res in resolutions():
            if unit.boundary:
                grids[res] = boundary_cells(unit.boundary, res)
            else:
                parts = [boundary_cells(u.boundary, res) for u in below if u.boundary]
                grids[res] = (
                    np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint64)
                )
        if all(g.size for g in grids.values()):
            subtree = np.array([u.pk for u in below], dtype=np.int64)
            found.append(MapUnit(unit=unit, subtree=subtree, grids=grids))
    return found


def read_counts(unit_ids: np.ndarray, window: list[periods.Period]) -> np.ndarray:
    """Rows (month index, unit id, category id, coarse cell, fine cell, count) of the
    incidents of `unit_ids` in the window, from the monthly counts (`incidents.counts`, kept
    exact by the ledger writer), int64 n × 6."""
    first = counts.month_index(window[0].first.year, window[0].first.month)
    last = counts.month_index(window[-1].first.year, window[-1].first.month)
    if last - first + 1 != len(window):
        raise ValueError("the window's months must follow each other")
    rows = counts.read(unit_ids.tolist(), first, last)
    rows[:, 0] -= first
    return rows


def _share(name: str, default: str) -> Fraction:
    return Fraction(str(getattr(settings, name, default)))


def _seed(*parts: object) -> int:
    return zlib.crc32(":".join(str(p) for p in parts).encode())


def _blob(array: np.ndarray, dtype: str) -> bytes:
    return np.ascontiguousarray(array, dtype=dtype).tobytes()


@dataclass
class _Previous:
    reason: str
    spots: bytes
    bins: bytes
    z: bytes


def _previous_maps(unit: Unit, resolution: int) -> dict[tuple[int | None, str], _Previous]:
    """(category id, digest) → stored Gi* of the unit's latest done map at `resolution`."""
    grid = (
        CellGrid.objects.filter(unit=unit, resolution=resolution, run__status=RunStatus.DONE)
        .order_by("-run__started_at", "-run__pk")
        .first()
    )
    if grid is None:
        return {}
    # Plain tuples, not model instances: a grid has a map per category and month (hundreds).
    rows = CellMap.objects.filter(grid=grid).values_list(
        "category_id", "digest", "reason", "spots", "bins", "z"
    )
    return {
        (category_id, digest): _Previous(reason, bytes(spots), bytes(bins), bytes(z))
        for category_id, digest, reason, spots, bins, z in rows
    }


@dataclass
class RefreshStats:
    maps: int = 0
    recomputed: int = 0
    incidents: int = 0


def refresh_maps(
    *,
    root: Unit,
    trigger: str = RunTrigger.MANUAL,
    actor: Member | None = None,
    last_month: dt.date | None = None,
    months: int | None = None,
) -> MapRun:
    """Compute and store the maps of `root` and its map units (module docstring). Returns
    the run (status done, or failed with the error when something went wrong)."""
    started = time.perf_counter()
    started_at = timezone.now()
    months = int(months or getattr(settings, "INCIDENTS_MAP_MONTHS", 24))
    last = last_month or last_complete_month(started_at)
    window = month_window(last, months)
    try:
        with transaction.atomic():
            run = MapRun.objects.create(
                unit=root,
                trigger=trigger,
                requested_by=actor,
                first_month=window[0].first,
                last_month=window[-1].first,
                started_at=started_at,
            )
            stats = _compute(run, root, window)
            run.status = RunStatus.DONE
            run.maps, run.recomputed, run.incidents = (
                stats.maps,
                stats.recomputed,
                stats.incidents,
            )
            run.finished_at = timezone.now()
            run.seconds = time.perf_counter() - started
            run.save()
            audit.record(
                "incident.map_refresh",
                actor=actor,
                obj=run,
                unit=root,
                details={
                    "trigger": trigger,
                    "first_month": window[0].key,
                    "last_month": window[-1].key,
                    "maps": stats.maps,
                    "recomputed": stats.recomputed,
                    "incidents": stats.incidents,
                },
            )
            old = list(
                MapRun.objects.filter(unit=root)
                .exclude(status=RunStatus.RUNNING)
                .order_by("-started_at", "-pk")
                .values_list("pk", flat=True)[KEEP_RUNS:]
            )
            if old:
                CellMap.objects.filter(grid__run_id__in=old).delete()
                CellTrend.objects.filter(grid__run_id__in=old).delete()
                CellGrid.objects.filter(run_id__in=old).delete()
                MapRun.objects.filter(pk__in=old).delete()
    except Exception as exc:
        run = MapRun.objects.create(
            unit=root,
            trigger=trigger,
            requested_by=actor,
            first_month=window[0].first,
            last_month=window[-1].first,
            started_at=started_at,
            status=RunStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
            seconds=time.perf_counter() - started,
        )
        raise
    return run


def _compute(run: MapRun, root: Unit, window: list[periods.Period]) -> RefreshStats:
    stats = RefreshStats()
    units = map_units(root)
    if not units:
        return stats
    all_ids = np.unique(np.concatenate([u.subtree for u in units]))
    rows = read_counts(all_ids, window)
    category_ids = list(
        IncidentCategory.objects.order_by("order", "code").values_list("pk", flat=True)
    )
    cat_index = {pk: i + 1 for i, pk in enumerate(category_ids)}  # 0 = all categories
    lookup = np.zeros(max(category_ids, default=0) + 1, dtype=np.int64)
    for pk, i in cat_index.items():
        lookup[pk] = i
    row_cat = lookup[rows[:, 2]] if rows.size else np.zeros(0, dtype=np.int64)
    stats.incidents = int(rows[:, 5].sum())
    steps = len(window)
    n_cats = len(category_ids) + 1
    red, yellow = (
        _share("INCIDENTS_RED_SHARE", "0.1"),
        _share("INCIDENTS_YELLOW_SHARE", "0.2"),
    )
    permutations = int(getattr(settings, "INCIDENTS_PERMUTATIONS", hotspots.DEFAULT_PERMUTATIONS))
    trend_parameters = thresholds.emerging_parameters()  # read once, not per category map
    levels.check_shares(red, yellow)
    coarse, fine = resolutions()
    month_values = [connection.ops.adapt_datefield_value(p.first) for p in window]
    maps: list[tuple[object, ...]] = []
    trends: list[CellTrend] = []
    for mu in units:
        in_sub = np.isin(rows[:, 1], mu.subtree)
        for res, column in ((coarse, 3), (fine, 4)):
            grid_cells = mu.grids[res]
            n = int(grid_cells.size)
            grid = CellGrid.objects.create(
                run=run, unit=mu.unit, resolution=res, size=n, cells=_blob(grid_cells, "<u8")
            )
            grid_key = hashlib.blake2b(grid_cells.tobytes(), digest_size=8).hexdigest()
            previous = _previous_maps(mu.unit, res)
            sub = rows[in_sub]
            sub_cat = row_cat[in_sub]
            point_cells = sub[:, column].astype(np.uint64)
            pos = np.minimum(np.searchsorted(grid_cells, point_cells), n - 1)
            inside = grid_cells[pos] == point_cells
            key = (sub_cat[inside] * n + pos[inside]) * steps + sub[inside, 0]
            cube = np.bincount(key, weights=sub[inside, 5], minlength=n_cats * n * steps)
            cube = cube.reshape(n_cats, n, steps).astype(np.int64)
            cube[ALL] = cube[1:].sum(axis=0)
            out_key = sub_cat[~inside] * steps + sub[~inside, 0]
            outside = np.bincount(out_key, weights=sub[~inside, 5], minlength=n_cats * steps)
            outside = outside.reshape(n_cats, steps).astype(np.int64)
            outside[ALL] = outside[1:].sum(axis=0)
            weights = cellsmod.cached_neighbour_weights(grid_cells, 1) if n > 1 else None
            # One matrix of permutation draws per grid, seeded from the unit and resolution,
            # shared by its months and categories (each map is still its own test).
            draws = None
            if weights is not None and permutations > 0 and n >= hotspots.MIN_CELLS:
                max_k = int(np.diff(weights.indptr).max(initial=0))
                draws = hotspots.permutation_draws(n, max_k, permutations, _seed(mu.unit.pk, res))
            cube_levels = levels.level_matrix(
                cube.transpose(1, 0, 2).reshape(n, n_cats * steps),
                red_share=red,
                yellow_share=yellow,
            ).reshape(n, n_cats, steps)
            for c in range(n_cats):
                category_id = None if c == ALL else category_ids[c - 1]
                counts_c = cube[c]
                if weights is not None:
                    trends.append(_trend(grid, category_id, counts_c, weights, trend_parameters))
                for t in range(len(window)):
                    counts = counts_c[:, t]
                    digest = hashlib.blake2b(
                        counts.astype("<i8").tobytes() + f"{grid_key}:{permutations}".encode(),
                        digest_size=16,
                    ).hexdigest()
                    nz = np.flatnonzero(counts)
                    lv = cube_levels[:, c, t]
                    found = previous.get((category_id, digest))
                    if found is None:
                        found = _gi(counts, weights, permutations, draws)
                        stats.recomputed += 1
                    maps.append(
                        (
                            grid.pk,
                            category_id,
                            month_values[t],
                            int(counts.sum()),
                            int(outside[c, t]),
                            digest,
                            found.reason,
                            _blob(nz, "<i4"),
                            _blob(counts[nz], "<i4"),
                            _blob(lv[nz], "i1"),
                            found.spots,
                            found.bins,
                            found.z,
                        )
                    )
            if len(maps) > 2000:
                stats.maps += _insert_maps(maps)
                maps = []
    stats.maps += _insert_maps(maps)
    CellTrend.objects.bulk_create(trends, batch_size=500)
    return stats


_MAP_COLUMNS = (
    "grid_id",
    "category_id",
    "month",
    "incidents",
    "outside",
    "digest",
    "reason",
    "nonzero",
    "counts",
    "levels",
    "spots",
    "bins",
    "z",
)


def _insert_maps(rows: list[tuple[object, ...]]) -> int:
    """Insert map rows with one prepared statement (the ORM's bulk_create spent more time
    building thousands of model instances and their SQL than the database spent storing
    them)."""
    if not rows:
        return 0
    table = connection.ops.quote_name(CellMap._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _MAP_COLUMNS)
    marks = ", ".join(["%s"] * len(_MAP_COLUMNS))
    with connection.cursor() as cursor:
        # Identifiers from the model's metadata, values as parameters: nothing from input.
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
    return len(rows)


def _gi(
    counts: np.ndarray, weights: object, permutations: int, draws: np.ndarray | None
) -> _Previous:
    empty = _Previous("", b"", b"", b"")
    if weights is None:
        return _Previous(hotspots.Reason.TOO_FEW_CELLS, b"", b"", b"")
    reason = hotspots.check_data(counts)
    if reason is not None:
        return _Previous(str(reason), b"", b"", b"")
    result = hotspots.hot_spots(
        counts,
        weights,  # type: ignore[arg-type]
        permutations=permutations if draws is not None else 0,
        draws=draws,
    )
    spots = np.flatnonzero(result.bins)
    if not spots.size:
        return empty
    return _Previous(
        "",
        _blob(spots, "<i4"),
        _blob(result.bins[spots], "i1"),
        _blob(result.z[spots], "<f4"),
    )


def _trend(
    grid: CellGrid,
    category_id: int | None,
    cube: np.ndarray,
    weights: object,
    parameters: thresholds.EmergingParameters,
) -> CellTrend:
    try:
        result = emerging.emerging_hot_spots(
            cube,
            weights,  # type: ignore[arg-type]
            **parameters,
        )
    except hotspots.NotEnoughData as exc:
        return CellTrend(
            grid=grid,
            category_id=category_id,
            steps=cube.shape[1],
            reason=str(exc.reason),
            patterns=b"",
            trend=b"",
        )
    return CellTrend(
        grid=grid,
        category_id=category_id,
        steps=cube.shape[1],
        reason="",
        patterns=_blob(result.patterns, "i1"),
        trend=_blob(result.trend, "i1"),
    )


def due_roots(as_of: dt.datetime | None = None) -> list[tuple[Unit, str]]:
    """Top units whose maps are stale, with the trigger: no done run for the last complete
    month yet (monthly), or incidents imported or pushed since their last run."""
    from liuqing.core.models import AuditEvent
    from liuqing.imports.models import ImportRun

    now = as_of or timezone.now()
    last = last_complete_month(now)
    result = []
    for root in Unit.objects.filter(parent__isnull=True, is_active=True).order_by("path"):
        latest = (
            MapRun.objects.filter(unit=root, status=RunStatus.DONE)
            .order_by("-started_at", "-pk")
            .first()
        )
        if latest is None or latest.last_month < last:
            result.append((root, RunTrigger.SCHEDULE))
            continue
        low, high = root.subtree_range()
        imported = ImportRun.objects.filter(
            kind="incidents",
            unit__path__gte=low,
            unit__path__lt=high,
            finished_at__gt=latest.started_at,
        ).exists()
        pushed = AuditEvent.objects.filter(
            action="incident.push",
            unit_path__gte=low,
            unit_path__lt=high,
            at__gt=latest.started_at,
        ).exists()
        if imported or pushed:
            result.append((root, RunTrigger.IMPORT))
    return result
