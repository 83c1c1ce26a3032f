"""Benchmark: the SLA sweep (liuqing.casework.sweep) over a million open cases.

Seeds `--cases` (default 1,000,000) cases of the test workflow kind into a fresh database
(SQLite file var/bench/NAME.sqlite3, or a PostgreSQL database NAME on the server of
--database-url; NAME is --database-name, default liuqing_bench_sweep), spread over 40 units
with deadlines from three weeks ago to three weeks ahead, a third of them paused, closed or
merged. Then times:

* ``first``: the first sweep, when every case's level is new (the worst case: one WARNING
  entry per changed case and notifications to owners and supervisors);
* ``steady``: the sweep five minutes later, as the worker runs it (few cases cross a line);
* ``idle``: the same sweep again (nothing changes; the cost of the scan alone).

Then counts the cases at each level over the whole tree (``level_counts``: the lists' level
filter, a range of the deadline since the level is not stored).

Prints one JSON object: wall and CPU seconds of each run (this process's CPU: on a shared
machine the wall time mostly measures the other work; on PostgreSQL the server's work is in
the wall time only). The issue's target: a sweep over 1,000,000 cases within 30 s. --reuse
keeps a seeded database and clears every recorded level (alert), WARNING entry and
notification first;
--profile prints a CPU profile of the first sweep on stderr.

    python bench/casework_sweep.py
    python bench/casework_sweep.py --reuse --profile
    python bench/casework_sweep.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import pstats
import random
import sys
import time
from collections.abc import Iterator
from typing import Any

import benchlib

BENCH_DB_NAME = "liuqing_bench_sweep"
TARGET_SECONDS = 30.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="a PostgreSQL server URL")
    parser.add_argument(
        "--database-name",
        default=BENCH_DB_NAME,
        type=benchlib.db_name,
        help=f"the bench database (default {BENCH_DB_NAME}): SQLite file or PostgreSQL name",
    )
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument(
        "--profile", action="store_true", help="profile the first sweep (cProfile, on stderr)"
    )
    return parser.parse_args()


@contextlib.contextmanager
def without_indexes(table: str) -> Iterator[None]:
    """Drop `table`'s secondary indexes for a bulk load and build them again after it: one
    sort per index instead of a million random insertions into each. Indexes backing a
    constraint on PostgreSQL (primary key, UNIQUE) stay."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
        else:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [table],
            )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the deferred key checks first
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, sql in indexes:
            cursor.execute(sql)


def seed(total: int) -> float:
    from django.db import transaction
    from django.test.utils import override_settings
    from django.utils import timezone

    from liuqing.casework.models import Case
    from liuqing.casework.testing import make_category
    from liuqing.core import services
    from liuqing.core.models import Role, UnitKind

    started = time.monotonic()
    rng = random.Random(20261130)
    # The bench's 280 made-up members need no Argon2 (a quarter of a second each).
    fast_hasher = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    fast_hasher.enable()
    root = services.create_unit(
        actor=None, code="BENCH", name="Bench detachment", kind=UnitKind.DETACHMENT, parent=None
    )
    units = []
    owners: dict[int, list[int]] = {}
    for b in range(4):
        brigade = services.create_unit(
            actor=None, code=f"BENCH-{b}", name=f"Brigade {b}", kind=UnitKind.BRIGADE, parent=root
        )
        for s in range(10):
            station = services.create_unit(
                actor=None,
                code=f"BENCH-{b}-{s}",
                name=f"Station {b}.{s}",
                kind=UnitKind.STATION,
                parent=brigade,
            )
            units.append(station)
            for role in (Role.SERGEANT, Role.STATION_CHIEF):
                services.create_member(
                    actor=None,
                    username=f"{role}_{b}_{s}",
                    full_name=role,
                    unit=station,
                    roles=[role],
                    password="bench password 1234",  # noqa: S106,
                )
            owners[station.pk] = [
                services.create_member(
                    actor=None,
                    username=f"officer_{b}_{s}_{i}",
                    full_name="officer",
                    unit=station,
                    roles=[Role.OFFICER],
                    password="bench password 1234",  # noqa: S106,
                ).pk
                for i in range(5)
            ]
    fast_hasher.disable()
    categories = [make_category("short", resolve_days=5), make_category("long", resolve_days=30)]
    now = timezone.now()
    fields = [
        "number", "number_unit", "kind", "unit", "category", "title", "description", "status",
        "owner", "channel", "received_at", "updated_at", "resolve_due", "paused_since",
        "paused_seconds", "extended_days", "allowed_days", "reopened_count", "public_code",
        "is_public", "public_summary", "public_result",
    ]  # fmt: skip
    with transaction.atomic(), without_indexes(Case._meta.db_table):
        _seed_cases(total, rng, now, units, owners, categories, fields)
    return time.monotonic() - started


def _seed_cases(
    total: int,
    rng: random.Random,
    now: dt.datetime,
    units: list[Any],
    owners: dict[int, list[int]],
    categories: list[Any],
    fields: list[str],
) -> None:
    from django.db import connection

    from liuqing.casework.models import Case
    from liuqing.casework.sweep import insert_rows
    from liuqing.casework.testing import TEST_KIND

    statuses = ["in_progress"] * 6 + ["accepted", "received", "waiting", "closed", "merged"]
    adapt = connection.ops.adapt_datetimefield_value
    at = adapt(now)
    rows = []
    for i in range(total):
        unit = units[i % len(units)]
        category = categories[i % 7 == 0]
        due = now + dt.timedelta(minutes=rng.randint(-21 * 1440, 21 * 1440))
        status = rng.choice(statuses)
        rows.append(
            (
                f"TS-2026-{i // len(units) + 1:06d}",
                unit.pk,
                TEST_KIND,
                unit.pk,
                category.pk,
                f"Bench case {i}",
                "",
                status,
                rng.choice(owners[unit.pk]) if status != "received" else None,
                "",
                adapt(due - dt.timedelta(days=14)),
                at,
                adapt(due),
                at if status == "waiting" else None,
                0,
                0,
                category.resolve_days or 10,
                0,
                f"B{i:09d}",
                False,
                "",
                "",
            )
        )
        if len(rows) == 100_000:
            insert_rows(Case, fields, rows)
            rows = []
    insert_rows(Case, fields, rows)


def main() -> None:
    args = parse_args()
    benchlib.configure(args.database_url, args.database_name, args.reuse)

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from liuqing.casework import (
        levels,
        testing,  # noqa: F401  (registers the "test" workflow kind)
    )
    from liuqing.casework.models import Case, CaseAlert
    from liuqing.casework.sweep import sweep

    call_command("migrate", interactive=False, verbosity=0)
    seed_seconds = None
    if not (args.reuse and Case.objects.exists()):
        seed_seconds = round(seed(args.cases), 1)
    else:  # start again from no levels at all
        from liuqing.casework.models import Entry
        from liuqing.notify.models import Delivery

        CaseAlert.objects.all().delete()
        Entry.objects.filter(type="warning").delete()
        Delivery.objects.all().delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    now = timezone.now()
    runs: dict[str, Any] = {}
    for name, at in (
        ("first", now),
        ("steady", now + dt.timedelta(minutes=5)),
        ("idle", now + dt.timedelta(minutes=5)),
    ):
        cpu = time.process_time()
        if args.profile and name == "first":
            profiler = cProfile.Profile(time.process_time)  # CPU, not waits
            report = profiler.runcall(sweep, now=at)
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(40)
        else:
            report = sweep(now=at)
        runs[name] = {
            "seconds": round(report.seconds, 2),
            # This process's CPU time: comparable on a loaded machine, where wall time is not
            # (on PostgreSQL the server's own work is not in it).
            "cpu_seconds": round(time.process_time() - cpu, 2),
            "changed": report.changed,
            "notified": report.notified,
            "levels": dict(report.levels),
        }
    # What the lists pay for a level computed from the deadline instead of stored: the whole
    # tree's count of cases at each level (a filter of the lists), after the sweeps.
    counts: dict[str, Any] = {}
    at_end = levels.current()
    for level in ("red", "yellow", "blue"):
        began = time.perf_counter()
        found = Case.objects.filter(levels.warning_q(level, at_end)).count()
        counts[level] = {"cases": found, "ms": round((time.perf_counter() - began) * 1000, 1)}
    result = {
        "benchmark": "casework_sweep",
        "database": connection.vendor,
        "cases": Case.objects.count(),
        "seed_seconds": seed_seconds,
        "runs": runs,
        "alerts": CaseAlert.objects.count(),
        "level_counts": counts,
        "target_seconds": TARGET_SECONDS,
        "within_target": all(r["seconds"] <= TARGET_SECONDS for r in runs.values()),
        "within_target_cpu": all(r["cpu_seconds"] <= TARGET_SECONDS for r in runs.values()),
        **benchlib.machine(),
    }
    benchlib.emit(result)


if __name__ == "__main__":
    main()
