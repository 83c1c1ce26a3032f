"""Field-level validation helpers shared by the modules' services.

A service collects every problem of its input in an `Errors` dict (field → messages) and
raises one `ValidationError(errors)` before writing anything (STYLE.md); these helpers add
to that dict and return the cleaned value.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from liuqing.core import pii

Errors = dict[str, list[str]]

# Control characters (other than tab and line breaks) never belong in text a person typed.
CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}


def add_error(errors: Errors, field: str, message: str) -> None:
    """Add `message` to `field`'s messages (once)."""
    messages = errors.setdefault(field, [])
    if message not in messages:
        messages.append(message)


def clean_text(
    errors: Errors, field: str, value: Any, *, max_length: int, required: bool = False
) -> str:
    """The stripped text of `value` (a protected value's plain text); a field error when it
    is required and empty, longer than `max_length` or holds control characters."""
    text = pii.plain(value).strip()
    if required and not text:
        add_error(errors, field, _("This field is required."))
    elif len(text) > max_length:
        add_error(
            errors,
            field,
            _("At most %(max)d characters (it has %(length)d).")
            % {"max": max_length, "length": len(text)},
        )
    elif CONTROL.intersection(text):
        add_error(errors, field, _("The text cannot contain control characters."))
    return text


def clean_phone(errors: Errors, field: str, value: Any) -> str:
    """The phone number of `value` in E.164 form ("" when none was given, or when it is not a
    phone number: then a field error says why)."""
    text = pii.plain(value).strip()
    if not text:
        return ""
    try:
        return pii.normalise_phone(text)
    except ValidationError as exc:
        for message in exc.messages:
            add_error(errors, field, message)
        return ""
