"""Password rules beyond Django's: a deny-list of known-bad passwords and local words, and an
optional composition rule for assessors who require one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DENY_LIST_FILE = Path(__file__).parent / "data" / "password_denylist.txt"


def _load_deny_list() -> frozenset[str]:
    words = set()
    for line in DENY_LIST_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip().lower()
        if line and not line.startswith("#"):
            words.add(line)
    return frozenset(words)


_DENY = _load_deny_list()


class DenyListValidator:
    """Refuse passwords on the deny-list, or made of one deny-listed word plus digits, or a
    single repeated character."""

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.lower()
        stripped = lowered.rstrip("0123456789!@#.")
        if lowered in _DENY or stripped in _DENY or len(set(lowered)) <= 2:
            raise ValidationError(
                _("This password is on the list of easily guessed passwords."),
                code="password_deny_listed",
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be a commonly used or easily guessed password.")


class CompositionValidator:
    """Upper case, lower case, digit and symbol (off by default; PASSWORD_REQUIRE_COMPOSITION)."""

    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if not all(classes):
            raise ValidationError(
                _("Use upper and lower case letters, a digit and a symbol."),
                code="password_composition",
            )

    def get_help_text(self) -> str:
        return _("Use upper and lower case letters, a digit and a symbol.")
