"""Demo data of incidents: two years of a synthetic dispatch ledger around the demo units.

* **Boundaries.** Each demo station gets a jurisdiction boundary: a square of ±1.5 km around
  its seat. These are synthetic, drawn only so that the stations have H3 cells and incidents
  can be located; they are not the real outlines of any police station's area.
* **Incidents.** About 300 a year per station (times `scale`), over the two years before the
  demo anchor, through the real ledger writer (validation, GCJ-02-free WGS 84 positions, H3
  cells, units derived from the location): most near the station's seat and its places;
  scenic areas peak in summer (June to August, four times the rest of the year, mostly public
  order, traffic and help-and-rescue calls); a few places carry an emerging cluster whose
  count grows over the last six months. No personal data: the descriptions are stock phrases.

Deterministic: the generator is seeded from the demo seed; times are offsets from the anchor.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np

from liuqing.core import demo
from liuqing.core.models import Member, Place, PlaceKind, Role, Unit
from liuqing.incidents.defaults import ensure_default_categories
from liuqing.incidents.ledger import IncidentWriter
from liuqing.incidents.testing import square

HALF_KM = 1.5
PER_STATION_YEAR = 300
EMERGING_PLACES = 3
CATEGORIES = [
    "criminal",
    "public_order",
    "telecom_fraud",
    "traffic",
    "dispute",
    "help_rescue",
    "fire",
    "other",
]
WEIGHTS = [0.08, 0.22, 0.06, 0.18, 0.2, 0.14, 0.02, 0.1]
SCENIC_WEIGHTS = [0.05, 0.3, 0.02, 0.25, 0.1, 0.25, 0.01, 0.02]
OUTCOMES = ["现场处置完毕", "调解结案", "移交处理", "已立案", "劝离"]


@demo.step("incidents", order=300)
def build_incidents(ctx: demo.DemoContext, rng: random.Random, scale: int) -> None:
    ensure_default_categories()
    gen = np.random.default_rng(rng.randrange(2**32))
    half = HALF_KM / 111.0
    stations = [s for s in ctx.stations if s.latitude is not None and s.longitude is not None]
    for station in stations:
        station.boundary = square(float(station.latitude), float(station.longitude), half)  # type: ignore[arg-type]
    Unit.objects.bulk_update(stations, ["boundary"], batch_size=500)
    ctx.record("demo.unit_boundaries", stations=len(stations), synthetic=True)

    end = ctx.anchor.timestamp()
    span = 2 * 365 * 86400.0
    rows: list[tuple[float, float, float, str]] = []  # (epoch, lat, lng, category)

    def near(lat: float, lng: float, km: float, n: int) -> tuple[np.ndarray, np.ndarray]:
        d = np.clip(gen.normal(0.0, km / 111.0, (n, 2)), -0.9 * half, 0.9 * half)
        return lat + d[:, 0], lng + d[:, 1] / np.cos(np.radians(lat))

    for station in stations:
        lat0, lng0 = float(station.latitude), float(station.longitude)  # type: ignore[arg-type]
        n = PER_STATION_YEAR * 2 * scale
        la, ln = near(lat0, lng0, 0.5, n)
        times = end - gen.uniform(0, span, n)
        cats = gen.choice(CATEGORIES, n, p=WEIGHTS)
        rows.extend(zip(times.tolist(), la.tolist(), ln.tolist(), cats.tolist(), strict=True))

    station_ids = {s.pk for s in stations}
    seats = {s.pk: (float(s.latitude), float(s.longitude)) for s in stations}  # type: ignore[arg-type]
    scenic = [p for p in ctx.places if p.kind == PlaceKind.SCENIC and p.unit_id in station_ids]
    for place in scenic:
        lat0, lng0 = _inside(
            seats[place.unit_id], float(place.latitude), float(place.longitude), half
        )
        n = 120 * scale
        summer = gen.random(n) < 0.6
        days = np.where(
            summer, gen.integers(152, 244, n), gen.integers(0, 365, n)
        )  # June–August for most of them
        years = gen.integers(0, 2, n)
        anchor_year = ctx.anchor.year
        starts = np.array(
            [
                dt.datetime(anchor_year - 1 - y, 1, 1, tzinfo=ctx.anchor.tzinfo).timestamp()
                for y in years
            ]
        )
        times = np.minimum(starts + days * 86400.0 + gen.uniform(0, 86400, n), end - 3600)
        la, ln = near(lat0, lng0, 0.3, n)
        cats = gen.choice(CATEGORIES, n, p=SCENIC_WEIGHTS)
        rows.extend(zip(times.tolist(), la.tolist(), ln.tolist(), cats.tolist(), strict=True))

    others = [p for p in ctx.places if p.kind != PlaceKind.SCENIC and p.unit_id in station_ids]
    picker = random.Random(rng.random())  # noqa: S311  (deterministic demo data)
    for place in picker.sample(others, min(EMERGING_PLACES, len(others))):
        lat0, lng0 = _inside(
            seats[place.unit_id], float(place.latitude), float(place.longitude), half
        )
        for month in range(6):  # the last six months, growing
            n = (4 + 6 * month) * scale
            times = end - (6 - month) * 30 * 86400.0 + gen.uniform(0, 30 * 86400.0, n)
            la, ln = near(lat0, lng0, 0.15, n)
            cats = gen.choice(["criminal", "public_order", "telecom_fraud"], n)
            rows.extend(zip(times.tolist(), la.tolist(), ln.tolist(), cats.tolist(), strict=True))

    rows.sort()
    actor = next(iter(ctx.members_with(Role.DETACHMENT_STAFF)), None) or ctx.members[0]
    writer = IncidentWriter(
        actor=actor, unit=ctx.root, options={"source_system": "demo", "coordinates": "wgs84"}
    )
    created = rejected = 0
    tz = ctx.anchor.tzinfo
    for start in range(0, len(rows), 5000):
        batch = []
        for i, (epoch, la1, ln1, cat) in enumerate(rows[start : start + 5000], start=start):
            batch.append(
                (
                    i,
                    {
                        "source_id": f"DEMO-{i:07d}",
                        "occurred_at": dt.datetime.fromtimestamp(round(epoch), tz).isoformat(),
                        "category": cat,
                        "latitude": f"{la1:.6f}",
                        "longitude": f"{ln1:.6f}",
                        "outcome": OUTCOMES[i % len(OUTCOMES)],
                        "description": "接报后民警到场处置",
                    },
                )
            )
        result = writer.write(batch)
        created += result.created + result.updated + result.unchanged
        rejected += result.rejected
    ctx.counts.update(incidents=created)
    ctx.record("demo.incidents", created=created, rejected=rejected, source_system="demo")
    ctx.log(f"incidents: {created} ({rejected} outside every boundary and seat radius)")
    _seasons(ctx, actor, scenic)


# Tourist seasons the seasonal view compares: the detachment's own (summer, as the scenic
# incidents above peak), and two scenic places with months of their own, set through the
# service like a station chief would (audited).
DETACHMENT_SEASON = (6, 7, 8)
PLACE_SEASONS = {"薰衣草庄园": (6, 7), "那拉提景区": (6, 7, 8, 9)}


def _seasons(ctx: demo.DemoContext, actor: Member, scenic: list[Place]) -> None:
    from liuqing.incidents import seasons

    seasons.set_season(actor=actor, unit=ctx.root, months=list(DETACHMENT_SEASON))
    named = 0
    for place in scenic:
        months = PLACE_SEASONS.get(place.name)
        if months is not None:
            seasons.set_season(actor=actor, unit=place.unit, place=place, months=list(months))
            named += 1
    ctx.log(f"tourist seasons: the detachment's and {named} scenic places' own")


def _inside(seat: tuple[float, float], lat: float, lng: float, half: float) -> tuple[float, float]:
    """The place's position pulled into its station's square if it lies outside it."""
    m = 0.8 * half
    return (
        min(max(lat, seat[0] - m), seat[0] + m),
        min(max(lng, seat[1] - m), seat[1] + m),
    )


@demo.step("incident_maps", order=310)
def build_incident_maps(ctx: demo.DemoContext, rng: random.Random, scale: int) -> None:
    """The maps of the demo's two years (the refresh the monthly job would have run), a
    proposed patrol plan for the anchor's week at the first station with hot cells, and a
    few patrol logs through those cells (so patrol coverage has something to show)."""
    from liuqing.incidents import patrols, refresh

    anchor = ctx.anchor
    last = refresh.last_complete_month(anchor)
    run = refresh.refresh_maps(root=ctx.root, trigger="schedule", last_month=last)
    ctx.record("demo.incident_maps", run=run.pk, maps=run.maps, incidents=run.incidents)
    week = patrols.monday(anchor.date())
    chief = next(iter(ctx.members_with(Role.DETACHMENT_STAFF)), None)
    officers = ctx.members_with(Role.OFFICER)
    if chief is None:
        return
    logged = 0
    for station in ctx.stations:
        hot = patrols.hot_cells(station, week)
        if not hot.size:
            continue
        units = patrols.plan_units(station)
        patrols.propose_plan(actor=chief, unit=station, week=week, hours={u.pk: 80 for u in units})
        walkers = [m for m in officers if station.is_ancestor_of(m.unit)] or [chief]
        start = dt.datetime.combine(week, dt.time(9), tzinfo=anchor.tzinfo)
        for i, cell in enumerate(hot[: max(1, hot.size * 2 // 3)]):
            officer = walkers[i % len(walkers)]
            begin = start + dt.timedelta(hours=3 * (i % 3))
            if begin > anchor:
                break
            patrols.log_patrol(
                actor=chief,
                unit=station,
                officer=officer,
                mode=["foot", "car", "video"][i % 3],
                started_at=begin,
                ended_at=begin + dt.timedelta(hours=1),
                cells=[format(int(cell), "x")],
            )
            logged += 1
        break
    ctx.log(f"incident maps: {run.maps} maps ({run.seconds:.1f} s); {logged} patrol logs")
