"""A real `liuqing worker` killed with SIGKILL in the middle of a batch and restarted: every
delivery reaches the receiver, none is lost, and the receiver sees each one once in effect
(a retry of the send in flight at the kill carries the same idempotency key)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from liuqing.notify.testing import FakeServer, fake_server

N = 200


def liuqing(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "liuqing", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "liuqing", "worker", "--job", "notify.deliver"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def statuses(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db, timeout=20)
    try:
        return dict(
            conn.execute("SELECT status, COUNT(*) FROM notify_delivery GROUP BY status").fetchall()
        )
    finally:
        conn.close()


def wait_for(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


SETUP = """
from liuqing.notify.models import Channel, Endpoint
from liuqing.notify.services import Message, publish_many
ep = Endpoint.objects.create(channel=Channel.WEBHOOK, name="receiver", url={url!r}, secret="s")
publish_many(
    Message(member_id=None, recipient=f"endpoint:{{ep.pk}}-{{i}}", kind="alert", subject=f"m{{i}}",
            dedupe_key="alert:1:v1", channel=Channel.WEBHOOK, endpoint_id=ep.pk, topic="alert:1")
    for i in range({n})
)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_batch_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "LIUQING_", "NOTIFY_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{db}",
        LIUQING_TESTING="1",
        LIUQING_VAR_DIR=str(tmp_path / "var"),
        NOTIFY_POLL_SECONDS="0.2",
        NOTIFY_LEASE_SECONDS="3",
    )
    assert liuqing(["migrate", "-v0"], env).returncode == 0
    log = tmp_path / "worker.log"
    server: FakeServer
    with fake_server() as server:
        server.delay = 0.05
        made = liuqing(["shell", "-c", SETUP.format(url=server.url("/hook"), n=N)], env)
        assert made.returncode == 0, made.stderr
        worker = start_worker(env, log)
        try:
            assert wait_for(lambda: len(server.received) >= 40, 60), log.read_text()
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        at_kill = len(server.received)
        assert at_kill < N, "the batch finished before the kill; nothing was tested"
        assert statuses(db).get("sending", 0) > 0  # claimed rows were left mid-batch
        worker = start_worker(env, log)
        try:
            assert wait_for(lambda: statuses(db) == {"sent": N}, 90), (
                statuses(db),
                log.read_text()[-3000:],
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(20)
        keys = server.keys()
    conn = sqlite3.connect(db)
    expected = {
        f"liuqing-delivery-{pk}" for (pk,) in conn.execute("SELECT id FROM notify_delivery")
    }
    conn.close()
    assert set(keys) == expected  # none lost
    doubled = [k for k, n in keys.items() if n > 1]
    # Only the sends in flight at the kill (at most NOTIFY_SEND_THREADS, 8 by default) can
    # reach the receiver twice, each with its own key.
    assert len(doubled) <= 8
    assert all(keys[k] == 2 for k in doubled)
