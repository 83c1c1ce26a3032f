"""JSON shapes of the dispute API (/api/v1/disputes).

Request bodies forbid unknown fields: a client cannot set a dispute's status, outcome, unit
after creation or any clock through them. Parties' personal data leaves masked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from liuqing.casework.schemas import MemberRef, Ref
from liuqing.core.schemas import Id, In, Text
from liuqing.mediation.models import Level, MediatorKind, Outcome, PartyRole, Referrer, Source

Amount = Decimal


class DisputeOut(Schema):
    id: int
    number: str
    title: str
    status: str
    unit: Ref
    category: Ref
    owner: MemberRef | None
    received_at: dt.datetime
    resolve_due: dt.datetime | None
    level: str
    outcome: str
    risk_flag: bool
    committee_id: int

    # List rows are cases (with `.dispute`); the detail is a dict that carries them itself.
    @staticmethod
    def resolve_level(obj: Any) -> str:
        return _of(obj, "level")

    @staticmethod
    def resolve_outcome(obj: Any) -> str:
        return _of(obj, "outcome")

    @staticmethod
    def resolve_risk_flag(obj: Any) -> bool:
        return _of(obj, "risk_flag")

    @staticmethod
    def resolve_committee_id(obj: Any) -> int:
        return _of(obj, "committee_id")


def _of(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj[name]
    return getattr(obj.dispute, name)


class PartyIn(In):
    role: PartyRole
    name: Text = Field(max_length=64)
    is_organisation: bool = False
    id_number: Text = Field("", max_length=32)
    phone: Text = Field("", max_length=32)
    address: Text = Field("", max_length=200)
    agent_name: Text = Field("", max_length=64)


class DisputeCreateIn(In):
    unit: Id
    committee: Id
    dispute_type: Id
    source: Source
    referrer: Referrer | None = None
    title: Text = Field(max_length=200)
    facts: Text = Field(max_length=4000)
    claims: Text = Field("", max_length=4000)
    amount: Amount | None = Field(None, gt=0, max_digits=14, decimal_places=2)
    parties: list[PartyIn] = Field(max_length=20)


class PartyOut(Schema):
    id: int
    role: str
    is_organisation: bool
    name: str
    phone: str
    id_number: str
    agent_name: str


class MediatorOut(Schema):
    id: int
    name: str
    kind: str
    lead: bool
    member_id: int | None
    ended_at: dt.datetime | None
    end_reason: str


class SessionOut(Schema):
    id: int
    held_at: dt.datetime
    location: str
    attendees: str
    minutes: str
    private: bool


class PaymentOut(Schema):
    paid_on: dt.date
    amount: Decimal


class ObligationOut(Schema):
    id: int
    obligor_id: int
    obligee_id: int
    action: str
    amount: Decimal | None
    method: str
    due_date: dt.date
    performed_on: dt.date | None
    defaulted: bool
    payments: list[PaymentOut]


class ConfirmationOut(Schema):
    id: int
    applied_on: dt.date
    court: str
    number: str
    decided_on: dt.date | None
    result: str


class AgreementOut(Schema):
    id: int
    number: str
    written: bool
    facts: str
    matters: str
    responsibilities: str
    content: str
    effective_at: dt.datetime
    confirmation_due: dt.date
    defaulted_at: dt.datetime | None
    obligations: list[ObligationOut]
    confirmation: ConfirmationOut | None


class VisitOut(Schema):
    id: int
    visited_on: dt.date
    performing: bool
    satisfied: bool | None
    risks: str
    actions: str


class EscalationOut(Schema):
    from_committee_id: int
    to_committee_id: int
    reason: str
    at: dt.datetime


class DisputeDetailOut(DisputeOut):
    description: str
    source: str
    referrer: str
    claims: str
    amount: Decimal | None
    accepted_at: dt.datetime | None
    deadline: dt.datetime | None
    refusal_advice: str
    risk_note: str
    channels: str
    agreed_at: dt.datetime | None
    resolved_level: str
    parties: list[PartyOut]
    mediators: list[MediatorOut]
    sessions: list[SessionOut]
    escalations: list[EscalationOut]
    agreements: list[AgreementOut]
    visits: list[VisitOut]


class AdviceIn(In):
    advice: Text = Field(max_length=2000)


class ReasonIn(In):
    reason: Text = Field(max_length=2000)


class NoteIn(In):
    note: Text = Field(max_length=2000)


class MediatorIn(In):
    name: Text = Field("", max_length=64)
    kind: MediatorKind
    member: Id | None = None
    lead: bool = False


class ReplaceIn(MediatorIn):
    party: Id
    reason: Text = Field(max_length=2000)


class SessionIn(In):
    held_at: dt.datetime
    location: Text = Field(max_length=200)
    attendees: Text = Field(max_length=2000)
    minutes: Text = Field(max_length=8000)
    private: bool = False


class EscalateIn(In):
    committee: Id
    reason: Text = Field(max_length=2000)


class ExtensionIn(In):
    days: int = Field(ge=1, le=30)
    applicant_consent: bool = False
    respondent_consent: bool = False
    reason: Text = Field(max_length=2000)


class ObligationIn(In):
    obligor: Id
    obligee: Id
    action: Text = Field(max_length=500)
    amount: Amount | None = Field(None, gt=0, max_digits=14, decimal_places=2)
    method: Text = Field("", max_length=200)
    due_date: dt.date


class AgreementIn(In):
    written: bool
    facts: Text = Field(max_length=4000)
    matters: Text = Field(max_length=4000)
    responsibilities: Text = Field("", max_length=4000)
    content: Text = Field(max_length=4000)
    obligations: list[ObligationIn] = Field(max_length=50)
    parties_signed: bool = False
    mediator_signed: bool = False
    sealed: bool = False


class TerminateIn(In):
    reason: Text = Field(max_length=2000)
    channels: list[Literal["arbitration", "court", "administrative"]] = Field(max_length=3)


class ConfirmationIn(In):
    applied_on: dt.date
    court: Text = Field(max_length=100)


class ConfirmationResultIn(In):
    result: Literal["confirmed", "rejected"]
    decided_on: dt.date
    number: Text = Field("", max_length=64)


class PerformanceIn(In):
    performed_on: dt.date
    amount: Amount | None = Field(None, gt=0, max_digits=14, decimal_places=2)


class VisitIn(In):
    visited_on: dt.date
    performing: bool
    satisfied: bool | None = None
    risks: Text = Field("", max_length=2000)
    actions: Text = Field("", max_length=2000)


class DefaultIn(In):
    remedy: Literal["remediate", "sue"]
    note: Text = Field(max_length=2000)


class CommitteeOut(Schema):
    id: int
    name: str
    level: Level
    unit: Ref
    place_id: int | None
    is_active: bool


class CommitteeIn(In):
    unit: Id
    name: Text = Field(max_length=100)
    level: Level
    place: Id | None = None


class FiguresQuery(Schema):
    unit: Id | None = None
    start: dt.date
    end: dt.date


class ReadingOut(Schema):
    key: str
    label: str
    value: str
    numerator: int | None = None
    denominator: int | None = None


class FiguresOut(Schema):
    unit: Ref
    start: dt.date
    end: dt.date
    as_of: dt.datetime
    readings: list[ReadingOut]


__all__ = ["Outcome"]
