"""The monthly incident counts the refresh reads: equal to a recount from the incidents after
imports, pushes, edits that move incidents between months, cells, units and categories,
repeated ids; what may not delete incidents; the check and rebuild command; the migration's
first fill."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import h3.api.basic_int as h3int
import numpy as np
import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import ProtectedError

from liuqing.core.models import AuditEvent, Member
from liuqing.core.testing import World
from liuqing.incidents import counts, refresh
from liuqing.incidents.models import Incident, IncidentCategory, IncidentCount
from liuqing.incidents.testing import LAT, LNG, ledger_csv, record_incidents
from liuqing.incidents.tests.test_import import imported, row

pytestmark = pytest.mark.django_db

C1 = (LAT + 0.005, LNG + 0.005)  # inside the office C1, itself inside S1


def in_step() -> dict[tuple[int, ...], int]:
    """The table, after asserting it equals a fresh count from the incidents."""
    kept = counts.kept()
    assert kept == counts.recount()
    assert counts.check() == []
    assert sum(kept.values()) == Incident.objects.count()
    assert all(n > 0 for n in kept.values())
    return kept


def key(unit: Any, month: tuple[int, int], category: str, lat: float, lng: float) -> tuple:
    return (
        unit.pk,
        counts.month_index(*month),
        IncidentCategory.objects.get(code=category).pk,
        h3int.latlng_to_cell(lat, lng, 8),
        h3int.latlng_to_cell(lat, lng, 9),
    )


def test_an_import_counts_each_incident_in_its_local_month_cell_unit_and_category(
    mapped: World, analyst: Member
) -> None:
    s1, c1 = mapped.units["S1"], mapped.units["C1"]
    rows = [
        row("A1"),
        row("A2"),
        # Local midnight opening March (Asia/Shanghai) is 16:00 UTC on 28 February.
        row("A3", 报警时间="2026-03-01 00:00:00"),
        row("A4", 报警时间="2026-02-28 23:59:59.5"),
        row("A5", 报警时间="2026-02-28T15:59:59Z"),
        row("A6", 报警时间="2026-02-28T16:00:00Z", 警情类别="交通"),
        row("A7", 纬度=C1[0], 经度=C1[1]),
    ]
    run = imported(analyst, mapped, ledger_csv(rows))
    assert run.rows_created == 7
    kept = in_step()
    assert kept == {
        key(s1, (2026, 3), "criminal", LAT, LNG): 3,
        key(s1, (2026, 2), "criminal", LAT, LNG): 2,
        key(s1, (2026, 3), "traffic", LAT, LNG): 1,
        key(c1, (2026, 3), "criminal", *C1): 1,
    }


def test_edits_move_counts_between_months_cells_units_and_categories(
    mapped: World, analyst: Member
) -> None:
    first = [row(f"E{i}") for i in range(6)]
    imported(analyst, mapped, ledger_csv(first))
    in_step()
    edited = [
        row("E0", 报警时间="2026-01-15 09:00:00"),  # another month
        row("E1", 警情类别="交通"),  # another category
        row("E2", 纬度=C1[0], 经度=C1[1]),  # another cell and unit
        row("E3", 纬度=LAT + 0.004),  # another cell, same unit
        row("E4", 处理结果="已调解"),  # a change the counts do not see
        row("E5"),  # unchanged
        row("E6", 报警时间="2025-12-31 23:30:00"),  # new
    ]
    run = imported(analyst, mapped, ledger_csv(edited))
    assert (run.rows_created, run.rows_updated, run.rows_unchanged) == (1, 5, 1)
    s1, c1 = mapped.units["S1"], mapped.units["C1"]
    kept = in_step()
    assert kept[key(s1, (2026, 3), "criminal", LAT, LNG)] == 2  # E4, E5
    assert kept[key(s1, (2026, 1), "criminal", LAT, LNG)] == 1
    assert kept[key(s1, (2026, 3), "traffic", LAT, LNG)] == 1
    assert kept[key(c1, (2026, 3), "criminal", *C1)] == 1
    assert kept[key(s1, (2026, 3), "criminal", LAT + 0.004, LNG)] == 1
    assert kept[key(s1, (2025, 12), "criminal", LAT, LNG)] == 1
    # Back where they were: the keys they left are gone again, none left at 0.
    imported(analyst, mapped, ledger_csv(first))
    assert in_step() == {
        key(s1, (2026, 3), "criminal", LAT, LNG): 6,
        key(s1, (2025, 12), "criminal", LAT, LNG): 1,  # E6
    }


def test_a_source_id_repeated_in_a_batch_is_counted_once(mapped: World, analyst: Member) -> None:
    rows = [row("R1"), row("R1", 警情类别="交通"), row("R2"), row("R2"), row("R3")]
    imported(analyst, mapped, ledger_csv(rows))
    s1 = mapped.units["S1"]
    assert in_step() == {
        key(s1, (2026, 3), "criminal", LAT, LNG): 2,
        key(s1, (2026, 3), "traffic", LAT, LNG): 1,
    }


def test_pushes_and_refused_rows_keep_the_counts_exact(mapped: World) -> None:
    s1 = mapped.units["S1"]
    items = [(LAT, LNG, "criminal", f"2026-0{m}-10 10:00") for m in (1, 2, 3)]
    items += [(LAT + 0.003, LNG - 0.003, "telecom_fraud", "2026-02-01 00:00")] * 4
    assert record_incidents(s1, items) == 7
    kept = in_step()
    assert kept[key(s1, (2026, 2), "telecom_fraud", LAT + 0.003, LNG - 0.003)] == 4


def test_imports_with_refused_rows_count_only_what_was_stored(
    mapped: World, analyst: Member
) -> None:
    rows = [row("B1"), row("B2", 纬度="north"), row("B3", 警情类别="不存在"), row("B4")]
    run = imported(analyst, mapped, ledger_csv(rows))
    assert (run.rows_created, run.rows_rejected) == (2, 2)
    assert in_step() == {key(mapped.units["S1"], (2026, 3), "criminal", LAT, LNG): 2}


def test_nothing_deletes_incidents_behind_the_counts(mapped: World, analyst: Member) -> None:
    # No service deletes incidents and the Django admin, which could, is not installed.
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    run = imported(analyst, mapped, ledger_csv([row("D1"), row("D2"), row("D3", 警情类别="交通")]))
    kept = in_step()
    # Deleting the import run keeps its incidents (SET_NULL) and so their counts.
    run.delete()
    assert Incident.objects.filter(import_run__isnull=True).count() == 3
    assert in_step() == kept
    # The unit and the category of a counted incident cannot be deleted.
    for owner in (mapped.units["S1"], IncidentCategory.objects.get(code="traffic")):
        with pytest.raises(ProtectedError) as refused:
            owner.delete()
        assert any(isinstance(o, Incident) for o in refused.value.protected_objects)
    assert in_step() == kept


def test_the_check_finds_writes_around_the_writer_and_the_rebuild_repairs_them(
    mapped: World, analyst: Member
) -> None:
    imported(analyst, mapped, ledger_csv([row("W1"), row("W2"), row("W3")]))
    in_step()
    traffic = IncidentCategory.objects.get(code="traffic")
    Incident.objects.filter(source_id="W1").update(category=traffic)
    Incident.objects.filter(source_id="W2").delete()
    problems = counts.check()
    assert len(problems) == 2
    assert any("kept 3, fresh 1" in p for p in problems)
    assert any("kept None, fresh 1" in p for p in problems)
    with pytest.raises(CommandError, match="2 differences"):
        call_command("incident_counts", "--check", verbosity=0)
    call_command("incident_counts", "--rebuild", verbosity=0)
    assert AuditEvent.objects.filter(action="incident.counts_rebuild").count() == 1
    in_step()
    call_command("incident_counts", "--check", verbosity=0)


def test_the_migration_counts_the_incidents_already_stored(mapped: World, analyst: Member) -> None:
    imported(analyst, mapped, ledger_csv([row("M1"), row("M2", 报警时间="2025-07-01 08:00")]))
    before = counts.kept()
    IncidentCount.objects.all().delete()
    assert counts.check() != []
    migration = importlib.import_module("liuqing.incidents.migrations.0007_incident_counts")
    migration.count_existing(django_apps, None)
    assert in_step() == before


def test_the_second_migration_counts_again_into_the_table_keyed_by_its_key(
    mapped: World, analyst: Member
) -> None:
    imported(analyst, mapped, ledger_csv([row("K1"), row("K2", 报警时间="2025-07-01 08:00")]))
    before = counts.kept()
    IncidentCount.objects.all().delete()
    migration = importlib.import_module(
        "liuqing.incidents.migrations.0009_incident_counts_keyed_by_their_key"
    )
    migration.count_again(django_apps, None)
    assert in_step() == before


def test_the_count_key_is_the_primary_key_and_sqlite_keeps_no_rowid() -> None:
    """One B-tree per upsert (models.IncidentCount): no id, no second index; on SQLite a
    WITHOUT ROWID table, which a later migration altering the model would silently undo
    (Django's SQLite schema editor copies the table into a plain one)."""
    table = IncidentCount._meta.db_table
    assert [f.column for f in IncidentCount._meta.pk_fields] == list(counts.KEY)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [table])
            assert cursor.fetchone()[0].endswith("WITHOUT ROWID")
            cursor.execute("SELECT name FROM sqlite_master WHERE tbl_name = %s", [table])
            assert {name for (name,) in cursor.fetchall()} == {table}
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
            assert [name for (name,) in cursor.fetchall()] == [f"{table}_pkey"]
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
                " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                " WHERE i.indrelid = %s::regclass AND i.indisprimary"
                " ORDER BY array_position(i.indkey, a.attnum)",
                [table],
            )
            assert [name for (name,) in cursor.fetchall()] == list(counts.KEY)


def test_the_refresh_reads_the_counts_of_its_window_by_month(
    mapped: World, analyst: Member
) -> None:
    imported(
        analyst,
        mapped,
        ledger_csv([row("F1"), row("F2", 报警时间="2026-02-10 10:00"), row("F3")]),
    )
    s1 = mapped.units["S1"]
    window = refresh.month_window(dt.date(2026, 3, 1), 2)
    rows = refresh.read_counts(np.array([s1.pk]), window)
    by_month = {int(t): int(n) for t, n in zip(rows[:, 0], rows[:, 5], strict=True)}
    assert by_month == {0: 1, 1: 2}
    assert refresh.read_counts(np.array([mapped.units["S2"].pk]), window).shape == (0, 6)


def test_group_sums_changes_by_key_as_a_row_by_row_count_does() -> None:
    rng = np.random.default_rng(5)
    keys = rng.integers(-3, 3, size=(2_000, len(counts.KEY)), dtype=np.int64)
    keys[:, 3:] += np.int64(1) << 62  # cells are large numbers
    changes = rng.choice(np.array([-1, 1, 2], dtype=np.int64), size=len(keys))
    expected: dict[tuple[int, ...], int] = {}
    for key, change in zip(map(tuple, keys.tolist()), changes.tolist(), strict=True):
        expected[key] = expected.get(key, 0) + change
    grouped, sums = counts.group(keys, changes)
    got = dict(zip(map(tuple, grouped.tolist()), sums.tolist(), strict=True))
    assert got == {key: n for key, n in expected.items() if n != 0}
    assert grouped.tolist() == sorted(grouped.tolist())  # ascending: a fixed lock order
    assert 0 not in got.values()
    empty_keys, empty_sums = counts.group(keys[:0], changes[:0])
    assert empty_keys.shape == (0, len(counts.KEY))
    assert empty_sums.size == 0
