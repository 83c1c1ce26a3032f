"""`liuqing incident_counts --check | --rebuild`: the monthly incident counts the map refresh
reads (incidents.counts).

`--check` compares the table with a fresh count from the incidents and lists the differences
(exit status 1 when there are any); `--rebuild` recomputes it in one transaction (after a bulk
load, writes that went around the ledger writer, or a change of TIME_ZONE). Both read every
incident, a month at a time: seconds per million.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from liuqing.core import audit
from liuqing.core.management.commands._common import cli_context
from liuqing.incidents import counts


class Command(BaseCommand):
    help = "Check or rebuild the monthly incident counts (per unit, month, category and cell)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--check", action="store_true", help="list differences")
        group.add_argument("--rebuild", action="store_true", help="recompute from the incidents")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["check"]:
            problems = counts.check()
            for line in problems[:50]:
                self.stdout.write(line)
            if problems:
                raise CommandError(f"{len(problems)} differences (run --rebuild)")
            self.stdout.write("The incident counts are in step with the incidents.")
            return
        with cli_context(), transaction.atomic():
            keys = counts.rebuild()
            audit.record(
                "incident.counts_rebuild",
                object_type="incidents.incidentcount",
                details={"keys": keys, "seconds": round(time.monotonic() - started, 1)},
            )
        if options["verbosity"]:
            self.stdout.write(f"Rebuilt {keys} counts in {time.monotonic() - started:.1f} s.")
