"""`liuqing demo`: everything `make demo` needs, then the web app and the worker."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from liuqing.core import demo, keys, worker
from liuqing.core.management.commands._common import (
    cli_context,
    refuse_in_production,
    show_liuqing_logs,
)
from liuqing.core.management.commands.serve import (
    DEFAULT_BIND,
    default_workers,
    gunicorn_argv,
    gunicorn_available,
)
from liuqing.core.models import Member, Unit


def static_out_of_date() -> bool:
    """True when some static file is missing from STATIC_ROOT or older there than its source."""
    root = Path(settings.STATIC_ROOT)
    if not root.is_dir():
        return True
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            prefix = getattr(storage, "prefix", None) or ""
            target = root / prefix / path
            source = Path(storage.path(path))
            if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
                return True
    return False


class Command(BaseCommand):
    help = (
        "Set up and run the demo: create var/ and the key ring (var/keys.json, mode 0600) if "
        "missing, migrate, load the demo data into an empty database, collect static files if "
        "needed, print the demo accounts, then serve http://127.0.0.1:8000 with the worker "
        "running alongside. Ctrl-C stops both."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=DEFAULT_BIND, help="address:port to listen on")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
        parser.add_argument("--no-serve", action="store_true", help="prepare everything, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_in_production("`liuqing demo`")
        with cli_context():
            self.prepare(seed=options["seed"])
        self.print_accounts(options["bind"])
        if not options["no_serve"]:
            self.serve(options["bind"])

    def prepare(self, *, seed: int) -> None:
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        written = keys.ensure_keyring()
        if written is not None:
            self.stdout.write(f"Wrote a new personal-data key ring to {written} (mode 0600).")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database is up to date.")
        if demo.has_data():
            self.stdout.write(
                f"Demo data already present ({Unit.objects.count()} units, "
                f"{Member.objects.count()} members); `liuqing seed --flush` rebuilds it."
            )
        else:
            self.stdout.write("Loading the demo data…")
            started = time.monotonic()
            ctx = demo.build_demo(seed=seed, scale=1)
            counts = ", ".join(f"{v} {k}" for k, v in ctx.counts.items())
            self.stdout.write(f"Loaded in {time.monotonic() - started:.1f}s: {counts}.")
        if static_out_of_date():
            call_command("collectstatic", interactive=False, verbosity=0)
            self.stdout.write("Collected static files.")

    def print_accounts(self, bind: str) -> None:
        rows = demo.account_rows()
        if not rows:
            self.stdout.write("No demo accounts in this database.")
            return
        width = max(len(r.username) for r in rows)
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password for all: {demo.DEMO_PASSWORD})")
        for r in rows:
            roles = ", ".join(r.roles)
            self.stdout.write(f"  {r.username:<{width}}  {r.full_name}  {r.unit}  [{roles}]")
        self.stdout.write("")
        self.stdout.write(
            "Second factor: every login asks for a 6-digit code. In another terminal run\n"
            "    .venv/bin/liuqing otp chief          (the current code for `chief`)\n"
            "    .venv/bin/liuqing otp chief --uri    (a QR code for an authenticator app)\n"
            "A code works once; wait for the next one to log in again."
        )
        self.stdout.write(f"Open http://{bind}/ and log in.")
        self.stdout.write("")

    def serve(self, bind: str) -> None:
        stop = threading.Event()

        def run_worker() -> None:
            with cli_context():
                worker.discover()
                worker.Worker().run_forever(stop)

        show_liuqing_logs()
        worker_thread = threading.Thread(target=run_worker, name="liuqing-worker", daemon=True)
        worker_thread.start()
        if gunicorn_available():
            argv = gunicorn_argv(bind, min(2, default_workers()))
        else:
            argv = [*self._python_manage(), "runserver", "--noreload", bind]
        server = subprocess.Popen(argv)
        # SIGTERM (e.g. from a supervisor) stops the demo like Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda signum, frame: server.terminate())
        try:
            server.wait()
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            stop.set()
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
            worker_thread.join(timeout=30)
        self.stdout.write("Stopped the web server and the worker.")

    @staticmethod
    def _python_manage() -> list[str]:
        import sys

        return [sys.executable, "-m", "liuqing"]
