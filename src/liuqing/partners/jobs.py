"""The partners' worker job: mark alerts past their expiry expired, every minute."""

from __future__ import annotations

import datetime as dt

from liuqing.core import worker


def expire() -> str:
    from liuqing.partners.services import expire_alerts

    return f"expired {expire_alerts()} alerts"


worker.register(
    worker.Job(name="partners.expire_alerts", func=expire, every=dt.timedelta(minutes=1))
)
