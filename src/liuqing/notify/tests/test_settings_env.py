"""The worker's send threads and booking batch are set from the environment, and a bad value
stops the start with an error naming the setting (not a bare ValueError)."""

from __future__ import annotations

import runpy

import pytest
from django.core.exceptions import ImproperlyConfigured

import liuqing.settings as settings_module


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, object]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(settings_module.__file__)


def test_unset_or_empty_gives_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SEND_THREADS", raising=False)
    loaded = load(monkeypatch, NOTIFY_BOOK_EVERY="")
    assert (loaded["NOTIFY_SEND_THREADS"], loaded["NOTIFY_BOOK_EVERY"]) == (1, 4)


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load(monkeypatch, NOTIFY_SEND_THREADS=" 8 ", NOTIFY_BOOK_EVERY="1")
    assert (loaded["NOTIFY_SEND_THREADS"], loaded["NOTIFY_BOOK_EVERY"]) == (8, 1)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NOTIFY_SEND_THREADS", "0"),
        ("NOTIFY_SEND_THREADS", "65"),
        ("NOTIFY_SEND_THREADS", "four"),
        ("NOTIFY_SEND_THREADS", "2.5"),
        ("NOTIFY_BOOK_EVERY", "-1"),
        ("NOTIFY_BOOK_EVERY", "1001"),
        ("NOTIFY_BOOK_EVERY", "1e3"),
    ],
)
def test_a_bad_value_is_improperly_configured_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as caught:
        load(monkeypatch, **{name: value})
    assert name in str(caught.value)
    assert repr(value) in str(caught.value)
