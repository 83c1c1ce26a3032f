"""What the benchmarks share: a fresh database of their own, the Django set-up, timing with
percentiles, and the facts of the machine and database that make figures comparable.

Each benchmark runs as a script (`python bench/NAME.py`) and imports this module by name.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PROJECT = Path(__file__).resolve().parent.parent
SEED_CACHE_MB = 2048


def db_name(text: str) -> str:
    """A database name for --database-name: a plain lower-case identifier (it goes into
    CREATE DATABASE and a file name)."""
    import argparse
    import re

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", text):
        raise argparse.ArgumentTypeError("a lower-case identifier: letters, digits, _")
    return text


def fresh_postgres(url: str, name: str, reuse: bool) -> str:
    """The URL of database `name` on the server of `url`, dropped and created unless reused."""
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    if not reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def fresh_sqlite(name: str, reuse: bool) -> str:
    """The URL of var/bench/`name`.sqlite3, deleted first unless reused."""
    directory = PROJECT / "var" / "bench"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.sqlite3"
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def configure(database_url: str | None, name: str, reuse: bool) -> None:
    """Point the settings at the benchmark's own database and set Django up."""
    sys.path.insert(0, str(PROJECT / "src"))
    url = fresh_postgres(database_url, name, reuse) if database_url else None
    os.environ["DATABASE_URL"] = url or fresh_sqlite(name, reuse)
    os.environ["DJANGO_SETTINGS_MODULE"] = "liuqing.settings"
    os.environ["LIUQING_TESTING"] = "0"
    os.environ["DEBUG"] = "0"
    # A fixed key ring of the bench's own (the personal data it seeds is made up), so that
    # --reuse can read what an earlier run stored.
    key = base64.b64encode(b"bench-key-not-secret-0123456789a").decode()
    os.environ["LIUQING_KEYRING"] = json.dumps(
        {"active": "bench", "keys": {"bench": key}, "blind_index": key}
    )
    # The benchmarks serve no static files (make demo collects them).
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()


def seed_demo(
    scale: int,
    reuse: bool,
    steps: tuple[str, ...] | None = None,
    *,
    search_index_once: bool = False,
) -> float | None:
    """Migrate, seed the demo data set (its `steps` only, when given) unless `reuse` finds it
    there, and on PostgreSQL leave it as autovacuum leaves a database in use: statistics, and
    the visibility map that lets index-only scans skip the table. Returns the seconds spent
    seeding, or None when reused. Call after configure().

    `search_index_once`: on SQLite, build the appeals' full-text index once at the end (see
    `_search_index_built_once`), for benchmarks that do not time searches (a freshly rebuilt
    index is more compact than one grown row by row, as a database in use has)."""
    from django.core.management import call_command
    from django.db import connection

    from liuqing.core import demo

    seconds = None
    call_command("migrate", interactive=False, verbosity=0)
    if not (reuse and demo.has_data()):
        if connection.vendor == "sqlite":
            # A page cache of SEED_CACHE_MB for the seeding connection only: a million appeals
            # insert into a dozen indexes each, in no one index's order, and with the pages' own
            # cache (SQLITE_CACHE_MB) the index pages go back and forth to the OS cache. The
            # connection is closed below, so the pages are timed with the settings' cache.
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size=-{SEED_CACHE_MB * 1024}")
        started = time.monotonic()
        once = search_index_once and connection.vendor == "sqlite"
        with _search_index_built_once(connection) if once else contextlib.nullcontext():
            demo.build_demo(scale=scale, steps=steps)
        seconds = round(time.monotonic() - started, 1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    connection.close()
    return seconds


@contextlib.contextmanager
def _search_index_built_once(connection: Any) -> Iterator[None]:
    """On SQLite, the appeals' full-text index (appeals.search: an FTS5 table kept in step with
    the search documents by triggers) built once from all the documents after the block, with
    FTS5's own 'rebuild', instead of row by row: inside one transaction the per-row inserts
    grow slower as the index grows (at a million appeals they were 80% of the seeding). The
    triggers are dropped for the block and put back as they were; the index is the same."""
    from liuqing.appeals.search import FTS_TABLE, SEARCH_TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [SEARCH_TABLE],
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608


def commonest_open_status(cases: Any) -> str | None:
    """The status most of the open cases in `cases` (a Case queryset) are in."""
    from django.db.models import Count

    return (
        cases.exclude(status__in=["closed", "withdrawn", "merged"])
        .values("status")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("status", flat=True)
        .first()
    )


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    k = (len(ordered) - 1) * p
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def timed(func: Callable[[], Any], runs: int, warm: int = 10) -> list[float]:
    """Milliseconds of `runs` calls after `warm` unmeasured ones."""
    for _ in range(min(warm, runs)):
        func()
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        func()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return samples


def timed_cpu(
    func: Callable[[], Any], runs: int, warm: int = 10
) -> tuple[list[float], list[float]]:
    """Like `timed`, with each call's CPU milliseconds of this process (time.process_time)
    beside its wall-clock ones. On a loaded machine the wall clock includes the time spent
    waiting for a core; the CPU time does not. (On PostgreSQL the server's CPU is not in it.)
    """
    for _ in range(min(warm, runs)):
        func()
    wall, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter_ns(), time.process_time_ns()
        func()
        wall.append((time.perf_counter_ns() - started) / 1e6)
        cpu.append((time.process_time_ns() - cpu_started) / 1e6)
    return wall, cpu


def summary(samples: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    """p50 and p95 of wall-clock milliseconds, and of CPU milliseconds when given."""
    result = {
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(percentile(samples, 0.95), 3),
    }
    if cpu is not None:
        result["cpu_p50_ms"] = round(statistics.median(cpu), 3)
        result["cpu_p95_ms"] = round(percentile(cpu, 0.95), 3)
    return result


def migrated(connection: Any) -> bool:
    return "core_unit" in connection.introspection.table_names()


def db_version(connection: Any) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        return str(cursor.fetchone()[0])


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        # Other work on the machine when the figures were taken (1, 5 and 15 minutes).
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result, ensure_ascii=False, indent=2))
