"""Permission-matrix declarations of appeals (see liuqing.core.matrix): the staff pages and
API here, merged with the residents' pages, Open311 and contact cards of
`liuqing.appeals.public.permissions`.

Targets are made through the real services: `submit_appeal` at the target unit, by a
detachment-staff member at the root of the tree, with the marker in the title. The category
tree belongs to no unit, so its routes name no target: the ``appeal_category`` policy
decides alone, once per role.
"""

from __future__ import annotations

import importlib
from typing import Any

from liuqing.appeals.models import AppealChannel
from liuqing.appeals.testing import appeal_category, submit
from liuqing.appeals.workflow import APPEAL, APPEAL_CATEGORY
from liuqing.casework.policies import SUPERVISION
from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Unit

Kwargs = dict[str, Any]
POST = "POST"


def _appeal(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    case = submit(unit, title=f"{marker} appeal")
    return {"pk": case.pk}, marker


TARGETS: dict[str, TargetFactory] = {"appeal": _appeal}


# --- Request bodies ---------------------------------------------------------------------------


def _category_id() -> int:
    return appeal_category("matrix.general", resolve_days=5).pk


def _record_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "unit": unit.pk,
        "category": _category_id(),
        "description": "矩阵测试：路灯不亮。",
        "resident_name": "矩阵",
        "resident_phone": "13900001111",
        "channel": AppealChannel.HOME_VISIT,
    }


def _record_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {**_record_form(world, unit, kwargs), "title": "matrix"}


def _edit_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "category": _category_id(),
        "description": "矩阵测试：路灯还是不亮。",
        "channel": AppealChannel.PHONE,
    }


def _patch(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"title": "matrix edited", "channel": AppealChannel.PHONE}


def _notice_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"summary": "村民反映路灯不亮。", "result": "已修复。", "show": "on"}


def _notice_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"summary": "村民反映路灯不亮。", "result": "已修复。", "show": True}


def _reason(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"reason": "call back the resident"}


def _bulk_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"ids": [submit(unit, title="matrix bulk").pk], "action": "accept"}


def _category_edit(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"id": _category_id()}


def _category_create(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"code": "matrix.new", "name": "矩阵新类", "resolve_days": "5", "is_public": "on"}


ROUTES: list[Route] = [
    # Pages
    Route(name="appeals:list", kind=APPEAL, lists="appeal"),
    Route(name="appeals:create", kind=APPEAL, action=CHANGE),
    Route(
        name="appeals:create",
        kind=APPEAL,
        action=CHANGE,
        method=POST,
        data=_record_form,
        unit_param="unit",
    ),
    Route(name="appeals:bulk", kind=SUPERVISION, action=CHANGE, method=POST, data=_bulk_form),
    Route(name="appeals:figures", kind=APPEAL),
    Route(name="appeals:figures_csv", kind=APPEAL),
    Route(name="appeals:category_list", kind=APPEAL_CATEGORY),
    Route(name="appeals:category_form", kind=APPEAL_CATEGORY, action=CHANGE, data=_category_edit),
    Route(
        name="appeals:category_form",
        kind=APPEAL_CATEGORY,
        action=CHANGE,
        method=POST,
        data=_category_create,
    ),
    Route(name="appeals:detail", kind=APPEAL, target="appeal"),
    Route(name="appeals:edit", kind=APPEAL, action=CHANGE, target="appeal"),
    Route(
        name="appeals:edit",
        kind=APPEAL,
        action=CHANGE,
        method=POST,
        target="appeal",
        data=_edit_form,
    ),
    Route(
        name="appeals:notice",
        kind=APPEAL,
        action=CHANGE,
        method=POST,
        target="appeal",
        data=_notice_form,
    ),
    Route(name="appeals:reveal_phone", kind=APPEAL, target="appeal"),
    Route(name="appeals:reveal_phone", kind=APPEAL, method=POST, target="appeal", data=_reason),
    # API
    Route(name="list_appeals", kind=APPEAL, lists="appeal", api=True),
    Route(
        name="create_appeal",
        kind=APPEAL,
        action=CHANGE,
        method=POST,
        data=_record_api,
        unit_param="unit",
        api=True,
    ),
    Route(name="appeal_figures", kind=APPEAL, api=True),
    Route(name="list_appeal_categories", kind=APPEAL_CATEGORY, api=True),
    Route(
        name="bulk_appeals",
        kind=SUPERVISION,
        action=CHANGE,
        method=POST,
        data=_bulk_form,
        api=True,
    ),
    Route(name="get_appeal", kind=APPEAL, target="appeal", api=True),
    Route(
        name="update_appeal",
        kind=APPEAL,
        action=CHANGE,
        method="PATCH",
        target="appeal",
        data=_patch,
        api=True,
    ),
    Route(
        name="set_appeal_public_notice",
        kind=APPEAL,
        action=CHANGE,
        method="PUT",
        target="appeal",
        data=_notice_api,
        api=True,
    ),
    Route(
        name="reveal_appeal_phone",
        kind=APPEAL,
        method=POST,
        target="appeal",
        data=_reason,
        api=True,
    ),
]

PUBLIC: set[str] = set()


def _merge_public() -> None:
    """Add the declarations of the residents' pages, Open311 and contact cards, once their
    module exists."""
    try:
        module = importlib.import_module("liuqing.appeals.public.permissions")
    except ModuleNotFoundError as exc:
        if exc.name not in {"liuqing.appeals.public", "liuqing.appeals.public.permissions"}:
            raise
        return
    ROUTES.extend(getattr(module, "ROUTES", []))
    PUBLIC.update(getattr(module, "PUBLIC", set()))
    TARGETS.update(getattr(module, "TARGETS", {}))


_merge_public()

__all__ = ["PUBLIC", "ROUTES", "TARGETS"]
