"""The import with its reading in a second process (imports.services._prepared): the same
batches, the same outcome, errors there stop the run."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from liuqing.core.models import Member
from liuqing.core.testing import World
from liuqing.imports import services
from liuqing.imports.models import RunStatus
from liuqing.imports.registry import Batch
from liuqing.incidents import counts
from liuqing.incidents.ledger import IncidentWriter, ParentGone
from liuqing.incidents.models import Incident, IncidentCategory, IncidentCount
from liuqing.incidents.testing import ledger_csv
from liuqing.incidents.tests.test_import import OPTIONS, imported, row, upload

pytestmark = pytest.mark.django_db


def rows() -> list[dict[str, object]]:
    good = [row(f"P{i}", 报警时间=f"2026-0{1 + i % 3}-1{i % 10} 08:00:00") for i in range(9)]
    bad = [row("X1", 纬度="north"), row("X2", 警情类别="不存在"), row("X3", 报警时间="2099-01-01")]
    return [*good[:4], bad[0], *good[4:7], bad[1], row("P2", 处理结果="已调解"), *good[7:], bad[2]]


def batches() -> Iterator[Batch]:
    """The rows in batches of `IMPORTS_BATCH_ROWS`, as the engine reads them."""
    content = ledger_csv(rows()).decode()
    table = list(csv.reader(io.StringIO(content)))
    header, body = table[0], list(enumerate(table[1:], start=2))
    columns = {"警情编号": "source_id", "报警时间": "occurred_at", "警情类别": "category"}
    columns |= {"纬度": "latitude", "经度": "longitude", "处理结果": "outcome"}
    return services._batches(iter(body), header, columns)


def test_the_second_process_prepares_the_same_batches_in_order(
    mapped: World, analyst: Member, settings: Any
) -> None:
    settings.IMPORTS_BATCH_ROWS = 4
    writer = IncidentWriter(actor=analyst, unit=mapped.units["S1"], options=OPTIONS)
    alone = list(services._prepared(writer, batches(), parallel=False))
    forked = list(services._prepared(writer, batches(), parallel=True))
    assert [(n, first) for n, first, _p in forked] == [(4, 2), (4, 6), (4, 10), (1, 14)]
    assert forked == alone
    assert sum(len(p.result.errors) for _n, _f, p in forked) == 3


def test_an_error_while_reading_is_raised_after_the_batches_before_it(
    mapped: World, analyst: Member, settings: Any
) -> None:
    settings.IMPORTS_BATCH_ROWS = 4
    writer = IncidentWriter(actor=analyst, unit=mapped.units["S1"], options=OPTIONS)

    def broken() -> Iterator[Batch]:
        yield from batches()
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    stream = services._prepared(writer, broken(), parallel=True)
    assert [n for n, _f, _p in (next(stream), next(stream), next(stream), next(stream))] == [
        4,
        4,
        4,
        1,
    ]
    with pytest.raises(services.ReaderStopped, match="invalid start byte"):
        next(stream)


def test_a_file_over_the_threshold_imports_the_same_through_two_processes(
    mapped: World, analyst: Member, settings: Any
) -> None:
    settings.IMPORTS_BATCH_ROWS = 4
    settings.IMPORTS_PIPELINE_MIN_MB = 0
    content = ledger_csv(rows())
    assert services._pipeline(
        IncidentWriter(actor=analyst, unit=mapped.units["S1"], options=OPTIONS),
        upload(analyst, mapped, content),
    )
    run = imported(analyst, mapped, content)
    assert run.status == RunStatus.DONE
    assert (run.rows_read, run.rows_created, run.rows_updated, run.rows_rejected) == (13, 9, 1, 3)
    assert Incident.objects.get(source_id="P2").outcome == "已调解"
    assert counts.check() == []
    # The same file again, read in this process only: P2 goes back and forth again.
    settings.IMPORTS_PIPELINE_MIN_MB = -1
    again = imported(analyst, mapped, content)
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 2, 8)
    assert counts.check() == []


@pytest.mark.parametrize("gone", ["category", "unit"])
def test_a_category_or_unit_deleted_while_an_import_runs_stops_it_writing_nothing(
    mapped: World, analyst: Member, settings: Any, gone: str
) -> None:
    """The database does not check the ledger's references (`models.Incident`): the writer
    checks the batch's categories and units, so a row never names one that is gone."""
    settings.IMPORTS_BATCH_ROWS = 4
    drone = IncidentCategory.objects.create(code="drone", name="无人机", order=99)
    writer = IncidentWriter(actor=analyst, unit=mapped.units["S1"], options=OPTIONS)
    prepared = [p for _n, _f, p in services._prepared(writer, batches(), parallel=False)]
    prepared[0].categories[0] = drone.pk
    if gone == "category":
        # Deleted after the writer read the categories (nothing in Liuqing deletes one; raw
        # SQL or the ORM around the services could).
        IncidentCategory.objects.filter(pk=drone.pk).delete()
    else:
        unit = mapped.units["S1"]
        prepared[0].units[0] = unit.pk + 10_000  # a unit deleted since the row was placed
    with pytest.raises(ParentGone, match=gone), transaction.atomic():
        writer.store(prepared[0])
    assert not Incident.objects.exists()
    assert not IncidentCount.objects.exists()
    # The next batches, which name what exists, are written.
    for p in prepared[1:]:
        with transaction.atomic():
            writer.store(p)
    assert Incident.objects.exists()
    assert counts.check() == []


@pytest.mark.django_db(transaction=True)
def test_the_writer_refuses_to_write_outside_a_transaction(mapped: World, analyst: Member) -> None:
    writer = IncidentWriter(actor=analyst, unit=mapped.units["S1"], options=OPTIONS)
    prepared = next(iter(services._prepared(writer, batches(), parallel=False)))[2]
    with pytest.raises(TransactionManagementError):
        writer.store(prepared)
    assert not Incident.objects.exists()


def test_a_process_that_tests_no_map_loads_neither_numba_nor_scipy() -> None:
    """numba and scipy hold about 150 MB of a process; the app's start-up (which registers the
    incident figures, importing the analytics) and an incident import (which bins points to
    cells) must not load them."""
    import subprocess
    import sys

    script = (
        "import sys, django; django.setup()\n"
        "from liuqing.analytics import cells, emerging, hotspots, trends\n"
        "from liuqing.incidents import ledger, refresh\n"
        "import numpy as np\n"
        "cells.points_to_cells(np.array([43.9]), np.array([81.3]), 9)\n"
        "loaded = sorted(m for m in ('numba', 'scipy') if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == ""
