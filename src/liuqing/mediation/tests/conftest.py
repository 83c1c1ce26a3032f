"""Fixtures of the mediation tests: a calendar pinned to weekends only, and the dispute types
as the data migration installs them (a test elsewhere that flushes the database removes
them for the tests after it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from liuqing.casework.calendar import use_calendar
from liuqing.casework.models import Category
from liuqing.casework.testing import shanghai_calendar
from liuqing.mediation.defaults import ensure_default_types


@pytest.fixture(autouse=True)
def weekends_only_calendar() -> Iterator[None]:
    with use_calendar(shanghai_calendar()):
        yield


@pytest.fixture(autouse=True)
def dispute_types(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("django_db") is None and "world" not in request.fixturenames:
        return
    request.getfixturevalue("_django_db_helper")
    ensure_default_types(Category)
