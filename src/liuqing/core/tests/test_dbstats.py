"""Planner statistics are refreshed after migrate and by the worker."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from liuqing.core import worker
from liuqing.core.dbstats import refresh_planner_statistics
from liuqing.core.testing import World

pytestmark = pytest.mark.django_db


def analysed_units() -> float | None:
    """What the planner believes of core_unit: its row count as of the last ANALYZE."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'core_unit' LIMIT 1")
            row = cursor.fetchone()
            return None if row is None else float(str(row[0]).split()[0])
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'core_unit'")
        return float(cursor.fetchone()[0])


def forget_statistics() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                cursor.execute("DELETE FROM sqlite_stat1")
        else:
            cursor.execute("UPDATE pg_class SET reltuples = -1 WHERE relname = 'core_unit'")


def test_refreshing_counts_the_rows_the_planner_sees(world: World) -> None:
    forget_statistics()
    assert analysed_units() in (None, -1.0)
    assert refresh_planner_statistics().startswith("planner statistics refreshed")
    assert analysed_units() == len(world.units)


def test_migrate_refreshes_the_statistics(world: World) -> None:
    forget_statistics()
    call_command("migrate", interactive=False, verbosity=0)
    assert analysed_units() == len(world.units)


def test_the_worker_refreshes_the_statistics(world: World) -> None:
    forget_statistics()
    (outcome,) = worker.Worker(only=frozenset({"db.planner_statistics"})).run_pass()
    assert outcome.ok
    assert analysed_units() == len(world.units)


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):

    def test_sqlite_connections_get_a_page_cache_of_their_own() -> None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            assert cursor.fetchone()[0] == -64 * 1024  # KiB: 64 MB, not SQLite's 2 MB
            cursor.execute("PRAGMA temp_store")
            assert cursor.fetchone()[0] == 2  # memory
