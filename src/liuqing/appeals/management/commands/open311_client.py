"""`liuqing open311-client NAME`: create an Open311 client and print its api_key (once).

`--deactivate` refuses an existing client's key from now on; `--list` shows the clients.
Only a digest of the key is stored, so a lost key is replaced by deactivating the client and
creating a new one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liuqing.appeals.models import Open311Client
from liuqing.appeals.public_services import create_open311_client, deactivate_open311_client
from liuqing.core.management.commands._common import cli_context


class Command(BaseCommand):
    help = (
        "Create an Open311 client (a city app, a mini-program, a partner site) and print its "
        "api_key, which is shown only this once. With --deactivate, refuse NAME's key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="the client's name, e.g. the app's name")
        parser.add_argument("--deactivate", action="store_true", help="refuse NAME's key")
        parser.add_argument("--list", action="store_true", help="list the clients")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for client in Open311Client.objects.order_by("name"):
                state = "active" if client.is_active else "deactivated"
                self.stdout.write(f"{client.name}\t{client.key_prefix}\t{state}")
            return
        name = (options["name"] or "").strip()
        if not name:
            raise CommandError("Give the client's name: liuqing open311-client NAME")
        with cli_context():
            if options["deactivate"]:
                found = Open311Client.objects.filter(name=name).first()
                if found is None:
                    raise CommandError(f"There is no Open311 client named {name!r}.")
                deactivate_open311_client(actor=None, client=found)
                self.stdout.write(f"{name}: key refused from now on.")
                return
            try:
                _client, key = create_open311_client(actor=None, name=name)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Open311 client {name!r} created. Its api_key (shown only now):")
        self.stdout.write(key)
