"""The monthly refresh: stored counts, levels, Gi* and emerging patterns, hand-checked."""

from __future__ import annotations

import datetime as dt

import h3.api.basic_int as h3int
import numpy as np
import pytest

from liuqing.analytics.levels import cell_levels
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World
from liuqing.incidents import maps, refresh
from liuqing.incidents.models import CellGrid, CellMap, IncidentCategory, MapRun, RunStatus
from liuqing.incidents.testing import LAT, LNG, record_incidents

pytestmark = pytest.mark.django_db

MONTH = dt.date(2026, 3, 1)


CENTRE = h3int.latlng_to_cell(LAT, LNG, 9)
CLUSTER = sorted(h3int.grid_disk(CENTRE, 1))
SPREAD = [(-0.008, -0.008), (0.008, -0.007), (-0.007, 0.008)]


def _scatter(world: World) -> list[tuple[float, float, str, str]]:
    """Inside S1: a cluster of 3 incidents in each of 7 cells (a cell and its ring) in March,
    one traffic incident at each of three far corners in March and one in February."""
    items = []
    for cell in CLUSTER:
        lat, lng = h3int.cell_to_latlng(cell)
        items += [(lat, lng, "criminal", "2026-03-05 10:00")] * 3
    for k, (dlat, dlng) in enumerate(SPREAD):
        items.append((LAT + dlat, LNG + dlng, "traffic", "2026-03-10 12:00"))
        if k == 0:
            items.append((LAT + dlat, LNG + dlng, "traffic", "2026-02-10 12:00"))
    return items


def test_a_refresh_stores_every_cell_with_counts_levels_and_bins(mapped: World) -> None:
    s1 = mapped.units["S1"]
    record_incidents(s1, _scatter(mapped))
    run = refresh.refresh_maps(root=mapped.units["D"], last_month=MONTH, months=6)
    assert run.status == RunStatus.DONE
    assert run.incidents == 25
    # Maps for the detachment (its stations' union), B1, S1 and S2; the office C1 has a
    # boundary too small to hold the centre of a resolution-8 cell, S3 and G1 none.
    units = set(CellGrid.objects.filter(run=run).values_list("unit__code", flat=True))
    assert units == {mapped.units[k].code for k in ("D", "B1", "S1", "S2")}
    member = mapped.persona(Role.STATION_CHIEF)
    view = maps.load_map(member, unit=s1, resolution=9, month=MONTH)
    assert view is not None
    # Every cell of S1's boundary is there, empty ones included.
    assert view.cells.size == refresh.boundary_cells(s1.boundary, 9).size
    hand = dict.fromkeys(CLUSTER, 3)
    for dlat, dlng in SPREAD:
        c = h3int.latlng_to_cell(LAT + dlat, LNG + dlng, 9)
        hand[c] = hand.get(c, 0) + 1
    stored = {int(c): int(n) for c, n in zip(view.cells, view.counts, strict=True) if n}
    assert stored == hand
    assert view.incidents == 24
    np.testing.assert_array_equal(view.levels, cell_levels(view.counts))
    # The station's boundary at resolution 9 has ≥ 30 cells: Gi* ran; the cluster is hot.
    assert view.reason == ""
    assert view.bins[np.searchsorted(view.cells, np.uint64(CENTRE))] > 0
    # Resolution 8: too few cells, the "not enough data" reason instead of bins.
    coarse = maps.load_map(member, unit=s1, resolution=8, month=MONTH)
    assert coarse is not None
    assert coarse.reason == "too_few_cells"
    assert "at least 30 cells" in coarse.reason_text
    # Per category: traffic in February is one incident.
    traffic = IncidentCategory.objects.get(code="traffic")
    feb = maps.load_map(member, unit=s1, resolution=9, month=dt.date(2026, 2, 1), category=traffic)
    assert feb is not None
    assert feb.incidents == 1
    assert AuditEvent.objects.filter(action="incident.map_refresh").count() == 1


def test_an_unchanged_map_keeps_its_gi_star_and_a_changed_one_is_recomputed(
    mapped: World,
) -> None:
    s1 = mapped.units["S1"]
    record_incidents(s1, _scatter(mapped))
    first = refresh.refresh_maps(root=mapped.units["D"], last_month=MONTH, months=6)
    assert first.recomputed > 0
    second = refresh.refresh_maps(root=mapped.units["D"], last_month=MONTH, months=6)
    assert second.recomputed == 0
    assert second.maps == first.maps
    record_incidents(s1, [(LAT, LNG, "criminal", "2026-03-20 10:00")])
    third = refresh.refresh_maps(root=mapped.units["D"], last_month=MONTH, months=6)
    # March of all categories and of "criminal" at both resolutions, for D, B1 and S1.
    assert third.recomputed == 2 * 2 * 3
    assert MapRun.objects.filter(unit=mapped.units["D"]).count() == 3
    refresh.refresh_maps(root=mapped.units["D"], last_month=MONTH, months=6)
    assert MapRun.objects.filter(unit=mapped.units["D"]).count() == refresh.KEEP_RUNS
    assert CellMap.objects.filter(grid__run=first).count() == 0


def test_the_worker_job_refreshes_stale_roots_once(mapped: World) -> None:
    from liuqing.core import worker
    from liuqing.incidents import jobs  # noqa: F401

    record_incidents(mapped.units["S1"], _scatter(mapped))
    job = worker.JOBS["incidents.refresh_maps"]
    outcome = worker.run_job(job)
    assert outcome.ok, outcome.result
    assert MapRun.objects.filter(status=RunStatus.DONE).count() == 1
    again = worker.run_job(job)
    assert again.result == "not due"
    record_incidents(mapped.units["S1"], [(LAT, LNG, "criminal", "2026-03-20 10:00")])
    assert refresh.due_roots() == [(mapped.units["D"], "import")]
