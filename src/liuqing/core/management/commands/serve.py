"""`liuqing serve`: the web app under gunicorn (or Django's development server with --dev)."""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

DEFAULT_BIND = "127.0.0.1:8000"


def gunicorn_available() -> bool:
    return find_spec("gunicorn") is not None and os.name == "posix"


def default_workers(cpus: int | None = None, vendor: str | None = None) -> int:
    """WEB_CONCURRENCY if set; else 2 × CPUs + 1, capped at 8 on PostgreSQL and at 4 on SQLite
    (whose writes are serialised anyway, so more processes only queue on the write lock)."""
    configured = os.environ.get("WEB_CONCURRENCY")
    if configured:
        return max(1, int(configured))
    cpus = cpus or os.cpu_count() or 1
    cap = 4 if (vendor or connection.vendor) == "sqlite" else 8
    return max(2, min(cap, 2 * cpus + 1))


def gunicorn_argv(bind: str, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "liuqing.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "20",
        # Recycling workers now and then bounds the damage of any slow leak.
        "--max-requests",
        "2000",
        "--max-requests-jitter",
        "200",
        "--access-logfile",
        "-",
    ]


class Command(BaseCommand):
    help = (
        "Serve the web app with gunicorn on --bind (default 127.0.0.1:8000; put a reverse "
        "proxy with TLS in front in production). --dev uses Django's auto-reloading "
        "development server instead. Run `liuqing worker` alongside."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=DEFAULT_BIND, help="address:port to listen on")
        parser.add_argument(
            "--workers", type=int, default=None, help="gunicorn processes (default: see docs)"
        )
        parser.add_argument(
            "--dev", action="store_true", help="Django's development server (auto-reload)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bind = options["bind"]
        if options["dev"] or not gunicorn_available():
            if not options["dev"]:
                self.stderr.write("gunicorn is not available here; using Django's server.")
            call_command("runserver", bind)
            return
        workers = options["workers"] or default_workers()
        argv = gunicorn_argv(bind, workers)
        self.stdout.write(f"Serving on http://{bind}/ with {workers} gunicorn workers.")
        self.stdout.flush()
        # Replace this process, so a supervisor's signals reach gunicorn directly.
        os.execv(argv[0], argv)  # noqa: S606
