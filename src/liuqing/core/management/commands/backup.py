"""`liuqing backup PATH`: one file holding the whole database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liuqing.core import backup


class Command(BaseCommand):
    help = (
        "Back up the configured database into one file (SQLite: online backup API; "
        "PostgreSQL: pg_dump -Fc). PATH may be a directory: the file is then named "
        "liuqing-<UTC time>.<sqlite3|pgdump>. The key ring is NOT in the backup; keep a copy "
        "of it separately."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="backup file, or a directory to put it in")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup.backup(options["path"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backed up the {result.vendor} database to {result.path} "
            f"({result.size / 1_000_000:.1f} MB, mode 0600)."
        )
        self.stdout.write(
            "Reminder: the backup is unreadable without the key ring; back that up separately."
        )
