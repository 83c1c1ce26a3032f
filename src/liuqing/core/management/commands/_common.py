"""Helpers shared by Liuqing's commands (a leading underscore keeps Django from listing it)."""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Iterator

from liuqing.core import audit


@contextlib.contextmanager
def cli_context() -> Iterator[None]:
    """Audit events written by a command say they came from the command line."""
    token = audit.set_context(audit.RequestContext(source_ip="", channel="cli"))
    try:
        yield
    finally:
        audit.reset_context(token)


def show_liuqing_logs(level: int = logging.INFO) -> None:
    """Let the `liuqing.*` loggers through to the console (unless LOG_LEVEL says otherwise)."""
    if not os.environ.get("LOG_LEVEL"):
        logging.getLogger("liuqing").setLevel(level)


def terminal_qr(text: str) -> str:
    """`text` as a QR code drawn with block characters, for scanning off the terminal."""
    import segno

    buffer = io.StringIO()
    segno.make(text, error="m").terminal(out=buffer, compact=True)
    return buffer.getvalue()


def refuse_in_production(what: str) -> None:
    """Demo data comes with a published password: never in a production installation."""
    from django.conf import settings
    from django.core.management.base import CommandError

    if getattr(settings, "PRODUCTION", False):
        raise CommandError(
            f"{what} loads demo accounts whose password is published; it refuses to run with "
            "LIUQING_ENV=production."
        )
