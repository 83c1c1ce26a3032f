"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from liuqing.core.testing import World, build_world


@pytest.fixture(autouse=True)
def english_by_default(settings: Any) -> Iterator[None]:
    """Tests read and assert English; the shipped default (zh-hans) and the other languages
    are checked explicitly in core/tests/test_translations.py and the browser tests."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploads made by a test (case attachments) go to a scratch folder, never to var/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def world(db: None) -> World:
    return build_world()
