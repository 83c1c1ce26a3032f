"""The browser's date pickers get ISO values in every language (the active language's own
date format would show as an empty field), and the fields still parse what they send."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.utils import translation

from liuqing.core.widgets import IsoDateInput, IsoDateTimeInput, QuickSelect


class When(forms.Form):
    day = forms.DateField(widget=IsoDateInput())
    at = forms.DateTimeField(widget=IsoDateTimeInput())


@pytest.mark.parametrize("language", ["zh-hans", "ug", "kk", "en"])
def test_pickers_render_iso_and_parse_it_in_every_language(language: str) -> None:
    with translation.override(language):
        html = str(When(initial={"day": dt.date(2026, 2, 9), "at": dt.datetime(2026, 2, 9, 7, 5)}))
        assert 'type="date"' in html
        assert 'value="2026-02-09"' in html
        assert 'type="datetime-local"' in html
        assert 'value="2026-02-09T07:05"' in html
        bound = When(data={"day": "2026-02-09", "at": "2026-02-09T07:05"})
        assert bound.is_valid(), bound.errors
        assert bound.cleaned_data["day"] == dt.date(2026, 2, 9)
        assert bound.cleaned_data["at"].replace(tzinfo=None) == dt.datetime(2026, 2, 9, 7, 5)


def test_chinese_default_format_is_what_the_pickers_would_have_refused() -> None:
    """The reason for the widgets: Django's own date widget writes 2026/02/09 in Chinese."""
    with translation.override("zh-hans"):
        plain = forms.DateInput(attrs={"type": "date"}).render("day", dt.date(2026, 2, 9))
        assert 'value="2026/02/09"' in plain
        assert 'value="2026-02-09"' in IsoDateInput().render("day", dt.date(2026, 2, 9))


@pytest.mark.parametrize(
    ("choices", "value", "attrs"),
    [
        ([("", "Any <status>"), ("a", "A & b"), ("b", 'B "q"')], "a", {"id": "id_s", "class": "c"}),
        ([("", "—"), (1, "· 一所"), (2, "二所")], 2, {"id": "id_u", "required": True, "x": False}),
        ([("G", [("1", "one"), ("2", "two")]), ("3", "three")], "2", None),
        ([], None, {}),
    ],
)
def test_the_quick_select_renders_what_djangos_select_renders(
    choices: list[Any], value: Any, attrs: dict[str, Any] | None
) -> None:
    expected = forms.Select(choices=choices).render("n", value, attrs)
    assert QuickSelect(choices=choices).render("n", value, attrs) == expected
