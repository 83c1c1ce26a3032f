"""The `liuqing` command: Liuqing's own commands, and Django's manage.py for everything else.

`liuqing SUBCOMMAND …` runs the Django management command of that name with
DJANGO_SETTINGS_MODULE=liuqing.settings, so unknown subcommands (shell, dbshell,
makemigrations, …) pass straight through to Django. Liuqing's own commands live in
liuqing/core/management/commands/.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

OVERVIEW = """\
usage: liuqing COMMAND [options]       (liuqing help COMMAND for a command's options)

Run it:
  demo                 set up var/, key ring, database and demo data; serve :8000 with the worker
  serve [--dev]        the web app under gunicorn (--dev: Django's auto-reloading server)
  worker [--once]      the periodic jobs (sessions, lockouts, daily audit verification, purges, …)

Set up and look after it:
  migrate              create or update the database tables
  createadmin          the first system administrator (and the root unit if there is none)
  seed [--scale N] [--flush]   the demo data set at N× volume
  keys init|rotate|reencrypt|status   the personal-data key ring
  backup PATH          the database into one file (SQLite backup API or pg_dump -Fc)
  restore PATH         the database from such a file (stop the app first)
  audit verify         check the audit log's hash chain (exit status 1 on problems)
  purge [--dry-run]    personal data past its retention period (the worker does it daily)
  check [--deploy]     Django's system checks (with --deploy: production hardening)
  otp USERNAME         DEMO ONLY: the current TOTP code of a demo account
  open311-client NAME  an Open311 client and its api_key (shown once; --deactivate, --list)
  appeal-figures --check|--rebuild   the appeals figures' rollup against the cases, or rebuilt
  incident-counts --check|--rebuild  the incident counts the maps read, against the incidents

Every other Django management command works too (liuqing help --commands lists them).
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 on success)."""
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuqing.settings")
    if not args or args in (["help"], ["-h"], ["--help"]):
        sys.stdout.write(OVERVIEW)
        return 0

    from django.core.management import execute_from_command_line

    if not args[0].startswith("-"):
        # Command modules are Python names; the command line may spell them with hyphens
        # (`liuqing open311-client NAME` runs open311_client).
        args[0] = args[0].replace("-", "_")

    try:
        execute_from_command_line(["liuqing", *args])
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        sys.stderr.write(f"{exc.code}\n")
        return 1
    return 0
