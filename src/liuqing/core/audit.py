"""The audit log: append-only, hash-chained, written inside the caller's transaction.

`record()` must run inside the transaction of the change it describes (services wrap both in
one `transaction.atomic()`); it takes the chain head FOR UPDATE, so appends are serialised and
the chain never forks. If the audit write fails, the exception propagates and the change rolls
back with it.

The head lock is a deliberate bottleneck: one short row lock per write transaction. At a
detachment's write rates (tens per second) that is invisible; a province would partition the
chain per detachment (the head row's id) before it mattered.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from liuqing.core.models import AuditEvent, AuditHead, AuditOutcome, Member, Unit
from liuqing.core.pii import EncryptedField, Protected

GENESIS = "0" * 64


@dataclass
class RequestContext:
    """Who is acting and from where, set per request by middleware (or by the CLI)."""

    source_ip: str = ""
    channel: str = "web"


_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "liuqing_request_context", default=None
)


def set_context(ctx: RequestContext | None) -> contextvars.Token[RequestContext | None]:
    return _context.set(ctx)


def reset_context(token: contextvars.Token[RequestContext | None]) -> None:
    _context.reset(token)


def current_context() -> RequestContext:
    return _context.get() or RequestContext(channel="system")


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _content(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "member": event.member_id_value,
        "username": event.member_username,
        "unit": event.unit_id_value,
        "unit_path": event.unit_path,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "source_ip": event.source_ip,
        "reason": event.reason,
        "details": event.details,
    }


def compute_digest(prev_digest: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_digest + canonical(_content(event))).encode()).hexdigest()


def _mask(value: Any) -> Any:
    if isinstance(value, Protected):
        return value.masked
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(str(_mask(v)) for v in value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """Field values of `instance` for a change record; personal data appears masked."""
    result: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in {"password", "digest"} or field.name.endswith("_index"):
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, EncryptedField):
            value = value.masked if isinstance(value, Protected) else ("****" if value else "")
        result[field.name] = _mask(value)
    return result


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed."""
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


def record(
    action: str,
    *,
    actor: Member | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    unit: Unit | None = None,
    outcome: str = AuditOutcome.OK,
    reason: str = "",
    details: dict[str, Any] | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the current (or a new) transaction."""
    ctx = current_context()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        if unit is None:
            unit = getattr(obj, "unit", None) if not isinstance(obj, Unit) else obj
    if unit is None and actor is not None:
        unit = actor.unit
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            member_id_value=actor.pk if actor is not None else None,
            member_username=(actor.username if actor is not None else username)[:64],
            unit_id_value=unit.pk if unit is not None else None,
            unit_path=unit.path if unit is not None else "",
            action=action[:64],
            object_type=object_type[:64],
            object_id=str(object_id)[:64],
            outcome=outcome,
            source_ip=ctx.source_ip[:64],
            reason=reason,
            details=canonical({"channel": ctx.channel, **(details or {})}),
            prev_digest=head.digest,
        )
        event.digest = compute_digest(head.digest, event)
        event.save(force_insert=True)
        head.seq = event.seq
        head.digest = event.digest
        head.save(update_fields=["seq", "digest"])
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str]


def iter_chain(batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain() -> VerifyResult:
    """Walk the whole chain: every digest recomputed, every link and sequence number checked,
    and the head compared with the last event (so deleting the newest events shows too)."""
    problems: list[str] = []
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    for event in iter_chain():
        checked += 1
        if event.seq != expected_seq:
            problems.append(f"events {expected_seq}..{event.seq - 1} are missing")
            expected_seq = event.seq
        if event.prev_digest != expected_prev:
            problems.append(f"event {event.seq}: link to the previous event is broken")
        if compute_digest(event.prev_digest, event) != event.digest:
            problems.append(f"event {event.seq}: content does not match its digest (altered)")
        expected_prev = event.digest
        expected_seq += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.digest != expected_prev):
        problems.append(
            f"the chain head says #{head.seq} but the last stored event is #{expected_seq - 1}"
            " (events deleted from the end)"
        )
    return VerifyResult(ok=not problems, checked=checked, problems=problems)
