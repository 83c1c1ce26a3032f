"""Widgets for the browser's own date and time pickers.

`<input type="date">` and `<input type="datetime-local">` accept only ISO 8601 values
(2026-12-01, 2026-12-01T09:30); anything else is shown as an empty field. Django formats a
widget's value with the active language's first input format (2026/12/01 in Chinese), so a
pre-filled date would look empty to every zh-Hans user. These widgets always render ISO;
the fields still parse ISO input in every language.
"""

from __future__ import annotations

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class IsoDateInput(forms.DateInput):
    """A date picker whose value is YYYY-MM-DD in every language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATE)


class IsoDateTimeInput(forms.DateTimeInput):
    """A local date-and-time picker whose value is YYYY-MM-DDTHH:MM in every language."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATETIME_LOCAL)
