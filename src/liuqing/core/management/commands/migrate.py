"""`liuqing migrate`: Django's migrate, then fresh planner statistics (liuqing.core.dbstats),
so an index a migration adds is planned with right away."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections

from liuqing.core.dbstats import refresh_planner_statistics


class Command(MigrateCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        if options.get("plan") or options.get("check_unapplied"):
            return
        if options.get("database", "default") != "default" or "default" not in connections:
            return
        done = refresh_planner_statistics()
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(done)
