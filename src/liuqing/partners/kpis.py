"""The partner figures for the dashboard (formulas in liuqing.analytics.partners), computed
from records through the member's scope, registered with core.figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from liuqing.analytics import partners as formulas
from liuqing.analytics.rates import Average
from liuqing.core import access
from liuqing.core.access import VIEW, NotFound
from liuqing.core.figures import FigureSection, Reading, register
from liuqing.core.models import Member, Unit
from liuqing.notify.models import Delivery, DeliveryStatus
from liuqing.partners.models import Alert, AlertStatus, Partner, PartnerGroup
from liuqing.partners.policies import ALERT


def _epochs(values: Sequence[dt.datetime | None]) -> np.ndarray:  # type: ignore[type-arg]
    return np.array([v.timestamp() if v is not None else np.nan for v in values], dtype=np.float64)


def compute(
    member: Member, unit: Unit, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> list[Reading]:
    if not access.can(member, ALERT, VIEW):
        return []
    if not access.in_jurisdiction(member, unit):
        raise NotFound
    where = access.subtree_q(unit, "unit__path")
    partners = list(Partner.objects.filter(where).values_list("created_at", "left_at"))
    groups = list(
        PartnerGroup.objects.filter(where, is_active=True).values_list("created_at", flat=True)
    )
    alerts = list(
        Alert.objects.filter(where, issued_at__isnull=False, issued_at__lt=end).values_list(
            "pk", "issued_at", "closed_at", "status"
        )
    )
    issued = _epochs([a[1] for a in alerts])
    resolved = _epochs([a[2] if a[3] == AlertStatus.RESOLVED else None for a in alerts])
    in_period = [f"alert:{a[0]}" for a in alerts if start <= a[1] < end]
    counts = (
        dict(
            Delivery.objects.filter(topic__in=in_period, kind="alert", created_at__lte=as_of)
            .values_list("status")
            .annotate(
                n=Count("pk", filter=Q(status__in=[DeliveryStatus.SENT, DeliveryStatus.DEAD]))
            )
            .values_list("status", "n")
        )
        if in_period
        else {}
    )
    median = formulas.median_hours(issued, resolved, start.timestamp(), min(end, as_of).timestamp())
    return [
        Reading(
            "partners_active",
            _("Partners active"),
            formulas.active_count(
                _epochs([p[0] for p in partners]),
                _epochs([p[1] for p in partners]),
                as_of.timestamp(),
            ),
        ),
        Reading(
            "groups_active",
            _("Partner groups"),
            formulas.active_count(_epochs(groups), np.full(len(groups), np.nan), as_of.timestamp()),
        ),
        Reading(
            "alerts_issued",
            _("Alerts issued"),
            formulas.issued_count(issued, start.timestamp(), end.timestamp()),
        ),
        Reading(
            "delivery_success",
            _("Delivery success rate"),
            formulas.delivery_success(
                counts.get(DeliveryStatus.SENT, 0), counts.get(DeliveryStatus.DEAD, 0)
            ),
            rise_is_good=True,
        ),
        # The registry has no median type: the median travels as an Average of one value.
        Reading(
            "median_resolution_hours",
            _("Median hours from alert to resolution"),
            Average(median, 1) if median is not None else None,
            rise_is_good=False,
        ),
    ]


def _visible(member: Any) -> bool:
    return access.can(member, ALERT, VIEW)


register(
    FigureSection(
        key="partners",
        qing="ganqing",
        label=_("Safety partners and alerts"),
        compute=compute,
        visible=_visible,
        order=10,
    )
)
