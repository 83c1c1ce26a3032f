"""JSON shapes of the liaison API (/api/v1/liaison)."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from liuqing.core.schemas import Id, In, Text
from liuqing.liaison.models import Organisation, Problem


class OrganisationOut(Schema):
    id: int
    unit_id: int
    place_id: int | None
    name: str
    kind: str
    address: str
    contact_name: str = Field(..., description="Masked")
    contact_phone: str = Field(..., description="Masked")
    flags: list[str] = Field(..., description='"overlap", "orphan"')

    @staticmethod
    def resolve_contact_name(obj: Organisation) -> str:
        return str(obj.contact_name)

    @staticmethod
    def resolve_contact_phone(obj: Organisation) -> str:
        return str(obj.contact_phone)

    @staticmethod
    def resolve_flags(obj: Organisation) -> list[str]:
        flags = getattr(obj, "_flags", None)
        if flags is None:
            from liuqing.liaison.selectors import flags_of

            flags = flags_of([obj])[obj.pk]
        return (["overlap"] if flags.overlaps else []) + (["orphan"] if flags.orphan else [])


class OrganisationListQuery(Schema):
    kind: str = Field("", max_length=16)
    unit: Id | None = None
    flagged: bool = False


class OrganisationIn(In):
    unit_id: Id
    place_id: Id | None = None
    name: Text = Field(..., min_length=1, max_length=100)
    kind: Literal["enterprise", "school", "scenic", "market", "other"]
    address: Text = Field("", max_length=200)
    contact_name: Text = Field("", max_length=64)
    contact_phone: Text = Field("", max_length=32)


class AssignmentIn(In):
    officer_id: Id
    role: Literal["liaison", "school"]
    starts_on: dt.date
    ends_on: dt.date | None = None


class AssignmentOut(Schema):
    id: int
    organisation_id: int
    officer_id: int
    role: str
    starts_on: dt.date
    ends_on: dt.date | None


class ProblemIn(In):
    category_id: Id
    title: Text = Field(..., min_length=1, max_length=200)
    description: Text = Field(..., min_length=1, max_length=4000)
    estimated_savings: Decimal = Field(Decimal("0"), ge=0, lt=1_000_000_000, decimal_places=2)


class ProblemOut(Schema):
    case_id: int
    number: str
    organisation_id: int
    category: str
    resolve_due: dt.datetime | None
    estimated_savings: Decimal

    @staticmethod
    def resolve_number(obj: Problem) -> str:
        return obj.case.number

    @staticmethod
    def resolve_category(obj: Problem) -> str:
        return obj.case.category.code

    @staticmethod
    def resolve_resolve_due(obj: Problem) -> dt.datetime | None:
        return obj.case.resolve_due


class LessonIn(In):
    given_on: dt.date
    topic: Text = Field(..., min_length=1, max_length=100)
    class_name: Text = Field(..., min_length=1, max_length=64)
    attendance: int = Field(..., ge=1, le=5000)


class LessonOut(Schema):
    id: int
    organisation_id: int
    given_on: dt.date
    topic: str
    class_name: str
    attendance: int
