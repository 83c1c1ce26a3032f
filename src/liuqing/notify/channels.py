"""Channel adapters: how a delivery leaves the outbox.

An adapter sends one `Delivery` over its channel. It signals failure by raising:

* `TransientError`: worth another try (a gateway timed out, answered 5xx or 429); the
  delivery goes back to pending with exponential backoff, and is dead-lettered once
  `NOTIFY_MAX_ATTEMPTS` tries have failed;
* `PermanentError`: no retry will help (the address is invalid, the bot was removed); the
  delivery is dead-lettered at once.

Any other exception counts as transient (and is logged), so a bug in an adapter delays
messages rather than losing them.

Adapters are either *transactional* (the in-app channel: "sending" is a change to our own
database, done inside the claiming transaction, so it happens exactly once) or external
(webhooks, WeCom / DingTalk bots, SMS, e-mail, added by later work). An external send happens
outside any transaction, after the row was claimed as `sending` with a lease; a worker killed
between the send and the bookkeeping leaves the row `sending`, and when the lease runs out it
is tried again. External adapters therefore pass `delivery.idempotency_key` to gateways that
accept one, so that a retry after a crash is not shown twice.

Register an adapter once, at import time::

    register(Adapter(channel="webhook", send=post_webhook))
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from liuqing.notify.models import Channel


class TransientError(Exception):
    """The send failed; trying again later may succeed."""


class PermanentError(Exception):
    """The send failed and never will succeed; dead-letter the delivery."""


@dataclass(frozen=True)
class Adapter:
    channel: str
    send: Callable[[Any], None]
    transactional: bool = False


ADAPTERS: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    ADAPTERS[adapter.channel] = adapter
    return adapter


def unregister(channel: str) -> None:
    ADAPTERS.pop(channel, None)


def adapter_for(channel: str) -> Adapter | None:
    return ADAPTERS.get(channel)


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 6))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try after `attempts` failed ones: 30 s, 1 min, 2 min, … capped
    at `NOTIFY_BACKOFF_MAX_SECONDS` (default one hour)."""
    base = int(getattr(settings, "NOTIFY_BACKOFF_SECONDS", 30))
    cap = int(getattr(settings, "NOTIFY_BACKOFF_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def jittered_backoff(attempts: int) -> dt.timedelta:
    """`backoff(attempts)` stretched by a random factor between 1 and 1.5, so that rows that
    failed together (a gateway outage) do not all come back in the same second."""
    return backoff(attempts) * random.uniform(1.0, 1.5)  # noqa: S311  (not cryptographic)


def bot_rate_per_minute() -> int:
    """Messages a group bot accepts per minute (WeCom and DingTalk: 20)."""
    return int(getattr(settings, "NOTIFY_BOT_RATE_PER_MINUTE", 20))


def http_timeout() -> float:
    return float(getattr(settings, "NOTIFY_HTTP_TIMEOUT_SECONDS", 10))


# --- Recipients who are not members -----------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """How to reach an outside recipient, resolved when sending (so a partner who left or
    withdrew consent in between is not messaged): `active` False dead-letters the row."""

    phone: str = ""
    email: str = ""
    language: str = ""
    active: bool = True


RESOLVERS: dict[str, Callable[[str], Contact | None]] = {}


def register_resolver(prefix: str, resolve: Callable[[str], Contact | None]) -> None:
    """The owning module resolves its recipients ("partner:12" → the partner's contact)."""
    RESOLVERS[prefix] = resolve


PERSONAL = frozenset({"sms", "email"})


def send_threads() -> int:
    """External sends in flight at once per worker (a SIGKILL may repeat these, each with
    its idempotency key, and the outcomes not yet written: see `book_every`)."""
    return max(1, int(getattr(settings, "NOTIFY_SEND_THREADS", 1)))


def book_every() -> int:
    """External sends whose outcomes the worker writes together, in one transaction (fewer
    commits per delivery); a worker killed between two writes sends up to this many again
    (with their idempotency keys), besides those in flight. 1 writes each at once."""
    return max(1, int(getattr(settings, "NOTIFY_BOOK_EVERY", 4)))


def prepare(delivery: Any, batch: dict[str, Any] | None = None) -> None:
    """Before an external send, in the worker's own thread: resolve the outside recipient's
    contact (adapters then send from pool threads without touching the database), and give
    an SMS without a gateway the deployment's first active one (read once per `batch`, a
    dict the caller keeps over one batch's deliveries)."""
    # Only channels that address a person need their contact (bots and webhooks address
    # their endpoint).
    if delivery.channel in PERSONAL and delivery.recipient.partition(":")[0] in RESOLVERS:
        delivery._contact = contact_for(delivery)
    if delivery.channel == "sms" and delivery.endpoint is None:
        from liuqing.notify.models import Endpoint

        memo = {} if batch is None else batch
        if "sms_gateway" not in memo:
            memo["sms_gateway"] = (
                Endpoint.objects.filter(channel="sms", is_active=True).order_by("pk").first()
            )
        delivery.endpoint = memo["sms_gateway"]
    # The secret was decrypted when the endpoint was loaded; `reveal` only hands it over.
    if delivery.endpoint is not None and delivery.endpoint.secret:
        delivery._secret = delivery.endpoint.secret.reveal()


def contact_for(delivery: Any) -> Contact:
    """The contact of a delivery's outside recipient; PermanentError if there is none."""
    cached = getattr(delivery, "_contact", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    prefix, _sep, ref = str(delivery.recipient).partition(":")
    resolve = RESOLVERS.get(prefix)
    found = resolve(ref) if resolve is not None else None
    if found is None or not found.active:
        raise PermanentError(f"recipient {delivery.recipient} is gone or inactive")
    return found


def lease() -> dt.timedelta:
    """How long an external send may take before its claim lapses and it is retried."""
    return dt.timedelta(seconds=int(getattr(settings, "NOTIFY_LEASE_SECONDS", 300)))


def _in_app(delivery: Any) -> None:
    # The row is the inbox item: once marked sent it shows in the member's inbox.
    return None


register(Adapter(channel=Channel.INAPP, send=_in_app, transactional=True))
