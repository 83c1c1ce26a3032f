"""Test helpers of liaison, importable by any app's tests and by the permission matrix."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from liuqing.casework.models import Category
from liuqing.casework.testing import root_staff
from liuqing.core.models import Unit
from liuqing.liaison import services
from liuqing.liaison.defaults import ensure_default_categories
from liuqing.liaison.models import Organisation, Problem
from liuqing.liaison.workflow import LIAISON_PROBLEM

_numbers = itertools.count(1)


def organisation(
    unit: Unit, *, name: str = "", kind: str = "enterprise", **over: Any
) -> Organisation:
    return services.register_organisation(
        actor=root_staff(unit),
        unit=unit,
        name=name or f"企业{next(_numbers)}",
        kind=kind,
        address=over.pop("address", "工业园 1 号"),
        contact_name=over.pop("contact_name", "赵经理"),
        contact_phone=over.pop("contact_phone", "13700001111"),
        **over,
    )


def category(code: str = "safety_hazard") -> Category:
    ensure_default_categories()
    return Category.objects.get(kind=LIAISON_PROBLEM, code=code)


def problem(org: Organisation, *, code: str = "safety_hazard", savings: Any = "0") -> Problem:
    return services.raise_problem(
        actor=root_staff(org.unit),
        organisation=org,
        category=category(code),
        title="消防通道堵塞",
        description="仓库门口堆放杂物",
        estimated_savings=savings,
    )


def assign(
    org: Organisation,
    officer: Any,
    *,
    role: str = "liaison",
    starts_on: dt.date = dt.date(2026, 1, 1),
    ends_on: dt.date | None = None,
) -> Any:
    return services.assign_officer(
        actor=root_staff(org.unit),
        organisation=org,
        officer=officer,
        role=role,
        starts_on=starts_on,
        ends_on=ends_on,
    )
