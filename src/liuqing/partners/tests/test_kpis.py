"""The partner figures against a hand-counted fixture, and the pure formulas."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pytest
from django.utils import timezone

from liuqing.analytics import partners as formulas
from liuqing.analytics.rates import Average, Rate
from liuqing.core.access import NotFound
from liuqing.core.figures import section, sections_for
from liuqing.core.models import Role
from liuqing.core.testing import World
from liuqing.notify.models import Delivery, DeliveryStatus
from liuqing.partners import services
from liuqing.partners.models import Alert, AlertKind, PartnerStatus
from liuqing.partners.testing import chief_of, deliver_all, issued_alert, make_group, make_partner

pytestmark = pytest.mark.django_db


def test_the_formulas() -> None:
    nan = np.nan
    # Registered at 0 (still in), at 10 (left at 15), at 20 (not yet): one as of 16.
    assert formulas.active_count([0, 10, 20], [nan, 15, nan], 16) == 1
    assert formulas.issued_count([5, 10, 20], 5, 20) == 2
    assert formulas.delivery_success(9, 1) == Rate(9, 10)
    assert formulas.delivery_success(0, 0).value is None
    # Resolved in [0, 100000): 3 h and 5 h → median 4 h; the one resolved later is outside.
    assert formulas.median_hours([0, 0, 0], [3 * 3600, 5 * 3600, 200000], 0, 100000) == Fraction(4)
    assert formulas.median_hours([0], [nan], 0, 10) is None


def test_the_partner_figures_of_a_station(world: World) -> None:
    unit = world.units["S1"]
    chief = chief_of(unit)
    group = make_group(unit)
    make_group(world.units["S2"])  # a sibling station's group: not counted
    a = make_partner(group)
    make_partner(group)
    gone = make_partner(group)
    services.set_partner_status(partner=gone, status=PartnerStatus.LEFT)
    start = timezone.now() - dt.timedelta(days=1)
    first = issued_alert(unit, actor=chief, groups=[group], kind=AlertKind.MISSING_PERSON)
    second = issued_alert(unit, actor=chief, groups=[group])
    # 2 partners × (app, SMS) per alert: the app rows sent, the SMS rows dead (no gateway).
    deliver_all()
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 4
    assert Delivery.objects.filter(status=DeliveryStatus.DEAD).count() == 4
    Alert.objects.filter(pk=first.pk).update(issued_at=timezone.now() - dt.timedelta(hours=2))
    services.resolve_alert(actor=chief, alert=first, note="找到了")
    services.cancel_alert(actor=chief, alert=second, note="误报")
    end = timezone.now() + dt.timedelta(minutes=1)
    readings = {
        r.key: r.value
        for r in section("partners").compute(
            world.persona(Role.STATION_CHIEF), unit, start, end, end
        )
    }
    assert readings["partners_active"] == 2  # three joined, one left
    assert readings["groups_active"] == 1
    assert readings["alerts_issued"] == 2
    # v1 of both alerts: 4 app rows sent, 4 SMS dead; the Cancel versions' 8 rows are still
    # pending, not yet an outcome: 4 ÷ 8.
    assert readings["delivery_success"] == Rate(4, 8)
    median = readings["median_resolution_hours"]
    assert isinstance(median, Average)
    assert median.value is not None
    assert Fraction(199, 100) < median.value < Fraction(201, 100)
    with pytest.raises(NotFound):
        section("partners").compute(
            world.persona(Role.STATION_CHIEF), world.units["S3"], start, end, end
        )
    assert "partners" in [s.key for s in sections_for(world.persona(Role.STATION_CHIEF))]
    assert "partners" not in [s.key for s in sections_for(world.persona(Role.SYSADMIN))]
    assert a.pk
