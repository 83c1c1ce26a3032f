"""The dispute API at /api/v1/disputes: list, record, one dispute, every step of mediation,
the agreement documents, the committees and the figures.

Each operation parses its input (mediation/schemas.py), calls one selector or service, and
returns a schema; the staff pages call the very same selectors and services. A dispute's id
is its case's id (assignment, notes and attachments are the case API's). A dispute in the
path outside the caller's jurisdiction is a 404; a unit, committee, type, party or member
named in a body that the caller cannot see is a 422 on that field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from liuqing.casework.models import Case
from liuqing.core import selectors as core_selectors
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.api import Pagination, api_actor, unit_in_scope
from liuqing.core.models import Member
from liuqing.mediation import downloads, followup, kpis, selectors, services
from liuqing.mediation.models import Committee
from liuqing.mediation.schemas import (
    AdviceIn,
    AgreementIn,
    CommitteeIn,
    CommitteeOut,
    ConfirmationIn,
    ConfirmationResultIn,
    DefaultIn,
    DisputeCreateIn,
    DisputeDetailOut,
    DisputeOut,
    EscalateIn,
    ExtensionIn,
    FiguresOut,
    FiguresQuery,
    MediatorIn,
    NoteIn,
    PerformanceIn,
    ReasonIn,
    ReplaceIn,
    SessionIn,
    TerminateIn,
    VisitIn,
)
from liuqing.mediation.workflow import STATE_LABELS

router = Router(tags=["disputes"])


def _committee(actor: Member, pk: int) -> Committee:
    found = selectors.committee_choices(actor).filter(pk=pk).first()
    if found is None:
        raise ValidationError({"committee": _("Choose one of the committees offered.")})
    return found


def _member(actor: Member, pk: int | None) -> Member | None:
    if pk is None:
        return None
    try:
        return core_selectors.access_member(actor, pk)
    except (NotFound, AccessDenied):
        raise ValidationError({"member": _("Choose an active member.")}) from None


def _detail(case: Case) -> dict[str, Any]:
    data = selectors.dossier(case)
    dispute = data["dispute"]
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "status": case.status,
        "unit": case.unit,
        "category": case.category,
        "owner": case.owner,
        "received_at": case.received_at,
        "resolve_due": case.resolve_due,
        "level": dispute.level,
        "outcome": dispute.outcome,
        "risk_flag": dispute.risk_flag,
        "committee_id": dispute.committee_id,
        "description": case.description,
        "source": dispute.source,
        "referrer": dispute.referrer,
        "claims": dispute.claims,
        "amount": dispute.amount,
        "accepted_at": dispute.accepted_at,
        "deadline": dispute.deadline,
        "refusal_advice": dispute.refusal_advice,
        "risk_note": dispute.risk_note,
        "channels": dispute.channels,
        "agreed_at": dispute.agreed_at,
        "resolved_level": dispute.resolved_level,
        "parties": [
            {
                "id": p.pk,
                "role": p.role,
                "is_organisation": p.is_organisation,
                "name": str(p.name),
                "phone": str(p.phone),
                "id_number": str(p.id_number),
                "agent_name": str(p.agent_name),
            }
            for p in data["parties"]
        ],
        "mediators": data["mediators"],
        "sessions": data["sessions"],
        "escalations": data["escalations"],
        "agreements": [
            {
                "id": a.pk,
                "number": a.number,
                "written": a.written,
                "facts": a.facts,
                "matters": a.matters,
                "responsibilities": a.responsibilities,
                "content": a.content,
                "effective_at": a.effective_at,
                "confirmation_due": a.confirmation_due,
                "defaulted_at": a.defaulted_at,
                "obligations": [
                    {
                        "id": o.pk,
                        "obligor_id": o.obligor_id,
                        "obligee_id": o.obligee_id,
                        "action": o.action,
                        "amount": o.amount,
                        "method": o.method,
                        "due_date": o.due_date,
                        "performed_on": o.performed_on,
                        "defaulted": o.defaulted,
                        "payments": list(o.payments.all()),
                    }
                    for o in a.obligations.all()
                ],
                "confirmation": a.confirmation_row,
            }
            for a in data["agreements"]
        ],
        "visits": data["visits"],
    }


def _reload(actor: Member, case: Case) -> dict[str, Any]:
    return _detail(selectors.access_dispute(actor, case.pk))


def _write(request: HttpRequest, pk: int) -> tuple[Member, Case]:
    actor = api_actor(request)
    return actor, selectors.access_dispute(actor, pk, for_write=True)


# --- Disputes ---------------------------------------------------------------------------------


@router.get("", response=list[DisputeOut], operation_id="list_disputes", summary="Disputes")
@paginate(Pagination)
def list_disputes(
    request: HttpRequest,
    status: str = "",
    level: str = "",
    outcome: str = "",
    unit: int | None = None,
    q: str = "",
) -> QuerySet[Case]:
    """Disputes of your jurisdiction, newest first."""
    actor = api_actor(request)
    if status and status not in STATE_LABELS:
        raise ValidationError({"status": _("Unknown status.")})
    return selectors.disputes_visible_to(
        actor,
        selectors.DisputeFilters(
            status=status, level=level, outcome=outcome, unit=unit_in_scope(actor, unit), q=q[:100]
        ),
    )


@router.post(
    "", response={201: DisputeDetailOut}, operation_id="create_dispute", summary="Record a dispute"
)
def create_dispute(request: HttpRequest, payload: DisputeCreateIn) -> dict[str, Any]:
    """Record a dispute: a party applied, the mediator started it, or it was referred."""
    actor = api_actor(request)
    unit = unit_in_scope(actor, payload.unit)
    assert unit is not None
    dispute_type = selectors.dispute_types().filter(pk=payload.dispute_type).first()
    if dispute_type is None:
        raise ValidationError({"dispute_type": _("Choose one of the dispute types offered.")})
    case = services.start_dispute(
        actor=actor,
        unit=unit,
        committee=_committee(actor, payload.committee),
        dispute_type=dispute_type,
        source=payload.source,
        referrer=payload.referrer or "",
        title=payload.title,
        facts=payload.facts,
        claims=payload.claims,
        amount=payload.amount,
        parties=[p.dict() for p in payload.parties],
    )
    return _reload(actor, case)


@router.get("/figures", response=FiguresOut, operation_id="dispute_figures", summary="Figures")
def dispute_figures(request: HttpRequest, filters: Query[FiguresQuery]) -> dict[str, Any]:
    """The dispute figures of KPIS.md for a unit's subtree (default: yours) and the local
    dates [start, end), as of now."""
    actor = api_actor(request)
    unit = unit_in_scope(actor, filters.unit) or actor.unit
    if filters.end <= filters.start:
        raise ValidationError({"end": _("The end must be after the start.")})
    start, end, as_of = downloads.period_bounds(filters.start, filters.end)
    readings = kpis.readings(actor, unit, start, end, as_of)
    return {
        "unit": unit,
        "start": filters.start,
        "end": filters.end,
        "as_of": as_of,
        "readings": [downloads.reading_row(r) for r in readings],
    }


@router.get(
    "/committees",
    response=list[CommitteeOut],
    operation_id="list_mediation_committees",
    summary="Mediation committees",
)
@paginate(Pagination)
def list_committees(request: HttpRequest) -> QuerySet[Committee]:
    """The mediation rooms, stations and centres of your jurisdiction."""
    return selectors.committees_visible_to(api_actor(request)).order_by("unit__path", "name")


@router.post(
    "/committees",
    response={201: CommitteeOut},
    operation_id="create_mediation_committee",
    summary="Add a committee",
)
def create_committee(request: HttpRequest, payload: CommitteeIn) -> Committee:
    actor = api_actor(request)
    unit = unit_in_scope(actor, payload.unit)
    assert unit is not None
    place = None
    if payload.place is not None:
        try:
            place = core_selectors.access_place(actor, payload.place)
        except (NotFound, AccessDenied):
            raise ValidationError({"place": _("Choose a place of this unit.")}) from None
    return services.create_committee(
        actor=actor, unit=unit, name=payload.name, level=payload.level, place=place
    )


@router.get("/{pk}", response=DisputeDetailOut, operation_id="get_dispute", summary="One dispute")
def get_dispute(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _detail(selectors.access_dispute(api_actor(request), pk))


@router.post("/{pk}/accept", response=DisputeDetailOut, operation_id="accept_dispute")
def accept_dispute(request: HttpRequest, pk: int) -> dict[str, Any]:
    """Accept for mediation; the one-month deadline starts."""
    actor, case = _write(request, pk)
    services.accept_dispute(actor=actor, case=case)
    return _reload(actor, case)


@router.post("/{pk}/refuse", response=DisputeDetailOut, operation_id="refuse_dispute")
def refuse_dispute(request: HttpRequest, pk: int, payload: AdviceIn) -> dict[str, Any]:
    """A party refused mediation: not accepted, with the referral advice."""
    actor, case = _write(request, pk)
    services.refuse_dispute(actor=actor, case=case, advice=payload.advice)
    return _reload(actor, case)


@router.post("/{pk}/mediators", response=DisputeDetailOut, operation_id="add_dispute_mediator")
def add_mediator(request: HttpRequest, pk: int, payload: MediatorIn) -> dict[str, Any]:
    actor, case = _write(request, pk)
    services.add_mediator(
        actor=actor,
        case=case,
        name=payload.name,
        kind=payload.kind,
        member=_member(actor, payload.member),
        lead=payload.lead,
    )
    return _reload(actor, case)


@router.post(
    "/{pk}/mediators/{mediator_id}/replace",
    response=DisputeDetailOut,
    operation_id="replace_dispute_mediator",
)
def replace_mediator(
    request: HttpRequest, pk: int, mediator_id: int, payload: ReplaceIn
) -> dict[str, Any]:
    """A party asked for this mediator to be replaced (回避)."""
    actor, case = _write(request, pk)
    try:
        party = selectors.access_party(actor, case, payload.party)
    except NotFound:
        raise ValidationError({"party": _("Choose a party of this dispute.")}) from None
    services.replace_mediator(
        actor=actor,
        mediator=selectors.access_mediator(actor, case, mediator_id),
        party=party,
        reason=payload.reason,
        name=payload.name,
        kind=payload.kind,
        member=_member(actor, payload.member),
    )
    return _reload(actor, case)


@router.post("/{pk}/sessions", response=DisputeDetailOut, operation_id="record_dispute_session")
def record_session(request: HttpRequest, pk: int, payload: SessionIn) -> dict[str, Any]:
    actor, case = _write(request, pk)
    held_at = payload.held_at
    if timezone.is_naive(held_at):
        held_at = timezone.make_aware(held_at)
    services.record_session(
        actor=actor,
        case=case,
        held_at=held_at,
        location=payload.location,
        attendees=payload.attendees,
        minutes=payload.minutes,
        private=payload.private,
    )
    return _reload(actor, case)


@router.post("/{pk}/risk", response=DisputeDetailOut, operation_id="flag_dispute_risk")
def flag_risk(request: HttpRequest, pk: int, payload: NoteIn) -> dict[str, Any]:
    """Report a risk of a public-order or criminal matter to the police station."""
    actor, case = _write(request, pk)
    services.flag_risk(actor=actor, case=case, note=payload.note)
    return _reload(actor, case)


@router.post("/{pk}/escalate", response=DisputeDetailOut, operation_id="escalate_dispute")
def escalate(request: HttpRequest, pk: int, payload: EscalateIn) -> dict[str, Any]:
    actor, case = _write(request, pk)
    services.escalate_dispute(
        actor=actor,
        case=case,
        committee=_committee(actor, payload.committee),
        reason=payload.reason,
    )
    return _reload(actor, case)


@router.post("/{pk}/extensions", response=DisputeDetailOut, operation_id="extend_dispute_deadline")
def extend(request: HttpRequest, pk: int, payload: ExtensionIn) -> dict[str, Any]:
    """Extend the deadline: only with both parties' consent."""
    actor, case = _write(request, pk)
    services.extend_deadline(
        actor=actor,
        case=case,
        days=payload.days,
        applicant_consent=payload.applicant_consent,
        respondent_consent=payload.respondent_consent,
        reason=payload.reason,
    )
    return _reload(actor, case)


@router.post("/{pk}/agreements", response=DisputeDetailOut, operation_id="record_dispute_agreement")
def record_agreement(request: HttpRequest, pk: int, payload: AgreementIn) -> dict[str, Any]:
    actor, case = _write(request, pk)
    services.record_agreement(
        actor=actor,
        case=case,
        written=payload.written,
        facts=payload.facts,
        matters=payload.matters,
        responsibilities=payload.responsibilities,
        content=payload.content,
        obligations=[o.dict() for o in payload.obligations],
        parties_signed=payload.parties_signed,
        mediator_signed=payload.mediator_signed,
        sealed=payload.sealed,
    )
    return _reload(actor, case)


@router.post("/{pk}/terminate", response=DisputeDetailOut, operation_id="terminate_dispute")
def terminate(request: HttpRequest, pk: int, payload: TerminateIn) -> dict[str, Any]:
    actor, case = _write(request, pk)
    services.terminate_dispute(
        actor=actor, case=case, reason=payload.reason, channels=list(payload.channels)
    )
    return _reload(actor, case)


@router.post("/{pk}/withdraw", response=DisputeDetailOut, operation_id="withdraw_dispute")
def withdraw(request: HttpRequest, pk: int, payload: ReasonIn) -> dict[str, Any]:
    actor, case = _write(request, pk)
    services.withdraw_dispute(actor=actor, case=case, reason=payload.reason)
    return _reload(actor, case)


@router.post(
    "/{pk}/agreements/{agreement_id}/confirmation",
    response=DisputeDetailOut,
    operation_id="apply_dispute_confirmation",
)
def apply_confirmation(
    request: HttpRequest, pk: int, agreement_id: int, payload: ConfirmationIn
) -> dict[str, Any]:
    """The joint application for judicial confirmation (within 30 days)."""
    actor, case = _write(request, pk)
    followup.apply_confirmation(
        actor=actor,
        agreement=selectors.access_agreement(actor, case, agreement_id),
        applied_on=payload.applied_on,
        court=payload.court,
    )
    return _reload(actor, case)


@router.post(
    "/{pk}/confirmations/{confirmation_id}/result",
    response=DisputeDetailOut,
    operation_id="record_dispute_confirmation_result",
)
def confirmation_result(
    request: HttpRequest, pk: int, confirmation_id: int, payload: ConfirmationResultIn
) -> dict[str, Any]:
    actor, case = _write(request, pk)
    followup.record_confirmation_result(
        actor=actor,
        confirmation=selectors.access_confirmation(actor, case, confirmation_id),
        result=payload.result,
        decided_on=payload.decided_on,
        number=payload.number,
    )
    return _reload(actor, case)


@router.post(
    "/{pk}/obligations/{obligation_id}/performance",
    response=DisputeDetailOut,
    operation_id="record_dispute_performance",
)
def record_performance(
    request: HttpRequest, pk: int, obligation_id: int, payload: PerformanceIn
) -> dict[str, Any]:
    """Performance of one obligation; a payment gives the amount recovered."""
    actor, case = _write(request, pk)
    followup.record_performance(
        actor=actor,
        obligation=selectors.access_obligation(actor, case, obligation_id),
        performed_on=payload.performed_on,
        amount=payload.amount,
    )
    return _reload(actor, case)


@router.post("/{pk}/visits", response=DisputeDetailOut, operation_id="record_dispute_visit")
def record_visit(request: HttpRequest, pk: int, payload: VisitIn) -> dict[str, Any]:
    actor, case = _write(request, pk)
    followup.record_visit(
        actor=actor,
        case=case,
        visited_on=payload.visited_on,
        performing=payload.performing,
        satisfied=payload.satisfied,
        risks=payload.risks,
        actions=payload.actions,
    )
    return _reload(actor, case)


@router.post("/{pk}/default", response=DisputeDetailOut, operation_id="handle_dispute_default")
def handle_default(request: HttpRequest, pk: int, payload: DefaultIn) -> dict[str, Any]:
    """A default: re-mediation, or advice to sue."""
    actor, case = _write(request, pk)
    followup.handle_default(actor=actor, case=case, remedy=payload.remedy, note=payload.note)
    return _reload(actor, case)


@router.get(
    "/{pk}/agreements/{agreement_id}/document.{fmt}",
    operation_id="download_dispute_agreement",
    summary="The written agreement as DOCX or PDF",
)
def download_agreement(request: HttpRequest, pk: int, agreement_id: int, fmt: str) -> HttpResponse:
    actor = api_actor(request)
    case = selectors.access_dispute(actor, pk)
    agreement = selectors.access_agreement(actor, case, agreement_id)
    return downloads.agreement_response(actor, agreement, fmt)
