"""Partners and alerts through their services: joining, codes, alerts from draft to
resolution, targeting, deliveries written with the version, replies and tips."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from liuqing.core import pii
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World, make_member
from liuqing.notify.models import Channel, Delivery, DeliveryStatus
from liuqing.notify.services import deliver_due
from liuqing.partners import cap, services
from liuqing.partners.models import (
    Alert,
    AlertKind,
    AlertScope,
    AlertStatus,
    Membership,
    MsgType,
    Partner,
    PartnerSession,
    PartnerStatus,
    Reply,
)
from liuqing.partners.testing import (
    alert_input,
    chief_of,
    deliver_all,
    issued_alert,
    make_group,
    make_partner,
    make_place,
)

pytestmark = pytest.mark.django_db


def six_digits(text: str) -> str:
    found = re.search(r"(?<!\d)\d{6}(?!\d)", text)
    assert found is not None
    return found.group(0)


def test_a_group_gets_an_invite_code_and_joining_registers_a_partner(world: World) -> None:
    group = make_group(world.units["S1"])
    assert len(group.invite_code) == 8
    partner = make_partner(group, phone="13800138000", name="李老板")
    assert partner.unit == world.units["S1"]
    assert pii.plain(partner.phone) == "+8613800138000"
    assert Membership.objects.filter(partner=partner, group=group, left_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="partner.join").exists()


def test_joining_a_second_group_with_the_same_phone_keeps_one_registration(world: World) -> None:
    a, b = make_group(world.units["S1"], "A"), make_group(world.units["S1"], "B")
    first = make_partner(a, phone="13800138000")
    second = make_partner(
        b, phone="138 0013 8000", language="ug", channels=("email",), email="x@evil.example"
    )
    assert first.pk == second.pk
    second.refresh_from_db()
    # Typing a registered number changes nothing about its registration.
    assert (second.language, second.channels, pii.plain(second.email)) == ("zh-hans", "sms", "")
    assert Partner.objects.count() == 1
    assert Membership.objects.filter(partner=first).count() == 2


def test_a_wrong_invite_code_and_bad_fields_are_field_errors_and_nothing_is_written(
    world: World,
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.join_group(
            invite_code="NOPE1234",
            display_name="",
            kind="spy",
            phone="12",
            place=None,
            consent=False,
            channels=["pigeon"],
        )
    fields = caught.value.message_dict
    assert {"invite_code", "consent", "display_name", "kind", "phone", "channels"} <= set(fields)
    assert not Partner.objects.exists()


def test_a_renewed_invite_code_retires_the_old_one(world: World) -> None:
    group = make_group(world.units["S1"])
    old = group.invite_code
    services.renew_invite_code(actor=world.persona(Role.STATION_CHIEF), group=group)
    assert services.group_by_code(old) is None
    assert services.group_by_code(group.invite_code.lower()) == group


def test_only_sergeants_and_chiefs_of_the_jurisdiction_run_groups(world: World) -> None:
    with pytest.raises(AccessDenied):
        services.create_group(actor=world.persona(Role.OFFICER), unit=world.units["S1"], name="x")
    with pytest.raises(NotFound):
        services.create_group(
            actor=world.persona(Role.STATION_CHIEF), unit=world.units["S2"], name="x"
        )


def test_a_webhook_or_dingtalk_bot_needs_its_signing_secret_a_wecom_bot_none(
    world: World,
) -> None:
    from liuqing.notify.models import Endpoint

    chief, group = world.persona(Role.STATION_CHIEF), make_group(world.units["S1"])
    for channel in (Channel.WEBHOOK, Channel.DINGTALK):
        for secret in ("", "   "):
            with pytest.raises(ValidationError) as caught:
                services.add_group_endpoint(
                    actor=chief,
                    group=group,
                    channel=channel,
                    name="bot",
                    url="https://example.org/hook",
                    secret=secret,
                )
            assert set(caught.value.message_dict) == {"secret"}
    assert not Endpoint.objects.exists()
    assert not group.endpoints.exists()
    signed = services.add_group_endpoint(
        actor=chief,
        group=group,
        channel=Channel.DINGTALK,
        name="钉钉群",
        url="https://oapi.dingtalk.com/robot/send?access_token=T",
        secret="SEC",
    )
    wecom = services.add_group_endpoint(
        actor=chief,
        group=group,
        channel=Channel.WECOM,
        name="企业微信群",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K",
    )
    assert Endpoint.objects.get(pk=signed.pk).secret.reveal() == "SEC"
    assert set(group.endpoints.all()) == {signed, wecom}


def test_sign_in_needs_the_code_sent_through_the_partners_channel(world: World) -> None:
    partner = make_partner(make_group(world.units["S1"]), phone="13800138000")
    services.request_sign_in_code(phone="13800138000")
    row = Delivery.objects.get(recipient=partner.recipient, kind="partner_code")
    assert row.channel == Channel.SMS
    code = six_digits(row.subject)
    with pytest.raises(ValidationError):
        services.sign_in(phone="13800138000", code="000000" if code != "000000" else "111111")
    signed, token = services.sign_in(phone="13800138000", code=code)
    assert signed == partner
    assert services.partner_for_token(token) == partner
    with pytest.raises(ValidationError):
        services.sign_in(phone="13800138000", code=code)  # used once
    services.sign_out(token=token)
    assert services.partner_for_token(token) is None


def test_five_wrong_codes_spend_it(world: World) -> None:
    make_partner(make_group(world.units["S1"]), phone="13800138000")
    services.request_sign_in_code(phone="13800138000")
    row = Delivery.objects.get(kind="partner_code")
    code = six_digits(row.subject)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _i in range(5):
        with pytest.raises(ValidationError):
            services.sign_in(phone="13800138000", code=wrong)
    with pytest.raises(ValidationError):
        services.sign_in(phone="13800138000", code=code)


def test_an_unknown_number_gets_nothing_and_no_hint(world: World) -> None:
    services.request_sign_in_code(phone="13900000000")
    services.request_sign_in_code(phone="garbage")
    assert not Delivery.objects.exists()


def test_leaving_erases_contact_and_ends_sessions(world: World) -> None:
    partner = make_partner(
        make_group(world.units["S1"]), phone="13800138000", email="a@example.org"
    )
    PartnerSession.objects.create(
        partner=partner, digest="x", expires_at=timezone.now() + dt.timedelta(days=1)
    )
    services.set_partner_status(partner=partner, status=PartnerStatus.LEFT)
    partner.refresh_from_db()
    assert pii.plain(partner.phone) == ""
    assert pii.plain(partner.email) == ""
    assert partner.phone_index == ""
    assert not PartnerSession.objects.filter(ended_at__isnull=True).exists()
    assert not Membership.objects.filter(left_at__isnull=True).exists()


# --- Alerts ----------------------------------------------------------------------------------


def test_an_alert_without_an_area_or_expiry_is_refused(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    with pytest.raises(ValidationError) as caught:
        services.save_alert(actor=chief, unit=world.units["S1"], data=alert_input(expires_at=None))
    assert {"area", "expires_at"} <= set(caught.value.message_dict)
    assert not Alert.objects.exists()


def test_an_open_polygon_and_a_bad_circle_are_field_errors(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    with pytest.raises(ValidationError) as caught:
        services.save_alert(
            actor=chief,
            unit=world.units["S1"],
            data=alert_input(
                polygon="43.9,81.3 43.95,81.3 43.95,81.35 43.9,81.35", circle="43.9 81.3"
            ),
        )
    errors = caught.value.message_dict
    assert "not closed" in errors["polygon"][0]
    assert "circle" in errors
    assert not Alert.objects.exists()


def test_the_chinese_text_is_required(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.save_alert(
            actor=world.persona(Role.STATION_CHIEF),
            unit=world.units["S1"],
            data=alert_input(texts={"ug": ("a", "b", "")}, circle="43.9,81.3 5"),
        )
    assert "headline_zh-hans" in caught.value.message_dict


def test_issuing_writes_a_valid_cap_version_and_every_delivery_in_one_go(world: World) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    a = make_partner(group, channels=("sms",))
    b = make_partner(group, channels=("sms", "email"), email="b@example.org", language="ug")
    make_partner(make_group(world.units["S2"]))  # another station's partner: not targeted
    alert = issued_alert(unit, groups=[group])
    assert alert.status == AlertStatus.ISSUED
    version = alert.versions.get()
    assert version.msg_type == MsgType.ALERT
    assert cap.validate(version.xml.encode()) == []
    rows = Delivery.objects.filter(topic=alert.topic)
    assert {(d.recipient, d.channel) for d in rows} == {
        (a.recipient, Channel.INAPP),
        (a.recipient, Channel.SMS),
        (b.recipient, Channel.INAPP),
        (b.recipient, Channel.SMS),
        (b.recipient, Channel.EMAIL),
    }
    assert rows.get(recipient=b.recipient, channel=Channel.INAPP).subject == "يۈتكەن قوي"
    assert all(d.expires_at == alert.expires_at for d in rows)


def test_each_partner_gets_a_message_per_channel_and_each_group_bot_one(world: World) -> None:
    from liuqing.notify.models import Endpoint

    unit = world.units["S1"]
    group = make_group(unit)
    gateway = Endpoint.objects.create(channel=Channel.SMS, name="gw", url="https://sms.example")
    bot = services.add_group_endpoint(
        actor=world.persona(Role.STATION_CHIEF),
        group=group,
        channel=Channel.WECOM,
        name="企业微信群",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K",
    )
    a = make_partner(group, channels=("sms",))
    b = make_partner(group, channels=("sms", "email"), email="b@example.org", language="ug")
    alert = issued_alert(unit, groups=[group], scope="Public")
    version = alert.versions.get()
    rows = Delivery.objects.filter(topic=alert.topic)
    assert sorted((d.recipient, d.channel, d.endpoint_id or 0) for d in rows) == sorted(
        [
            (a.recipient, Channel.INAPP, 0),
            (a.recipient, Channel.SMS, gateway.pk),
            (b.recipient, Channel.INAPP, 0),
            (b.recipient, Channel.SMS, gateway.pk),
            (b.recipient, Channel.EMAIL, 0),
            (f"endpoint:{bot.pk}", Channel.WECOM, bot.pk),
        ]
    )
    # What all share: the kind, the version's key, the expiry, no member.
    assert {(d.kind, d.dedupe_key, d.expires_at, d.member_id) for d in rows} == {
        ("alert", f"alert:{alert.pk}:v{version.number}", alert.expires_at, None)
    }
    # Partners follow the link to their page; a group bot gets the public CAP message's.
    partners_rows = rows.exclude(endpoint_id=bot.pk)
    assert {d.link for d in partners_rows} == {services.partner_link(alert)}
    assert rows.get(endpoint_id=bot.pk).link == services.public_cap_url(alert, version.identifier)
    assert {d.subject for d in rows.filter(recipient=b.recipient)} == {"يۈتكەن قوي"}
    assert (
        rows.get(endpoint_id=bot.pk).subject
        == rows.get(recipient=a.recipient, channel="sms").subject
    )


def test_targeting_by_place_radius_and_polygon(world: World) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    near = make_place(unit, "近村", 43.90, 81.30)
    far = make_place(world.units["C1"], "远村", 44.50, 82.00)
    p_near = make_partner(group, place=near)
    p_far = make_partner(group, place=far)
    by_place = services.recipients(issued_alert(unit, places=[far]))
    assert [p[0] for p in by_place.partners] == [p_far.pk]
    by_circle = services.recipients(issued_alert(unit, circle="43.91,81.31 5"))
    assert [p[0] for p in by_circle.partners] == [p_near.pk]
    square = "44.4,81.9 44.6,81.9 44.6,82.1 44.4,82.1 44.4,81.9"
    by_polygon = services.recipients(issued_alert(unit, polygon=square))
    assert [p[0] for p in by_polygon.partners] == [p_far.pk]


def test_paused_partners_and_left_members_get_nothing(world: World) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    paused = make_partner(group)
    gone = make_partner(group)
    stays = make_partner(group)
    services.set_partner_status(partner=paused, status=PartnerStatus.PAUSED)
    services.leave_group(partner=gone, group=group)
    assert [p[0] for p in services.recipients(issued_alert(unit, groups=[group])).partners] == [
        stays.pk
    ]


def test_pausing_withdraws_queued_alerts_but_not_sign_in_codes(world: World) -> None:
    from liuqing.notify.models import Endpoint
    from liuqing.notify.testing import fake_server

    unit = world.units["S1"]
    group = make_group(unit)
    pauses = make_partner(group, channels=("sms", "email"), email="p@example.org")
    stays = make_partner(group)
    chief = chief_of(unit)
    with fake_server() as server:
        Endpoint.objects.create(channel=Channel.SMS, name="gw", url=server.url("/sms"))
        alert = issued_alert(unit, actor=chief, groups=[group])
        mine = Delivery.objects.filter(recipient=pauses.recipient, topic=alert.topic)
        assert mine.count() == 3  # in the app, SMS, e-mail
        services.set_partner_status(partner=pauses, status=PartnerStatus.PAUSED)
        assert set(mine.values_list("status", flat=True)) == {DeliveryStatus.SKIPPED}
        assert "paused" in mine.first().last_error  # type: ignore[union-attr]
        services.request_sign_in_code(phone=pii.plain(pauses.phone))
        deliver_all()
        sent_sms = [r.json()["PhoneNumbers"] for r in server.on("/sms")]
    assert sorted(sent_sms) == sorted(
        pii.plain(p.phone).removeprefix("+86") for p in (pauses, stays)
    )  # the code to the paused partner, the alert to the one who stayed
    code = Delivery.objects.get(recipient=pauses.recipient, kind="partner_code")
    assert code.status == DeliveryStatus.SENT
    assert (
        Delivery.objects.get(
            recipient=stays.recipient, topic=alert.topic, channel=Channel.SMS
        ).status
        == DeliveryStatus.SENT
    )
    services.update_alert(actor=chief, alert=alert, data=alert_input(groups=[group]))
    assert not Delivery.objects.filter(
        recipient=pauses.recipient, dedupe_key=f"alert:{alert.pk}:v2"
    ).exists()
    services.set_partner_status(partner=pauses, status=PartnerStatus.ACTIVE)
    again = issued_alert(unit, actor=chief, groups=[group])
    assert Delivery.objects.filter(recipient=pauses.recipient, topic=again.topic).count() == 3


def test_redrive_leaves_out_partners_who_paused_since(world: World) -> None:
    from liuqing.notify.models import Endpoint
    from liuqing.notify.testing import fake_server

    unit = world.units["S1"]
    group = make_group(unit)
    pauses, stays = make_partner(group), make_partner(group)
    chief = chief_of(unit)
    with fake_server() as server:
        server.script("/sms", (200, {"Code": "isv.AMOUNT_NOT_ENOUGH"}))
        Endpoint.objects.create(channel=Channel.SMS, name="gw", url=server.url("/sms"))
        alert = issued_alert(unit, actor=chief, groups=[group])
        deliver_all()
        dead = Delivery.objects.filter(topic=alert.topic, status=DeliveryStatus.DEAD)
        assert dead.count() == 2
        services.set_partner_status(partner=pauses, status=PartnerStatus.PAUSED)
        assert services.redrive_alert(actor=chief, alert=alert) == 1
        requeued = Delivery.objects.get(topic=alert.topic, status=DeliveryStatus.PENDING)
        assert requeued.recipient == stays.recipient
        assert dead.get().recipient == pauses.recipient


def test_missing_person_and_public_alerts_wait_for_the_chief(world: World) -> None:
    unit = world.units["S1"]
    officer = world.persona(Role.OFFICER)
    for kind, scope in (
        (AlertKind.MISSING_PERSON, AlertScope.RESTRICTED),
        (AlertKind.FRAUD, AlertScope.PUBLIC),
    ):
        draft = services.save_alert(
            actor=officer, unit=unit, data=alert_input(kind=kind, scope=scope, circle="43.9,81.3 5")
        )
        waiting = services.issue_alert(actor=officer, alert=draft)
        assert waiting.status == AlertStatus.AWAITING
        assert not waiting.versions.exists()
        issued = services.issue_alert(actor=world.persona(Role.STATION_CHIEF), alert=waiting)
        assert issued.status == AlertStatus.ISSUED
        assert issued.approved_by == world.persona(Role.STATION_CHIEF)
    plain = services.save_alert(actor=officer, unit=unit, data=alert_input(circle="43.9,81.3 5"))
    assert services.issue_alert(actor=officer, alert=plain).status == AlertStatus.ISSUED


def test_update_references_earlier_versions_and_withdraws_unsent_rows(world: World) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    make_partner(group)
    chief = chief_of(unit)
    alert = issued_alert(unit, actor=chief, groups=[group])
    pending_v1 = Delivery.objects.filter(topic=alert.topic, status=DeliveryStatus.PENDING).count()
    assert pending_v1 == 2
    services.update_alert(
        actor=chief,
        alert=alert,
        data=alert_input(groups=[group], texts={"zh-hans": ("羊群已在东沟", "更新", "")}),
        note="发现线索",
    )
    v1, v2 = alert.versions.order_by("number")
    assert v2.msg_type == MsgType.UPDATE
    assert v2.references == f"{cap.sender()},{v1.identifier},{cap.cap_time(v1.sent)}"
    assert cap.validate(v2.xml.encode()) == []
    assert (
        Delivery.objects.filter(
            topic=alert.topic, dedupe_key__endswith=":v1", status=DeliveryStatus.SKIPPED
        ).count()
        == 2
    )
    assert (
        Delivery.objects.filter(
            topic=alert.topic, dedupe_key__endswith=":v2", status=DeliveryStatus.PENDING
        ).count()
        == 2
    )


def test_cancel_tells_recipients_and_the_worker_skips_the_rest(world: World) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    make_partner(group)
    chief = chief_of(unit)
    alert = issued_alert(unit, actor=chief, groups=[group])
    services.cancel_alert(actor=chief, alert=alert, note="误报")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CANCELLED
    cancel = alert.versions.order_by("number").last()
    assert cancel is not None
    assert cancel.msg_type == MsgType.CANCEL
    assert cap.validate(cancel.xml.encode()) == []
    report = deliver_due()
    assert report.sent == 1  # the in-app cancellation notice; the SMS has no gateway yet
    assert (
        Delivery.objects.filter(dedupe_key__endswith=":v1", status=DeliveryStatus.SKIPPED).count()
        == 2
    )
    with pytest.raises(ValidationError):
        services.cancel_alert(actor=chief, alert=alert)


def test_redrive_sends_again_only_the_latest_versions_dead_letters(world: World) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    make_partner(group)
    chief = chief_of(unit)
    alert = issued_alert(unit, actor=chief, groups=[group])
    # Every first-version row died (a gateway down), then the alert was updated.
    Delivery.objects.filter(topic=alert.topic).update(status=DeliveryStatus.DEAD)
    services.update_alert(
        actor=chief,
        alert=alert,
        data=alert_input(groups=[group], texts={"zh-hans": ("羊群已在东沟", "更新", "")}),
        note="发现线索",
    )
    Delivery.objects.filter(topic=alert.topic, dedupe_key__endswith=":v2").update(
        status=DeliveryStatus.DEAD
    )
    assert services.redrive_alert(actor=chief, alert=alert) == 2
    v1 = Delivery.objects.filter(topic=alert.topic, dedupe_key__endswith=":v1")
    v2 = Delivery.objects.filter(topic=alert.topic, dedupe_key__endswith=":v2")
    assert set(v1.values_list("status", flat=True)) == {DeliveryStatus.DEAD}
    assert set(v2.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert AuditEvent.objects.filter(action="notification.redrive").count() == 1
    # Resolved: only the notice that says so goes out again.
    services.resolve_alert(actor=chief, alert=alert, note="找到了")
    Delivery.objects.filter(topic=alert.topic).update(status=DeliveryStatus.DEAD)
    closing = Delivery.objects.filter(topic=alert.topic, dedupe_key__endswith=":v3")
    assert services.redrive_alert(actor=chief, alert=alert) == closing.count() == 2
    pending = Delivery.objects.filter(topic=alert.topic, status=DeliveryStatus.PENDING)
    assert set(pending.values_list("pk", flat=True)) == set(closing.values_list("pk", flat=True))
    # An expired alert sends nothing more: refused, nothing changed.
    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.EXPIRED)
    alert.refresh_from_db()
    Delivery.objects.filter(topic=alert.topic).update(status=DeliveryStatus.DEAD)
    with pytest.raises(ValidationError):
        services.redrive_alert(actor=chief, alert=alert)
    assert not Delivery.objects.filter(topic=alert.topic, status=DeliveryStatus.PENDING).exists()


def test_resolution_records_the_time_from_alert_to_resolution(world: World) -> None:
    from liuqing.partners.selectors import time_to_resolution, timeline

    unit = world.units["S1"]
    group = make_group(unit)
    partner = make_partner(group)
    chief = chief_of(unit)
    alert = issued_alert(unit, actor=chief, groups=[group], kind=AlertKind.MISSING_PERSON)
    deliver_all()
    services.acknowledge(partner=partner, alert=alert)
    services.report_sighting(
        partner=partner, alert=alert, text="在巴扎门口看见", latitude="43.9", longitude="81.3"
    )
    with pytest.raises(ValidationError):
        services.resolve_alert(actor=chief, alert=alert, note="")
    Alert.objects.filter(pk=alert.pk).update(issued_at=timezone.now() - dt.timedelta(hours=3))
    services.resolve_alert(actor=chief, alert=alert, note="孩子已找到")
    alert.refresh_from_db()
    took = time_to_resolution(alert)
    assert took is not None
    assert dt.timedelta(hours=2, minutes=59) < took < dt.timedelta(hours=3, minutes=1)
    kinds = [e.what for e in timeline(alert)]
    assert kinds[0] == "issued"
    assert kinds.index("delivered") < kinds.index("sighting") < kinds.index("resolved")


def test_expired_alerts_are_marked_and_their_deliveries_skipped(world: World) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    make_partner(group)
    alert = issued_alert(unit, groups=[group])
    later = alert.expires_at + dt.timedelta(seconds=1)
    assert services.expire_alerts(now=later) == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.EXPIRED
    assert deliver_due(now=later).sent == 0


def test_a_partner_cannot_answer_an_alert_that_was_not_sent_to_them(world: World) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    partner = make_partner(group)
    outsider = make_partner(make_group(unit, "其他群"))
    alert = issued_alert(unit, groups=[group])
    with pytest.raises(NotFound):
        services.acknowledge(partner=partner, alert=alert)  # not delivered yet
    deliver_all()
    services.acknowledge(partner=partner, alert=alert)
    services.acknowledge(partner=partner, alert=alert)
    assert Reply.objects.filter(kind="ack").count() == 1
    with pytest.raises(NotFound):
        services.report_sighting(partner=outsider, alert=alert, text="x")


def _png() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


def test_a_sighting_may_carry_a_photo_but_not_a_disguised_file(world: World, settings: Any) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    partner = make_partner(group)
    alert = issued_alert(unit, groups=[group])
    deliver_all()
    reply = services.report_sighting(partner=partner, alert=alert, text="看见了", photo=_png())
    assert reply.photo.name.endswith(".png")
    assert "p.png" not in reply.photo.name
    fake = SimpleUploadedFile("x.png", b"<?php evil ?>", content_type="image/png")
    with pytest.raises(ValidationError) as caught:
        services.report_sighting(
            partner=partner, alert=alert, text="x", photo=fake, latitude="95", longitude="1"
        )
    assert {"photo", "latitude"} <= set(caught.value.message_dict)


def test_a_tip_becomes_a_request_through_the_appeals_service(world: World) -> None:
    from liuqing.appeals.defaults import ensure_default_categories
    from liuqing.appeals.public_selectors import public_categories
    from liuqing.casework.models import Category

    ensure_default_categories(Category)
    unit = world.units["S1"]
    place = make_place(unit)
    partner = make_partner(make_group(unit), place=place)
    category = next(c for c in public_categories() if not c["needs_location"])
    reply = services.send_tip(
        partner=partner, category=category["pk"], place=place.pk, text="路灯坏了三天"
    )
    assert reply.case_code
    with pytest.raises(ValidationError) as caught:
        services.send_tip(partner=partner, category=None, place=None, text="")
    assert {"category", "description"} <= set(caught.value.message_dict)
    assert Reply.objects.filter(kind="tip").count() == 1


def test_the_partner_resolver_reaches_sms_through_a_gateway(world: World) -> None:
    from liuqing.notify.models import Endpoint
    from liuqing.notify.testing import fake_server

    unit = world.units["S1"]
    group = make_group(unit)
    partner = make_partner(group, phone="13800138000")
    with fake_server() as server:
        Endpoint.objects.create(
            channel=Channel.SMS, name="gw", url=server.url("/sms"), options={"template_code": "T1"}
        )
        alert = issued_alert(unit, groups=[group])
        assert deliver_due().sent == 2
        (req,) = server.on("/sms")
        assert req.json()["PhoneNumbers"] == "13800138000"
        assert (
            Delivery.objects.get(topic=alert.topic, channel=Channel.SMS).status
            == DeliveryStatus.SENT
        )
    services.set_partner_status(partner=partner, status=PartnerStatus.LEFT)
    make_member(unit, [Role.OFFICER], "x_officer")
