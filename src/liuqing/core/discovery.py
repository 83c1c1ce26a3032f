"""Modules that every installed Liuqing app may provide by name (`jobs`, `demo`,
`retention`, `permissions`): one way to find and import them."""

from __future__ import annotations

import importlib
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps


def app_modules(name: str) -> list[ModuleType]:
    """Import `<app>.<name>` of every installed Liuqing app that has one, in app order;
    importing a module is what registers the jobs, steps or rules it declares."""
    found = []
    for config in apps.get_app_configs():
        module = f"{config.name}.{name}"
        if config.name.startswith("liuqing.") and find_spec(module) is not None:
            found.append(importlib.import_module(module))
    return found
