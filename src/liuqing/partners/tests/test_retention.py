"""Retention of safety partners: a year (LIUQING_RETENTION_DAYS "partners.partner") after a
partner left, or was last in a group, their personal data and what they reported are erased;
the rows stay, so the figures do not change."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from PIL import Image

from liuqing.core import pii, retention
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World
from liuqing.notify.models import Delivery, DeliveryStatus
from liuqing.partners import selectors, services
from liuqing.partners.models import (
    Membership,
    Partner,
    PartnerSession,
    PartnerStatus,
    Reply,
    SignInCode,
)
from liuqing.partners.testing import (
    deliver_all,
    issued_alert,
    make_group,
    make_partner,
    make_place,
    sign_in_client,
)

pytestmark = pytest.mark.django_db
RULE = "partners.partner"


def raw(partner: Partner) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT display_name, phone, phone_index, email, channels, place_id, status"
            " FROM partners_partner WHERE id = %s",
            [partner.pk],
        )
        return tuple(cursor.fetchone())


def png() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


def test_partners_who_left_or_are_in_no_group_are_erased_after_the_period(
    world: World, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    unit = world.units["S1"]
    village = make_place(unit)
    group = make_group(unit)
    left = make_partner(group, name="马阿訇", phone="13800138001", place=village, email="m@x.org")
    groupless = make_partner(group, name="李老板", phone="13800138002", place=village)
    stays = make_partner(group, name="王师傅", phone="13800138003", place=village)
    alert = issued_alert(unit, groups=[group])
    deliver_all()
    sighting = services.report_sighting(
        partner=left,
        alert=alert,
        text="马阿訇在东门看见孩子",
        latitude=43.9,
        longitude=81.3,
        photo=png(),
    )
    photo = sighting.photo.name
    services.acknowledge(partner=left, alert=alert)
    sign_in_client(groupless)
    services.set_partner_status(partner=left, status=PartnerStatus.LEFT)
    services.leave_group(partner=groupless, group=group)
    # An alert aimed at the village still reaches the groupless partner until the purge.
    queued = issued_alert(unit, places=[village])
    assert Delivery.objects.filter(
        topic=queued.topic, recipient=groupless.recipient, status=DeliveryStatus.PENDING
    ).exists()
    assert default_storage.exists(photo)

    assert retention.due()[RULE] == 0  # within the period
    later = timezone.now() + dt.timedelta(days=366)
    assert retention.due(later)[RULE] == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.purge_expired(later)[RULE] == 2

    for partner in (left, groupless):
        assert raw(partner) == (f"#{partner.pk}", "", "", "", "", None, PartnerStatus.LEFT)
        partner.refresh_from_db()
        assert partner.purged_at is not None
        assert partner.left_at is not None
    assert services._partner_by_phone("13800138002") is None
    sighting.refresh_from_db()
    assert (sighting.text, sighting.latitude, sighting.longitude, sighting.photo.name) == (
        "",
        None,
        None,
        "",
    )
    assert not default_storage.exists(photo)
    assert not SignInCode.objects.filter(partner=groupless).exists()
    assert not PartnerSession.objects.filter(partner=groupless).exists()
    assert not Delivery.objects.filter(
        recipient=groupless.recipient, status=DeliveryStatus.PENDING
    ).exists()
    # The rows stay: the figures count what happened.
    assert Reply.objects.filter(partner=left).count() == 2
    assert Membership.objects.filter(partner__in=[left, groupless]).count() == 2
    assert Partner.objects.count() == 3
    # The one still in a group keeps everything.
    assert raw(stays)[0] == "王师傅"
    stays.refresh_from_db()
    assert pii.plain(stays.phone) == "+8613800138003"
    # The audit has the ids, never the data; a second run finds nothing.
    event = AuditEvent.objects.get(action=retention.PURGE_ACTION, object_type=RULE)
    details = json.loads(event.details)
    assert sorted(details["ids"]) == sorted([str(left.pk), str(groupless.pk)])
    assert details["days"] == 365
    assert "马" not in event.details
    assert "李" not in event.details
    assert retention.purge_expired(later)[RULE] == 0


def test_leaving_recently_or_joining_again_keeps_the_data(world: World, settings: Any) -> None:
    unit = world.units["S1"]
    first, second = make_group(unit, "一群"), make_group(unit, "二群")
    back = make_partner(first)
    services.leave_group(partner=back, group=first)
    services.join_with_code(partner=back, invite_code=second.invite_code)
    recent = make_partner(first)
    services.leave_group(partner=recent, group=first)
    later = timezone.now() + dt.timedelta(days=366)
    # Left a group a year before `later`'s cutoff would be, but a later membership is current.
    assert set(retention.RULES[RULE].expired(retention.RULES[RULE].cutoff(later))) == {recent}
    # A membership ended after the cutoff keeps it; so does a longer configured period.
    Membership.objects.filter(partner=recent).update(left_at=later - dt.timedelta(days=10))
    assert retention.due(later)[RULE] == 0
    Membership.objects.filter(partner=recent).update(left_at=timezone.now())
    settings.LIUQING_RETENTION_DAYS = {RULE: 400}
    assert retention.due(later)[RULE] == 0
    assert retention.due(later + dt.timedelta(days=40))[RULE] == 1


def test_the_partner_list_and_api_say_when_the_data_will_be_erased(world: World) -> None:
    from django.test import Client

    from liuqing.core import services as core_services
    from liuqing.core.testing import login_verified
    from liuqing.partners import retention as partner_retention

    unit = world.units["S1"]
    group = make_group(unit)
    member = make_partner(group, name="在群里")
    groupless = make_partner(group, name="退群者")
    erased = make_partner(group, name="早已离开")
    services.leave_group(partner=groupless, group=group)
    services.set_partner_status(partner=erased, status=PartnerStatus.LEFT)
    left_at = Membership.objects.get(partner=groupless).left_at
    assert left_at is not None
    Partner.objects.filter(pk=erased.pk).update(
        created_at=timezone.now() - dt.timedelta(days=800),
        left_at=timezone.now() - dt.timedelta(days=400),
    )
    Membership.objects.filter(partner=erased).update(
        left_at=timezone.now() - dt.timedelta(days=400)
    )
    assert retention.purge_expired()[RULE] == 1

    rule = retention.RULES[RULE]
    rows = {p.pk: p for p in partner_retention.with_erase_dates(Partner.objects.all())}
    due = partner_retention.erase_after(rows[groupless.pk])
    assert due == left_at + dt.timedelta(days=365)
    # The date shown is the rule's own: not expired a second before it, expired after it.
    assert groupless not in rule.expired(rule.cutoff(due - dt.timedelta(seconds=1)))
    assert groupless in rule.expired(rule.cutoff(due + dt.timedelta(seconds=1)))
    assert partner_retention.erase_after(rows[member.pk]) is None  # in a group: no date
    assert partner_retention.erase_after(rows[erased.pk]) is None  # erased already

    chief = world.persona(Role.STATION_CHIEF)
    page = login_verified(Client(), chief).get("/partners/").content.decode()
    assert f"will be erased after {timezone.localtime(due):%Y-%m-%d}" in page
    assert f"erased on {timezone.localdate():%Y-%m-%d}" in page
    assert page.count("will be erased after") == 1

    _token, secret = core_services.create_api_token(actor=chief, name="t")
    listed = Client().get("/api/v1/partners/partners", HTTP_AUTHORIZATION=f"Bearer {secret}")
    items = {item["id"]: item for item in listed.json()["items"]}
    assert items[member.pk]["erase_after"] is None
    shown = dt.datetime.fromisoformat(items[groupless.pk]["erase_after"])
    assert abs(shown - due) < dt.timedelta(milliseconds=1)  # the API gives milliseconds
    assert items[erased.pk]["erase_after"] is None
    assert items[erased.pk]["purged_at"] is not None


def test_the_erase_date_is_the_period_after_the_latest_of_joining_and_leaving(
    world: World, settings: Any
) -> None:
    from liuqing.partners.retention import with_erase_dates

    settings.LIUQING_RETENTION_DAYS = {RULE: 30}
    partner = make_partner(make_group(world.units["S1"]))
    joined = partner.created_at

    def erase_after() -> dt.datetime | None:
        return with_erase_dates(Partner.objects.filter(pk=partner.pk)).get().erase_after

    assert erase_after() is None  # in a group
    Membership.objects.filter(partner=partner).update(left_at=joined + dt.timedelta(days=2))
    assert erase_after() == joined + dt.timedelta(days=32)
    Partner.objects.filter(pk=partner.pk).update(left_at=joined + dt.timedelta(days=5))
    assert erase_after() == joined + dt.timedelta(days=35)
    Partner.objects.filter(pk=partner.pk).update(left_at=None)
    Membership.objects.filter(partner=partner).update(left_at=joined - dt.timedelta(days=1))
    assert erase_after() == joined + dt.timedelta(days=30)
    # The staff list and the API read the same annotation.
    assert selectors.partners_visible_to(world.persona(Role.STATION_CHIEF)).get(
        pk=partner.pk
    ).erase_after == joined + dt.timedelta(days=30)
