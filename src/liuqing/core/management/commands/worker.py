"""`liuqing worker`: run the periodic jobs (sessions, lockouts, audit verification, …)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liuqing.core import worker
from liuqing.core.management.commands._common import cli_context, show_liuqing_logs


class Command(BaseCommand):
    help = (
        "Run the registered periodic jobs until stopped (SIGTERM or Ctrl-C). Several workers "
        "may run at once; every job is idempotent. --once runs one pass and exits (status 1 if "
        "a job failed), e.g. from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--job", action="append", default=[], metavar="NAME", help="run only this job"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="with --once: run the jobs even if their own schedule says not yet",
        )
        parser.add_argument("--list", action="store_true", help="list the jobs and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        worker.discover()
        if options["list"]:
            for name, job in sorted(worker.JOBS.items()):
                self.stdout.write(f"{name}  every {job.every}")
            return
        unknown = set(options["job"]) - set(worker.JOBS)
        if unknown:
            raise CommandError(f"Unknown job(s): {', '.join(sorted(unknown))}")
        runner = worker.Worker(only=frozenset(options["job"]))
        with cli_context():
            if options["once"]:
                outcomes = runner.run_pass(force=options["force"])
                for outcome in outcomes:
                    status = "ok" if outcome.ok else "FAILED"
                    self.stdout.write(f"{outcome.name}: {status} {outcome.result}".rstrip())
                if not all(o.ok for o in outcomes):
                    raise SystemExit(1)
                return
            show_liuqing_logs()
            stop = threading.Event()

            def request_stop(signum: int, frame: Any) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, request_stop)
            signal.signal(signal.SIGINT, request_stop)
            self.stdout.write("Worker running; Ctrl-C or SIGTERM stops it.")
            runner.run_forever(stop)
