"""The casework engine's worker job: the SLA sweep, every five minutes."""

from __future__ import annotations

import datetime as dt

from liuqing.core import worker


def sweep_cases() -> str:
    from liuqing.casework.sweep import sweep

    return str(sweep())


worker.register(worker.Job(name="casework.sweep", func=sweep_cases, every=dt.timedelta(minutes=5)))
