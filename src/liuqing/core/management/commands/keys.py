"""`liuqing keys init|rotate|reencrypt|status`: the personal-data key ring."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liuqing.core import keys, pii
from liuqing.core.management.commands._common import cli_context


class Command(BaseCommand):
    help = (
        "Manage the personal-data key ring file (LIUQING_KEYRING_FILE, default var/keys.json). "
        "`init` creates it (mode 0600, never overwrites); `rotate` adds a new active key and "
        "re-encrypts every stored value under it; `reencrypt` finishes an interrupted or "
        "deferred rotation; `status` shows which keys seal how many values."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("init", help="Create a new key ring file; refuses to overwrite one.")
        rotate = sub.add_parser(
            "rotate", help="Add a new active key, then re-encrypt every stored value with it."
        )
        rotate.add_argument(
            "--no-reencrypt",
            action="store_true",
            help="Only add the key. Restart the app and workers, then run `keys reencrypt`.",
        )
        rotate.add_argument("--batch-size", type=int, default=500)
        again = sub.add_parser(
            "reencrypt", help="Re-encrypt values not sealed with the active key (resumable)."
        )
        again.add_argument("--batch-size", type=int, default=500)
        sub.add_parser("status", help="The ring file, its keys, and values per key id.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        self.verbosity = int(options["verbosity"])
        try:
            with cli_context():
                getattr(self, f"do_{action}")(options)
        except keys.KeyRingError as exc:
            raise CommandError(str(exc)) from exc

    def do_init(self, options: dict[str, Any]) -> None:
        path = keys.ring_file()
        ring = keys.init_keyring(path)
        pii.reset_keyring_cache()
        self.stdout.write(f"Wrote a new key ring to {path} (mode 0600), active key {ring.active}.")
        self.stdout.write(
            "Back this file up now, separately from the database backups: without it the "
            "personal data in the database cannot be read."
        )
        if keys.ring_is_inline():
            self.stderr.write(
                "Note: LIUQING_KEYRING is set and takes precedence over this file; unset it "
                "(or point LIUQING_KEYRING_FILE here) for the file to be used."
            )

    def do_rotate(self, options: dict[str, Any]) -> None:
        reencrypt = not options["no_reencrypt"]
        report = keys.rotate(
            reencrypt=reencrypt, batch_size=options["batch_size"], progress=self._progress
        )
        self.stdout.write(f"New active key {report.active} written to {keys.ring_file()}.")
        if reencrypt:
            self._summary(report)
        else:
            self.stdout.write(
                "Restart the app and the workers so they load the new key, then run "
                "`liuqing keys reencrypt`."
            )

    def do_reencrypt(self, options: dict[str, Any]) -> None:
        report = keys.reencrypt(batch_size=options["batch_size"], progress=self._progress)
        self._summary(report)

    def do_status(self, options: dict[str, Any]) -> None:
        ring = pii.get_keyring()
        source = "LIUQING_KEYRING" if keys.ring_is_inline() else str(keys.ring_file())
        self.stdout.write(f"Key ring: {source}")
        self.stdout.write(f"Active key: {ring.active}; keys: {', '.join(sorted(ring.keys))}")
        usage = keys.key_usage()
        for kid in sorted(usage):
            self.stdout.write(f"  {kid}: {usage[kid]} values")
        if not usage:
            self.stdout.write("  (no encrypted values stored)")

    def _progress(self, message: str) -> None:
        if self.verbosity >= 2:
            self.stdout.write(message)

    def _summary(self, report: keys.ReencryptReport) -> None:
        self.stdout.write(
            f"Re-encrypted {report.values} values in {report.rows} rows under {report.active}."
        )
        for column, count in sorted(report.columns.items()):
            self.stdout.write(f"  {column}: {count}")
