"""A partner group's bots and webhooks managed by staff (pages and API): connecting, renaming,
readdressing, disabling and enabling, setting a new secret; the secret never shown back (only
whether it is set and when), the address's key hidden, every change audited, bad input a
field error with nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from liuqing.core import services as core_services
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World, login_verified
from liuqing.notify.models import Delivery, Endpoint
from liuqing.partners import services
from liuqing.partners.models import PartnerGroup
from liuqing.partners.testing import issued_alert, make_group, make_partner

pytestmark = pytest.mark.django_db
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


def call(member: Member, method: str, path: str, body: Any = None) -> Any:
    _token, secret = core_services.create_api_token(actor=member, name="t")
    kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(Client(), method)(f"/api/v1/partners{path}", **kwargs)


def webhook(group: PartnerGroup, secret: str = "first-secret") -> Endpoint:  # noqa: S107
    return services.add_group_endpoint(
        actor=group_chief(group),
        group=group,
        channel="webhook",
        name="指挥中心",
        url="https://hooks.example.org/liuqing?token=abc123",
        secret=secret,
    )


def group_chief(group: PartnerGroup) -> Member:
    from liuqing.partners.testing import chief_of

    return chief_of(group.unit)


def test_the_endpoint_page_never_shows_the_secret_or_the_key(world: World) -> None:
    group = make_group(world.units["S1"])
    bot = services.add_group_endpoint(
        actor=group_chief(group),
        group=group,
        channel="wecom",
        name="企业微信群",
        url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}",
    )
    hook = webhook(group)
    client = login_verified(Client(), world.persona(Role.STATION_CHIEF))
    listing = client.get(f"/partners/groups/{group.pk}/").content.decode()
    assert "first-secret" not in listing
    assert WECOM_KEY not in listing
    page = client.get(f"/partners/groups/{group.pk}/endpoints/{bot.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert WECOM_KEY not in text
    assert "key=***" in text
    assert "not set" in text
    hook_page = client.get(f"/partners/groups/{group.pk}/endpoints/{hook.pk}/").content.decode()
    assert "first-secret" not in hook_page
    assert "token=***" in hook_page
    assert "<dd>set · last set" in hook_page
    assert "not set" not in hook_page
    # Another group's endpoint is not reachable through this group.
    other = make_group(world.units["S1"], "别的群")
    assert client.get(f"/partners/groups/{other.pk}/endpoints/{hook.pk}/").status_code == 404


def test_editing_disabling_and_rotating_on_the_page(world: World) -> None:
    group = make_group(world.units["S1"])
    hook = webhook(group)
    url = f"/partners/groups/{group.pk}/endpoints/{hook.pk}/"
    client = login_verified(Client(), world.persona(Role.STATION_CHIEF))

    bad = client.post(url, {"action": "edit", "name": "", "url": "ftp://x"})
    assert bad.status_code == 400
    assert b"errorlist" in bad.content
    hook.refresh_from_db()
    assert hook.name == "指挥中心"

    # An empty address keeps the present one; unchecking "active" disables.
    saved = client.post(url, {"action": "edit", "name": "新名字", "url": ""})
    assert saved.status_code == 302
    hook.refresh_from_db()
    assert (hook.name, hook.is_active) == ("新名字", False)
    assert hook.url == "https://hooks.example.org/liuqing?token=abc123"
    assert AuditEvent.objects.filter(action="partner_group.edit_endpoint").count() == 1

    empty = client.post(url, {"action": "rotate", "secret": ""})
    assert empty.status_code == 400
    hook.refresh_from_db()
    assert hook.secret.reveal() == "first-secret"
    before = hook.secret_rotated_at
    rotated = client.post(url, {"action": "rotate", "secret": "second-secret"})
    assert rotated.status_code == 302
    hook.refresh_from_db()
    assert hook.secret.reveal() == "second-secret"
    assert hook.secret_rotated_at is not None
    assert before is not None
    assert hook.secret_rotated_at > before
    event = AuditEvent.objects.get(action="partner_group.rotate_secret")
    assert "second-secret" not in json.dumps(event.details)

    officer = login_verified(Client(), world.persona(Role.OFFICER))
    assert officer.get(url).status_code == 200
    assert b'name="action"' not in officer.get(url).content
    assert officer.post(url, {"action": "rotate", "secret": "x"}).status_code == 403


def test_endpoints_through_the_api(world: World) -> None:
    chief, unit = world.persona(Role.STATION_CHIEF), world.units["S1"]
    group = make_group(unit)
    make_partner(group)
    base = f"/groups/{group.pk}/endpoints"
    nothing = Endpoint.objects.count()
    for body, field in (
        ({"channel": "sms", "name": "x", "url": "https://e.org/h", "secret": "s"}, "channel"),
        ({"channel": "webhook", "name": "x", "url": "ftp://e.org/h", "secret": "s"}, "url"),
        ({"channel": "webhook", "name": "x", "url": "https://e.org/h"}, "secret"),
        ({"channel": "dingtalk", "name": "", "url": "https://e.org/h", "secret": "s"}, "name"),
        ({"channel": "webhook", "url": "https://e.org/h"}, "name"),
    ):
        refused = call(chief, "post", base, body)
        assert refused.status_code == 422, body
        assert field in refused.json()["error"]["fields"], body
    assert Endpoint.objects.count() == nothing

    created = call(
        chief,
        "post",
        base,
        {
            "channel": "dingtalk",
            "name": "钉钉群",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=tok123",
            "secret": "SECabc",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert "SECabc" not in created.content.decode()
    assert "tok123" not in created.content.decode()
    assert body["secret_set"] is True
    assert body["secret_rotated_at"]
    eid = body["id"]
    listed = call(chief, "get", base).json()
    assert [e["id"] for e in listed] == [eid]
    assert "SECabc" not in json.dumps(listed)

    disabled = call(chief, "patch", f"{base}/{eid}", {"is_active": False})
    assert disabled.status_code == 200
    assert disabled.json()["is_active"] is False
    assert disabled.json()["name"] == "钉钉群"
    alert = issued_alert(unit, groups=[group])
    assert not Delivery.objects.filter(topic=alert.topic, endpoint_id=eid).exists()
    call(chief, "patch", f"{base}/{eid}", {"is_active": True, "name": "钉钉二群"})
    assert Endpoint.objects.get(pk=eid).name == "钉钉二群"

    assert call(chief, "post", f"{base}/{eid}/secret", {"secret": ""}).status_code == 422
    rotated = call(chief, "post", f"{base}/{eid}/secret", {"secret": "SECnew"})
    assert rotated.status_code == 200
    assert "SECnew" not in rotated.content.decode()
    assert Endpoint.objects.get(pk=eid).secret.reveal() == "SECnew"
    assert AuditEvent.objects.filter(action="partner_group.rotate_secret").count() == 1

    other = make_group(unit, "别的群")
    assert call(chief, "get", f"/groups/{other.pk}/endpoints/{eid}/secret").status_code in (
        404,
        405,
    )
    assert (
        call(chief, "post", f"/groups/{other.pk}/endpoints/{eid}/secret", {"secret": "x"})
    ).status_code == 404
    officer = world.persona(Role.OFFICER)
    assert call(officer, "get", base).status_code == 200
    assert call(officer, "post", f"{base}/{eid}/secret", {"secret": "x"}).status_code == 403
