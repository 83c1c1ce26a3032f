"""Test helpers of the reception desk and talk points (importable by the permission matrix)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from liuqing.casework.testing import member_at, root_staff
from liuqing.core.models import Member, Place, PlaceKind, Role, Unit
from liuqing.reception import services
from liuqing.reception.models import ConductComplaint, TalkSession, WalkIn


def walk_in(unit: Unit, reference: str = "") -> WalkIn:
    item = services.check_in(actor=root_staff(unit), unit=unit)
    if reference:
        # The desk shows a matter's reference; a marker there lets list tests find the row.
        WalkIn.objects.filter(pk=item.pk).update(reference=reference)
    return item


def village(unit: Unit, name: str = "") -> Place:
    found, _created = Place.objects.get_or_create(
        unit=unit,
        name=name or f"{unit.name}村",
        defaults={
            "kind": PlaceKind.VILLAGE,
            "latitude": Decimal("43.920000"),
            "longitude": Decimal("81.320000"),
        },
    )
    return found


def officer(unit: Unit) -> Member:
    return member_at(unit, Role.OFFICER)


def talk_session(unit: Unit, name: str = "") -> TalkSession:
    return services.record_talk_session(
        actor=root_staff(unit),
        place=village(unit, name),
        held_on=timezone.localdate() - dt.timedelta(days=1),
        attendees=23,
        officers=[officer(unit)],
    )


def complaint_at(unit: Unit, text: str) -> ConductComplaint:
    """A complaint in `unit`'s queue, as the desk of a station below it would send it."""
    return ConductComplaint.objects.create(unit=unit, about_unit=unit, text=text)
