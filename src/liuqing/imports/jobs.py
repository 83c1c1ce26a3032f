"""The import engine's worker job: large files queued by `queue_import`, every ten seconds.

A pass imports at most one run (a million rows take a minute or two); several workers share
the queue, each claiming a different run."""

from __future__ import annotations

import datetime as dt

from liuqing.core import worker


def run_queued_imports() -> str:
    from liuqing.imports.services import run_queued

    return run_queued()


worker.register(
    worker.Job(name="imports.run_queued", func=run_queued_imports, every=dt.timedelta(seconds=10))
)
