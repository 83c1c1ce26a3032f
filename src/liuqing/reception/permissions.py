"""Permission-matrix declarations of the reception desk and talk points (see
liuqing.core.matrix). Walk-ins and talk sessions are made through the real services by a
detachment-staff member at the root; a complaint is put straight into the target unit's
queue, about a grid named after the marker (the list shows complaints masked, so the marker
stands in the unit's name). Restricted reports are listed only to members with a grant, which
no matrix persona holds: their list routes name no markers. To aim at one report, the target
factory first gives every persona of the world the domestic-violence grant (through the real
service), so the matrix checks roles and jurisdiction; the label filter itself is tested in
the app's tests."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from liuqing.casework.testing import member_at
from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Role, Unit
from liuqing.reception.models import ComplaintStatus, ConductComplaint
from liuqing.reception.policies import COMPLAINT, RESTRICTED, TALK_SESSION, WALK_IN
from liuqing.reception.testing import (
    complaint_at,
    grant,
    grid_named,
    officer,
    report_at,
    talk_session,
    village,
    walk_in,
)

Kwargs = dict[str, Any]
POST = "POST"


def _walk_in(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    return {"pk": walk_in(unit, reference=marker).pk}, marker


def _complaint(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    complaint = complaint_at(unit, f"{marker} complaint", about=grid_named(unit, marker))
    return {"pk": complaint.pk}, marker


def _report(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    for member in world.personas.values():
        grant(member, "domestic_violence")
    return {"pk": report_at(unit, f"{marker} report").pk}, marker


def _session(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    return {"pk": talk_session(unit, name=f"{marker} village").pk}, marker


TARGETS: dict[str, TargetFactory] = {
    "walk_in": _walk_in,
    "conduct_complaint": _complaint,
    "talk_session": _session,
    "restricted_report": _report,
}


def _restricted(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "route": "restricted",
        "report_kind": "domestic_violence",
        "description": "矩阵：家暴报告。",
    }


def _reason(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"reason": "矩阵：核实投诉内容"}


def _reveal_note(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"action": "reveal_note", "reason": "矩阵：核实处理意见"}


def _take(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"action": "take"}


def _take_over(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    """Another supervisor at the queue's unit handles the complaint already (set up directly:
    the matrix aims at the take-over itself)."""
    previous = member_at(unit, Role.DETACHMENT_STAFF, "previous")
    ConductComplaint.objects.filter(pk=kwargs["pk"]).update(
        owner=previous, taken_at=timezone.now(), status=ComplaintStatus.IN_HAND
    )
    return {"reason": "矩阵：原承办人休假"}


def _take_over_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"action": "take_over", **_take_over(world, unit, kwargs)}


def _outcome(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"outcome": "not_upheld", "note": "矩阵：经核查，投诉不属实。"}


def _session_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "place": village(unit).pk,
        "held_on": "2026-01-05",
        "attendees": "12",
        "officers": [world.persona(Role.OFFICER).pk],
    }


def _session_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "place": village(unit).pk,
        "held_on": "2026-01-05",
        "attendees": 12,
        "officers": [officer(unit).pk],
    }


def _matter(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"kind": "appeal", "description": "矩阵：路灯不亮。"}


def _check_in(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"unit": unit.pk}


ROUTES: list[Route] = [
    Route(name="reception:desk", kind=WALK_IN, lists="walk_in"),
    Route(name="reception:check_in", kind=WALK_IN, action=CHANGE, method=POST),
    Route(name="reception:walk_in", kind=WALK_IN, target="walk_in"),
    Route(
        name="reception:walk_in",
        kind=WALK_IN,
        action=CHANGE,
        method=POST,
        target="walk_in",
        data=_restricted,
    ),
    Route(name="reception:complaints", kind=COMPLAINT, lists="conduct_complaint"),
    Route(
        name="reception:complaint_reveal",
        kind=COMPLAINT,
        method=POST,
        target="conduct_complaint",
        data=_reason,
    ),
    Route(name="reception:complaint", kind=COMPLAINT, target="conduct_complaint"),
    Route(
        name="reception:complaint",
        kind=COMPLAINT,
        action=CHANGE,
        method=POST,
        target="conduct_complaint",
        data=_take,
    ),
    Route(
        name="reception:complaint",
        kind=COMPLAINT,
        method=POST,
        target="conduct_complaint",
        data=_reveal_note,
    ),
    Route(
        name="reception:complaint",
        kind=COMPLAINT,
        action=CHANGE,
        method=POST,
        target="conduct_complaint",
        data=_take_over_form,
    ),
    Route(name="reception:reports", kind=RESTRICTED),
    Route(
        name="reception:report_reveal",
        kind=RESTRICTED,
        method=POST,
        target="restricted_report",
        data=_reason,
    ),
    Route(name="reception:talk_sessions", kind=TALK_SESSION, lists="talk_session"),
    Route(
        name="reception:talk_sessions",
        kind=TALK_SESSION,
        action=CHANGE,
        method=POST,
        data=_session_form,
    ),
    Route(name="reception:talk_session", kind=TALK_SESSION, target="talk_session"),
    Route(
        name="reception:talk_session",
        kind=TALK_SESSION,
        action=CHANGE,
        method=POST,
        target="talk_session",
        data=_matter,
    ),
    Route(name="list_walk_ins", kind=WALK_IN, lists="walk_in", api=True),
    Route(
        name="check_in_walk_in",
        kind=WALK_IN,
        action=CHANGE,
        method=POST,
        data=_check_in,
        unit_param="unit",
        api=True,
    ),
    Route(name="get_walk_in", kind=WALK_IN, target="walk_in", api=True),
    Route(
        name="serve_walk_in",
        kind=WALK_IN,
        action=CHANGE,
        method=POST,
        target="walk_in",
        api=True,
    ),
    Route(
        name="route_walk_in",
        kind=WALK_IN,
        action=CHANGE,
        method=POST,
        target="walk_in",
        data=_restricted,
        api=True,
    ),
    Route(name="list_conduct_complaints", kind=COMPLAINT, lists="conduct_complaint", api=True),
    Route(
        name="reveal_conduct_complaint",
        kind=COMPLAINT,
        method=POST,
        target="conduct_complaint",
        data=_reason,
        api=True,
    ),
    Route(name="get_conduct_complaint", kind=COMPLAINT, target="conduct_complaint", api=True),
    Route(
        name="take_conduct_complaint",
        kind=COMPLAINT,
        action=CHANGE,
        method=POST,
        target="conduct_complaint",
        api=True,
    ),
    Route(
        name="take_over_conduct_complaint",
        kind=COMPLAINT,
        action=CHANGE,
        method=POST,
        target="conduct_complaint",
        data=_take_over,
        api=True,
    ),
    Route(
        name="record_conduct_complaint_outcome",
        kind=COMPLAINT,
        action=CHANGE,
        method=POST,
        target="conduct_complaint",
        data=_outcome,
        api=True,
    ),
    Route(
        name="close_conduct_complaint",
        kind=COMPLAINT,
        action=CHANGE,
        method=POST,
        target="conduct_complaint",
        api=True,
    ),
    Route(name="list_restricted_reports", kind=RESTRICTED, api=True),
    Route(
        name="reveal_restricted_report",
        kind=RESTRICTED,
        method=POST,
        target="restricted_report",
        data=_reason,
        api=True,
    ),
    Route(name="list_talk_sessions", kind=TALK_SESSION, lists="talk_session", api=True),
    Route(name="get_talk_session", kind=TALK_SESSION, target="talk_session", api=True),
    Route(
        name="create_talk_session",
        kind=TALK_SESSION,
        action=CHANGE,
        method=POST,
        data=_session_api,
        api=True,
    ),
    Route(
        name="raise_talk_matter",
        kind=TALK_SESSION,
        action=CHANGE,
        method=POST,
        target="talk_session",
        data=_matter,
        api=True,
    ),
]

PUBLIC: set[str] = set()
