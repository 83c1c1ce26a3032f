"""`liuqing seed`: load the demo data set, at any scale."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liuqing.core import demo
from liuqing.core.management.commands._common import cli_context, refuse_in_production


class Command(BaseCommand):
    help = (
        "Load the deterministic demo data set (the Ili detachment, ten brigades, stations, "
        "offices, grids, places, members, teams). --scale N multiplies the police stations per "
        "brigade, and so everything below them, by N. Refuses a database that already has "
        "units unless --flush, which first EMPTIES THE DATABASE. Refuses to run in production: the "
        "demo accounts share a published password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1, help="volume multiplier (default 1)")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
        parser.add_argument(
            "--flush", action="store_true", help="delete all data first (demo databases only)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_in_production("`liuqing seed`")
        scale = options["scale"]
        if scale < 1:
            raise CommandError("--scale must be at least 1.")
        if demo.has_data():
            if not options["flush"]:
                raise CommandError(
                    "The database already holds data. Use --flush to empty it first."
                )
            call_command("flush", interactive=False, verbosity=0)
        started = time.monotonic()
        self.stdout.write(f"Building the demo data set (seed {options['seed']}, scale {scale})…")
        with cli_context():
            ctx = demo.build_demo(seed=options["seed"], scale=scale, log=self.stdout.write)
        counts = ", ".join(f"{v} {k}" for k, v in ctx.counts.items())
        self.stdout.write(f"Done in {time.monotonic() - started:.1f}s: {counts}.")
