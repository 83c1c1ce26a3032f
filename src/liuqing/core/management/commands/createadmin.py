"""`liuqing createadmin`: the first system administrator (and, if needed, the root unit)."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from liuqing.core import audit, services
from liuqing.core.management.commands._common import cli_context, terminal_qr
from liuqing.core.models import Member, Role, Unit, UnitKind

PASSWORD_ENV = "LIUQING_ADMIN_PASSWORD"  # noqa: S105 (a variable name, not a secret)


class Command(BaseCommand):
    help = (
        "Create a system administrator at the root unit (the detachment). Asks for what is "
        "missing, or takes flags with --no-input; the password comes from a prompt, "
        f"--password-file (- for stdin) or {PASSWORD_ENV}, and must pass the password rules. "
        "If the database has no root unit yet, --root-code and --root-name create it. "
        "The administrator manages units and members but cannot read residents' records."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username")
        parser.add_argument("--full-name")
        parser.add_argument("--phone", default="")
        parser.add_argument("--password-file", help="read the password from this file (- = stdin)")
        parser.add_argument("--root-code", help="code of the root unit to create, if none exists")
        parser.add_argument("--root-name", help="name of the root unit to create, if none exists")
        parser.add_argument(
            "--enrol",
            action="store_true",
            help="enrol the authenticator app now, in this terminal (else at first login)",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="never prompt; fail if something is missing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interactive = options["interactive"] and sys.stdin.isatty()
        with cli_context():
            root = self._root(options, interactive)
            username = self._ask(options, "username", "Username", interactive)
            if Member.objects.filter(username=username).exists():
                raise CommandError(f"A member named {username!r} already exists.")
            full_name = self._ask(options, "full_name", "Full name", interactive)
            password = self._password(options, interactive)
            try:
                member = services.create_member(
                    actor=None,
                    username=username,
                    full_name=full_name,
                    unit=root,
                    roles=[Role.SYSADMIN],
                    password=password,
                    phone=options["phone"],
                )
            except ValidationError as exc:
                raise CommandError(self._errors(exc)) from exc
            self.stdout.write(f"Created administrator {member.username} at {root.name}.")
            if options["enrol"]:
                if not interactive:
                    raise CommandError("--enrol needs a terminal to read the code from.")
                self._enrol(member)
            else:
                self.stdout.write(
                    "Second factor: at the first login Liuqing shows a QR code. Scan it with "
                    "an authenticator app (FreeOTP, Google Authenticator, Microsoft "
                    "Authenticator, …) and enter the 6-digit code it shows; from then on every "
                    "login needs the password and a fresh code."
                )

    def _root(self, options: dict[str, Any], interactive: bool) -> Unit:
        root = Unit.objects.filter(parent__isnull=True).order_by("path").first()
        if root is not None:
            return root
        self.stdout.write("The database has no root unit yet; creating the detachment.")
        code = self._ask(options, "root_code", "Root unit code (e.g. 654000)", interactive)
        name = self._ask(
            options, "root_name", "Root unit name (e.g. 伊犁边境管理支队)", interactive
        )
        try:
            return services.create_unit(
                actor=None, code=code, name=name, kind=UnitKind.DETACHMENT, parent=None
            )
        except ValidationError as exc:
            raise CommandError(self._errors(exc)) from exc

    def _ask(self, options: dict[str, Any], key: str, label: str, interactive: bool) -> str:
        value = (options.get(key) or "").strip()
        while not value:
            if not interactive:
                raise CommandError(f"--{key.replace('_', '-')} is required with --no-input.")
            value = input(f"{label}: ").strip()
        return value

    def _password(self, options: dict[str, Any], interactive: bool) -> str:
        source = options.get("password_file")
        if source == "-":
            return sys.stdin.readline().rstrip("\n")
        if source:
            return Path(source).read_text(encoding="utf-8").rstrip("\n")
        if os.environ.get(PASSWORD_ENV):
            return os.environ[PASSWORD_ENV]
        if not interactive:
            raise CommandError(f"Give the password with --password-file or {PASSWORD_ENV}.")
        while True:
            first = getpass.getpass("Password (at least 12 characters): ")
            if first != getpass.getpass("Password again: "):
                self.stderr.write("The two passwords differ; try again.")
                continue
            try:
                services.validate_new_password(first)
            except ValidationError as exc:
                self.stderr.write(self._errors(exc))
                continue
            return first

    def _enrol(self, member: Member) -> None:
        device = TOTPDevice(user=member, name="Authenticator", confirmed=False)
        device.save()
        self.stdout.write("Scan this into an authenticator app (or type the URI's secret):")
        self.stdout.write(device.config_url)
        self.stdout.write(terminal_qr(device.config_url), ending="")
        for _attempt in range(3):
            code = input("Enter the 6-digit code the app shows: ").strip()
            if code.isdigit() and device.verify_token(code):
                with transaction.atomic():
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                    audit.record(
                        "auth.otp_enrol",
                        actor=member,
                        obj=device,
                        unit=member.unit,
                        details={"via": "createadmin"},
                    )
                self.stdout.write("Authenticator confirmed.")
                return
            self.stderr.write("That code does not match; check the app's clock and try again.")
        device.delete()
        raise CommandError(
            "Enrolment failed; the account exists and will ask for enrolment at first login."
        )

    @staticmethod
    def _errors(exc: ValidationError) -> str:
        if hasattr(exc, "error_dict"):
            return "; ".join(
                f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
            )
        return " ".join(exc.messages)
