"""The external adapters against a real local HTTP server and a real local SMTP server (and
Django's locmem mail backend):
wire formats, signatures, idempotency keys, how answers are classified, the bot rate limit,
expiry, withdrawal and re-drive."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

import pytest
from django.core import mail
from django.utils import timezone

from liuqing.notify import channels
from liuqing.notify.adapters import webhook_signature
from liuqing.notify.models import Channel, Delivery, DeliveryStatus, Endpoint
from liuqing.notify.services import Message, deliver_due, publish_many, redrive, withdraw
from liuqing.notify.testing import FakeServer, FakeSMTPServer, fake_server, fake_smtp_server

pytestmark = pytest.mark.django_db

CONTACTS = {
    "1": channels.Contact(phone="+8613800138000", email="guard@example.org"),
    "2": channels.Contact(phone="", email="not an address"),
    "3": channels.Contact(phone="+8613900139000", active=False),
    "4": channels.Contact(phone="+8613700137000"),
}


@pytest.fixture(autouse=True)
def contacts() -> Iterator[None]:
    channels.register_resolver("t", CONTACTS.get)
    yield
    channels.RESOLVERS.pop("t", None)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with fake_server() as s:
        yield s


def endpoint(
    server: FakeServer, channel: str, path: str, secret: str = "", **options: Any
) -> Endpoint:
    return Endpoint.objects.create(
        channel=channel, name=path, url=server.url(path), secret=secret, options=options
    )


def send(channel: str, ep: Endpoint | None, n: int = 1, recipient: str = "t:1", **kw: Any) -> None:
    publish_many(
        Message(
            member_id=None,
            recipient=recipient if n == 1 else f"{recipient}-{i}",
            kind="alert",
            subject="走失儿童",
            body="身穿红色外套",
            link="https://example.org/a/1",
            dedupe_key="k",
            channel=channel,
            endpoint_id=ep.pk if ep else None,
            topic="alert:1",
            **kw,
        )
        for i in range(n)
    )


def test_a_webhook_is_signed_and_carries_an_idempotency_key(server: FakeServer) -> None:
    ep = endpoint(server, Channel.WEBHOOK, "/hook", secret="s3cret")
    send(Channel.WEBHOOK, ep)
    assert deliver_due().sent == 1
    (req,) = server.received
    row = Delivery.objects.get()
    assert req.headers["Idempotency-Key"] == row.idempotency_key
    ts = req.headers["X-Liuqing-Timestamp"]
    expected = (
        "sha256=" + hmac.new(b"s3cret", ts.encode() + b"." + req.body, hashlib.sha256).hexdigest()
    )
    assert (
        req.headers["X-Liuqing-Signature"] == expected == webhook_signature("s3cret", ts, req.body)
    )
    assert req.json()["subject"] == "走失儿童"
    assert row.status == DeliveryStatus.SENT


def test_a_webhook_answering_5xx_is_retried_and_4xx_dead_lettered(server: FakeServer) -> None:
    server.script("/flaky", (503, b"busy"), (200, b"ok"))
    server.script("/gone", (410, b"gone"))
    flaky = endpoint(server, Channel.WEBHOOK, "/flaky", secret="s3cret")
    gone = endpoint(server, Channel.WEBHOOK, "/gone", secret="s3cret")
    send(Channel.WEBHOOK, flaky, recipient="t:1")
    send(Channel.WEBHOOK, gone, recipient="t:2")
    now = timezone.now()
    report = deliver_due(now=now)
    assert (report.retried, report.dead) == (1, 1)
    dead = Delivery.objects.get(endpoint=gone)
    assert dead.status == DeliveryStatus.DEAD
    assert "HTTP 410" in dead.last_error
    assert deliver_due(now=now + dt.timedelta(hours=1)).sent == 1
    keys = server.keys()
    flaky_key = Delivery.objects.get(endpoint=flaky).idempotency_key
    assert keys[flaky_key] == 2  # the retry carried the same key


def test_sends_to_an_endpoint_share_one_kept_alive_connection(server: FakeServer) -> None:
    hook = endpoint(server, Channel.WEBHOOK, "/hook", secret="s3cret")
    send(Channel.WEBHOOK, hook, n=12)
    assert deliver_due().sent == 12
    assert len(server.received) == 12
    assert server.connections() == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_connection_the_server_dropped_is_reopened_and_nothing_is_sent_twice(
    server: FakeServer,
) -> None:
    server.drop_idle = True
    hook = endpoint(server, Channel.WEBHOOK, "/hook", secret="s3cret")
    send(Channel.WEBHOOK, hook, n=5)
    assert deliver_due().sent == 5
    keys = server.keys()
    assert len(keys) == 5
    assert set(keys.values()) == {1}
    assert server.connections() == 5


def test_a_redirect_is_not_followed_and_dead_lettered(server: FakeServer) -> None:
    server.script("/moved", (302, b""))
    send(Channel.WEBHOOK, endpoint(server, Channel.WEBHOOK, "/moved", secret="s3cret"))
    assert deliver_due().dead == 1
    assert "HTTP 302" in Delivery.objects.get().last_error
    assert len(server.received) == 1


def test_outcomes_are_written_a_few_at_a_time_and_all_of_them(
    server: FakeServer, settings: Any
) -> None:
    settings.NOTIFY_BOOK_EVERY = 3
    server.script("/mixed", (200, b"ok"), (200, b"ok"), (410, b"gone"), (200, b"ok"))
    hook = endpoint(server, Channel.WEBHOOK, "/mixed", secret="s3cret")
    send(Channel.WEBHOOK, hook, n=7)
    report = deliver_due()
    assert (report.sent, report.dead) == (6, 1)
    statuses = list(Delivery.objects.order_by("pk").values_list("status", flat=True))
    assert statuses.count(DeliveryStatus.SENT) == 6
    assert statuses.count(DeliveryStatus.DEAD) == 1
    assert not Delivery.objects.filter(status=DeliveryStatus.SENDING).exists()


def test_a_webhook_answering_garbage_is_retried_then_dead_lettered(
    server: FakeServer, settings: Any
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 2
    server.script("/junk", (0, b"\x00\x01garbage\r\n\r\n"))
    send(Channel.WEBHOOK, endpoint(server, Channel.WEBHOOK, "/junk", secret="s3cret"))
    now = timezone.now()
    assert deliver_due(now=now).retried == 1
    assert deliver_due(now=now + dt.timedelta(hours=1)).dead == 1
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.DEAD
    assert row.attempts == 2


def test_wecom_gets_markdown_and_its_errcodes_are_classified(server: FakeServer) -> None:
    server.script("/wecom", (200, {"errcode": 0, "errmsg": "ok"}))
    server.script("/wecom-bad", (200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    server.script("/wecom-fast", (200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
    good = endpoint(server, Channel.WECOM, "/wecom")
    send(Channel.WECOM, good, recipient="t:1")
    send(Channel.WECOM, endpoint(server, Channel.WECOM, "/wecom-bad"), recipient="t:2")
    send(Channel.WECOM, endpoint(server, Channel.WECOM, "/wecom-fast"), recipient="t:3")
    report = deliver_due()
    assert (report.sent, report.dead, report.retried) == (1, 1, 1)
    body = server.on("/wecom")[0].json()
    assert body["msgtype"] == "markdown"
    assert "走失儿童" in body["markdown"]["content"]


def test_dingtalk_requests_are_signed(server: FakeServer) -> None:
    server.script("/robot/send", (200, {"errcode": 0}))
    ep = Endpoint.objects.create(
        channel=Channel.DINGTALK,
        name="dt",
        url=server.url("/robot/send") + "?access_token=T",
        secret="SEC",
    )
    send(Channel.DINGTALK, ep)
    assert deliver_due().sent == 1
    (req,) = server.received
    ms = req.query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(b"SEC", f"{ms}\nSEC".encode(), hashlib.sha256).digest()
    ).decode()
    assert unquote_plus(req.query["sign"][0]) == expected or req.query["sign"][0] == expected
    assert req.query["access_token"] == ["T"]
    assert req.json()["markdown"]["title"] == "走失儿童"


def test_a_webhook_or_dingtalk_bot_without_a_secret_is_never_sent_unsigned(
    server: FakeServer,
) -> None:
    hook = Endpoint.objects.create(channel=Channel.WEBHOOK, name="h", url=server.url("/hook"))
    bot = Endpoint.objects.create(channel=Channel.DINGTALK, name="d", url=server.url("/dt"))
    send(Channel.WEBHOOK, hook, recipient="t:1")
    send(Channel.DINGTALK, bot, recipient="t:2")
    report = deliver_due()
    assert (report.dead, report.sent) == (2, 0)
    assert server.received == []
    for row in Delivery.objects.all():
        assert row.status == DeliveryStatus.DEAD
        assert "no signing secret" in row.last_error


def test_dingtalk_sign_failure_is_permanent_and_too_fast_transient(server: FakeServer) -> None:
    server.script("/dt-sign", (200, {"errcode": 310000, "errmsg": "sign not match"}))
    server.script("/dt-fast", (200, {"errcode": 130101, "errmsg": "send too fast"}))
    send(
        Channel.DINGTALK,
        endpoint(server, Channel.DINGTALK, "/dt-sign", secret="s3cret"),
        recipient="t:1",
    )
    send(
        Channel.DINGTALK,
        endpoint(server, Channel.DINGTALK, "/dt-fast", secret="s3cret"),
        recipient="t:2",
    )
    report = deliver_due()
    assert (report.dead, report.retried) == (1, 1)


def test_a_group_bot_gets_at_most_its_rate_per_minute(server: FakeServer, settings: Any) -> None:
    settings.NOTIFY_BOT_RATE_PER_MINUTE = 20
    ep = endpoint(server, Channel.WECOM, "/wecom")
    send(Channel.WECOM, ep, n=45)
    now = timezone.now()
    first = deliver_due(now=now)
    assert (first.sent, first.throttled) == (20, 25)
    assert deliver_due(now=now + dt.timedelta(seconds=30)).sent == 0
    assert len(server.received) == 20
    later = deliver_due(now=now + dt.timedelta(seconds=62))
    assert later.sent == 20
    assert deliver_due(now=now + dt.timedelta(seconds=125)).sent == 5
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 45


def test_the_sms_gateway_gets_a_template_and_the_idempotency_key(server: FakeServer) -> None:
    server.script("/sms", (200, {"Code": "OK", "BizId": "1"}))
    ep = endpoint(
        server, Channel.SMS, "/sms", secret="KEY", sign_name="六情", template_code="SMS_1"
    )
    send(Channel.SMS, ep)
    assert deliver_due().sent == 1
    (req,) = server.received
    body = req.json()
    assert body["PhoneNumbers"] == "13800138000"
    assert (body["SignName"], body["TemplateCode"]) == ("六情", "SMS_1")
    assert json.loads(body["TemplateParam"])["title"] == "走失儿童"
    assert body["OutId"] == Delivery.objects.get().idempotency_key
    assert req.headers["Authorization"] == "Bearer KEY"


def test_sms_throttling_retries_and_a_bad_number_is_dead(server: FakeServer) -> None:
    server.script("/busy", (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL"}))
    server.script("/bad", (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL"}))
    send(Channel.SMS, endpoint(server, Channel.SMS, "/busy"), recipient="t:1")
    send(Channel.SMS, endpoint(server, Channel.SMS, "/bad"), recipient="t:4")
    report = deliver_due()
    assert (report.retried, report.dead) == (1, 1)


def test_an_inactive_or_unknown_recipient_is_dead_lettered(server: FakeServer) -> None:
    ep = endpoint(server, Channel.SMS, "/sms")
    send(Channel.SMS, ep, recipient="t:3")
    send(Channel.SMS, ep, recipient="t:404")
    assert deliver_due().dead == 2
    assert server.received == []


def test_email_goes_through_django_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send(Channel.EMAIL, None, recipient="t:1")
    send(Channel.EMAIL, None, recipient="t:2")
    report = deliver_due()
    assert (report.sent, report.dead) == (1, 1)
    (message,) = mail.outbox
    assert message.to == ["guard@example.org"]
    assert message.extra_headers["X-Liuqing-Idempotency-Key"].startswith("liuqing-delivery-")


@pytest.fixture
def smtp(settings: Any) -> Iterator[FakeSMTPServer]:
    with fake_smtp_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        settings.DEFAULT_FROM_EMAIL = "alerts@liuqing.example"
        yield server


def test_email_reaches_a_real_smtp_server(smtp: FakeSMTPServer) -> None:
    send(Channel.EMAIL, None, recipient="t:1")
    assert deliver_due().sent == 1
    (mail_in,) = smtp.received
    assert mail_in.sender == "alerts@liuqing.example"
    assert mail_in.recipients == ["guard@example.org"]
    message = mail_in.message()
    assert message["To"] == "guard@example.org"
    assert message["Subject"] == "走失儿童"
    body = message.get_content()
    assert "身穿红色外套" in body
    assert "https://example.org/a/1" in body
    row = Delivery.objects.get()
    assert message["Message-ID"] == f"<{row.idempotency_key}@liuqing>"
    assert message["X-Liuqing-Idempotency-Key"] == row.idempotency_key
    assert row.status == DeliveryStatus.SENT


def test_an_smtp_4xx_answer_is_retried_with_the_same_message_id(smtp: FakeSMTPServer) -> None:
    smtp.script("DATA", 451, "greylisted, try again later")
    send(Channel.EMAIL, None, recipient="t:1")
    now = timezone.now()
    assert deliver_due(now=now).retried == 1
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert "451" in row.last_error
    assert smtp.received == []
    smtp.replies.clear()
    assert deliver_due(now=now + dt.timedelta(hours=1)).sent == 1
    (mail_in,) = smtp.received
    assert mail_in.message()["Message-ID"] == f"<{row.idempotency_key}@liuqing>"


def test_an_smtp_5xx_answer_is_dead_at_once(smtp: FakeSMTPServer) -> None:
    smtp.script("RCPT", 550, "no such mailbox")
    send(Channel.EMAIL, None, recipient="t:1")
    report = deliver_due()
    assert (report.dead, report.retried, report.sent) == (1, 0, 0)
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.DEAD, 1)
    assert "550" in row.last_error
    assert smtp.received == []
    assert "RCPT" in smtp.commands


def test_a_refused_smtp_connection_is_retried_then_dead_lettered(settings: Any) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on: connecting is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.NOTIFY_MAX_ATTEMPTS = 2
    send(Channel.EMAIL, None, recipient="t:1")
    now = timezone.now()
    assert deliver_due(now=now).retried == 1
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.PENDING
    assert "refused" in row.last_error.lower()
    assert deliver_due(now=now + dt.timedelta(hours=1)).dead == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DEAD, 2)


def test_expired_rows_are_skipped_and_withdrawn_ones_never_sent(server: FakeServer) -> None:
    ep = endpoint(server, Channel.WEBHOOK, "/hook", secret="s3cret")
    past = timezone.now() - dt.timedelta(minutes=1)
    send(Channel.WEBHOOK, ep, recipient="t:1", expires_at=past)
    publish_many(
        [
            Message(
                member_id=None,
                recipient="t:2",
                kind="alert",
                subject="x",
                dedupe_key="k2",
                channel=Channel.WEBHOOK,
                endpoint_id=ep.pk,
                topic="alert:2",
            )
        ]
    )
    assert withdraw(topic="alert:2", reason="cancelled") == 1
    report = deliver_due()
    assert (report.skipped, report.sent) == (1, 0)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SKIPPED}
    assert server.received == []


def test_dead_letters_are_re_driven_on_request(server: FakeServer) -> None:
    server.script("/gone", (404, b"no"), (200, b"ok"))
    send(Channel.WEBHOOK, endpoint(server, Channel.WEBHOOK, "/gone", secret="s3cret"))
    assert deliver_due().dead == 1
    assert redrive(Delivery.objects.all()) == 1
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 0)
    assert deliver_due().sent == 1
    assert redrive(Delivery.objects.all()) == 0  # only dead letters


def test_a_message_needs_exactly_one_kind_of_recipient() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        publish_many([Message(member_id=None, kind="x", subject="x", dedupe_key="k")])
    assert not Delivery.objects.exists()
