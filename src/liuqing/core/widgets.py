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
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

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


class QuickSelect(forms.Select):
    """A select whose HTML is built in Python: the same markup as Django's `Select` (its
    templates select.html, select_option.html and attrs.html), without a template include
    per option. A list's filter selects (a unit filter offers a hundred units and more) cost
    several milliseconds of every list page through the templates, a fraction of that here.
    Templates that override Django's widget templates do not apply to it."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        esc = conditional_escape
        parts = [f'<select name="{esc(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{esc(group_name)}">')
            for option in group_choices:
                parts.append(
                    f'\n  <option value="{esc(str(option["value"]))}"{_attrs(option["attrs"])}>'
                    f"{esc(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        # Every value above went through conditional_escape, as the templates escape them.
        return mark_safe("".join(parts))  # noqa: S308


def _attrs(attrs: dict[str, Any]) -> str:
    """attrs.html: ` name="value"` for each attribute, ` name` alone for True, none for
    False; escaped."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )
