"""Permission-matrix declarations of the care register (see liuqing.core.matrix).

Every recipient carries the care label, so the target factory first gives every persona of
the world the care grant (through the real service): the matrix then checks roles and
jurisdiction; the label itself is tested in tests/test_services.py and test_views.py.
Recipients are registered at the target unit by a root staff member with the grants, the
marker in their address (shown masked, so list pages show it in their place name instead:
each recipient gets a place named after the marker)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from liuqing.care.policies import CARE_RECIPIENT
from liuqing.care.testing import grant, register
from liuqing.casework.models import Category
from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Unit
from liuqing.visits.testing import make_place

Kwargs = dict[str, Any]
POST = "POST"


def _grant_world(world: Any) -> None:
    for member in world.personas.values():
        grant(member)


def _recipient(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    _grant_world(world)
    place = make_place(unit, f"{marker}村")
    recipient = register(unit, place=place)
    return {"pk": recipient.pk}, marker


def _new(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    _grant_world(world)
    return {
        "unit": world.units["S1"].pk,
        "category": "low_income",
        "name": "李四",
        "legal_basis": "consent",
        "basis_recorded_on": "2026-01-02",
    }


def _new_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    data = _new(world, unit, kwargs)
    data["unit_id"] = data.pop("unit")
    return data


def _category() -> Category:
    found, _created = Category.objects.get_or_create(
        kind="appeal", code="matrix-care", defaults={"name": "矩阵诉求", "is_public": True}
    )
    return found


TARGETS: dict[str, TargetFactory] = {"care_recipient": _recipient}

ROUTES: list[Route] = [
    Route(name="care:list", kind=CARE_RECIPIENT, lists="care_recipient"),
    Route(name="care:new", kind=CARE_RECIPIENT, action=CHANGE),
    Route(name="care:new", kind=CARE_RECIPIENT, action=CHANGE, method=POST, data=_new),
    Route(name="care:detail", kind=CARE_RECIPIENT, target="care_recipient"),
    Route(
        name="care:reveal",
        kind=CARE_RECIPIENT,
        method=POST,
        target="care_recipient",
        data=lambda w, u, k: {"field": "phone", "reason": "核实联系方式"},
    ),
    Route(
        name="care:service",
        kind=CARE_RECIPIENT,
        action=CHANGE,
        method=POST,
        target="care_recipient",
        data=lambda w, u, k: {"kind": "medicine", "given_on": "2026-02-01"},
    ),
    Route(
        name="care:need",
        kind=CARE_RECIPIENT,
        action=CHANGE,
        method=POST,
        target="care_recipient",
        data=lambda w, u, k: {"category": _category().pk, "description": "需要修缮屋顶"},
    ),
    Route(name="care:edit", kind=CARE_RECIPIENT, action=CHANGE, target="care_recipient"),
    Route(
        name="care:edit",
        kind=CARE_RECIPIENT,
        action=CHANGE,
        method=POST,
        target="care_recipient",
        data=lambda w, u, k: {
            "category": "elderly_alone",
            "legal_basis": "consent",
            "basis_recorded_on": "2026-01-05",
        },
    ),
    Route(
        name="update_care_recipient",
        kind=CARE_RECIPIENT,
        action=CHANGE,
        method="PATCH",
        target="care_recipient",
        data=lambda w, u, k: {"category": "elderly_alone", "address": "新住址 3 号"},
        api=True,
    ),
    Route(
        name="care:take_off",
        kind=CARE_RECIPIENT,
        action=CHANGE,
        method=POST,
        target="care_recipient",
        data=lambda w, u, k: {"reason": "本人撤回同意"},
    ),
    Route(
        name="take_care_recipient_off",
        kind=CARE_RECIPIENT,
        action=CHANGE,
        method=POST,
        target="care_recipient",
        data=lambda w, u, k: {"reason": "本人撤回同意"},
        api=True,
    ),
    Route(name="list_care_recipients", kind=CARE_RECIPIENT, lists="care_recipient", api=True),
    Route(
        name="register_care_recipient",
        kind=CARE_RECIPIENT,
        action=CHANGE,
        method=POST,
        data=_new_api,
        api=True,
    ),
    Route(name="get_care_recipient", kind=CARE_RECIPIENT, target="care_recipient", api=True),
    Route(
        name="reveal_care_recipient",
        kind=CARE_RECIPIENT,
        method=POST,
        target="care_recipient",
        data=lambda w, u, k: {"field": "phone", "reason": "核实联系方式"},
        api=True,
    ),
    Route(
        name="record_care_service",
        kind=CARE_RECIPIENT,
        action=CHANGE,
        method=POST,
        target="care_recipient",
        data=lambda w, u, k: {"kind": "cleaning", "given_on": str(dt.date(2026, 2, 1))},
        api=True,
    ),
    Route(
        name="raise_care_need",
        kind=CARE_RECIPIENT,
        action=CHANGE,
        method=POST,
        target="care_recipient",
        data=lambda w, u, k: {"category_id": _category().pk, "description": "需要修缮屋顶"},
        api=True,
    ),
]

PUBLIC: set[str] = set()
