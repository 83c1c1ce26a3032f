"""`liuqing restore PATH`: replace the database's content with a backup."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liuqing.core import backup


class Command(BaseCommand):
    help = (
        "Replace the configured database's content with a backup made by `liuqing backup` "
        "from the same kind of database. Stop the app and the workers first. PostgreSQL "
        "restores in one transaction (pg_restore --clean --if-exists --no-owner)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file")
        parser.add_argument(
            "--yes",
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if options["interactive"]:
            if not sys.stdin.isatty():
                raise CommandError("Not asking without a terminal: pass --yes to restore.")
            answer = input(
                f"This replaces everything in the configured database with {path}. "
                "Type 'yes' to continue: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            kind = backup.restore(path)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored the {kind} database from {path}.")
        self.stdout.write("Run `liuqing migrate` if the backup is older than this version.")
