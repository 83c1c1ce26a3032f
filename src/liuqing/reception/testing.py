"""Test helpers of the reception desk and talk points (importable by the permission matrix)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from liuqing.casework.testing import member_at, root_staff
from liuqing.core import services as core_services
from liuqing.core.models import Member, Place, PlaceKind, Role, SensitiveGrant, Unit, UnitKind
from liuqing.reception import services
from liuqing.reception.models import (
    LABEL_OF,
    ConductComplaint,
    ReportKind,
    RestrictedReport,
    TalkSession,
    WalkIn,
)


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


def complaint_at(unit: Unit, text: str, about: Unit | None = None) -> ConductComplaint:
    """A complaint in `unit`'s queue, as the desk of a station below it would send it: about
    `about`, by default the first unit below `unit` (a grid made for it if there is none).
    Never about `unit` itself unless asked: its own staff would not see it."""
    if about is None:
        about = Unit.objects.filter(parent=unit).order_by("path").first() or grid_named(
            unit, f"{unit.code}被投诉"[:32]
        )
    return ConductComplaint.objects.create(unit=unit, about_unit=about, text=text)


def grid_named(unit: Unit, name: str) -> Unit:
    """A grid below `unit` called `name` (a complaint's list shows the unit it is about,
    never its text, so the matrix puts its marker there)."""
    return core_services.create_unit(
        actor=None, code=f"{unit.code}-{name}"[:32], name=name, kind=UnitKind.GRID, parent=unit
    )


def grant(member: Member, *labels: str) -> Member:
    """Give `member` the grants for `labels`, through the real service (a detachment-staff
    member at the root grants them)."""
    granter = member_at(root_staff(member.unit).unit, Role.DETACHMENT_STAFF, "granter")
    for label in labels:
        if not SensitiveGrant.objects.filter(
            member=member, label=label, revoked_at__isnull=True
        ).exists():
            core_services.grant_sensitive(actor=granter, member=member, label=label)
    member.__dict__.pop("_label_cache", None)
    return member


def report_at(unit: Unit, text: str, kind: str = ReportKind.DOMESTIC_VIOLENCE) -> RestrictedReport:
    """A restricted report of `kind` at `unit`, as the desk would record it."""
    return RestrictedReport.objects.create(
        unit=unit, kind=kind, label=LABEL_OF[ReportKind(kind)], text=text
    )
