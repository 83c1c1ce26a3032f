"""`liuqing purge`: anonymise or delete personal data past its retention period now (the
worker does it daily); `--dry-run` only counts what would be purged."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from liuqing.core import retention


class Command(BaseCommand):
    help = "Purge personal data past its retention period (SECURITY.md, Data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the records past their period."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = retention.due() if options["dry_run"] else retention.purge_expired()
        verb = "past their period" if options["dry_run"] else "purged"
        for name, count in counts.items():
            rule = retention.RULES[name]
            self.stdout.write(f"{name}: {count} {verb} (kept {rule.days} days; {rule.description})")
