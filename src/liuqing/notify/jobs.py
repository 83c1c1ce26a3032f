"""The notify engine's worker job: deliver what is due, every ten seconds."""

from __future__ import annotations

import datetime as dt

from liuqing.core import worker


def deliver() -> str:
    from liuqing.notify.services import deliver_due

    return str(deliver_due())


worker.register(worker.Job(name="notify.deliver", func=deliver, every=dt.timedelta(seconds=10)))
