"""Permission-matrix declarations of dispute mediation (see liuqing.core.matrix).

Targets are made through the real services (`liuqing.mediation.testing`): a dispute recorded
at the target unit by a detachment-staff member at the root, driven to the stage the route
needs by an officer of that unit, with the marker in the title. Committees are made at the
target unit with the marker in their name.
"""

from __future__ import annotations

from typing import Any

from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Unit
from liuqing.mediation.models import Level, MediatorKind
from liuqing.mediation.testing import (
    APPLICANT,
    RESPONDENT,
    accepted,
    agreed,
    committee,
    confirmed_application,
    dispute_type,
    start,
)
from liuqing.mediation.workflow import COMMITTEE, DISPUTE

Kwargs = dict[str, Any]
POST = "POST"


def _dispute(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    case = start(unit, title=f"{marker} dispute")
    return {"pk": case.pk}, marker


def _step(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    case = start(unit, title=f"{marker} dispute")
    return {"pk": case.pk, "step": "risk"}, marker


def _mediator(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    case = accepted(unit, title=f"{marker} dispute")
    return {"pk": case.pk, "mediator_id": case.dispute.mediators.get().pk}, marker


def _agreement(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    case, agreement = agreed(unit, title=f"{marker} dispute")
    return {"pk": case.pk, "agreement_id": agreement.pk}, marker


def _document(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    kwargs, marker = _agreement(world, unit, marker)
    return {**kwargs, "fmt": "pdf"}, marker


def _obligation(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    case, agreement = agreed(unit, title=f"{marker} dispute")
    return {"pk": case.pk, "obligation_id": agreement.obligations.get().pk}, marker


def _confirmation(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    case, agreement = confirmed_application(unit, title=f"{marker} dispute")
    return {"pk": case.pk, "confirmation_id": agreement.confirmation.pk}, marker


def _committee(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    committee(unit, name=f"{marker} committee")
    return {}, marker


TARGETS: dict[str, TargetFactory] = {
    "dispute": _dispute,
    "dispute_step": _step,
    "dispute_mediator": _mediator,
    "dispute_agreement": _agreement,
    "dispute_document": _document,
    "dispute_obligation": _obligation,
    "dispute_confirmation": _confirmation,
    "mediation_committee": _committee,
}


# --- Request bodies ---------------------------------------------------------------------------


def _create(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "unit": unit.pk,
        "committee": committee(unit).pk,
        "dispute_type": dispute_type().pk,
        "source": "application",
        "title": "矩阵纠纷",
        "facts": "矩阵测试：邻里噪音。",
        "parties": [APPLICANT, RESPONDENT],
    }


def _create_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "unit": unit.pk,
        "committee": committee(unit).pk,
        "dispute_type": dispute_type().pk,
        "source": "application",
        "title": "矩阵纠纷",
        "facts": "矩阵测试：邻里噪音。",
        "applicant_name": "王建军",
        "respondent_name": "李明",
    }


def _note(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"note": "矩阵：一方扬言报复。"}


def _advice(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"advice": "建议起诉。"}


def _reason(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"reason": "矩阵。"}


def _mediator_body(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"name": "李书记", "kind": MediatorKind.CADRE}


def _replace(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    from liuqing.mediation.models import Party

    party = Party.objects.filter(dispute_id=kwargs["pk"]).first()
    return {
        "name": "马老汉",
        "kind": MediatorKind.ELDER,
        "party": party.pk if party else 1,
        "reason": "回避。",
    }


def _session(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "held_at": "2026-01-05T10:00:00+08:00",
        "location": "村调解室",
        "attendees": "双方",
        "minutes": "矩阵。",
    }


def _escalate(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"committee": committee(unit, Level.COUNTY, "矩阵中心").pk, "reason": "复杂。"}


def _extend(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"days": 5, "applicant_consent": True, "respondent_consent": True, "reason": "鉴定。"}


def _agreement_body(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "written": False,
        "facts": "f",
        "matters": "m",
        "content": "c",
        "obligations": [{"obligor": 1, "obligee": 2, "action": "赔偿", "due_date": "2026-12-31"}],
    }


def _terminate(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"reason": "分歧大。", "channels": ["court"]}


def _confirmation_body(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"applied_on": "2026-01-05", "court": "伊宁市人民法院"}


def _result(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"result": "confirmed", "decided_on": "2026-01-06", "number": "（2026）新4002民特1号"}


def _performance(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"performed_on": "2026-01-05", "amount": "100"}


def _visit(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"visited_on": "2026-01-05", "performing": True}


def _default(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"remedy": "remediate", "note": "未履行。"}


def _committee_body(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"unit": unit.pk, "name": "矩阵调解室", "level": Level.VILLAGE}


def _figures(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"start": "2026-01-01", "end": "2027-01-01"}


def _api(name: str, target: str, data: Any) -> Route:
    return Route(
        name=name, kind=DISPUTE, action=CHANGE, method=POST, target=target, data=data, api=True
    )


ROUTES: list[Route] = [
    # Pages
    Route(name="mediation:list", kind=DISPUTE, lists="dispute"),
    Route(name="mediation:create", kind=DISPUTE, action=CHANGE),
    Route(
        name="mediation:create",
        kind=DISPUTE,
        action=CHANGE,
        method=POST,
        data=_create_form,
        unit_param="unit",
    ),
    Route(name="mediation:detail", kind=DISPUTE, target="dispute"),
    Route(
        name="mediation:act",
        kind=DISPUTE,
        action=CHANGE,
        method=POST,
        target="dispute_step",
        data=_note,
    ),
    Route(name="mediation:document", kind=DISPUTE, target="dispute_document"),
    Route(name="mediation:figures", kind=DISPUTE),
    Route(name="mediation:committees", kind=COMMITTEE, lists="mediation_committee"),
    Route(
        name="mediation:committees",
        kind=COMMITTEE,
        action=CHANGE,
        method=POST,
        data=_committee_body,
        unit_param="unit",
    ),
    # API
    Route(name="list_disputes", kind=DISPUTE, lists="dispute", api=True),
    Route(
        name="create_dispute",
        kind=DISPUTE,
        action=CHANGE,
        method=POST,
        data=_create,
        unit_param="unit",
        api=True,
    ),
    Route(name="dispute_figures", kind=DISPUTE, data=_figures, api=True),
    Route(name="list_mediation_committees", kind=COMMITTEE, lists="mediation_committee", api=True),
    Route(
        name="create_mediation_committee",
        kind=COMMITTEE,
        action=CHANGE,
        method=POST,
        data=_committee_body,
        unit_param="unit",
        api=True,
    ),
    Route(name="get_dispute", kind=DISPUTE, target="dispute", api=True),
    _api("accept_dispute", "dispute", None),
    _api("refuse_dispute", "dispute", _advice),
    _api("add_dispute_mediator", "dispute", _mediator_body),
    _api("replace_dispute_mediator", "dispute_mediator", _replace),
    _api("record_dispute_session", "dispute_mediator", _session),
    _api("flag_dispute_risk", "dispute", _note),
    _api("escalate_dispute", "dispute", _escalate),
    _api("extend_dispute_deadline", "dispute_mediator", _extend),
    _api("record_dispute_agreement", "dispute", _agreement_body),
    _api("terminate_dispute", "dispute_mediator", _terminate),
    _api("withdraw_dispute", "dispute", _reason),
    _api("apply_dispute_confirmation", "dispute_agreement", _confirmation_body),
    _api("record_dispute_confirmation_result", "dispute_confirmation", _result),
    _api("record_dispute_performance", "dispute_obligation", _performance),
    _api("record_dispute_visit", "dispute_agreement", _visit),
    _api("handle_dispute_default", "dispute_agreement", _default),
    Route(name="download_dispute_agreement", kind=DISPUTE, target="dispute_document", api=True),
]

PUBLIC: set[str] = set()
