"""Translations are complete in every language we ship, and the compiled catalogues match.

A fresh extraction (Django's makemessages into a scratch copy of the locale folder) must find
no message that the committed catalogues leave untranslated or fuzzy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
SHIPPED = ["zh_Hans", "ug", "kk_Arab"]  # English is the source language


def _catalogue(locale: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / locale / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_committed_message_is_translated(locale: str) -> None:
    po = _catalogue(locale)
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert missing == [], f"{locale}: {len(missing)} untranslated, e.g. {missing[:5]}"


@pytest.mark.parametrize("locale", SHIPPED)
def test_compiled_catalogue_matches_the_source(locale: str) -> None:
    po = _catalogue(locale)
    mo = polib.mofile(str(LOCALE_DIR / locale / "LC_MESSAGES" / "django.mo"))
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo
    }
    for entry in po.translated_entries():
        key = (entry.msgctxt, entry.msgid)
        assert key in compiled, f"{locale}: {entry.msgid!r} not compiled (run make messages)"
        assert compiled[key] == (entry.msgstr, tuple(sorted(entry.msgstr_plural.items()))), (
            f"{locale}: compiled {entry.msgid!r} is stale (run make messages)"
        )


def test_a_fresh_extraction_finds_nothing_untranslated(tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is needed: apt-get install gettext")
    # makemessages writes into any "locale" folder beside the sources it reads, so it runs on
    # a scratch copy of the sources and catalogues, never on the committed ones.
    scratch = tmp_path / "liuqing"
    shutil.copytree(
        settings.BASE_DIR,
        scratch,
        ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo", "*.pyc", "data"),
    )
    env = {
        **os.environ,
        "LIUQING_LOCALE_DIR": str(scratch / "locale"),
        "DJANGO_SETTINGS_MODULE": "liuqing.settings",
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "--no-obsolete",
            "--no-location",
            *[f"--locale={loc}" for loc in SHIPPED],
        ],
        cwd=scratch,
        env=env,
        check=True,
        capture_output=True,
    )
    for locale in SHIPPED:
        po = polib.pofile(str(scratch / "locale" / locale / "LC_MESSAGES" / "django.po"))
        missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
        assert missing == [], f"{locale}: new strings not translated: {missing[:10]}"


@pytest.mark.parametrize(
    ("code", "bidi"), [("zh-hans", False), ("ug", True), ("kk-arab", True), ("en", False)]
)
def test_each_language_activates_with_its_direction(code: str, bidi: bool) -> None:
    with translation.override(code):
        assert translation.get_language() == code
        assert translation.get_language_bidi() is bidi
        if code != "en":
            assert translation.gettext("Log out") != "Log out"


def test_chinese_is_the_shipped_default_language(client: Any, settings: Any) -> None:
    from liuqing import settings as shipped

    assert shipped.LANGUAGE_CODE == "zh-hans"
    settings.LANGUAGE_CODE = shipped.LANGUAGE_CODE
    with translation.override(None):
        page = client.get("/login/")
    assert page.status_code == 200
    assert '<html lang="zh-hans" dir="ltr">' in page.content.decode()


@pytest.mark.parametrize(
    ("accept", "code", "direction"),
    [("ug", "ug", "rtl"), ("kk-arab", "kk-arab", "rtl"), ("zh-CN", "zh-hans", "ltr")],
)
def test_the_browser_language_picks_the_page_language(
    client: Any, accept: str, code: str, direction: str
) -> None:
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE=accept)
    assert f'<html lang="{code}" dir="{direction}">' in page.content.decode()
