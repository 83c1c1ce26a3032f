"""The visits engine's periodic job: keep every plan's next due day current."""

from __future__ import annotations

import datetime as dt

from liuqing.core import worker
from liuqing.visits import services


@worker.job("visits.due", every=dt.timedelta(hours=1))
def refresh_due() -> str:
    counts = services.refresh_due()
    return "{plans} plans, {changed} changed, {due} due this week, {overdue} overdue".format(
        **counts
    )
