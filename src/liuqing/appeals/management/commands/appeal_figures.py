"""`liuqing appeal_figures --check | --rebuild`: the appeals figures' rollup (appeals.rollup).

`--check` compares the cells and the ledger with a fresh computation from the cases and lists
the differences (exit status 1 when there are any); `--rebuild` recomputes them in one
transaction (after a bulk load or writes that went around the services). Both read every
appeal: minutes at a million.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from liuqing.appeals import rollup
from liuqing.core import audit
from liuqing.core.management.commands._common import cli_context


class Command(BaseCommand):
    help = "Check or rebuild the appeals figures' rollup (exact counts per top unit)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--check", action="store_true", help="list differences")
        group.add_argument("--rebuild", action="store_true", help="recompute from the cases")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["check"]:
            problems = rollup.check()
            for line in problems[:50]:
                self.stdout.write(line)
            if problems:
                raise CommandError(f"{len(problems)} differences (run --rebuild)")
            self.stdout.write("The rollup is in step with the cases.")
            return
        with cli_context(), transaction.atomic():
            count = rollup.rebuild()
            audit.record(
                "appeals.figures.rebuild",
                object_type="appeals.figurecell",
                details={"appeals": count, "seconds": round(time.monotonic() - started, 1)},
            )
        if options["verbosity"]:
            self.stdout.write(
                f"Rebuilt from {count} appeals in {time.monotonic() - started:.1f} s."
            )
