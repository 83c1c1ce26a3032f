"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest

from liuqing.core.testing import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()
