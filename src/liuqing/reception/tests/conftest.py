"""Fixtures of the reception tests: a weekends-only calendar and the default categories of
appeals, incidents and disputes, as their data migrations install them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from liuqing.appeals.defaults import ensure_default_categories as appeal_categories
from liuqing.casework.calendar import use_calendar
from liuqing.casework.models import Category
from liuqing.casework.testing import shanghai_calendar
from liuqing.incidents.defaults import ensure_default_categories as incident_categories
from liuqing.mediation.defaults import ensure_default_types


@pytest.fixture(autouse=True)
def weekends_only_calendar() -> Iterator[None]:
    with use_calendar(shanghai_calendar()):
        yield


@pytest.fixture(autouse=True)
def categories(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("django_db") is None and "world" not in request.fixturenames:
        return
    request.getfixturevalue("_django_db_helper")
    appeal_categories(Category)
    incident_categories()
    ensure_default_types(Category)
