"""The partners' own JSON API (/api/v1/partners/pp): signing in with a one-time code, the
alerts sent to the partner and nothing else, acknowledgements, sightings with photos, tips,
groups, pausing and leaving; bad input as 422 field errors with nothing written."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from liuqing.core import pii
from liuqing.core import services as core_services
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World
from liuqing.notify.models import Delivery, DeliveryStatus
from liuqing.partners import services
from liuqing.partners.models import (
    Membership,
    Partner,
    PartnerSession,
    PartnerStatus,
    Reply,
    ReplyKind,
    SignInCode,
)
from liuqing.partners.testing import (
    deliver_all,
    issued_alert,
    last_sign_in_code,
    make_group,
    make_partner,
    make_place,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/partners/pp"


def call(method: str, path: str, body: Any = None, token: str = "", **extra: Any) -> Any:
    kwargs: dict[str, Any] = dict(extra)
    if token:
        kwargs["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(Client(), method)(f"{BASE}{path}", **kwargs)


def sign_in(partner: Partner) -> str:
    phone = pii.plain(partner.phone)
    assert call("post", "/code", {"phone": phone}).status_code == 202
    signed = call("post", "/session", {"phone": phone, "code": last_sign_in_code(partner)})
    assert signed.status_code == 200, signed.content
    return str(signed.json()["token"])


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    return buf.getvalue()


# --- Signing in ----------------------------------------------------------------------------------


def test_signing_in_with_a_code_through_the_api(world: World) -> None:
    group = make_group(world.units["S1"], "商户群")
    partner = make_partner(group, name="阿依古丽", phone="+8613800138000")
    sent = call("post", "/code", {"phone": "138 0013 8000"})
    assert sent.status_code == 202
    unknown = call("post", "/code", {"phone": "13900000000"})
    # The same answer for a number nobody registered (it says nothing about the registry).
    assert unknown.status_code == 202
    assert unknown.json() == sent.json()
    assert SignInCode.objects.count() == 1

    wrong = call("post", "/session", {"phone": "13800138000", "code": "000000"})
    if last_sign_in_code(partner) == "000000":  # one chance in a million
        wrong = call("post", "/session", {"phone": "13800138000", "code": "000001"})
    assert wrong.status_code == 422
    assert "code" in wrong.json()["error"]["fields"]
    assert not PartnerSession.objects.exists()

    signed = call("post", "/session", {"phone": "13800138000", "code": last_sign_in_code(partner)})
    assert signed.status_code == 200
    body = signed.json()
    assert body["partner"]["display_name"] == "阿依古丽"
    assert body["partner"]["groups"][0]["name"] == "商户群"
    assert body["expires_at"]
    token = body["token"]
    me = call("get", "/me", token=token)
    assert me.status_code == 200
    assert me.json()["id"] == partner.pk
    # A code is used once.
    again = call("post", "/session", {"phone": "13800138000", "code": last_sign_in_code(partner)})
    assert again.status_code == 422

    assert call("delete", "/session", token=token).status_code == 204
    assert call("get", "/me", token=token).status_code == 401


def test_code_requests_are_limited_per_partner(world: World) -> None:
    partner = make_partner(make_group(world.units["S1"]))
    phone = pii.plain(partner.phone)
    answers = [
        call("post", "/code", {"phone": phone}) for _i in range(services.CODES_PER_WINDOW + 2)
    ]
    assert {a.status_code for a in answers} == {202}
    assert len({json.dumps(a.json()) for a in answers}) == 1  # over the limit looks the same
    assert SignInCode.objects.filter(partner=partner).count() == services.CODES_PER_WINDOW
    assert (
        Delivery.objects.filter(recipient=partner.recipient, kind="partner_code").count()
        == services.CODES_PER_WINDOW
    )


def test_bad_sign_in_input_is_a_422_with_field_errors() -> None:
    missing = call("post", "/code", {})
    assert missing.status_code == 422
    assert "phone" in missing.json()["error"]["fields"]
    too_long = call("post", "/code", {"phone": "1" * 31})
    assert "phone" in too_long.json()["error"]["fields"]
    letters = call("post", "/session", {"phone": "13800138000", "code": "abcdef"})
    assert letters.status_code == 422
    assert "code" in letters.json()["error"]["fields"]
    garbage = Client().post(f"{BASE}/session", data="{not json", content_type="application/json")
    assert garbage.status_code in (400, 422)


def test_partner_operations_need_a_partner_token(world: World) -> None:
    partner = make_partner(make_group(world.units["S1"]))
    token = sign_in(partner)
    for path in ("/me", "/alerts", "/reports", "/tips/options"):
        assert call("get", path).status_code == 401
        assert call("get", path, token="forged-token").status_code == 401
    # A staff member's API token means nothing here ...
    _t, staff_secret = core_services.create_api_token(
        actor=world.persona(Role.STATION_CHIEF), name="t"
    )
    assert call("get", "/alerts", token=staff_secret).status_code == 401
    # ... and the partner's token means nothing on the staff API.
    for path in ("/api/v1/partners/alerts", "/api/v1/partners/partners", "/api/v1/cases"):
        response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401, path
    # A partner who left is signed out everywhere.
    services.set_partner_status(partner=partner, status=PartnerStatus.LEFT)
    assert call("get", "/me", token=token).status_code == 401


# --- Alerts sent to me ---------------------------------------------------------------------------


def test_a_partner_reads_acknowledges_and_reports_only_their_alerts(world: World) -> None:
    unit = world.units["S1"]
    mine, theirs = make_group(unit, "我的群"), make_group(unit, "别的群")
    me = make_partner(mine, language="ug")
    other = make_partner(theirs)
    sent_to_me = issued_alert(
        unit,
        groups=[mine],
        texts={"zh-hans": ("给我的警报", "内容", ""), "ug": ("ماڭا", "مەزمۇن", "")},
    )
    not_mine = issued_alert(unit, groups=[theirs], texts={"zh-hans": ("别人的警报", "内容", "")})
    deliver_all()
    token, other_token = sign_in(me), sign_in(other)

    listed = call("get", "/alerts", token=token)
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()] == [sent_to_me.pk]
    assert listed.json()[0]["headline"] == "ماڭا"  # in the partner's language
    assert listed.json()[0]["acknowledged"] is False
    assert call("get", f"/alerts/{not_mine.pk}", token=token).status_code == 404
    assert call("get", "/alerts/99999999999999999999", token=token).status_code in (404, 422)
    assert call("post", f"/alerts/{not_mine.pk}/ack", token=token).status_code == 404

    acked = call("post", f"/alerts/{sent_to_me.pk}/ack", token=token)
    assert acked.status_code == 200
    assert acked.json()["acknowledged"] is True
    assert call("post", f"/alerts/{sent_to_me.pk}/ack", token=token).status_code == 200
    assert Reply.objects.filter(alert=sent_to_me, kind=ReplyKind.ACK).count() == 1

    sighting = Client().post(
        f"{BASE}/alerts/{sent_to_me.pk}/sightings",
        {
            "text": "东门看见",
            "latitude": "43.9",
            "longitude": "81.3",
            "photo": SimpleUploadedFile("p.png", png(), content_type="image/png"),
        },
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert sighting.status_code == 201, sighting.content
    body = sighting.json()
    assert body["kind"] == "sighting"
    assert body["has_photo"] is True
    assert body["latitude"] == 43.9
    stored = Reply.objects.get(pk=body["id"])
    assert stored.photo.name.endswith(".png")
    assert "p.png" not in stored.photo.name  # a random stored name

    # Another partner can neither report on my alert nor see my report.
    refused = Client().post(
        f"{BASE}/alerts/{sent_to_me.pk}/sightings",
        {"text": "我也看见"},
        HTTP_AUTHORIZATION=f"Bearer {other_token}",
    )
    assert refused.status_code == 404
    detail = call("get", f"/alerts/{sent_to_me.pk}", token=token).json()
    assert [s["id"] for s in detail["my_sightings"]] == [stored.pk]
    assert call("get", "/reports", token=other_token).json()["items"] == []
    reports = call("get", "/reports", token=token).json()
    assert [r["id"] for r in reports["items"]] == [stored.pk]
    assert AuditEvent.objects.filter(action="alert.sighting").count() == 1


def test_a_bad_sighting_is_a_422_and_writes_nothing(world: World) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    partner = make_partner(group)
    alert = issued_alert(unit, groups=[group])
    deliver_all()
    token = sign_in(partner)
    url = f"{BASE}/alerts/{alert.pk}/sightings"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    empty = Client().post(url, {"text": "  "}, **auth)
    assert empty.status_code == 422
    assert "text" in empty.json()["error"]["fields"]
    fake = SimpleUploadedFile("x.png", b"<?php echo 1; ?>", content_type="image/png")
    bad = Client().post(
        url, {"text": "看见", "latitude": "95", "longitude": "1", "photo": fake}, **auth
    )
    assert bad.status_code == 422
    assert {"photo", "latitude"} <= set(bad.json()["error"]["fields"])
    half = Client().post(url, {"text": "看见", "latitude": "43.9"}, **auth)
    assert half.status_code == 422
    assert "latitude" in half.json()["error"]["fields"]
    gif = io.BytesIO()
    Image.new("RGB", (2, 2)).save(gif, format="GIF")
    not_jpeg = Client().post(
        url,
        {"text": "看见", "photo": SimpleUploadedFile("g.png", gif.getvalue())},
        **auth,
    )
    assert not_jpeg.status_code == 422
    assert "photo" in not_jpeg.json()["error"]["fields"]
    assert not Reply.objects.filter(kind=ReplyKind.SIGHTING).exists()


# --- Tips ----------------------------------------------------------------------------------------


def test_a_tip_becomes_a_request_and_bad_tips_are_field_errors(world: World) -> None:
    from liuqing.appeals.defaults import ensure_default_categories
    from liuqing.casework.models import Case, Category

    ensure_default_categories(Category)
    unit = world.units["S1"]
    place = make_place(unit)
    elsewhere = make_place(world.units["S3"], name="别处村")
    partner = make_partner(make_group(unit), place=place)
    token = sign_in(partner)
    options = call("get", "/tips/options", token=token).json()
    assert [p["id"] for p in options["places"]] == [place.pk]
    category = next(c for c in options["categories"] if not c["needs_location"])

    cases = Case.objects.count()
    bad = call("post", "/tips", {"category": None, "place": None, "text": ""}, token=token)
    assert bad.status_code == 422
    assert {"category", "description"} <= set(bad.json()["error"]["fields"])
    outside = call(
        "post",
        "/tips",
        {"category": category["id"], "place": elsewhere.pk, "text": "路灯坏了"},
        token=token,
    )
    assert outside.status_code == 422
    assert "place" in outside.json()["error"]["fields"]
    wrong_type = call("post", "/tips", {"category": "abc", "text": "x"}, token=token)
    assert wrong_type.status_code == 422
    assert "category" in wrong_type.json()["error"]["fields"]
    assert Case.objects.count() == cases
    assert not Reply.objects.exists()

    sent = call(
        "post",
        "/tips",
        {"category": category["id"], "place": place.pk, "text": "路灯坏了三天"},
        token=token,
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["case_code"]
    assert Case.objects.count() == cases + 1
    reports = call("get", "/reports", token=token).json()["items"]
    assert [r["kind"] for r in reports] == ["tip"]


# --- Groups and status ---------------------------------------------------------------------------


def test_joining_and_leaving_groups_by_invite_code(world: World) -> None:
    unit = world.units["S1"]
    first, second = make_group(unit, "一群"), make_group(unit, "二群")
    partner = make_partner(first)
    token = sign_in(partner)
    events = AuditEvent.objects.count()
    wrong = call("post", "/groups/join", {"invite_code": "WRONG123"}, token=token)
    assert wrong.status_code == 422
    assert "invite_code" in wrong.json()["error"]["fields"]
    assert call("post", "/groups/join", {}, token=token).status_code == 422
    assert Membership.objects.filter(partner=partner).count() == 1
    assert AuditEvent.objects.count() == events

    joined = call("post", "/groups/join", {"invite_code": second.invite_code.lower()}, token=token)
    assert joined.status_code == 201
    assert joined.json()["name"] == "二群"
    names = {g["name"] for g in call("get", "/me", token=token).json()["groups"]}
    assert names == {"一群", "二群"}
    # A group of someone else's cannot be left; one's own can, once.
    other = make_group(unit, "三群")
    assert call("post", f"/groups/{other.pk}/leave", token=token).status_code == 404
    assert call("post", f"/groups/{second.pk}/leave", token=token).status_code == 204
    assert call("post", f"/groups/{second.pk}/leave", token=token).status_code == 404
    assert {g["name"] for g in call("get", "/me", token=token).json()["groups"]} == {"一群"}
    # Joining again after leaving.
    again = call("post", "/groups/join", {"invite_code": second.invite_code}, token=token)
    assert again.status_code == 201


def test_pausing_resuming_and_leaving(world: World) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    partner = make_partner(group)
    token = sign_in(partner)
    paused = call("post", "/pause", token=token)
    assert paused.status_code == 200
    assert paused.json()["status"] == "paused"
    alert = issued_alert(unit, groups=[group])
    assert not Delivery.objects.filter(topic=alert.topic, recipient=partner.recipient).exists()
    resumed = call("post", "/resume", token=token)
    assert resumed.json()["status"] == "active"
    issued_alert(unit, groups=[group])
    assert Delivery.objects.filter(
        recipient=partner.recipient, kind="alert", status=DeliveryStatus.PENDING
    ).exists()
    assert call("post", "/leave", token=token).status_code == 204
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.LEFT
    assert not pii.plain(partner.phone)
    assert not Membership.objects.filter(partner=partner, left_at__isnull=True).exists()
    assert call("get", "/me", token=token).status_code == 401
