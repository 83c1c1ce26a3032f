"""Per-address rate limits for the public surfaces (SECURITY.md: over the limit → 429).

Fixed windows counted in Django's cache: the first hit of a window `add`s the counter, later
hits `incr` it, both atomic in every backend Django ships. A burst across a window boundary may
reach twice the limit, which is fine for its purpose (keeping a script from flooding the
request desk or guessing tracking codes).

The counters are only as shared as the cache: the local-memory cache of a default install
counts per process. A deployment with several app processes sets ``CACHE_URL`` to a Redis
server (see settings.py) so that they all count together. If the cache fails, requests pass:
a broken counter must not take the residents' pages down with it (never a 5xx).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from liuqing.core.middleware import client_ip

logger = logging.getLogger(__name__)

# bucket → (requests allowed, window in seconds); settings.LIUQING_RATE_LIMITS overrides.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "submit": (10, 3600),  # request form POSTs
    "lookup": (60, 600),  # tracking-code lookups and receipts
    "board_pdf": (30, 600),  # printable notice boards (each one renders a PDF)
    "open311_post": (300, 3600),  # Open311 POST requests and servicerequestupdates
}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    retry_after: int  # seconds until the window ends (0 when allowed)


def limits() -> dict[str, tuple[int, int]]:
    return {**DEFAULT_LIMITS, **getattr(settings, "LIUQING_RATE_LIMITS", {})}


def _key(bucket: str, address: str, window: int, now: float) -> str:
    # The address is hashed so that the cache never holds residents' addresses in clear.
    digest = hashlib.sha256(f"{bucket}|{address}".encode()).hexdigest()[:32]
    return f"liuqing:rl:{bucket}:{digest}:{int(now // window)}"


def hit(request: HttpRequest, bucket: str, *, now: float | None = None) -> Verdict:
    """Count one request of `bucket` from the request's client address and say whether it
    is allowed (`now`: the clock, for tests)."""
    limit, window = limits()[bucket]
    now = time.time() if now is None else now
    key = _key(bucket, client_ip(request) or "unknown", window, now)
    try:
        if cache.add(key, 1, timeout=window + 1):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr: a new window
                cache.add(key, 1, timeout=window + 1)
                count = 1
    except Exception:  # the cache server is down: let the request through, loudly
        logger.exception("rate limit counter unavailable for %s", bucket)
        return Verdict(True, limit, 0)
    if count <= limit:
        return Verdict(True, limit, 0)
    retry = max(1, math.ceil((int(now // window) + 1) * window - now))
    return Verdict(False, limit, retry)
