"""The partners demo step: groups for every station, partners, and past alerts with valid CAP
versions, sent deliveries, acknowledgements and sightings; a lost child found in hours."""

from __future__ import annotations

import pytest

from liuqing.core import demo
from liuqing.core.models import Unit, UnitKind
from liuqing.notify.models import Delivery, DeliveryStatus
from liuqing.partners import cap
from liuqing.partners.models import Alert, AlertKind, AlertStatus, AlertVersion, PartnerGroup, Reply
from liuqing.partners.selectors import time_to_resolution

pytestmark = pytest.mark.django_db


def test_the_demo_has_partner_groups_and_past_alerts() -> None:
    ctx = demo.build_demo(seed=demo.DEFAULT_SEED, scale=1, steps=demo.core_and("partners"))
    stations = Unit.objects.filter(kind=UnitKind.STATION)
    assert PartnerGroup.objects.values("unit").distinct().count() == stations.count()
    assert ctx.counts["partners"] > 0
    assert Alert.objects.count() == ctx.counts["alerts"] >= 10
    for version in AlertVersion.objects.all()[:20]:
        assert cap.validate(version.xml.encode()) == []
    found = Alert.objects.filter(kind=AlertKind.MISSING_PERSON, status=AlertStatus.RESOLVED).first()
    assert found is not None
    took = time_to_resolution(found)
    assert took is not None
    assert took.total_seconds() < 5 * 3600
    assert Delivery.objects.filter(kind="alert", status=DeliveryStatus.SENT).exists()
    assert Reply.objects.filter(kind="sighting").exists()
