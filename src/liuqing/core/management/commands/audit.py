"""`liuqing audit verify`: walk the hash chain of the audit log."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from liuqing.core.audit import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` checks the whole hash chain; exit status 1 on problems."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser(
            "verify",
            help="Recompute every event's digest and check every link; list what is wrong.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if result.ok:
            self.stdout.write(f"Audit chain OK: {result.checked} events checked, no problems.")
            return
        for problem in result.problems:
            self.stdout.write(f"PROBLEM: {problem}")
        self.stderr.write(
            f"Audit chain verification FAILED: {len(result.problems)} problem(s) "
            f"in {result.checked} events."
        )
        raise SystemExit(1)
