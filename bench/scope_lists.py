"""Benchmark: jurisdiction-scoped member and unit lists on the demo data set at scale.

Seeds the core of the demo data set at `--scale` (default 100) into a fresh database (SQLite
file var/bench/liuqing_bench.sqlite3, or a PostgreSQL database named liuqing_bench on the
server of --database-url), then, for a station
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
import time
from collections.abc import Callable
from typing import Any

import benchlib
from benchlib import summary, timed

BENCH_DB_NAME = "liuqing_bench"
CORE_STEPS = ["core.units", "core.places", "core.members", "core.teams", "core.devices"]


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


def main() -> None:
    args = parse_args()
    benchlib.configure(args.database_url, BENCH_DB_NAME, args.reuse)

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from liuqing.core import access, demo, paging
    from liuqing.core.models import Member, Unit

    seed_seconds = None
    if not (args.reuse and benchlib.migrated(connection) and demo.has_data()):
        call_command("migrate", interactive=False, verbosity=0)
        started = time.monotonic()
        # The core data set only: the modules' records (appeals grow as scale²) have
        # benchmarks of their own.
        demo.build_demo(scale=args.scale, steps=CORE_STEPS)
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
            # As the list pages do (liuqing.core.paging): a count that stops at the cap,
            # then the page's keys and its rows.
            total = paging.capped_count(qs)
            rows = paging.page_rows(qs, 0, size)
            for row in rows:  # what the template touches
                if isinstance(row, Member):
                    _ = (row.unit.name, row.role_set)
                else:
                    _ = row.parent.name if row.parent else ""
            return total, rows

        return run

    def count_only(factory: Callable[[Member], Any], actor: Member) -> Callable[[], Any]:
        return lambda: paging.capped_count(factory(actor))

    def rows_only(factory: Callable[[Member], Any], actor: Member, size: int) -> Callable[[], Any]:
        return lambda: paging.page_rows(factory(actor), 0, size)

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
    benchlib.emit(
        {
            "benchmark": "scope_lists",
            "database": connection.vendor,
            "database_version": benchlib.db_version(connection),
            **benchlib.machine(),
            "scale": args.scale,
            "seed_seconds": seed_seconds,
            "rows": totals,
            "runs": args.runs,
            "reference": reference,
            "query_counts_equal_across_page_sizes": equal_counts,
            "results": results,
        }
    )


if __name__ == "__main__":
    main()
