"""Test factories of partners and alerts, through the real services."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from liuqing.core.models import Member, Place, PlaceKind, Role, Unit
from liuqing.notify.models import Delivery
from liuqing.notify.services import deliver_due
from liuqing.partners import services
from liuqing.partners.models import Alert, AlertKind, AlertScope, Partner, PartnerGroup
from liuqing.partners.pp_views import COOKIE

_counter = iter(range(10**6))


def chief_of(unit: Unit) -> Member:
    from liuqing.core.testing import make_member

    return make_member(unit, [Role.STATION_CHIEF], f"chief_{unit.pk}_{next(_counter)}")


def make_place(unit: Unit, name: str = "幸福村", lat: float = 43.91, lon: float = 81.32) -> Place:
    return Place.objects.create(
        unit=unit,
        name=name,
        kind=PlaceKind.VILLAGE,
        latitude=Decimal(str(lat)),
        longitude=Decimal(str(lon)),
    )


def make_group(unit: Unit, name: str = "出租车司机群", actor: Member | None = None) -> PartnerGroup:
    return services.create_group(actor=actor or chief_of(unit), unit=unit, name=name)


def phone_number() -> str:
    return f"+86139{next(_counter):08d}"


def make_partner(
    group: PartnerGroup,
    *,
    name: str = "王师傅",
    phone: str = "",
    place: Place | None = None,
    language: str = "zh-hans",
    channels: tuple[str, ...] = ("sms",),
    email: str = "",
) -> Partner:
    return services.join_group(
        invite_code=group.invite_code,
        display_name=name,
        kind="taxi",
        phone=phone or phone_number(),
        place=place.pk if place else None,
        consent=True,
        language=language,
        channels=channels,
        email=email,
    )


def alert_input(**overrides: Any) -> services.AlertInput:
    data: dict[str, Any] = {
        "kind": AlertKind.LIVESTOCK,
        "scope": AlertScope.RESTRICTED,
        "expires_at": timezone.now() + dt.timedelta(days=1),
        "texts": {
            "zh-hans": ("走失羊群", "30只羊从夏牧场走失", "发现请报告"),
            "ug": ("يۈتكەن قوي", "30 قوي يۈتتى", "كۆرسىڭىز خەۋەر قىلىڭ"),
        },
        "groups": [],
        "places": [],
    }
    data.update(overrides)
    return services.AlertInput(**data)


def issued_alert(unit: Unit, actor: Member | None = None, **overrides: Any) -> Alert:
    actor = actor or chief_of(unit)
    alert = services.save_alert(actor=actor, unit=unit, data=alert_input(**overrides))
    return services.issue_alert(actor=actor, alert=alert)


def last_sign_in_code(partner: Partner) -> str:
    """The six digits of the latest sign-in code sent to `partner` (read from its outbox row)."""
    row = (
        Delivery.objects.filter(recipient=partner.recipient, kind="partner_code")
        .order_by("-pk")
        .first()
    )
    assert row is not None
    found = re.search(r"(?<!\d)\d{6}(?!\d)", row.subject)
    assert found is not None
    return found.group(0)


def sign_in_client(partner: Partner, client: Client | None = None) -> Client:
    """A client signed in as `partner`, through the real code flow (the code is read from
    the outbox row that carries it)."""
    client = client or Client()
    from liuqing.core import pii

    phone = pii.plain(partner.phone)
    services.request_sign_in_code(phone=phone)
    _partner, token = services.sign_in(phone=phone, code=last_sign_in_code(partner))
    client.cookies[COOKIE] = token
    return client


def deliver_all() -> None:
    deliver_due(limit=100000)
