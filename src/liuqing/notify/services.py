"""Every write of the notify engine: publishing into the outbox, delivering, marking read.

`publish()` runs inside the caller's transaction (a case's warning changes and its owner's
notification are committed together, or neither is). It writes one `Delivery` per recipient
and channel; a second publish with the same `dedupe_key` to the same recipient and channel is
ignored, so a retried business operation never notifies twice.

`deliver_due()` is the worker's job: it claims due rows (FOR UPDATE SKIP LOCKED on
PostgreSQL, so several workers share the work without taking the same row; SQLite has a
single writer), sends each through its channel adapter (liuqing.notify.channels) and records
the outcome: sent, retried later with backoff, or dead-lettered.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Field, ForeignKey, Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.core import audit, retention
from liuqing.core.access import NotFound
from liuqing.core.models import Member
from liuqing.notify import channels
from liuqing.notify.models import BOT_CHANNELS, Channel, Delivery, DeliveryStatus, Endpoint

log = logging.getLogger("liuqing.notify")


@dataclass(frozen=True)
class Message:
    """One notification to one member over one channel (see `publish_many`)."""

    member_id: int | None
    kind: str
    subject: str
    dedupe_key: str
    body: str = ""
    link: str = ""
    channel: str = Channel.INAPP
    recipient: str = ""  # an outside recipient ("partner:12") instead of a member
    endpoint_id: int | None = None
    topic: str = ""
    expires_at: dt.datetime | None = None


def _fit(value: str, length: int) -> str:
    value = str(value)
    return value if len(value) <= length else value[: length - 1] + "…"


DELIVERY_FIELDS = [
    "member",
    "channel",
    "kind",
    "subject",
    "body",
    "link",
    "dedupe_key",
    "created_at",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "recipient",
    "endpoint",
    "topic",
    "expires_at",
]


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    assert field.column
    return str(field.column)


def publish_many(messages: Iterable[Message], *, now: dt.datetime | None = None) -> int:
    """Write the messages into the outbox, ignoring any that duplicate an existing (member,
    channel, dedupe_key). Returns how many were offered.

    One prepared INSERT … ON CONFLICT DO NOTHING run over all rows (SQLite and PostgreSQL
    both speak it): the SLA sweep can publish tens of thousands at once, and the ORM's
    per-field preparation would cost more than the rest of the sweep.
    """
    adapted: dict[dt.datetime, Any] = {}

    def adapt(value: dt.datetime) -> Any:
        # An alert's rows share one expiry: adapt it once, not 20,000 times.
        if value not in adapted:
            adapted[value] = connection.ops.adapt_datetimefield_value(value)
        return adapted[value]

    at = adapt(now or timezone.now())
    pending = DeliveryStatus.PENDING.value
    fitted: dict[tuple[Any, int], str] = {}

    def fit(value: Any, length: int) -> str:
        # Thousands of rows share a handful of subjects and bodies: cut each once.
        if value.__class__ is str and len(value) <= length:
            return value
        key = (value, length)
        if key not in fitted:
            fitted[key] = _fit(value, length)
        return fitted[key]

    rows = []
    add = rows.append
    for m in messages:
        if not m.dedupe_key or len(m.dedupe_key) > 120:
            raise ValidationError({"dedupe_key": _("A de-duplication key of 1 to 120 characters.")})
        if (m.member_id is None) == (not m.recipient) or len(m.recipient) > 64:
            raise ValidationError({"recipient": _("Either a member or an outside recipient.")})
        add(
            (
                m.member_id,
                m.channel,
                m.kind[:32],
                fit(m.subject, 200),
                fit(m.body, 4000),
                m.link[:300],
                m.dedupe_key,
                at,
                pending,
                0,
                at,
                "",
                m.recipient,
                m.endpoint_id,
                m.topic[:64],
                adapt(m.expires_at) if m.expires_at is not None else None,
            )
        )
    if rows:
        meta = Delivery._meta
        quote = connection.ops.quote_name
        columns = ", ".join(quote(_column(Delivery, f)) for f in DELIVERY_FIELDS)
        if connection.vendor == "postgresql":
            _insert_unnest(quote(meta.db_table), columns, rows)
        else:
            marks = ", ".join(["%s"] * len(DELIVERY_FIELDS))
            sql = (
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks}) "  # noqa: S608
                "ON CONFLICT DO NOTHING"
            )
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)
    return len(rows)


UNNEST_ROWS = 5000
# A column with at most this many distinct values in a statement is sent as its distinct
# values plus one shared index array (see _insert_unnest).
FEW_VALUES = 64


def _insert_unnest(table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: one INSERT … SELECT … FROM unnest(…) per UNNEST_ROWS rows.

    Django binds parameters on the client and without prepared statements (connection
    poolers), so an `executemany` sends, and the server parses, one statement per row; here
    it parses one per 5,000. The rows of one message fan-out are alike, so each statement
    is made small before it is sent:

    * a column with one value in all rows is one parameter (`%s::type`);
    * the columns with a few values each (channel, the subject and body of each language)
      are sent as their distinct combinations, one array per column, and one array of
      combination numbers (`(%s::type[])[u.k]`);
    * only the other columns (the recipients) are sent as one array of values each.

    The client quotes, and the server parses, a tenth of the array elements of plain
    unnesting. Rows that duplicate each other or an existing row are skipped as before
    (ON CONFLICT DO NOTHING)."""
    types = [Delivery._meta.get_field(name).db_type(connection) for name in DELIVERY_FIELDS]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UNNEST_ROWS):
            sql, params = _unnest_statement(
                table, columns, types, rows[start : start + UNNEST_ROWS]
            )
            cursor.execute(sql, params)


def _unnest_statement(
    table: str, columns: str, types: list[str], rows: list[tuple[Any, ...]]
) -> tuple[str, list[Any]]:
    """The statement and parameters that insert `rows` (see _insert_unnest)."""
    by_column = list(zip(*rows, strict=True))
    distinct = [dict.fromkeys(values) for values in by_column]
    few = [i for i, values in enumerate(distinct) if 1 < len(values) <= FEW_VALUES]
    combos: dict[tuple[Any, ...], int] = {}
    numbers: list[int] = []
    if few:
        for row in rows:
            numbers.append(combos.setdefault(tuple(row[i] for i in few), len(combos) + 1))
        if len(combos) * 4 > len(rows):  # no saving: every column as an array of its own
            few, combos, numbers = [], {}, []
    combo_values = list(zip(*combos, strict=True)) if combos else []
    selected: list[str] = []
    arrays: list[Any] = []
    unnested: list[str] = []
    scalars: list[Any] = []
    for i, values in enumerate(distinct):
        if len(values) == 1:
            selected.append(f"%s::{types[i]}")
            scalars.append(next(iter(values)))
        elif i in few:
            selected.append(f"(%s::{types[i]}[])[u.k]")
            scalars.append(list(combo_values[few.index(i)]))
        else:
            selected.append(f"u.c{i}")
            unnested.append(f"%s::{types[i]}[]")
            arrays.append(list(by_column[i]))
    names = [f"c{i}" for i, values in enumerate(distinct) if len(values) > 1 and i not in few]
    if numbers:
        unnested.append("%s::integer[]")
        arrays.append(numbers)
        names.append("k")
    # Rows alike in every column are one row (they would duplicate each other).
    source = f"FROM unnest({', '.join(unnested)}) AS u({', '.join(names)}) " if names else ""
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {', '.join(selected)} {source}"
        "ON CONFLICT DO NOTHING"
    )
    return sql, scalars + arrays


def publish(
    *,
    kind: str,
    subject: str,
    body: str = "",
    link: str = "",
    members: Iterable[Member | int],
    dedupe_key: str,
    channel: str = Channel.INAPP,
) -> int:
    """Notify each of `members` (objects or ids) once; duplicates of `dedupe_key` are ignored.

    Call it inside the transaction of the change it announces.
    """
    ids = sorted({m if isinstance(m, int) else m.pk for m in members})
    return publish_many(
        Message(
            member_id=pk,
            kind=kind,
            subject=subject,
            body=body,
            link=link,
            dedupe_key=dedupe_key,
            channel=channel,
        )
        for pk in ids
    )


# --- Delivery --------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    claimed: int = 0
    skipped: int = 0  # expired or withdrawn before they went out
    throttled: int = 0  # put back: their group bot had used its minute's quota
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"claimed {self.claimed}, sent {self.sent}, retry later {self.retried}, "
            f"dead-lettered {self.dead}, skipped {self.skipped}, throttled {self.throttled}"
        )


def _due(now: dt.datetime) -> QuerySet[Delivery]:
    """Pending rows whose time has come, and external sends whose claim lapsed (a worker
    died mid-send)."""
    return Delivery.objects.filter(
        Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.SENDING),
        next_attempt_at__lte=now,
    ).order_by("next_attempt_at", "pk")


def _lock(qs: QuerySet[Delivery]) -> QuerySet[Delivery]:
    # PostgreSQL: several workers share the due rows, each skipping the others' locked ones.
    # SQLite has no row locks; its IMMEDIATE transactions (settings.py) take the one write
    # lock at BEGIN, so a second worker waits for the claim to commit and then sees the rows
    # as `sending` with a lease in the future: the same effect, serialised.
    # Only the delivery rows are locked (`of`); their endpoints are read after, unlocked
    # (`_with_endpoints`).
    of = ("self",) if connection.features.has_select_for_update_of else ()
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=of)
    return qs.select_for_update(of=of)


def _with_endpoints(claimed: list[Delivery]) -> list[Delivery]:
    """Attach each claimed row's endpoint, loaded once per batch (a batch to one webhook has
    one endpoint: one row read and one secret decrypted, not one per delivery)."""
    ids = {d.endpoint_id for d in claimed if d.endpoint_id is not None}
    endpoints = Endpoint.objects.in_bulk(ids) if ids else {}
    field = Delivery._meta.get_field("endpoint")
    assert isinstance(field, ForeignKey)
    for d in claimed:
        field.set_cached_value(d, endpoints.get(d.endpoint_id) if d.endpoint_id else None)
    return claimed


def _throttle(claimed: list[Delivery], now: dt.datetime, report: DeliveryReport) -> set[int]:
    """Keep each group bot within its per-minute quota: rows over it go back to pending for
    later, without counting an attempt. Returns the pks put back.

    The quota counts what the bot received in the last minute plus what is being sent to it;
    the endpoint rows are locked first, so two workers cannot both spend the same quota."""
    bots: dict[int, list[Delivery]] = {}
    for d in claimed:
        if d.channel in BOT_CHANNELS and d.endpoint_id is not None:
            bots.setdefault(d.endpoint_id, []).append(d)
    if not bots:
        return set()
    list(Endpoint.objects.select_for_update().filter(pk__in=bots).values_list("pk", flat=True))
    per_minute = channels.bot_rate_per_minute()
    window = now - dt.timedelta(minutes=1)
    claimed_pks = [d.pk for d in claimed]
    put_back: set[int] = set()
    for endpoint_id, rows in bots.items():
        recent = list(
            Delivery.objects.filter(endpoint_id=endpoint_id)
            .filter(
                Q(sent_at__gt=window, status=DeliveryStatus.SENT)
                | Q(status=DeliveryStatus.SENDING, next_attempt_at__gt=now)
            )
            .exclude(pk__in=claimed_pks)
            .values_list("sent_at", flat=True)
        )
        room = max(0, per_minute - len(recent))
        oldest = min((t for t in recent if t is not None), default=now)
        for i, d in enumerate(rows[room:]):
            # Spread the rest over the coming minutes, in order.
            d.next_attempt_at = max(oldest + dt.timedelta(minutes=1), now) + dt.timedelta(
                seconds=60 * (i // per_minute) + 1
            )
            put_back.add(d.pk)
            report.throttled += 1
    return put_back


def _failed(
    delivery: Delivery, exc: BaseException, now: dt.datetime, report: DeliveryReport
) -> None:
    # A gateway's garbage may hold NUL and control bytes (PostgreSQL refuses NUL in text).
    text = "".join(ch if ch.isprintable() else "?" for ch in f"{type(exc).__name__}: {exc}")
    delivery.last_error = _fit(text, 300)
    if isinstance(exc, channels.PermanentError) or delivery.attempts >= channels.max_attempts():
        delivery.status = DeliveryStatus.DEAD
        report.dead += 1
    else:
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now + channels.jittered_backoff(delivery.attempts)
        report.retried += 1
    if not isinstance(exc, channels.TransientError | channels.PermanentError):
        log.exception("notify adapter for %s failed", delivery.channel, exc_info=exc)


UPDATE_FIELDS = ["status", "attempts", "next_attempt_at", "sent_at", "last_error"]


def deliver_due(limit: int = 500, *, now: dt.datetime | None = None) -> DeliveryReport:
    """Claim up to `limit` due deliveries and send them. Safe to run in several workers at
    once and to kill at any point: nothing is lost, and a sent row is never sent again."""
    now = now or timezone.now()
    report = DeliveryReport()
    external: list[tuple[Delivery, channels.Adapter]] = []
    with transaction.atomic():
        claimed = _with_endpoints(list(_lock(_due(now))[:limit]))
        report.claimed = len(claimed)
        put_back = _throttle(claimed, now, report)
        for delivery in claimed:
            if delivery.pk in put_back:
                continue
            adapter = channels.adapter_for(delivery.channel)
            if delivery.expires_at is not None and delivery.expires_at <= now:
                delivery.status = DeliveryStatus.SKIPPED
                delivery.last_error = _fit(_("Expired before it could be sent."), 300)
                report.skipped += 1
                continue
            delivery.attempts += 1
            if adapter is None:
                _failed(
                    delivery,
                    channels.PermanentError(f"no adapter for channel {delivery.channel}"),
                    now,
                    report,
                )
            elif adapter.transactional:
                try:
                    adapter.send(delivery)
                except Exception as exc:
                    _failed(delivery, exc, now, report)
                else:
                    delivery.status = DeliveryStatus.SENT
                    delivery.sent_at = now
                    delivery.last_error = ""
                    report.sent += 1
            else:
                delivery.status = DeliveryStatus.SENDING
                delivery.next_attempt_at = now + channels.lease()
                external.append((delivery, adapter))
        _save_claimed(claimed)
    _send_external(external, report)
    return report


def _save_claimed(claimed: list[Delivery]) -> None:
    """Store the claim's outcome: one UPDATE per group of rows with the same new values (a
    batch is mostly one group: all `sending`, or all sent in the app), not a 500-way CASE."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for d in claimed:
        key = tuple(getattr(d, f) for f in UPDATE_FIELDS)
        groups.setdefault(key, []).append(d.pk)
    for key, pks in groups.items():
        Delivery.objects.filter(pk__in=pks).update(**dict(zip(UPDATE_FIELDS, key, strict=True)))


def _outcome(delivery: Delivery, exc: BaseException | None, report: DeliveryReport) -> None:
    if exc is not None:
        _failed(delivery, exc, timezone.now(), report)
    else:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.last_error = ""
        report.sent += 1


class _Ledger:
    """The outcomes of a batch's external sends, written a few at a time: every
    `NOTIFY_BOOK_EVERY` outcomes (or half a second after the oldest unwritten one), one
    transaction with one guarded UPDATE per row. A worker killed before a write re-sends
    only the sends since the last one (plus those in flight), each with its idempotency key.

    Only the claim we hold is updated (`status = sending AND attempts = n`): if our lease
    lapsed and another worker took the row meanwhile, its bookkeeping wins. Plain SQL: the
    ORM's compilation of this statement cost more than the send itself."""

    MAX_WAIT = 0.5

    def __init__(self, report: DeliveryReport) -> None:
        self.report = report
        self.every = channels.book_every()
        self.rows: list[Delivery] = []
        self.since = 0.0

    def add(self, delivery: Delivery, exc: BaseException | None) -> None:
        _outcome(delivery, exc, self.report)
        if not self.rows:
            self.since = time.monotonic()
        self.rows.append(delivery)
        if len(self.rows) >= self.every or time.monotonic() - self.since >= self.MAX_WAIT:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        adapt = connection.ops.adapt_datetimefield_value
        table = connection.ops.quote_name(Delivery._meta.db_table)
        params = [
            (
                d.status,
                d.attempts,
                adapt(d.next_attempt_at),
                adapt(d.sent_at) if d.sent_at else None,
                d.last_error,
                d.pk,
                DeliveryStatus.SENDING.value,
                d.attempts,
            )
            for d in self.rows
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # No wait for the WAL flush: if the server crashed before flushing it, the
                # rows would still be `sending` and go out again with the same idempotency
                # keys (the same effect as a worker killed mid-send).
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.executemany(
                f"UPDATE {table} SET status = %s, attempts = %s, "  # noqa: S608
                "next_attempt_at = %s, sent_at = %s, last_error = %s "
                "WHERE id = %s AND status = %s AND attempts = %s",
                params,
            )
        self.rows = []


def _attempt(delivery: Delivery, adapter: channels.Adapter) -> BaseException | None:
    try:
        adapter.send(delivery)
    except Exception as exc:
        return exc
    return None


def _send_external(
    external: list[tuple[Delivery, channels.Adapter]], report: DeliveryReport
) -> None:
    """Send the claimed external deliveries, `NOTIFY_SEND_THREADS` at a time (sends wait on
    the network, not on us). Everything that touches the database (resolving recipients,
    the bookkeeping) stays in this thread; the pool threads only talk HTTP or SMTP."""
    ledger = _Ledger(report)
    ready: list[tuple[Delivery, channels.Adapter]] = []
    batch: dict[str, Any] = {}
    for delivery, adapter in external:
        try:
            channels.prepare(delivery, batch)
        except Exception as exc:
            ledger.add(delivery, exc)
        else:
            ready.append((delivery, adapter))
    threads = channels.send_threads()
    try:
        if threads <= 1 or len(ready) <= 1:
            for delivery, adapter in ready:
                ledger.add(delivery, _attempt(delivery, adapter))
            return
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="notify-send") as pool:
            futures = {pool.submit(_attempt, d, a): d for d, a in ready}
            for future in as_completed(futures):
                ledger.add(futures[future], future.result())
    finally:
        ledger.flush()


def withdraw(*, topic: str, reason: str = "") -> int:
    """Skip every delivery of `topic` that has not gone out yet (an alert was cancelled or
    superseded); rows already being sent finish. Call it inside the caller's transaction.
    Returns how many were skipped."""
    if not topic:
        return 0
    return Delivery.objects.filter(topic=topic, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SKIPPED, last_error=_fit(reason or _("Withdrawn."), 300)
    )


def withdraw_for_recipient(*, recipient: str, kind: str, reason: str = "") -> int:
    """Skip every delivery of `kind` to the outside `recipient` that has not gone out yet
    (a partner paused: their queued alerts must not reach them); rows already being sent
    finish, and other kinds (a sign-in code) still go. Call it inside the caller's
    transaction. Returns how many were skipped."""
    if not recipient or not kind:
        return 0
    return Delivery.objects.filter(
        recipient=recipient, kind=kind, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.SKIPPED, last_error=_fit(reason or _("Withdrawn."), 300))


def redact_linked(*, names: Mapping[str, Collection[str]]) -> int:
    """Pass the subject and body of every delivery linking to one of the pages `names` maps
    (link -> the names of the people of the record behind it) through `core.redact` with
    those names: a retention rule's purge, so that the notifications about a record keep
    none of the personal data the record loses. Rows that do not change are not written.
    Runs inside the caller's transaction; returns how many deliveries changed.

    A record's notifications are messages outside a topic (a topic is an alert's fan-out,
    which links to the alert), found by the partial index on their link."""
    return retention.redact_columns(
        Delivery.objects.filter(topic=""), "link", ("subject", "body"), names
    )


def redrive(deliveries: QuerySet[Delivery], *, actor: Member | None = None) -> int:
    """Put dead letters back in the queue for a fresh series of tries (after the operator
    fixed the cause: a bot re-added, a gateway's balance topped up). One transaction with
    its audit event; returns how many."""
    with transaction.atomic():
        pks = list(deliveries.filter(status=DeliveryStatus.DEAD).values_list("pk", flat=True))
        count = Delivery.objects.filter(pk__in=pks, status=DeliveryStatus.DEAD).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        if count:
            audit.record(
                "notification.redrive",
                actor=actor,
                object_type="notify.delivery",
                details={"count": count, "ids": pks[:100]},
            )
    return count


def deliver_until_idle(*, limit: int = 500, max_batches: int = 1000) -> DeliveryReport:
    """Run `deliver_due` batch after batch until nothing is due (the worker's job: a big
    alert goes out at full speed instead of 500 rows every ten seconds)."""
    total = DeliveryReport()
    for _batch in range(max_batches):
        report = deliver_due(limit)
        for name in ("sent", "retried", "dead", "claimed", "skipped", "throttled"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        if report.claimed < limit or report.claimed == report.throttled:
            break
    return total


# --- The member's inbox ----------------------------------------------------------------------


def _own(actor: Member, delivery: Any) -> Delivery:
    if not isinstance(delivery, Delivery) or delivery.member_id != actor.pk:
        raise NotFound
    return delivery


def mark_read(*, actor: Member, delivery: Delivery) -> Delivery:
    """Mark one of the actor's own notifications read (someone else's: NotFound)."""
    delivery = _own(actor, delivery)
    if delivery.read_at is not None:
        return delivery
    with transaction.atomic():
        delivery.read_at = timezone.now()
        delivery.save(update_fields=["read_at"])
        audit.record(
            "notification.read", actor=actor, object_type="notify.delivery", object_id=delivery.pk
        )
    return delivery


def mark_all_read(*, actor: Member) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    with transaction.atomic():
        count = Delivery.objects.filter(
            member=actor, channel=Channel.INAPP, status=DeliveryStatus.SENT, read_at__isnull=True
        ).update(read_at=timezone.now())
        if count:
            audit.record(
                "notification.read_all",
                actor=actor,
                object_type="notify.delivery",
                details={"count": count},
            )
    return count
