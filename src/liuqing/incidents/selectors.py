"""Reads of incidents, always through the acting member's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from liuqing.core import access
from liuqing.core.access import AccessDenied
from liuqing.core.models import Member, Unit
from liuqing.incidents.models import CategoryMapping, Incident, IncidentCategory
from liuqing.incidents.policies import INCIDENT, INCIDENT_CATEGORY, INCIDENT_CATEGORY_SET


@dataclass(frozen=True)
class IncidentFilters:
    category: IncidentCategory | None = None
    unit: Unit | None = None  # this unit and everything below it
    occurred_from: dt.date | None = None
    occurred_to: dt.date | None = None  # inclusive


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def incidents_visible_to(
    member: Member, filters: IncidentFilters | None = None
) -> QuerySet[Incident]:
    """Incidents of the member's jurisdiction (none for roles without the ledger), newest
    first, narrowed by `filters` (the list page and the API share them). AccessDenied for
    roles that do not see the ledger."""
    if not access.can(member, INCIDENT, access.VIEW):
        raise AccessDenied
    qs = access.scope(
        Incident.objects.select_related("category", "unit"), member, INCIDENT
    ).order_by("-occurred_at", "-pk")
    f = filters or IncidentFilters()
    if f.category is not None:
        qs = qs.filter(category=f.category)
    if f.unit is not None:
        qs = qs.filter(access.subtree_q(f.unit, "unit__path"))
    if f.occurred_from is not None:
        qs = qs.filter(occurred_at__gte=_day_start(f.occurred_from))
    if f.occurred_to is not None:
        qs = qs.filter(occurred_at__lt=_day_start(f.occurred_to + dt.timedelta(days=1)))
    return qs


def access_incident(member: Member, pk: Any) -> Incident:
    """One incident: 404 outside the jurisdiction, 403 for roles without the ledger."""
    return access.access(
        member, Incident.objects.select_related("category", "unit", "import_run"), INCIDENT, pk
    )


def categories(active: bool | None = True) -> QuerySet[IncidentCategory]:
    qs = IncidentCategory.objects.order_by("order", "code")
    return qs if active is None else qs.filter(is_active=active)


def category_set_visible_to(member: Member) -> QuerySet[IncidentCategory]:
    """Every category, active or disabled, in their order, for the category settings."""
    if not access.can(member, INCIDENT_CATEGORY_SET, access.VIEW):
        raise AccessDenied
    return categories(active=None)


def category_mappings_visible_to(member: Member) -> QuerySet[CategoryMapping]:
    if not access.can(member, INCIDENT_CATEGORY, access.VIEW):
        raise AccessDenied
    return CategoryMapping.objects.select_related("category").order_by(
        "source_system", "source_text"
    )
