"""The outbox: publishing, claiming, sending through adapters, retrying, dead-lettering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from liuqing.core.models import Role
from liuqing.core.testing import World
from liuqing.notify import channels
from liuqing.notify.models import Delivery, DeliveryStatus
from liuqing.notify.services import deliver_due, mark_all_read, mark_read, publish, redact_linked

pytestmark = pytest.mark.django_db


class Gateway:
    """A stand-in for an outside gateway: fails the first `transient` sends, then either
    accepts or (with `permanent`) refuses for good. Records what it accepted."""

    def __init__(self, transient: int = 0, permanent: bool = False) -> None:
        self.transient = transient
        self.permanent = permanent
        self.calls = 0
        self.accepted: list[str] = []

    def send(self, delivery: Delivery) -> None:
        self.calls += 1
        if self.calls <= self.transient:
            raise channels.TransientError("gateway timed out")
        if self.permanent:
            raise channels.PermanentError("number does not exist")
        self.accepted.append(delivery.idempotency_key)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway()
    real = channels.adapter_for("sms")
    channels.register(channels.Adapter(channel="sms", send=gw.send))
    yield gw
    channels.unregister("sms")
    if real is not None:
        channels.register(real)


def test_publish_writes_one_row_per_member_and_ignores_duplicates(world: World) -> None:
    alice, sam = world.persona(Role.OFFICER), world.persona(Role.SERGEANT)
    assert publish(kind="x", subject="Hello", members=[alice, sam.pk], dedupe_key="k1") == 2
    publish(kind="x", subject="Hello again", members=[alice], dedupe_key="k1")
    assert Delivery.objects.filter(dedupe_key="k1").count() == 2
    assert Delivery.objects.get(member=alice).subject == "Hello"


def test_publish_many_writes_big_batches_whole_and_skips_duplicates_within_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liuqing.notify import services

    monkeypatch.setattr(services, "UNNEST_ROWS", 7)  # several statements on PostgreSQL
    alice = world.persona(Role.OFFICER)
    expires = timezone.now() + dt.timedelta(hours=1)
    long = "长" * 250
    messages = [
        services.Message(
            member_id=None,
            recipient=f"partner:{i}",
            kind="alert",
            subject=long if i % 2 else 'It\'s \\ {a,b} "quoted" NULL',
            body="" if i % 3 else "第一行\n第二行",
            dedupe_key="big",
            channel="sms" if i % 2 else "inapp",
            topic="alert:1",
            expires_at=expires if i % 5 else None,
        )
        for i in range(20)
    ]
    messages.append(messages[3])  # a duplicate in the same call
    messages.append(
        services.Message(member_id=alice.pk, kind="x", subject="member", dedupe_key="big")
    )
    assert services.publish_many(messages) == 22
    rows = Delivery.objects.filter(dedupe_key="big")
    assert rows.count() == 21
    odd = rows.get(recipient="partner:1")
    assert odd.subject == "长" * 199 + "…"
    assert odd.expires_at == expires
    even = rows.get(recipient="partner:0")
    assert even.subject == 'It\'s \\ {a,b} "quoted" NULL'
    assert even.body == "第一行\n第二行"
    assert even.expires_at is None
    assert even.member_id is None
    assert rows.get(member=alice).recipient == ""
    assert services.publish_many(messages) == 22  # all duplicates now: nothing more
    assert rows.count() == 21


def test_publish_many_keeps_every_value_of_a_fan_out_in_its_row(world: World) -> None:
    """A fan-out's rows share most values: on PostgreSQL they are sent once per statement
    (constants, and a few combinations by number); each row must still get its own."""
    from liuqing.notify import services

    expires = timezone.now() + dt.timedelta(hours=1)
    texts = [("标题", "正文"), ("ماۋزۇ", "مەزمۇن"), ("تاقىرىپ", "مازمۇن")]
    messages = [
        services.Message(
            member_id=None,
            recipient=f"partner:{i // 2}",
            kind="alert",
            subject=texts[(i // 2) % 3][0],
            body=texts[(i // 2) % 3][1],
            dedupe_key="fan",
            channel="sms" if i % 2 else "inapp",
            topic="alert:7",
            expires_at=None if i % 7 == 0 else expires,
        )
        for i in range(90)
    ]
    assert services.publish_many(messages) == 90
    rows = {(d.recipient, d.channel): d for d in Delivery.objects.filter(dedupe_key="fan")}
    assert len(rows) == 90
    for i, m in enumerate(messages):
        row = rows[(m.recipient, m.channel)]
        assert (row.subject, row.body, row.topic, row.kind) == (
            m.subject,
            m.body,
            "alert:7",
            "alert",
        )
        assert row.expires_at == m.expires_at, i
        assert row.status == DeliveryStatus.PENDING
        assert row.member_id is None


def test_publish_belongs_to_the_callers_transaction(world: World) -> None:
    alice = world.persona(Role.OFFICER)
    with transaction.atomic():
        publish(kind="x", subject="Never", members=[alice], dedupe_key="rolled-back")
        transaction.set_rollback(True)
    assert not Delivery.objects.exists()


def test_in_app_deliveries_are_sent_once(world: World) -> None:
    alice = world.persona(Role.OFFICER)
    publish(kind="x", subject="A", members=[alice], dedupe_key="a")
    publish(kind="x", subject="B", members=[alice], dedupe_key="b")
    report = deliver_due()
    assert (report.claimed, report.sent) == (2, 2)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    again = deliver_due(now=timezone.now() + dt.timedelta(days=1))
    assert again.claimed == 0


def test_the_limit_bounds_one_run(world: World) -> None:
    alice = world.persona(Role.OFFICER)
    for i in range(5):
        publish(kind="x", subject=str(i), members=[alice], dedupe_key=f"n{i}")
    assert deliver_due(limit=3).sent == 3
    assert deliver_due(limit=3).sent == 2


def test_a_transient_failure_is_retried_with_backoff(world: World, gateway: Gateway) -> None:
    gateway.transient = 2
    publish(
        kind="x", subject="S", members=[world.persona(Role.OFFICER)], dedupe_key="t", channel="sms"
    )
    now = timezone.now()
    first = deliver_due(now=now)
    assert first.retried == 1
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.PENDING
    assert row.attempts == 1
    assert "timed out" in row.last_error
    assert deliver_due(now=now).claimed == 0  # not before the backoff
    assert row.next_attempt_at >= now + channels.backoff(1) - dt.timedelta(seconds=5)
    deliver_due(now=now + dt.timedelta(hours=1))
    third = deliver_due(now=now + dt.timedelta(hours=2))
    assert third.sent == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    assert row.attempts == 3
    assert gateway.accepted == [row.idempotency_key]
    assert deliver_due(now=now + dt.timedelta(days=2)).claimed == 0  # never twice


def test_a_failing_adapter_is_dead_lettered_after_the_last_try(
    world: World, gateway: Gateway, settings: Any
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 3
    gateway.transient = 99
    publish(
        kind="x", subject="S", members=[world.persona(Role.OFFICER)], dedupe_key="d", channel="sms"
    )
    now = timezone.now()
    for hours in range(4):
        deliver_due(now=now + dt.timedelta(hours=hours))
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.DEAD
    assert row.attempts == 3
    assert gateway.calls == 3
    assert gateway.accepted == []


def test_a_permanent_failure_is_dead_lettered_at_once(world: World, gateway: Gateway) -> None:
    gateway.permanent = True
    publish(
        kind="x", subject="S", members=[world.persona(Role.OFFICER)], dedupe_key="p", channel="sms"
    )
    assert deliver_due().dead == 1
    assert Delivery.objects.get().status == DeliveryStatus.DEAD


def test_a_channel_without_adapter_is_dead_lettered(world: World) -> None:
    publish(
        kind="x",
        subject="S",
        members=[world.persona(Role.OFFICER)],
        dedupe_key="w",
        channel="pigeon",
    )
    assert deliver_due().dead == 1
    assert "no adapter" in Delivery.objects.get().last_error


def test_a_send_interrupted_after_the_claim_is_retried_when_the_lease_ends(
    world: World, gateway: Gateway
) -> None:
    publish(
        kind="x", subject="S", members=[world.persona(Role.OFFICER)], dedupe_key="c", channel="sms"
    )
    now = timezone.now()
    # A worker claimed the row, then died before recording the outcome.
    Delivery.objects.update(
        status=DeliveryStatus.SENDING, attempts=1, next_attempt_at=now + channels.lease()
    )
    assert deliver_due(now=now).claimed == 0  # the claim still holds
    assert deliver_due(now=now + channels.lease() + dt.timedelta(seconds=1)).sent == 1
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.SENT
    assert row.attempts == 2
    assert gateway.accepted == [row.idempotency_key]


def test_members_mark_their_own_notifications_read(world: World) -> None:
    from liuqing.core.access import NotFound

    alice, sam = world.persona(Role.OFFICER), world.persona(Role.SERGEANT)
    publish(kind="x", subject="A", members=[alice, sam], dedupe_key="r")
    publish(kind="x", subject="B", members=[alice], dedupe_key="r2")
    deliver_due()
    mine = Delivery.objects.filter(member=alice).first()
    assert mine is not None
    with pytest.raises(NotFound):
        mark_read(actor=sam, delivery=mine)
    mark_read(actor=alice, delivery=mine)
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert mark_all_read(actor=alice) == 1
    assert Delivery.objects.get(member=sam).read_at is None


def test_the_delivery_job_is_registered() -> None:
    from liuqing.core import worker

    assert worker.JOBS["notify.deliver"].every == dt.timedelta(seconds=10)


def test_redact_linked_masks_the_notifications_of_the_pages_named_only(world: World) -> None:
    alice, sam = world.persona(Role.OFFICER), world.persona(Role.SERGEANT)
    text = "王建军来电 13912345678"
    publish(
        kind="x", subject=text, body=text, link="/cases/1/", members=[alice, sam], dedupe_key="a"
    )
    publish(kind="x", subject=text, body=text, link="/cases/2/", members=[alice], dedupe_key="b")
    publish(kind="x", subject="已处理", link="/cases/1/", members=[alice], dedupe_key="c")

    assert redact_linked(names={"/cases/1/": ["王建军"]}) == 2  # the unchanged row is not written

    for delivery in Delivery.objects.filter(link="/cases/1/", dedupe_key="a"):
        assert "建军" not in delivery.subject + delivery.body
        assert "1391234" not in delivery.subject + delivery.body
        assert "来电" in delivery.body
    assert Delivery.objects.get(dedupe_key="c").subject == "已处理"
    other = Delivery.objects.get(link="/cases/2/")
    assert (other.subject, other.body) == (text, text)
    assert redact_linked(names={"/cases/1/": ["王建军"]}) == 0
