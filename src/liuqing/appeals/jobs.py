"""The appeals worker job: the figures' rollup (appeals.rollup) checked against the cases once
a day.

The rollup is kept in step by the services and signals in the transaction of every change;
writes that go around them (a bulk load, raw SQL, a restore of part of a database) would leave
it stale without anyone seeing it. The check reads every appeal inside one snapshot (REPEATABLE
READ on PostgreSQL, a read transaction on SQLite), so changes committed while it runs cannot
show as differences. Differences are logged as errors and recorded as a failed audit event
(whose details name the cells, never a resident), and the job fails, so the worker's log and
the audit log both show it; `liuqing appeal_figures --rebuild` repairs it. The last check is an
audit event, so the daily schedule holds across processes and restarts.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction

from liuqing.core import worker

log = logging.getLogger(__name__)

CHECK_ACTION = "appeals.figures.check"
_check_due = worker.daily_after(CHECK_ACTION)


def check_figures() -> str:
    from liuqing.appeals import rollup
    from liuqing.core import audit
    from liuqing.core.models import AuditOutcome

    # Its own transaction (the worker's case) can take a snapshot; inside a caller's it
    # reads what the caller's transaction sees.
    own = not connection.in_atomic_block
    with transaction.atomic():
        if own and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        problems = rollup.check()
    for line in problems[:20]:
        log.error("appeals figures rollup: %s", line)
    audit.record(
        CHECK_ACTION,
        object_type="appeals.figurecell",
        outcome=AuditOutcome.FAILED if problems else AuditOutcome.OK,
        details={"differences": len(problems), "first": problems[:20]},
    )
    if problems:
        raise RuntimeError(
            f"the appeals figures' rollup has {len(problems)} difference(s) from the cases: "
            "run `liuqing appeal_figures --rebuild`"
        )
    return "the appeals figures' rollup is in step with the cases"


worker.register(
    worker.Job(
        name="appeals.figures_check",
        func=check_figures,
        every=dt.timedelta(hours=1),
        is_due=_check_due,
    )
)
