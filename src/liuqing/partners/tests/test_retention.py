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
from liuqing.core.models import AuditEvent
from liuqing.core.testing import World
from liuqing.notify.models import Delivery, DeliveryStatus
from liuqing.partners import services
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
