"""The engine's own target kind: core's places (villages, communities, markets, ...)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.core import access
from liuqing.core.models import Member, Place
from liuqing.visits.targets import Target, TargetKind, register

PLACE = "place"
CHOICES_MAX = 500


def _resolve(member: Member, pk: int) -> Target:
    place = access.access(member, Place.objects.select_related("unit"), "place", pk)
    return Target(unit=place.unit, title=place.name)


def _choices(member: Member) -> list[tuple[int, str]]:
    qs = access.scope(Place.objects.filter(is_active=True), member, "place")
    return [(p.pk, p.name) for p in qs.order_by("name")[:CHOICES_MAX]]


register(TargetKind(key=PLACE, label=_("Place"), resolve=_resolve, choices=_choices))
