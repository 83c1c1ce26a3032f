"""The incidents demo step: synthetic station boundaries, two years of incidents located in
them, summer peaks at scenic areas, growing clusters; deterministic."""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.db.models.functions import ExtractMonth

from liuqing.core import demo
from liuqing.core.models import AuditEvent, Place, Unit, UnitKind
from liuqing.incidents.models import Incident

pytestmark = pytest.mark.django_db


def test_the_demo_adds_boundaries_and_two_years_of_incidents() -> None:
    ctx = demo.build_demo(seed=demo.DEFAULT_SEED, scale=1, steps=demo.core_and("incidents"))
    stations = Unit.objects.filter(kind=UnitKind.STATION)
    assert not stations.filter(boundary="").exists()
    total = Incident.objects.filter(source_system="demo").count()
    assert total == ctx.counts["incidents"]
    assert total >= 600 * stations.count()
    # Located in the station squares, a handful (a point near a square's edge) by the
    # nearest seat within the radius, which may be a brigade's.
    above = Incident.objects.filter(unit__kind__in=[UnitKind.DETACHMENT, UnitKind.BRIGADE])
    assert above.count() <= total // 100
    first = Incident.objects.order_by("occurred_at").first()
    last = Incident.objects.order_by("-occurred_at").first()
    assert first is not None
    assert last is not None
    assert (last.occurred_at - first.occurred_at).days > 600
    assert last.occurred_at <= ctx.anchor
    by_month = dict(
        Incident.objects.annotate(m=ExtractMonth("occurred_at"))
        .values_list("m")
        .annotate(n=Count("pk"))
        .values_list("m", "n")
    )
    assert by_month[7] > by_month[3]  # the summer peak of the scenic areas
    assert AuditEvent.objects.filter(action="demo.incidents").exists()
    # Tourist seasons: the detachment's own, and scenic places with their own months.
    from liuqing.incidents import seasons
    from liuqing.incidents.demo import DETACHMENT_SEASON, PLACE_SEASONS

    root = Unit.objects.get(kind=UnitKind.DETACHMENT)
    assert seasons.season_of_unit(root) == seasons.Season(DETACHMENT_SEASON, seasons.OWN)
    places = Place.objects.filter(name__in=PLACE_SEASONS)
    assert places.count() == len(PLACE_SEASONS)
    _, of_places = seasons.seasons_for(root, list(places))
    for place in places:
        season = of_places[place.pk]
        assert season.months == PLACE_SEASONS[place.name]
        assert season.source == seasons.OWN
    assert AuditEvent.objects.filter(action="incident.season_set").count() == 1 + len(PLACE_SEASONS)


def test_the_demo_maps_show_hot_and_emerging_spots_and_a_patrolled_week() -> None:
    from liuqing.incidents.models import CellTrend, MapRun, PatrolLog, PatrolPlan, RunStatus

    steps = demo.core_and("incidents", "incident_maps")
    demo.build_demo(seed=demo.DEFAULT_SEED, scale=1, steps=steps)
    run = MapRun.objects.get()
    assert run.status == RunStatus.DONE
    assert run.maps > 0
    # A few emerging hot spots: some cell has a pattern other than "no pattern".
    import numpy as np

    from liuqing.analytics import emerging

    none = emerging.PATTERNS.index(emerging.Pattern.NO_PATTERN)
    hot_patterns = 0
    for trend in CellTrend.objects.filter(grid__run=run, category__isnull=True, reason=""):
        codes = np.frombuffer(bytes(trend.patterns), dtype="i1")
        hot_patterns += int(((codes != none) & (codes < 8)).sum())
    assert hot_patterns > 0
    assert PatrolPlan.objects.exists()
    assert PatrolLog.objects.exists()
