"""Benchmark: the monthly map refresh of a detachment with 2,000,000 incidents (issue 5's
target: ≤ 10 s).

Seeds a detachment (one brigade, twenty stations whose boundaries are squares of ±0.02°,
about 130 resolution-9 cells each) with `--incidents` synthetic incidents over 24 months
(default 2,000,000; 70 % spread evenly over the stations, 30 % around forty cluster centres,
eight categories), written with bulk inserts straight into the incident table (cells computed
with `analytics.cells.points_to_cells`; the import path has its own benchmark). Then times,
through the real service (`liuqing.incidents.refresh.refresh_maps`):

* **cold**: the first refresh, no earlier run: every month's maps get the Gi* permutation test
  (24 months × 9 category maps × 2 resolutions × 22 units);
* **monthly**: a month later, with a 25th month of incidents added (the window slides by one):
  what the monthly worker job does. Maps whose counts did not change keep their Gi*, so this
  run pays the new month's permutations. This is the figure the ≤ 10 s target is about.

The refresh reads the monthly counts (`incidents.counts`), which the ledger writer keeps in
step; the bulk load here goes around the writer, so the bench rebuilds them after the first
load (timed: what the migration that added them costs) and adds the 25th month's incidents to
them chunk by chunk as the writer would (timed: the cost moved to the import), and at the end
checks them against a recount.

Reference, in the same run: what the refresh read before the counts existed, the window's
incidents grouped by (unit, category, cell) with one plain SQL query per month through the
DB-API cursor.

--reuse keeps a database an earlier run seeded with the same --incidents: it takes away what
that run added after the seed (the 25th month's incidents, the map runs) and times the same
steps from there; the 25th month is drawn from its own random stream, so a reused run reads
the same incidents as a fresh one.

    python bench/incident_refresh.py
    python bench/incident_refresh.py --incidents 200000
    python bench/incident_refresh.py --incidents 200000 --reuse   # keep the seeded database
    python bench/incident_refresh.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from typing import Any

import numpy as np

import benchlib

BENCH_DB_NAME = "liuqing_bench_refresh"
TARGET_S = 10.0
STATIONS = 20
CLUSTERS = 40
MONTHS = 24
CENTRE = (43.90, 81.30)  # Yining, Ili


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=2_000_000)
    parser.add_argument("--database-url", help="a PostgreSQL server URL")
    parser.add_argument(
        "--database-name",
        default=BENCH_DB_NAME,
        type=benchlib.db_name,
        help=f"the bench database (default {BENCH_DB_NAME}), dropped and created",
    )
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    return parser.parse_args()


def seats() -> list[tuple[float, float]]:
    return [(CENTRE[0] + 0.05 * (i // 5), CENTRE[1] + 0.05 * (i % 5)) for i in range(STATIONS)]


def square(lat: float, lng: float, half: float = 0.02) -> str:
    ring = [
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half],
        [lng - half, lat - half],
    ]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def seed(
    connection: object,
    rng: np.random.Generator,
    *,
    count: int,
    first_epoch: int,
    last_epoch: int,
    station_ids: list[int],
    category_ids: list[int],
    prefix: str,
    keep_counts: bool = False,
) -> tuple[float, float]:
    """Insert `count` incidents between the two epochs; returns the seconds it took and,
    with `keep_counts`, the seconds of those spent adding them to the monthly counts as the
    ledger writer does (`incidents.counts.Delta`, in each chunk's transaction)."""
    from django.db import transaction

    from liuqing.analytics.cells import points_to_cells
    from liuqing.incidents import counts

    started = time.perf_counter()
    centres = np.array(seats())
    hot_station = rng.integers(0, STATIONS, CLUSTERS)
    hot = centres[hot_station] + rng.uniform(-0.015, 0.015, (CLUSTERS, 2))
    vendor = connection.vendor  # type: ignore[attr-defined]
    table = "incidents_incident"
    columns = (
        "source_system, source_id, occurred_at, category_id, sub_category, latitude, longitude, "
        "cell_coarse, cell_fine, unit_id, outcome, description, fingerprint, created_at, "
        "updated_at"
    )
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 15)})"  # noqa: S608
    stamp = "2026-01-01 00:00:00" + ("+00:00" if vendor == "postgresql" else "")
    chunk = 100_000
    counting = 0.0
    for first in range(0, count, chunk):
        n = min(chunk, count - first)
        clustered = rng.random(n) < 0.3
        which = rng.integers(0, STATIONS, n)
        cluster = rng.integers(0, CLUSTERS, n)
        lat = np.where(
            clustered,
            hot[cluster, 0] + rng.normal(0, 0.002, n),
            centres[which, 0] + rng.uniform(-0.0195, 0.0195, n),
        )
        lng = np.where(
            clustered,
            hot[cluster, 1] + rng.normal(0, 0.002, n),
            centres[which, 1] + rng.uniform(-0.0195, 0.0195, n),
        )
        unit_index = np.where(clustered, hot_station[cluster], which)
        coarse = points_to_cells(lat, lng, 8).astype(np.int64)
        fine = points_to_cells(lat, lng, 9).astype(np.int64)
        epochs = np.sort(rng.integers(first_epoch, last_epoch, n))
        times = np.datetime_as_string(epochs.astype("datetime64[s]"), unit="s")
        cats = rng.integers(0, len(category_ids), n)
        suffix = "+00:00" if vendor == "postgresql" else ""
        rows = [
            (
                "bench",
                f"{prefix}{first + i:09d}",
                times[i].replace("T", " ") + suffix,
                category_ids[cats[i]],
                "",
                float(lat[i]),
                float(lng[i]),
                int(coarse[i]),
                int(fine[i]),
                station_ids[unit_index[i]],
                "",
                "",
                "0",
                stamp,
                stamp,
            )
            for i in range(n)
        ]
        with transaction.atomic(), connection.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.executemany(sql, rows)
            if keep_counts:
                begun = time.perf_counter()
                delta = counts.Delta()
                delta.add(
                    units=np.asarray(station_ids)[unit_index],
                    categories=np.asarray(category_ids)[cats],
                    coarse=coarse,
                    fine=fine,
                    instants=epochs * 1_000_000,
                )
                delta.write()
                counting += time.perf_counter() - begun
    return time.perf_counter() - started, counting


def reference_read(unit_ids: list[int], window: list[object]) -> tuple[float, int]:
    """Plain grouped SQL over the window, month by month (the floor of any refresh)."""
    from django.db import connection

    started = time.perf_counter()
    rows = 0
    placeholders = ", ".join(["%s"] * len(unit_ids))
    sql = (
        "SELECT unit_id, category_id, cell_coarse, cell_fine, COUNT(*) FROM incidents_incident "  # noqa: S608
        f"WHERE unit_id IN ({placeholders}) AND occurred_at >= %s AND occurred_at < %s "
        "GROUP BY unit_id, category_id, cell_coarse, cell_fine"
    )
    with connection.cursor() as cursor:
        for period in window:
            start = connection.ops.adapt_datetimefield_value(period.start)  # type: ignore[attr-defined]
            end = connection.ops.adapt_datetimefield_value(period.end)  # type: ignore[attr-defined]
            cursor.execute(sql, [*unit_ids, start, end])
            rows += len(cursor.fetchall())
    return time.perf_counter() - started, rows


def build_units() -> tuple[Any, Any, list[int]]:
    """The detachment, its brigade and the ids of its twenty stations."""
    from liuqing.core import services as core_services
    from liuqing.core.models import UnitKind

    root = core_services.create_unit(
        actor=None, code="R654000", name="基准支队", kind=UnitKind.DETACHMENT, parent=None
    )
    brigade = core_services.create_unit(
        actor=None, code="R654001", name="基准大队", kind=UnitKind.BRIGADE, parent=root
    )
    station_ids = []
    for i, (lat, lng) in enumerate(seats()):
        station = core_services.create_unit(
            actor=None,
            code=f"R654001-{i:02d}",
            name=f"基准{i}所",
            kind=UnitKind.STATION,
            parent=brigade,
            latitude=lat,
            longitude=lng,
            boundary=square(lat, lng),
        )
        station_ids.append(station.pk)
    return root, brigade, station_ids


def reused_units(incidents: int) -> tuple[Any, Any, list[int]] | None:
    """The units of a database an earlier run seeded with `incidents` incidents, back as the
    seed left it (the 25th month's incidents and the map runs deleted), or None when there
    is no seed. A seed of another size is an error."""
    from liuqing.core.models import Unit
    from liuqing.incidents.models import Incident, MapRun

    root = Unit.objects.filter(code="R654000").first()
    if root is None:
        return None
    seeded = Incident.objects.filter(source_system="bench", source_id__startswith="R").count()
    if seeded != incidents:
        raise SystemExit(
            f"--reuse: the database holds a seed of {seeded} incidents, not {incidents}; "
            "run without --reuse to seed it again"
        )
    Incident.objects.filter(source_system="bench", source_id__startswith="N").delete()
    MapRun.objects.all().delete()
    brigade = Unit.objects.get(code="R654001")
    stations = Unit.objects.filter(parent=brigade).order_by("code")
    return root, brigade, list(stations.values_list("pk", flat=True))


def main() -> None:
    args = parse_args()
    benchlib.configure(args.database_url, args.database_name, reuse=args.reuse)

    from django.core.management import call_command
    from django.db import connection

    from liuqing.analytics import hotspots
    from liuqing.incidents import counts, refresh
    from liuqing.incidents.defaults import ensure_default_categories
    from liuqing.incidents.models import CellMap, IncidentCategory

    # Always migrate: a reused database gets the migrations added since its seed.
    call_command("migrate", interactive=False, verbosity=0)
    ensure_default_categories()
    category_ids = list(IncidentCategory.objects.order_by("order").values_list("pk", flat=True))

    tz = refresh.local_tz()
    last = dt.date(2026, 9, 1)
    window = refresh.month_window(last, MONTHS)
    reused = reused_units(args.incidents) if args.reuse else None
    seeded: float | None = None
    if reused is None:
        root, brigade, station_ids = build_units()
        seeded, _counting = seed(
            connection,
            np.random.default_rng(20261201),
            count=args.incidents,
            first_epoch=int(window[0].start.timestamp()),
            last_epoch=int(window[-1].end.timestamp()),
            station_ids=station_ids,
            category_ids=category_ids,
            prefix="R",
        )
    else:
        root, brigade, station_ids = reused
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE incidents_incident")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # The bulk load went around the ledger writer: the monthly counts are built from it, as
    # the migration that added them builds them from the incidents already stored.
    started, cpu = time.perf_counter(), time.process_time()
    count_keys = counts.rebuild()
    rebuild_s, rebuild_cpu = time.perf_counter() - started, time.process_time() - cpu

    hotspots.warm_up()
    all_units = [root.pk, brigade.pk, *station_ids]
    reference_s, grouped_rows = reference_read(all_units, window)

    started, cpu = time.perf_counter(), time.process_time()
    cold = refresh.refresh_maps(root=root, trigger="manual", last_month=last, months=MONTHS)
    cold_s, cold_cpu = time.perf_counter() - started, time.process_time() - cpu

    # A month later: the 25th month's incidents arrive, the window slides by one.
    nxt = dt.date(2026, 10, 1)
    nxt_period = refresh.month_window(nxt, 1)[0]
    added = args.incidents // MONTHS
    _seeded, counting_s = seed(
        connection,
        np.random.default_rng(20261202),
        keep_counts=True,
        count=added,
        first_epoch=int(nxt_period.start.timestamp()),
        last_epoch=int(nxt_period.end.timestamp()),
        station_ids=station_ids,
        category_ids=category_ids,
        prefix="N",
    )
    monthly_window = refresh.month_window(nxt, MONTHS)
    reference_monthly_s, _rows = reference_read(all_units, monthly_window)
    started, cpu = time.perf_counter(), time.process_time()
    monthly = refresh.refresh_maps(root=root, trigger="schedule", last_month=nxt, months=MONTHS)
    monthly_s, monthly_cpu = time.perf_counter() - started, time.process_time() - cpu
    stored = CellMap.objects.filter(grid__run=monthly).count()
    started = time.perf_counter()
    problems = counts.check()
    check_s = time.perf_counter() - started

    benchlib.emit(
        {
            "benchmark": "incident_refresh",
            "database": f"{connection.vendor} {benchlib.db_version(connection)}",
            **benchlib.machine(),
            "time_zone": str(tz),
            "incidents": args.incidents,
            "months": MONTHS,
            "units_with_maps": 2 + STATIONS,
            "seed_s": None if seeded is None else round(seeded, 1),  # None: reused
            "counts": {
                "keys": count_keys,
                "rebuild_s": round(rebuild_s, 2),
                "rebuild_cpu_s": round(rebuild_cpu, 2),
                "month_added_incidents": added,
                "month_added_counting_s": round(counting_s, 2),
                "check_s": round(check_s, 2),
                "check_differences": len(problems),
            },
            "cold": {
                "s": round(cold_s, 2),
                "cpu_s": round(cold_cpu, 2),
                "maps": cold.maps,
                "gi_recomputed": cold.recomputed,
                "incidents_in_window": cold.incidents,
            },
            "monthly": {
                "s": round(monthly_s, 2),
                "cpu_s": round(monthly_cpu, 2),
                "maps": monthly.maps,
                "gi_recomputed": monthly.recomputed,
                "incidents_in_window": monthly.incidents,
                "maps_stored": stored,
                "target_s": TARGET_S,
                "meets_target": monthly_s <= TARGET_S,
            },
            "reference_grouped_sql_read": {
                "s": round(reference_s, 2),
                "s_monthly_window": round(reference_monthly_s, 2),
                "grouped_rows": grouped_rows,
                "monthly_over_reference": round(monthly_s / reference_monthly_s, 2),
                "cold_over_reference": round(cold_s / reference_s, 2),
            },
        }
    )


if __name__ == "__main__":
    main()
