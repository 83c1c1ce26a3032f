"""Benchmark: jurisdiction-scoped member and unit lists on the demo data set at scale.

Seeds `--scale` (default 100) into a fresh database (SQLite file var/bench/bench.sqlite3, or a
PostgreSQL database named liuqing_bench on the server of --database-url), then, for a station
chief, a brigade staff member and detachment staff, times the list pages a browser would ask
for: the scoped queryset (liuqing.core.access.scope) with the joins and prefetches a list page
uses, counted and sliced to a page of 10 and of 100 rows. Prints one JSON object:

* query counts per page (the same at both page sizes, or the list has an N+1 problem);
* p50/p95 milliseconds over --runs runs, for the count, the rows and the whole page;
* a reference measured in the same run (an unscoped primary-key lookup, and SELECT 1) and
  each page's p50 as a multiple of it, so figures from noisy or different machines compare.

    python bench/scope_lists.py --scale 100
    python bench/scope_lists.py --scale 100 --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PROJECT = Path(__file__).resolve().parent.parent
BENCH_DB_NAME = "liuqing_bench"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL; the benchmark (re)creates database liuqing_bench there",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep an already seeded bench database"
    )
    return parser.parse_args()


def fresh_postgres(url: str, reuse: bool) -> str:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    bench = urlunsplit(parts._replace(path=f"/{BENCH_DB_NAME}"))
    if not reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB_NAME}")
    return bench


def fresh_sqlite(reuse: bool) -> str:
    directory = PROJECT / "var" / "bench"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "bench.sqlite3"
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def configure(args: argparse.Namespace) -> None:
    url = fresh_postgres(args.database_url, args.reuse) if args.database_url else None
    os.environ["DATABASE_URL"] = url or fresh_sqlite(args.reuse)
    os.environ["DJANGO_SETTINGS_MODULE"] = "liuqing.settings"
    os.environ["LIUQING_TESTING"] = "0"
    os.environ["DEBUG"] = "0"
    # A fixed key ring of the bench's own (the personal data it seeds is made up), so that
    # --reuse can read what an earlier run stored.
    key = base64.b64encode(b"bench-key-not-secret-0123456789a").decode()
    os.environ["LIUQING_KEYRING"] = json.dumps(
        {"active": "bench", "keys": {"bench": key}, "blind_index": key}
    )


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    k = (len(ordered) - 1) * p
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def timed(func: Callable[[], Any], runs: int) -> list[float]:
    for _ in range(min(10, runs)):
        func()
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        func()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(percentile(samples, 0.95), 3),
    }


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(PROJECT / "src"))
    configure(args)

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from liuqing.core import access, demo
    from liuqing.core.models import Member, Unit

    seed_seconds = None
    if not (args.reuse and _migrated(connection) and demo.has_data()):
        call_command("migrate", interactive=False, verbosity=0)
        started = time.monotonic()
        demo.build_demo(scale=args.scale)
        seed_seconds = round(time.monotonic() - started, 1)
    connection.close()

    def member_list(actor: Member) -> Any:
        # What the member list page loads: unit and team joined, roles prefetched.
        return access.scope(
            Member.objects.select_related("unit", "team_membership__team").prefetch_related(
                "role_grants"
            ),
            actor,
            "member",
        ).order_by("unit__path", "username")

    def unit_list(actor: Member) -> Any:
        return access.scope(Unit.objects.select_related("parent"), actor, "unit").order_by("path")

    def page(factory: Callable[[Member], Any], actor: Member, size: int) -> Callable[[], Any]:
        def run() -> Any:
            qs = factory(actor)
            total = qs.count()
            rows = list(qs[:size])
            for row in rows:  # what the template touches
                if isinstance(row, Member):
                    _ = (row.unit.name, row.role_set)
                else:
                    _ = row.parent.name if row.parent else ""
            return total, rows

        return run

    def count_only(factory: Callable[[Member], Any], actor: Member) -> Callable[[], Any]:
        return lambda: factory(actor).count()

    def rows_only(factory: Callable[[Member], Any], actor: Member, size: int) -> Callable[[], Any]:
        return lambda: list(factory(actor)[:size])

    personas = {
        "station_chief": "chief",
        "brigade_staff": "brigade",
        "detachment_staff": "detachment",
    }
    probe_pk = Member.objects.order_by("pk").values_list("pk", flat=True)[
        Member.objects.count() // 2
    ]

    def pk_lookup() -> Any:
        return Member.objects.filter(pk=probe_pk).values_list("pk", flat=True).first()

    def select_one() -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()

    reference = {
        "pk_lookup": summary(timed(pk_lookup, args.runs)),
        "select_1": summary(timed(select_one, args.runs)),
    }
    ref_p50 = reference["pk_lookup"]["p50_ms"]

    results = []
    equal_counts = True
    for persona, username in personas.items():
        actor = Member.objects.select_related("unit").get(username=username)
        _ = actor.role_set
        for name, factory in (("members", member_list), ("units", unit_list)):
            in_scope = factory(actor).count()
            counts = {}
            for size in (10, 100):
                with CaptureQueriesContext(connection) as ctx:
                    page(factory, actor, size)()
                counts[size] = len(ctx.captured_queries)
                page_times = summary(timed(page(factory, actor, size), args.runs))
                results.append(
                    {
                        "persona": persona,
                        "unit": actor.unit.name,
                        "list": name,
                        "in_scope": in_scope,
                        "page_size": size,
                        "queries": counts[size],
                        "page": page_times,
                        "count": summary(timed(count_only(factory, actor), args.runs)),
                        "rows": summary(timed(rows_only(factory, actor, size), args.runs)),
                        "page_p50_vs_pk_lookup": round(page_times["p50_ms"] / ref_p50, 1),
                    }
                )
            equal_counts = equal_counts and counts[10] == counts[100]

    totals = {
        "units": Unit.objects.count(),
        "members": Member.objects.count(),
    }
    print(
        json.dumps(
            {
                "benchmark": "scope_lists",
                "database": connection.vendor,
                "database_version": _db_version(connection),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "scale": args.scale,
                "seed_seconds": seed_seconds,
                "rows": totals,
                "runs": args.runs,
                "reference": reference,
                "query_counts_equal_across_page_sizes": equal_counts,
                "results": results,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


def _migrated(connection: Any) -> bool:
    return "core_unit" in connection.introspection.table_names()


def _db_version(connection: Any) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
        else:
            cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])


if __name__ == "__main__":
    main()
