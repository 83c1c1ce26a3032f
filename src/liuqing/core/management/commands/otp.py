"""`liuqing otp USERNAME`: the current TOTP code of a demo account (demo only)."""

from __future__ import annotations

import os
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from liuqing.core.management.commands._common import terminal_qr


def demo_allowed() -> bool:
    return bool(settings.DEBUG) or os.environ.get("LIUQING_DEMO") == "1"


def current_code(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def seconds_left(device: TOTPDevice, at: float | None = None) -> int:
    now = time.time() if at is None else at
    return int(device.step - ((now - device.t0) % device.step))


class Command(BaseCommand):
    help = (
        "FOR THE DEMO ONLY: print the current TOTP code of a member's confirmed authenticator, "
        "so the demo accounts can log in without a phone. Refuses to run unless DEBUG is on "
        "or LIUQING_DEMO=1: on a real installation the second factor lives only on the "
        "member's own device."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--uri",
            action="store_true",
            help="also print the otpauth:// URI and a QR code to scan into an authenticator app",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not demo_allowed():
            raise CommandError(
                "`liuqing otp` is for the demo only; it runs when DEBUG is on or LIUQING_DEMO=1."
            )
        username = options["username"]
        device = (
            TOTPDevice.objects.filter(user__username=username, confirmed=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if device is None:
            raise CommandError(f"{username} has no confirmed authenticator.")
        if options["uri"]:
            uri = device.config_url
            self.stdout.write(uri)
            self.stdout.write(terminal_qr(uri), ending="")
        self.stdout.write(
            f"{current_code(device)}  (valid for {seconds_left(device)} more seconds; "
            "each code works once)"
        )
