"""The notify engine's worker job: deliver what is due, every ten seconds."""

from __future__ import annotations

import datetime as dt
import os

from liuqing.core import worker

# How often the worker looks for due deliveries (a test of the worker sets it lower).
POLL = dt.timedelta(seconds=float(os.environ.get("NOTIFY_POLL_SECONDS", "10")))


def deliver() -> str:
    from liuqing.notify.services import deliver_until_idle

    return str(deliver_until_idle())


worker.register(
    worker.Job(
        name="notify.deliver",
        func=deliver,
        every=POLL,
    )
)
