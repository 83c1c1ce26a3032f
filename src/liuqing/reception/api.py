"""The reception API at /api/v1/reception: the walk-in log (check in, serve, send on), the
conduct complaints and restricted reports, and the talk point sessions with their matters.
The same selectors and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from liuqing.appeals import selectors as appeal_selectors
from liuqing.casework.schemas import Ref
from liuqing.core import selectors as core_selectors
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.api import Pagination, api_actor, unit_in_scope
from liuqing.core.models import Member, Place, Unit
from liuqing.core.schemas import Id, In, Text
from liuqing.mediation import selectors as mediation_selectors
from liuqing.mediation.schemas import PartyIn
from liuqing.reception import selectors, services
from liuqing.reception.models import ConductComplaint, RestrictedReport, TalkSession, WalkIn

router = Router(tags=["reception"])


class WalkInOut(Schema):
    id: int
    unit: Ref
    arrived_at: dt.datetime
    served_at: dt.datetime | None
    finished_at: dt.datetime | None
    waiting_seconds: int | None
    handling_seconds: int | None
    route: str = Field(
        description='Where the matter went; "referred" for a restricted report you hold no '
        "grant for (its route and reference are not shown)."
    )
    reference: str
    case_id: int | None

    @staticmethod
    def resolve_route(obj: WalkIn) -> str:
        return obj.shown_route

    @staticmethod
    def resolve_reference(obj: WalkIn) -> str:
        return obj.shown_reference

    @staticmethod
    def resolve_case_id(obj: WalkIn) -> int | None:
        return None if obj.is_concealed else obj.case_id


class CheckInIn(In):
    unit: Id | None = None


class RouteIn(In):
    route: Literal["appeal", "dispute", "incident", "complaint", "restricted"]
    title: Text = Field("", max_length=200)
    description: Text = Field("", max_length=4000)
    resident_name: Text = Field("", max_length=64)
    resident_phone: Text = Field("", max_length=32)
    category: Id | None = None
    committee: Id | None = None
    dispute_type: Id | None = None
    parties: list[PartyIn] = Field(default_factory=list, max_length=20)
    incident_category: Text = Field("", max_length=32)
    occurred_at: dt.datetime | None = None
    place: Id | None = None
    about_unit: Id | None = None
    report_kind: Literal["domestic_violence", "school_bullying"] | None = None


class HandoverOut(Schema):
    from_member_id: int | None = Field(description="The previous handler.")
    to_member_id: int | None = Field(description="The supervisor who took it over.")
    reason: str
    at: dt.datetime


class ComplaintOut(Schema):
    id: int
    unit: Ref
    about_unit: Ref
    received_at: dt.datetime
    text: str = Field(description="Masked; POST .../reveal with a reason for the full text.")
    status: Literal["received", "in_hand", "closed"]
    owner_id: int | None = Field(description="The supervisor handling the complaint.")
    taken_at: dt.datetime | None
    outcome: str = Field(
        description='"upheld", "partly_upheld", "not_upheld", "withdrawn", or "" before it is '
        "recorded."
    )
    outcome_note: str = Field(
        description='Masked; POST .../reveal with a reason and "field": "outcome_note" for the '
        "full note."
    )
    closed_at: dt.datetime | None
    handovers: list[HandoverOut] = Field(description="Take-overs, oldest first.")

    @staticmethod
    def resolve_handovers(obj: ConductComplaint) -> list[Any]:
        return list(obj.handovers.all())

    @staticmethod
    def resolve_text(obj: ConductComplaint) -> str:
        return str(obj.text)

    @staticmethod
    def resolve_outcome_note(obj: ConductComplaint) -> str:
        return str(obj.outcome_note)


class ReportOut(Schema):
    id: int
    unit: Ref
    kind: str
    received_at: dt.datetime
    text: str = Field(description="Masked; POST .../reveal with a reason for the full text.")

    @staticmethod
    def resolve_text(obj: RestrictedReport) -> str:
        return str(obj.text)


class ComplaintOutcomeIn(In):
    outcome: Literal["upheld", "partly_upheld", "not_upheld", "withdrawn"]
    note: Text = Field(..., max_length=2000)


class RevealIn(In):
    reason: Text = Field(..., max_length=200)


class ComplaintRevealIn(RevealIn):
    field: Literal["text", "outcome_note"] = Field(
        "text", description="The complaint's text (the default) or its outcome note."
    )


class RevealOut(Schema):
    id: int
    text: str


class TalkSessionOut(Schema):
    id: int
    unit: Ref
    place: Ref
    held_on: dt.date
    attendees: int
    officer_ids: list[int]

    @staticmethod
    def resolve_officer_ids(obj: TalkSession) -> list[int]:
        return [m.pk for m in obj.officers.all()]


class MatterCaseOut(Schema):
    id: int
    number: str
    kind: str
    title: str
    status: str


class TalkMatterOut(Schema):
    id: int
    case: MatterCaseOut


class TalkSessionDetailOut(TalkSessionOut):
    matters: list[TalkMatterOut]

    @staticmethod
    def resolve_matters(obj: TalkSession) -> list[Any]:
        return list(obj.matters.select_related("case").order_by("pk"))


class TalkSessionIn(In):
    place: Id
    held_on: dt.date
    attendees: int = Field(ge=0, le=10_000)
    officers: list[Id] = Field(max_length=50)


class MatterIn(In):
    kind: Literal["appeal", "dispute"]
    title: Text = Field("", max_length=200)
    description: Text = Field(max_length=4000)
    resident_name: Text = Field("", max_length=64)
    category: Id | None = None
    committee: Id | None = None
    dispute_type: Id | None = None
    parties: list[PartyIn] = Field(default_factory=list, max_length=20)


class MatterOut(Schema):
    id: int
    case_id: int


def _place(actor: Member, pk: int | None) -> Place | None:
    if pk is None:
        return None
    try:
        return core_selectors.access_place(actor, pk)
    except (NotFound, AccessDenied):
        raise ValidationError({"place": _("Choose a place of your jurisdiction.")}) from None


def _shared(actor: Member, payload: Any) -> dict[str, Any]:
    """Categories, committees and types named by id, as the pages' choices offer them."""
    return {
        "category": appeal_selectors.category_choices(actor).filter(pk=payload.category).first()
        if payload.category
        else None,
        "committee": mediation_selectors.committee_choices(actor)
        .filter(pk=payload.committee)
        .first()
        if payload.committee
        else None,
        "dispute_type": mediation_selectors.dispute_types().filter(pk=payload.dispute_type).first()
        if payload.dispute_type
        else None,
    }


@router.get("/walk-ins", response=list[WalkInOut], operation_id="list_walk_ins")
@paginate(Pagination)
def list_walk_ins(request: HttpRequest) -> QuerySet[WalkIn]:
    """The walk-in log of your jurisdiction, newest first."""
    return selectors.walk_ins_visible_to(api_actor(request))


@router.post("/walk-ins", response={201: WalkInOut}, operation_id="check_in_walk_in")
def check_in(request: HttpRequest, payload: CheckInIn) -> WalkIn:
    """A visitor arrives at the desk of `unit` (default: yours)."""
    actor = api_actor(request)
    unit = unit_in_scope(actor, payload.unit, "unit") or actor.unit
    return services.check_in(actor=actor, unit=unit)


@router.get("/walk-ins/{pk}", response=WalkInOut, operation_id="get_walk_in")
def get_walk_in(request: HttpRequest, pk: int) -> WalkIn:
    """One visitor of your jurisdiction, with the waiting and handling times."""
    return selectors.access_walk_in(api_actor(request), pk)


@router.post("/walk-ins/{pk}/serve", response=WalkInOut, operation_id="serve_walk_in")
def serve_walk_in(request: HttpRequest, pk: int) -> WalkIn:
    """Handling starts: the waiting time ends (422 if the visitor is already being served)."""
    actor = api_actor(request)
    item = selectors.access_walk_in(actor, pk, for_write=True)
    services.serve(actor=actor, walk_in=item)
    return selectors.access_walk_in(actor, pk)


def _about_unit(actor: Member, walk_in: WalkIn, pk: int | None) -> Unit | None:
    """The unit a complaint is about: one in the actor's jurisdiction, or the desk's unit or
    a unit above it (a complaint about the brigade or the detachment itself)."""
    if pk is not None:
        above = walk_in.unit.ancestors().filter(pk=pk).first()
        if above is not None:
            return above
    return unit_in_scope(actor, pk, "about_unit")


@router.post("/walk-ins/{pk}/route", response=WalkInOut, operation_id="route_walk_in")
def route_walk_in(request: HttpRequest, pk: int, payload: RouteIn) -> WalkIn:
    """Send the visitor's matter on: to appeals, mediation or incidents through their
    services, or to the conduct-complaint queue or the restricted reports."""
    actor = api_actor(request)
    item = selectors.access_walk_in(actor, pk, for_write=True)
    shared = _shared(actor, payload)
    text = payload.description
    fields: dict[str, Any] = {
        "appeal": {
            "category": shared["category"],
            "title": payload.title,
            "description": text,
            "resident_name": payload.resident_name,
            "resident_phone": payload.resident_phone,
            "place": _place(actor, payload.place),
        },
        "dispute": {
            "committee": shared["committee"],
            "dispute_type": shared["dispute_type"],
            "title": payload.title,
            "facts": text,
            "parties": [p.dict() for p in payload.parties],
        },
        "incident": {
            "category": payload.incident_category,
            "occurred_at": payload.occurred_at
            if payload.occurred_at is None or timezone.is_aware(payload.occurred_at)
            else timezone.make_aware(payload.occurred_at),
            "place": _place(actor, payload.place),
            "description": text,
        },
        "complaint": {
            "about_unit": _about_unit(actor, item, payload.about_unit),
            "text": text,
        },
        "restricted": {"kind": payload.report_kind, "text": text},
    }[payload.route]
    services.route_walk_in(actor=actor, walk_in=item, route=payload.route, **fields)
    return selectors.access_walk_in(actor, pk)


@router.get("/complaints", response=list[ComplaintOut], operation_id="list_conduct_complaints")
@paginate(Pagination)
def list_complaints(request: HttpRequest) -> QuerySet[ConductComplaint]:
    """The conduct complaints of your supervision queue."""
    return selectors.complaints_visible_to(api_actor(request))


@router.get("/complaints/{pk}", response=ComplaintOut, operation_id="get_conduct_complaint")
def get_complaint(request: HttpRequest, pk: int) -> ConductComplaint:
    """One complaint of your supervision queue (404 for a complaint about your own unit)."""
    return selectors.access_complaint(api_actor(request), pk)


@router.post("/complaints/{pk}/take", response=ComplaintOut, operation_id="take_conduct_complaint")
def take_complaint(request: HttpRequest, pk: int) -> ConductComplaint:
    """You take the complaint and handle it (422 when closed or taken by someone else)."""
    actor = api_actor(request)
    item = selectors.access_complaint(actor, pk, for_write=True)
    services.take_complaint(actor=actor, complaint=item)
    return selectors.access_complaint(actor, pk)


class TakeOverIn(In):
    reason: Text = Field(..., max_length=500)


@router.post(
    "/complaints/{pk}/take-over",
    response=ComplaintOut,
    operation_id="take_over_conduct_complaint",
)
def take_over_complaint(request: HttpRequest, pk: int, payload: TakeOverIn) -> ConductComplaint:
    """You take over a complaint another supervisor is handling, with a reason; they are told
    (422 when closed, not yet taken, already yours, or without a reason)."""
    actor = api_actor(request)
    item = selectors.access_complaint(actor, pk, for_write=True)
    services.take_over_complaint(actor=actor, complaint=item, reason=payload.reason)
    return selectors.access_complaint(actor, pk)


@router.post(
    "/complaints/{pk}/outcome",
    response=ComplaintOut,
    operation_id="record_conduct_complaint_outcome",
)
def record_complaint_outcome(
    request: HttpRequest, pk: int, payload: ComplaintOutcomeIn
) -> ConductComplaint:
    """The handler records the outcome with a note (422 for anyone else, or when closed)."""
    actor = api_actor(request)
    item = selectors.access_complaint(actor, pk, for_write=True)
    services.record_complaint_outcome(
        actor=actor, complaint=item, outcome=payload.outcome, note=payload.note
    )
    return selectors.access_complaint(actor, pk)


@router.post(
    "/complaints/{pk}/close", response=ComplaintOut, operation_id="close_conduct_complaint"
)
def close_complaint(request: HttpRequest, pk: int) -> ConductComplaint:
    """The handler closes the complaint once its outcome is recorded (422 otherwise)."""
    actor = api_actor(request)
    item = selectors.access_complaint(actor, pk, for_write=True)
    services.close_complaint(actor=actor, complaint=item)
    return selectors.access_complaint(actor, pk)


@router.post("/complaints/{pk}/reveal", response=RevealOut, operation_id="reveal_conduct_complaint")
def reveal_complaint(request: HttpRequest, pk: int, payload: ComplaintRevealIn) -> dict[str, Any]:
    """The complaint's text (or, with "field": "outcome_note", its outcome note) in full, with
    your reason; the reveal is audited."""
    actor = api_actor(request)
    item = selectors.access_complaint(actor, pk)
    return {
        "id": item.pk,
        "text": services.reveal_text(
            actor=actor, item=item, reason=payload.reason, field=payload.field
        ),
    }


@router.get("/reports", response=list[ReportOut], operation_id="list_restricted_reports")
@paginate(Pagination)
def list_reports(request: HttpRequest) -> QuerySet[RestrictedReport]:
    """Domestic violence and school bullying reports whose label you hold a grant for."""
    return selectors.reports_visible_to(api_actor(request))


@router.post("/reports/{pk}/reveal", response=RevealOut, operation_id="reveal_restricted_report")
def reveal_report(request: HttpRequest, pk: int, payload: RevealIn) -> dict[str, Any]:
    """The report's text in full, with your reason; the reveal is audited. 404 without the
    grant of the report's label."""
    actor = api_actor(request)
    item = selectors.access_report(actor, pk)
    return {
        "id": item.pk,
        "text": services.reveal_text(actor=actor, item=item, reason=payload.reason),
    }


@router.get("/talk-sessions", response=list[TalkSessionOut], operation_id="list_talk_sessions")
@paginate(Pagination)
def list_talk_sessions(request: HttpRequest) -> QuerySet[TalkSession]:
    return selectors.talk_sessions_visible_to(api_actor(request))


@router.post("/talk-sessions", response={201: TalkSessionOut}, operation_id="create_talk_session")
def create_talk_session(request: HttpRequest, payload: TalkSessionIn) -> TalkSession:
    actor = api_actor(request)
    place = _place(actor, payload.place)
    assert place is not None
    low, high = actor.unit.subtree_range()
    officers = list(
        Member.objects.filter(
            pk__in=payload.officers, is_active=True, unit__path__gte=low, unit__path__lt=high
        )
    )
    if len(officers) != len(set(payload.officers)):
        raise ValidationError({"officers": _("Choose the officers present.")})
    return services.record_talk_session(
        actor=actor,
        place=place,
        held_on=payload.held_on,
        attendees=payload.attendees,
        officers=officers,
    )


@router.get("/talk-sessions/{pk}", response=TalkSessionDetailOut, operation_id="get_talk_session")
def get_talk_session(request: HttpRequest, pk: int) -> TalkSession:
    """One session with the matters raised there (each the request or dispute it became)."""
    return selectors.access_talk_session(api_actor(request), pk)


@router.post(
    "/talk-sessions/{pk}/matters", response={201: MatterOut}, operation_id="raise_talk_matter"
)
def raise_matter(request: HttpRequest, pk: int, payload: MatterIn) -> Any:
    """A matter raised at the session becomes a request or a dispute in one step."""
    actor = api_actor(request)
    session = selectors.access_talk_session(actor, pk, for_write=True)
    shared = _shared(actor, payload)
    if payload.kind == "appeal":
        fields = {
            "category": shared["category"],
            "title": payload.title,
            "description": payload.description,
            "resident_name": payload.resident_name,
        }
    else:
        fields = {
            "committee": shared["committee"],
            "dispute_type": shared["dispute_type"],
            "title": payload.title,
            "facts": payload.description,
            "parties": [p.dict() for p in payload.parties],
        }
    return services.raise_matter(actor=actor, session=session, kind=payload.kind, **fields)
