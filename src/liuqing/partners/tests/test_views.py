"""The staff pages and the partners' pages: forms, errors, the partner session and what a
partner may see."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from liuqing.core.models import Role
from liuqing.core.testing import World, login_verified
from liuqing.notify.models import Delivery
from liuqing.partners.models import Alert, AlertStatus, Partner, PartnerStatus
from liuqing.partners.pp_views import COOKIE
from liuqing.partners.testing import (
    deliver_all,
    issued_alert,
    make_group,
    make_partner,
    make_place,
    sign_in_client,
)

pytestmark = pytest.mark.django_db


def staff(world: World, role: str = Role.STATION_CHIEF) -> Client:
    return login_verified(Client(), world.persona(role))


def test_a_chief_creates_a_group_and_sees_its_invite_code_and_qr(world: World) -> None:
    client = staff(world)
    bad = client.post("/partners/groups/", {"unit": world.units["S1"].pk, "name": ""})
    assert bad.status_code == 200
    assert b"errorlist" in bad.content
    response = client.post("/partners/groups/", {"unit": world.units["S1"].pk, "name": "夜市商户"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    code = re.search(rb'class="invite-code">([A-Z0-9]{8})<', page.content)
    assert code is not None
    assert f"/pp/join/{code.group(1).decode()}/".encode() in page.content
    qr = client.get(response["Location"] + "qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.lstrip().startswith(b"<?xml") or b"<svg" in qr.content[:200]


def test_connecting_a_webhook_without_a_secret_is_a_field_error_on_the_group_page(
    world: World,
) -> None:
    from liuqing.notify.models import Endpoint

    group = make_group(world.units["S1"])
    client = staff(world)
    form = {"channel": "webhook", "name": "报警平台", "url": "https://example.org/hook"}
    refused = client.post(f"/partners/groups/{group.pk}/", {**form, "secret": ""})
    assert refused.status_code == 200
    assert "secret" in refused.context["form"].errors
    assert not Endpoint.objects.exists()
    connected = client.post(f"/partners/groups/{group.pk}/", {**form, "secret": "s3cret"})
    assert connected.status_code == 302
    assert group.endpoints.get().secret.reveal() == "s3cret"


def test_composing_an_alert_offers_the_kinds_template_and_reports_errors(world: World) -> None:
    client = staff(world)
    page = client.get("/partners/alerts/new/?kind=missing_person")
    assert page.status_code == 200
    # The kind's template, in each of the three languages.
    assert "寻人：请留意".encode() in page.content
    assert "يوقالغان ئادەم: دىققەت قىلىڭ".encode() in page.content
    response = client.post(
        "/partners/alerts/new/",
        {
            "unit": world.units["S1"].pk,
            "kind": "livestock",
            "scope": "Restricted",
            "headline_zh_hans": "走失马匹",
            "description_zh_hans": "三匹马",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Give the alert an area" in body
    assert "Give the time the alert expires." in body
    assert not Alert.objects.exists()


def test_issue_and_resolve_from_the_alert_page(world: World) -> None:
    client = staff(world)
    unit = world.units["S1"]
    group = make_group(unit)
    make_partner(group)
    response = client.post(
        "/partners/alerts/new/",
        {
            "unit": unit.pk,
            "kind": "livestock",
            "scope": "Restricted",
            "expires_at": (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "groups": [group.pk],
            "headline_zh_hans": "走失马匹",
            "description_zh_hans": "三匹马",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    alert = Alert.objects.get()
    client.post(f"/partners/alerts/{alert.pk}/act/", {"action": "issue"})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ISSUED
    deliver_all()
    client.post(f"/partners/alerts/{alert.pk}/act/", {"action": "resolve", "note": "马已找回"})
    page = client.get(f"/partners/alerts/{alert.pk}/")
    assert page.status_code == 200
    assert b"Time from alert to resolution" in page.content
    assert "马已找回".encode() in page.content


def test_the_time_to_resolution_reads_as_hours_and_minutes(world: World) -> None:
    from liuqing.partners import services

    unit = world.units["S1"]
    group = make_group(unit)
    alert = issued_alert(unit, groups=[group])
    took = dt.timedelta(hours=3, minutes=5, microseconds=123456)
    Alert.objects.filter(pk=alert.pk).update(issued_at=timezone.now() - took)
    services.resolve_alert(actor=world.persona(Role.STATION_CHIEF), alert=alert, note="找到了")
    client = staff(world)
    page = client.get(f"/partners/alerts/{alert.pk}/").content.decode()
    assert "3 h 5 min" in page
    assert "3:05:" not in page
    assert ".123" not in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get(f"/partners/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "3 小时 5 分钟" in chinese.content.decode()


def test_hours_and_minutes_drops_seconds_and_empty_parts() -> None:
    from liuqing.partners.views import hours_and_minutes

    with translation.override("en"):
        assert hours_and_minutes(dt.timedelta(seconds=59.9)) == "under a minute"
        assert hours_and_minutes(dt.timedelta(minutes=45, seconds=59)) == "45 min"
        assert hours_and_minutes(dt.timedelta(hours=2)) == "2 h"
        assert hours_and_minutes(dt.timedelta(days=1, hours=1, minutes=1)) == "25 h 1 min"
    with translation.override("ug"):
        assert hours_and_minutes(dt.timedelta(hours=1, minutes=2)) == "1 سائەت 2 مىنۇت"
    with translation.override("kk-arab"):
        assert hours_and_minutes(dt.timedelta(hours=1, minutes=2)) == "1 ساعات 2 مينۋت"


def test_joining_by_invite_code_and_signing_in_with_a_code(world: World) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    place = make_place(unit)
    client = Client()
    wrong = client.post("/pp/join/", {"invite_code": "WRONG123"})
    assert b"This invite code is not valid" in wrong.content
    assert client.get("/pp/join/WRONG123/").status_code == 404
    assert client.post("/pp/join/", {"invite_code": group.invite_code.lower()}).status_code == 302
    refused = client.post(
        f"/pp/join/{group.invite_code}/",
        {"display_name": "马师傅", "kind": "taxi", "phone": "1380013800", "language": "ug"},
    )
    assert refused.status_code == 200
    assert not Partner.objects.exists()
    joined = client.post(
        f"/pp/join/{group.invite_code}/",
        {
            "display_name": "马师傅",
            "kind": "taxi",
            "phone": "13800138000",
            "language": "ug",
            "channels": ["sms"],
            "place": place.pk,
            "consent": "on",
        },
    )
    assert joined.status_code == 302
    assert joined["Location"] == "/pp/code/"
    row = Delivery.objects.get(kind="partner_code")
    code = re.search(r"(?<!\d)\d{6}(?!\d)", row.subject)
    assert code is not None
    assert client.post("/pp/code/", {"phone": "13800138000", "code": "12345x"}).status_code == 200
    signed = client.post("/pp/code/", {"phone": "13800138000", "code": code.group(0)})
    assert signed.status_code == 302
    assert client.cookies[COOKIE]["httponly"]
    home = client.get("/pp/")
    assert home.status_code == 200
    assert "马师傅".encode() in home.content


def test_a_partner_sees_only_what_was_sent_to_them(world: World) -> None:
    unit = world.units["S1"]
    mine, theirs = make_group(unit, "我的群"), make_group(unit, "别的群")
    me = make_partner(mine)
    make_partner(theirs)
    sent_to_me = issued_alert(unit, groups=[mine], texts={"zh-hans": ("给我的警报", "内容", "")})
    not_mine = issued_alert(unit, groups=[theirs], texts={"zh-hans": ("别人的警报", "内容", "")})
    deliver_all()
    client = sign_in_client(me)
    home = client.get("/pp/").content.decode()
    assert "给我的警报" in home
    assert "别人的警报" not in home
    assert client.get(f"/pp/alerts/{sent_to_me.pk}/").status_code == 200
    assert client.get(f"/pp/alerts/{not_mine.pk}/").status_code == 404
    assert client.get("/pp/alerts/99999999999999999999/").status_code == 404
    ack = client.post(f"/pp/alerts/{sent_to_me.pk}/", {"ack": "1"})
    assert ack.status_code == 302
    sighting = client.post(
        f"/pp/alerts/{sent_to_me.pk}/",
        {"text": "东门看见", "latitude": "43.9", "longitude": "81.3"},
    )
    assert sighting.status_code == 302
    assert sent_to_me.replies.count() == 2


def test_the_partner_session_and_the_staff_session_do_not_mix(world: World) -> None:
    unit = world.units["S1"]
    partner = make_partner(make_group(unit))
    partner_client = sign_in_client(partner)
    staff_page = partner_client.get("/partners/alerts/")
    assert staff_page.status_code == 302
    assert "/login" in staff_page["Location"]
    officer = staff(world, Role.OFFICER)
    assert officer.get("/pp/")["Location"] == "/pp/signin/"
    partner_client.cookies[COOKIE] = "forged-token"
    assert partner_client.get("/pp/").status_code == 302


def test_pausing_and_leaving_from_the_partner_page(world: World) -> None:
    partner = make_partner(make_group(world.units["S1"]))
    client = sign_in_client(partner)
    client.post("/pp/status/", {"status": "paused"})
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.PAUSED
    assert "您的预警接收已暂停。".encode() in client.get("/pp/").content  # her language
    left = client.post("/pp/status/", {"status": "left"})
    assert left["Location"] == "/pp/signin/"
    assert client.get("/pp/").status_code == 302  # the session ended


def test_the_partner_pages_in_uyghur_are_right_to_left(world: World) -> None:
    response = Client().get("/pp/signin/", HTTP_ACCEPT_LANGUAGE="ug")
    assert response.status_code == 200
    assert b'dir="rtl"' in response.content


def test_a_restricted_alerts_cap_is_not_public(world: World) -> None:
    alert = issued_alert(world.units["S1"], circle="43.9,81.3 5")
    version = alert.versions.get()
    assert Client().get(f"/cap/alerts/{version.identifier}.xml").status_code == 404
    assert version.identifier.encode() not in Client().get("/cap/feed.atom").content


def test_staff_lists_show_partners_and_alerts(world: World) -> None:
    unit = world.units["S1"]
    make_partner(make_group(unit), name="张保安")
    issued_alert(unit, circle="43.9,81.3 5", texts={"zh-hans": ("列表警报", "内容", "")})
    client = staff(world)
    assert "张保安".encode() in client.get("/partners/").content
    assert "列表警报".encode() in client.get("/partners/alerts/").content
    assert client.get("/partners/?status=bogus").status_code == 200


def test_a_sighting_photo_is_a_download_for_staff_who_see_the_alert(world: World) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from liuqing.partners import services

    unit = world.units["S1"]
    group = make_group(unit)
    partner = make_partner(group)
    alert = issued_alert(unit, groups=[group])
    deliver_all()
    buf = io.BytesIO()
    Image.new("RGB", (2, 2), "blue").save(buf, format="PNG")
    reply = services.report_sighting(
        partner=partner, alert=alert, text="x", photo=SimpleUploadedFile("s.png", buf.getvalue())
    )
    response = staff(world).get(f"/partners/sightings/{reply.pk}/photo/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert sign_in_client(partner).get(f"/partners/sightings/{reply.pk}/photo/").status_code == 302


def test_the_partner_pages_speak_the_partners_language(world: World) -> None:
    partner = make_partner(make_group(world.units["S1"]), language="kk-arab")
    page = sign_in_client(partner).get("/pp/")
    assert b'lang="kk-arab"' in page.content
    assert b'dir="rtl"' in page.content
