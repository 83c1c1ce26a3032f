"""Permission-matrix declarations of the case pages and API (see liuqing.core.matrix).

Targets are made through the real services, as members of the target unit (and a
detachment-staff member at the root who opens cases anywhere), on the "test" workflow kind
that liuqing.casework.testing registers. Each case's title carries the marker.
"""

from __future__ import annotations

from typing import Any

from liuqing.casework import permissions_calendar, services
from liuqing.casework.policies import CASE, SUPERVISION
from liuqing.casework.testing import (
    case_in_progress,
    closed_case,
    member_at,
    open_test_case,
    png_upload,
    root_staff,
)
from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Role, Unit

Kwargs = dict[str, Any]
POST = "POST"


def _case(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    case = open_test_case(unit, title=f"{marker} case")
    return {"pk": case.pk}, marker


def _pending_extension(unit: Unit, marker: str) -> Any:
    case = case_in_progress(unit, title=f"{marker} case")
    assert case.owner is not None
    return services.request_extension(actor=case.owner, case=case, days=2, reason="matrix")


def _extension(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    return {"pk": _pending_extension(unit, marker).pk}, marker


def _followup(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    _closed, followup = closed_case(unit, title=f"{marker} case")
    return {"pk": followup.pk}, marker


def _followup_api(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    case, followup = closed_case(unit, title=f"{marker} case")
    return {"pk": case.pk, "followup_id": followup.pk}, marker


def _attachment(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    case = open_test_case(unit, title=f"{marker} case")
    entry = services.attach_file(actor=root_staff(unit), case=case, upload=png_upload())
    return {"pk": entry.pk}, marker


TARGETS: dict[str, TargetFactory] = {
    "case": _case,
    "case_extension": _extension,
    "case_followup": _followup,
    "case_followup_api": _followup_api,
    "case_attachment": _attachment,
}


# --- Request bodies --------------------------------------------------------------------------


def _accept(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"action": "accept", "note": "matrix"}


def _assign(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"owner": member_at(unit, Role.OFFICER).pk}


def _note(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"text": "matrix note"}


def _contact(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"method": "phone", "text": "called the resident"}


def _upload(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"file": png_upload(), "note": "matrix"}


def _extension_request(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"days": 2, "reason": "matrix"}


def _decision_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"decision": "approve"}


def _decision_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"approve": True}


def _followup_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"method": "phone", "satisfaction": "satisfied", "resolved": "yes"}


def _followup_body(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"satisfaction": "satisfied", "resolved": True}


def _other_case(unit: Unit) -> int:
    return open_test_case(unit, title="matrix other").pk


def _link(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"other": str(_other_case(unit))}


def _link_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"other": _other_case(unit)}


def _merge_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"into": _other_case(unit)}


def _transfer(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    to = world.units["S1"] if unit == world.units["C1"] else world.units["C1"]
    return {"to_unit": to.pk, "reason": "matrix"}


ROUTES: list[Route] = [
    # Pages
    Route(name="casework:my_work", kind=CASE),
    Route(name="casework:supervision", kind=SUPERVISION),
    Route(name="casework:case_detail", kind=CASE, target="case"),
    Route(name="casework:attachment", kind=CASE, target="case_attachment"),
    *(
        Route(name=name, kind=kind, action=CHANGE, method=POST, target=target, data=data)
        for name, kind, target, data in [
            ("casework:case_act", CASE, "case", _accept),
            ("casework:case_assign", SUPERVISION, "case", _assign),
            ("casework:case_note", CASE, "case", _note),
            ("casework:case_contact", CASE, "case", _contact),
            ("casework:case_attach", CASE, "case", _upload),
            ("casework:case_extension", CASE, "case", _extension_request),
            ("casework:case_link", CASE, "case", _link),
            ("casework:case_merge", SUPERVISION, "case", _link),
            ("casework:case_transfer", SUPERVISION, "case", _transfer),
            ("casework:extension_decide", SUPERVISION, "case_extension", _decision_form),
            ("casework:followup_record", CASE, "case_followup", _followup_form),
        ]
    ),
    # API
    Route(name="list_cases", kind=CASE, lists="case", api=True),
    Route(name="get_case", kind=CASE, target="case", api=True),
    Route(name="download_case_attachment", kind=CASE, target="case_attachment", api=True),
    Route(
        name="attach_case_file",
        kind=CASE,
        action=CHANGE,
        method=POST,
        target="case",
        data=_upload,
        api=True,
        multipart=True,
    ),
    Route(name="my_work_queue", kind=CASE, api=True),
    Route(name="supervision_queue", kind=SUPERVISION, api=True),
    *(
        Route(name=name, kind=kind, action=CHANGE, method=POST, target=target, data=data, api=True)
        for name, kind, target, data in [
            ("act_on_case", CASE, "case", _accept),
            ("assign_case", SUPERVISION, "case", _assign),
            ("add_case_note", CASE, "case", _note),
            ("record_case_contact", CASE, "case", _contact),
            ("request_case_extension", CASE, "case", _extension_request),
            ("decide_case_extension", SUPERVISION, "case_extension", _decision_api),
            ("record_case_followup", CASE, "case_followup_api", _followup_body),
            ("link_cases", CASE, "case", _link_api),
            ("merge_case", SUPERVISION, "case", _merge_api),
            ("transfer_case", SUPERVISION, "case", _transfer),
        ]
    ),
]

ROUTES += permissions_calendar.ROUTES
TARGETS.update(permissions_calendar.TARGETS)
PUBLIC: set[str] = set(permissions_calendar.PUBLIC)
