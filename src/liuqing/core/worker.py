"""The background worker: a loop that runs registered periodic jobs.

Engines and modules register their jobs here (the notify outbox, the SLA sweep, retention
purges)::

    from liuqing.core import worker

    @worker.job("notify.deliver", every=dt.timedelta(seconds=10))
    def deliver_due() -> str:
        ...
        return "sent 3"

Jobs must be idempotent and safe to run in several worker processes at once: there is no
leader. A job that must run rarely across all processes keeps its own persistent "last done"
mark and says so through `is_due`; `daily_after(action)` makes the daily ones, whose mark is
the audit event each run records. A job that claims rows uses `SELECT … FOR UPDATE SKIP
LOCKED` on PostgreSQL.

`run_pass()` runs every job that is due once; `run_forever()` repeats that until stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections
from django.utils import timezone

from liuqing.core.discovery import app_modules

log = logging.getLogger("liuqing.worker")

JobFunc = Callable[[], object]


@dataclass(frozen=True)
class Job:
    """A named periodic task. `is_due(now)`, when given, can veto a run the interval allows
    (for schedules that must hold across processes and restarts)."""

    name: str
    func: JobFunc
    every: dt.timedelta
    is_due: Callable[[dt.datetime], bool] | None = None


JOBS: dict[str, Job] = {}


def register(job_: Job) -> Job:
    JOBS[job_.name] = job_
    return job_


def job(
    name: str, *, every: dt.timedelta, is_due: Callable[[dt.datetime], bool] | None = None
) -> Callable[[JobFunc], JobFunc]:
    """Decorator: register `func` as the periodic job `name`."""

    def decorate(func: JobFunc) -> JobFunc:
        register(Job(name=name, func=func, every=every, is_due=is_due))
        return func

    return decorate


def discover() -> None:
    """Import `<app>.jobs` of every installed Liuqing app, so their jobs are registered."""
    app_modules("jobs")


@dataclass
class Outcome:
    name: str
    ok: bool
    result: str
    seconds: float


@dataclass
class Worker:
    """Runs jobs on their intervals. The last-run times are this process's own; several
    workers each run every job, which is why jobs are idempotent."""

    jobs: dict[str, Job] = field(default_factory=lambda: JOBS)
    last_run: dict[str, float] = field(default_factory=dict)  # monotonic seconds
    only: frozenset[str] = frozenset()

    def selected(self) -> list[Job]:
        return [j for name, j in sorted(self.jobs.items()) if not self.only or name in self.only]

    def due(self, now_mono: float) -> list[Job]:
        result = []
        for j in self.selected():
            last = self.last_run.get(j.name)
            if last is None or now_mono - last >= j.every.total_seconds():
                result.append(j)
        return result

    def run_pass(self, *, force: bool = False) -> list[Outcome]:
        """Run every job that is due now (every selected job if `force`), each on its own:
        one failing job is logged and does not stop the others."""
        outcomes = []
        now_mono = time.monotonic()
        refresh_connections()
        for j in self.selected() if force else self.due(now_mono):
            self.last_run[j.name] = now_mono
            outcomes.append(run_job(j, force=force))
        refresh_connections()
        return outcomes

    def seconds_until_next(self) -> float:
        now_mono = time.monotonic()
        waits = [
            j.every.total_seconds() - (now_mono - self.last_run.get(j.name, -1e18))
            for j in self.selected()
        ]
        return max(0.0, min(waits, default=60.0))

    def run_forever(self, stop: threading.Event, *, max_sleep: float = 30.0) -> None:
        """Run passes until `stop` is set; sleeps until the next job is due (at most
        `max_sleep` seconds, so a stop request is honoured promptly)."""
        log.info("worker started with jobs: %s", ", ".join(j.name for j in self.selected()))
        while not stop.is_set():
            self.run_pass()
            stop.wait(min(max_sleep, max(0.5, self.seconds_until_next())))
        log.info("worker stopped")


def refresh_connections() -> None:
    """Drop database connections that broke or outlived CONN_MAX_AGE, as Django does between
    requests, so a long-running worker survives a database restart. Connections inside a
    transaction (a caller's, or a test's) are left alone."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def run_job(j: Job, *, force: bool = False) -> Outcome:
    started = time.monotonic()
    try:
        if not force and j.is_due is not None and not j.is_due(timezone.now()):
            return Outcome(j.name, True, "not due", 0.0)
        result = j.func()
    except Exception as exc:
        log.exception("job %s failed", j.name)
        refresh_connections()
        return Outcome(j.name, False, f"{type(exc).__name__}: {exc}", time.monotonic() - started)
    text = "" if result is None else str(result)
    seconds = time.monotonic() - started
    log.info("job %s: %s (%.2fs)", j.name, text or "done", seconds)
    return Outcome(j.name, True, text, seconds)


# --- Foundation jobs -------------------------------------------------------------------------


@job("sessions.clear_expired", every=dt.timedelta(hours=1))
def clear_expired_sessions() -> str:
    """Delete sessions past their expiry (what `manage.py clearsessions` does)."""
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        from django.contrib.sessions.models import Session

        count, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        return f"removed {count} expired sessions"
    store.clear_expired()
    return "cleared expired sessions"


@job("axes.clear_expired_attempts", every=dt.timedelta(minutes=15))
def clear_expired_login_attempts() -> str:
    """Remove failed-login counters older than the lockout cool-off (they no longer lock
    anything); the failure log itself is kept for the audit trail."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off(None)
    if cool_off is None:
        return "no cool-off configured; kept all attempts"
    if getattr(settings, "AXES_USE_ATTEMPT_EXPIRATION", False):
        count, _ = AccessAttempt.objects.filter(expiration__expires_at__lte=timezone.now()).delete()
    else:
        count, _ = AccessAttempt.objects.filter(
            attempt_time__lte=timezone.now() - cool_off
        ).delete()
    return f"removed {count} expired login attempts"


@job("db.planner_statistics", every=dt.timedelta(hours=6))
def planner_statistics() -> str:
    """Keep the query planner's statistics fresh (at worker start and every six hours):
    the lists' index choices depend on them (liuqing.core.dbstats)."""
    from liuqing.core.dbstats import refresh_planner_statistics

    return refresh_planner_statistics()


DAY = dt.timedelta(days=1)


def daily_after(action: str) -> Callable[[dt.datetime], bool]:
    """An `is_due` for a job that runs once a day: due when no audit event `action` (the
    job's own record of its last run, whatever its outcome) is less than a day old. The mark
    is in the audit log, so the schedule holds across worker processes and restarts without a
    table of its own; two processes that start the job in the same moment may both run it,
    which an idempotent job allows."""

    def is_due(now: dt.datetime) -> bool:
        from liuqing.core.models import AuditEvent

        return not AuditEvent.objects.filter(action=action, at__gt=now - DAY).exists()

    return is_due


AUDIT_VERIFY_ACTION = "audit.verify"
_audit_verify_due = daily_after(AUDIT_VERIFY_ACTION)


@job("audit.verify_chain", every=dt.timedelta(hours=1), is_due=_audit_verify_due)
def verify_audit_chain() -> str:
    """Verify the whole audit chain once a day; log the result and record it as an event."""
    from liuqing.core import audit
    from liuqing.core.models import AuditOutcome

    result = audit.verify_chain()
    if result.ok:
        log.info("audit chain verified: %d events, no problems", result.checked)
    else:
        for problem in result.problems:
            log.error("audit chain problem: %s", problem)
    audit.record(
        AUDIT_VERIFY_ACTION,
        object_type="audit_chain",
        outcome=AuditOutcome.OK if result.ok else AuditOutcome.FAILED,
        details={"checked": result.checked, "problems": result.problems[:50]},
    )
    if not result.ok:
        raise RuntimeError(f"audit chain has {len(result.problems)} problem(s)")
    return f"{result.checked} events verified"


# core.retention.RUN_ACTION, the event each purge run leaves (that module loads the models,
# which this one must not at import).
RETENTION_RUN_ACTION = "retention.run"
_retention_due = daily_after(RETENTION_RUN_ACTION)


@job("retention.purge", every=dt.timedelta(hours=1), is_due=_retention_due)
def purge_expired_personal_data() -> str:
    """Once a day: anonymise or delete personal data past its retention period."""
    from liuqing.core import retention

    done = retention.purge_expired()
    return ", ".join(f"{name} {count}" for name, count in done.items()) or "no rules"
