"""JSON shapes of the liaison API (/api/v1/liaison)."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from liuqing.core.schemas import Id, In, Text
from liuqing.liaison.models import Assignment, Lesson, Organisation, Problem
from liuqing.visits.models import VisitPlan
from liuqing.visits.schemas import PlanOut


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
    officer_name: str
    role: str = Field(..., description='"liaison" (enterprise officer) or "school"')
    role_label: str = Field(..., description="The role's name in the request's language")
    starts_on: dt.date
    ends_on: dt.date | None
    active: bool = Field(..., description="Runs today: started and not yet ended")

    @staticmethod
    def resolve_officer_name(obj: Assignment) -> str:
        return obj.officer.full_name

    @staticmethod
    def resolve_role_label(obj: Assignment) -> str:
        return str(obj.get_role_display())

    @staticmethod
    def resolve_active(obj: Assignment) -> bool:
        from liuqing.liaison.selectors import is_current

        return is_current(obj)


class AssignmentEndIn(In):
    ends_on: dt.date | None = Field(None, description="The last day; today when not given")


class ProblemIn(In):
    category_id: Id
    title: Text = Field(..., min_length=1, max_length=200)
    description: Text = Field(..., min_length=1, max_length=4000)
    estimated_savings: Decimal = Field(Decimal("0"), ge=0, lt=1_000_000_000, decimal_places=2)


class SavingsIn(In):
    estimated_savings: Decimal = Field(..., ge=0, lt=1_000_000_000, decimal_places=2)


class ProblemOut(Schema):
    case_id: int
    number: str
    organisation_id: int
    status: str
    category: str
    title: str
    resolve_due: dt.datetime | None
    estimated_savings: Decimal

    @staticmethod
    def resolve_number(obj: Problem) -> str:
        return obj.case.number

    @staticmethod
    def resolve_status(obj: Problem) -> str:
        return obj.case.status

    @staticmethod
    def resolve_title(obj: Problem) -> str:
        return obj.case.title

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


class OrganisationDetailOut(OrganisationOut):
    """One organisation as its page shows it. Each list costs one query, however long."""

    current_officer_id: int | None = Field(
        ..., description="Who answers for it today (a monthly visit plan's default)"
    )
    assignments: list[AssignmentOut] = Field(..., description="Every assignment, newest first")
    problems: list[ProblemOut] = Field(..., description="The 50 most recent problems")
    lessons: list[LessonOut] = Field(..., description="The 50 most recent lessons")
    visit_plans: list[PlanOut] = Field(
        ..., description="Its visit plans you may see (active first); empty without visit roles"
    )

    @staticmethod
    def resolve_current_officer_id(obj: Organisation) -> int | None:
        from liuqing.liaison.selectors import current_officer

        officer = current_officer(obj)
        return officer.pk if officer else None

    @staticmethod
    def resolve_assignments(obj: Organisation) -> list[Assignment]:
        from liuqing.liaison.selectors import assignments_of

        return list(assignments_of(obj))

    @staticmethod
    def resolve_problems(obj: Organisation) -> list[Problem]:
        from liuqing.liaison.selectors import RECENT, problems_of

        return list(problems_of(obj)[:RECENT])

    @staticmethod
    def resolve_lessons(obj: Organisation) -> list[Lesson]:
        from liuqing.liaison.selectors import RECENT, lessons_of

        return list(lessons_of(obj)[:RECENT])

    @staticmethod
    def resolve_visit_plans(obj: Organisation, context: dict[str, Any]) -> list[VisitPlan]:
        from liuqing.core.api import api_actor
        from liuqing.liaison.targets import ORGANISATION_TARGET
        from liuqing.visits.selectors import plans_of_target

        actor = api_actor(context["request"])
        return list(plans_of_target(actor, ORGANISATION_TARGET, obj.pk))
