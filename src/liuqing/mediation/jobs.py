"""The worker job of dispute mediation: the judicial-confirmation reminders."""

from __future__ import annotations

import datetime as dt

from liuqing.core import worker
from liuqing.mediation.followup import send_confirmation_reminders


def remind_confirmations() -> str:
    return f"{send_confirmation_reminders()} reminders"


worker.register(
    worker.Job(
        name="mediation.confirmations", func=remind_confirmations, every=dt.timedelta(hours=1)
    )
)
