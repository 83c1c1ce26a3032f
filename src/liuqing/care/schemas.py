"""JSON shapes of the care API (/api/v1/care). Protected fields come masked; the reveal
operation gives one plain value, with a reason, audited."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from liuqing.care.models import Need, Recipient
from liuqing.core.schemas import Id, In, Text


class RecipientOut(Schema):
    id: int
    unit_id: int
    place_id: int | None
    place_name: str
    category: str
    name: str = Field(..., description="Masked")
    phone: str = Field(..., description="Masked")
    address: str = Field(..., description="Masked")
    has_notes: bool
    restricted_label: str
    legal_basis: str
    basis_recorded_on: dt.date
    is_active: bool
    removed_at: dt.datetime | None
    purged_at: dt.datetime | None

    @staticmethod
    def resolve_place_name(obj: Recipient) -> str:
        return obj.place.name if obj.place else ""

    @staticmethod
    def resolve_name(obj: Recipient) -> str:
        return str(obj.name)

    @staticmethod
    def resolve_phone(obj: Recipient) -> str:
        return str(obj.phone)

    @staticmethod
    def resolve_address(obj: Recipient) -> str:
        return str(obj.address)

    @staticmethod
    def resolve_has_notes(obj: Recipient) -> bool:
        return bool(obj.notes)


class RecipientListQuery(Schema):
    category: str = Field("", max_length=24)
    unit: Id | None = None


class RecipientIn(In):
    unit_id: Id
    place_id: Id | None = None
    category: Literal["low_income", "elderly_alone", "disability", "left_behind_child", "other"]
    name: Text = Field(..., min_length=1, max_length=64)
    phone: Text = Field("", max_length=32)
    address: Text = Field("", max_length=200)
    notes: Text = Field("", max_length=2000)
    restricted_label: Literal["", "minor", "disability", "health", "domestic_violence"] = ""
    legal_basis: Literal["consent", "guardian", "legal_duty", "vital_interest"]
    basis_recorded_on: dt.date
    basis_note: Text = Field("", max_length=200)


class RecipientPatch(In):
    """Only the fields given change. Protected fields (name, phone, address, notes) are
    replaced by a non-empty value; `clear` erases phone, address or notes."""

    place_id: Id | None = None
    category: Literal["low_income", "elderly_alone", "disability", "left_behind_child", "other"] = (
        "other"
    )
    name: Text = Field("", max_length=64)
    phone: Text = Field("", max_length=32)
    address: Text = Field("", max_length=200)
    notes: Text = Field("", max_length=2000)
    clear: list[Literal["phone", "address", "notes"]] = Field(default_factory=list)
    restricted_label: Literal["", "minor", "disability", "health", "domestic_violence"] = ""
    legal_basis: Literal["consent", "guardian", "legal_duty", "vital_interest"] = "consent"
    basis_recorded_on: dt.date = dt.date(2000, 1, 1)
    basis_note: Text = Field("", max_length=200)


class RevealIn(In):
    field: Literal["name", "phone", "address", "notes"]
    reason: Text = Field(..., max_length=200)


class TakeOffIn(In):
    reason: Text = Field(..., min_length=1, max_length=200)


class RevealOut(Schema):
    field: str
    value: str


class ServiceIn(In):
    kind: Literal["medicine", "cleaning", "doctor", "paperwork", "other"]
    given_on: dt.date
    note: Text = Field("", max_length=500)
    visit_id: Id | None = None


class ServiceOut(Schema):
    id: int
    recipient_id: int
    kind: str
    given_on: dt.date
    note: str
    visit_id: int | None


class NeedIn(In):
    category_id: Id = Field(..., description="An appeal category")
    description: Text = Field(..., min_length=1, max_length=4000)
    visit_id: Id | None = None


class NeedOut(Schema):
    id: int
    recipient_id: int
    case_id: int
    case_number: str
    visit_id: int | None

    @staticmethod
    def resolve_case_number(obj: Need) -> str:
        return obj.case.number
