"""Worker jobs of incidents (found by core.worker.discover)."""

from __future__ import annotations

import datetime as dt

from liuqing.core import worker


def _stale(now: dt.datetime) -> bool:
    from liuqing.incidents.refresh import due_roots

    return bool(due_roots(now))


@worker.job("incidents.refresh_maps", every=dt.timedelta(minutes=15), is_due=_stale)
def refresh_due_maps() -> str:
    """Refresh the maps of every top unit whose maps are stale: once a month when a month
    has ended, and after incidents were imported or pushed (the run's own audit event and
    start time mark what it has seen, so the schedule holds across processes)."""
    from liuqing.analytics import hotspots
    from liuqing.incidents.refresh import due_roots, refresh_maps

    hotspots.warm_up()
    done = []
    for root, trigger in due_roots():
        run = refresh_maps(root=root, trigger=trigger)
        done.append(f"{root.code}: {run.maps} maps, {run.recomputed} recomputed")
    return "; ".join(done) or "nothing stale"
