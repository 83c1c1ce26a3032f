"""JSON shapes of the visits API (/api/v1/visits)."""

import datetime as dt
from typing import ClassVar, Literal

from ninja import Field, Schema

from liuqing.core.schemas import Id, In, Text
from liuqing.visits.models import Visit, VisitPlan


class VisitOut(Schema):
    id: int
    plan_id: int
    visited_on: dt.date
    visitor_ids: list[int]
    summary: str
    latitude: float | None
    longitude: float | None
    photos: int

    @staticmethod
    def resolve_visitor_ids(obj: Visit) -> list[int]:
        return sorted(m.pk for m in obj.visitors.all())

    @staticmethod
    def resolve_photos(obj: Visit) -> int:
        return len(obj.photos.all())


class PlanOut(Schema):
    id: int
    unit_id: int
    target_kind: str
    target_id: int
    title: str
    cadence: str
    interval_days: int
    responsible_id: int | None
    team_id: int | None
    starts_on: dt.date
    ends_on: dt.date | None
    is_active: bool
    next_due: dt.date | None
    state: str = Field(..., description='"overdue", "due" (this week) or ""')

    @staticmethod
    def resolve_state(obj: VisitPlan) -> str:
        from liuqing.visits.selectors import state_of

        return state_of(obj)


class PlanDetailOut(PlanOut):
    visits: list[VisitOut]

    @staticmethod
    def resolve_visits(obj: VisitPlan) -> list[Visit]:
        from liuqing.visits.selectors import visits_of

        return list(visits_of(obj)[:50])


class PlanListQuery(Schema):
    unit: Id | None = Field(None, description="Only plans of this unit and below")
    target_kind: str = Field("", max_length=32)
    state: Literal["", "due", "overdue"] = ""
    mine: bool = False


class PlanIn(In):
    target_kind: Text = Field(..., min_length=1, max_length=32)
    target_id: Id
    cadence: Literal["weekly", "monthly", "custom"]
    interval_days: int | None = Field(None, description="For custom plans: every N days")
    responsible_id: Id | None = None
    team_id: Id | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class PlanPatchIn(In):
    """Only the fields sent change. null clears the responsible member, the team or the end;
    on the cadence and the interval it means "leave as it is"."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"responsible_id", "team_id", "ends_on"})

    cadence: Literal["weekly", "monthly", "custom"] | None = None
    interval_days: int | None = Field(None, description="For custom plans: every N days")
    responsible_id: Id | None = None
    team_id: Id | None = None
    ends_on: dt.date | None = Field(None, description="null: no end")


class VisitIn(In):
    visited_on: dt.date
    visitor_ids: list[Id] = Field(..., min_length=1, max_length=20)
    summary: Text = Field(..., min_length=1, max_length=2000)
    latitude: float | None = Field(None, allow_inf_nan=False)
    longitude: float | None = Field(None, allow_inf_nan=False)


class PhotoOut(Schema):
    id: int
    visit_id: int
    name: str
    mime: str
    size: int


class EndIn(In):
    ends_on: dt.date | None = None
