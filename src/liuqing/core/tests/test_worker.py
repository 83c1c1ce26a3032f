"""The background worker and its foundation jobs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from pytest_django.fixtures import Settings

from liuqing import cli
from liuqing.core import audit, retention, worker
from liuqing.core.models import AuditEvent, AuditOutcome
from liuqing.core.testing import World

pytestmark = pytest.mark.django_db
# A command run through cli.main closes the database connections when it ends (as manage.py
# does), which would end the test's own transaction: those tests run outside one.
in_process_command = pytest.mark.django_db(transaction=True)

FOUNDATION_JOBS = {"sessions.clear_expired", "axes.clear_expired_attempts", "audit.verify_chain"}


def make_session(expires_in: dt.timedelta) -> str:
    store = SessionStore()
    store["x"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + expires_in
    )
    return str(store.session_key)


def make_attempt(username: str, age: dt.timedelta) -> None:
    attempt = AccessAttempt.objects.create(
        username=username,
        ip_address="10.0.0.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/login/",
        get_data="",
        post_data="",
        failures_since_start=3,
    )
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - age)


def test_the_foundation_jobs_are_registered() -> None:
    assert set(worker.JOBS) >= FOUNDATION_JOBS


@in_process_command
def test_worker_once_runs_every_job_and_exits_cleanly(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["worker", "--once"]) == 0
    out = capsys.readouterr().out
    for name in FOUNDATION_JOBS:
        assert f"{name}: ok" in out
    assert AuditEvent.objects.filter(action=worker.AUDIT_VERIFY_ACTION).count() == 1


@in_process_command
def test_worker_once_can_run_a_single_job(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["worker", "--once", "--job", "sessions.clear_expired"]) == 0
    out = capsys.readouterr().out
    assert "sessions.clear_expired: ok" in out
    assert "audit.verify_chain" not in out
    assert cli.main(["worker", "--once", "--job", "no.such.job"]) == 1


def test_expired_sessions_are_removed_and_live_ones_kept() -> None:
    old = make_session(-dt.timedelta(minutes=1))
    live = make_session(dt.timedelta(hours=1))
    assert worker.clear_expired_sessions() == "removed 1 expired sessions"
    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
    assert old != live


def test_login_attempts_older_than_the_cool_off_are_removed(settings: Settings) -> None:
    cool_off = settings.AXES_COOLOFF_TIME
    make_attempt("stale", cool_off + dt.timedelta(minutes=1))
    make_attempt("fresh", cool_off - dt.timedelta(minutes=1))
    assert worker.clear_expired_login_attempts() == "removed 1 expired login attempts"
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["fresh"]


def test_the_audit_chain_is_verified_once_a_day(world: World) -> None:
    first = worker.Worker().run_pass()
    verify = next(o for o in first if o.name == "audit.verify_chain")
    assert verify.ok
    assert "events verified" in verify.result
    # Another worker process (a fresh Worker) finds it already done today …
    again = worker.Worker(only=frozenset({"audit.verify_chain"})).run_pass()
    assert again[0].result == "not due"
    assert AuditEvent.objects.filter(action=worker.AUDIT_VERIFY_ACTION).count() == 1
    # … and due again a day later.
    tomorrow = timezone.now() + dt.timedelta(days=1, minutes=1)
    assert worker._audit_verify_due(tomorrow)


def test_a_daily_job_is_due_a_day_after_its_last_event_whatever_its_outcome() -> None:
    is_due = worker.daily_after("test.daily")
    assert is_due(timezone.now())
    audit.record("test.other", object_type="test")
    assert is_due(timezone.now())  # another action's event is not the mark
    audit.record("test.daily", object_type="test", outcome=AuditOutcome.FAILED)
    at = AuditEvent.objects.get(action="test.daily").at
    assert not is_due(at)
    assert not is_due(at + worker.DAY - dt.timedelta(microseconds=1))
    assert is_due(at + worker.DAY)


@pytest.mark.parametrize(
    ("name", "action"),
    [
        ("audit.verify_chain", worker.AUDIT_VERIFY_ACTION),
        ("retention.purge", retention.RUN_ACTION),
    ],
)
def test_the_daily_core_jobs_are_marked_by_their_run_events(name: str, action: str) -> None:
    is_due = worker.JOBS[name].is_due
    assert is_due is not None
    assert is_due(timezone.now())
    at = audit.record(action, object_type="test").at
    assert not is_due(at)
    assert is_due(at + worker.DAY)


def test_a_tampered_audit_chain_is_logged_and_recorded_as_a_failure(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    AuditEvent.objects.filter(seq=2).update(reason="edited afterwards")
    with caplog.at_level(logging.ERROR, logger="liuqing.worker"):
        outcome = worker.run_job(worker.JOBS["audit.verify_chain"])
    assert not outcome.ok
    assert "event 2" in caplog.text
    event = AuditEvent.objects.get(action=worker.AUDIT_VERIFY_ACTION)
    assert event.outcome == AuditOutcome.FAILED
    assert json.loads(event.details)["problems"]


def test_one_failing_job_does_not_stop_the_others() -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("boom")

    jobs = {
        "a.broken": worker.Job("a.broken", broken, dt.timedelta(minutes=1)),
        "b.fine": worker.Job("b.fine", lambda: ran.append("b") or "fine", dt.timedelta(minutes=1)),
    }
    outcomes = worker.Worker(jobs=jobs).run_pass()
    assert [(o.name, o.ok) for o in outcomes] == [("a.broken", False), ("b.fine", True)]
    assert "RuntimeError: boom" in outcomes[0].result
    assert ran == ["b"]


def test_a_job_runs_again_only_after_its_interval() -> None:
    calls: list[int] = []
    jobs = {"x": worker.Job("x", lambda: calls.append(1), dt.timedelta(hours=1))}
    runner = worker.Worker(jobs=jobs)
    runner.run_pass()
    runner.run_pass()
    assert calls == [1]
    assert 3500 < runner.seconds_until_next() <= 3600
    runner.run_pass(force=True)
    assert calls == [1, 1]


def test_run_forever_stops_promptly_when_asked() -> None:
    calls: list[int] = []
    jobs = {"x": worker.Job("x", lambda: calls.append(1), dt.timedelta(seconds=0.1))}
    stop = threading.Event()
    thread = threading.Thread(target=worker.Worker(jobs=jobs).run_forever, args=(stop,))
    thread.start()
    stop.wait(0.3)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert calls
