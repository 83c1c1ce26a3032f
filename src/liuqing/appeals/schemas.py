"""JSON shapes of the appeals API (/api/v1/appeals).

Request bodies forbid unknown fields (`extra="forbid"`): a client cannot set an appeal's
owner, status, clocks or public flag through them (the lifecycle is the case API's, the
public notice has its own operation). The unit is a field of creation only, and must lie in
the caller's jurisdiction. Personal data leaves masked (`139****5678`, `王**`); the plain phone
number only through the reveal operation, with a reason, audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from ninja import Field, Schema

from liuqing.appeals.models import AppealChannel
from liuqing.appeals.services import (
    ADDRESS_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    PUBLIC_MAX,
    TITLE_MAX,
)
from liuqing.casework.models import WarningLevel
from liuqing.casework.schemas import CaseOut, EntryOut, FollowUpOut, MemberRef, Ref
from liuqing.core.schemas import Id, In, Text


def _latitude(default: Any = None) -> Any:
    return Field(default, ge=-90, le=90, allow_inf_nan=False, description="WGS 84 degrees")


def _longitude(default: Any = None) -> Any:
    return Field(default, ge=-180, le=180, allow_inf_nan=False, description="WGS 84 degrees")


class ResidentOut(Schema):
    """The resident as staff see them: masked."""

    name: str
    phone: str
    address: str
    anonymous: bool


class AppealOut(Schema):
    id: int
    number: str
    title: str
    status: str
    warning: WarningLevel
    escalation: int
    unit: Ref
    category: Ref
    owner: MemberRef | None
    place: Ref | None
    channel: str
    received_at: dt.datetime
    resolve_due: dt.datetime | None
    closed_at: dt.datetime | None
    closed_on_time: bool | None
    reopened_count: int
    is_public: bool


class AppealDetailOut(CaseOut):
    description: str
    public_code: str | None
    public_summary: str
    public_result: str
    place: Ref | None
    latitude: float | None
    longitude: float | None
    resident: ResidentOut
    timeline: list[EntryOut]
    followups: list[FollowUpOut]


class AppealListQuery(Schema):
    status: str | None = Field(None, max_length=24)
    category: Id | None = Field(None, description="This category and its sub-categories")
    unit: Id | None = Field(None, description="This unit and the units below it")
    place: Id | None = None
    channel: AppealChannel | None = None
    warning: WarningLevel | None = None
    owner: Literal["me", "none"] | None = Field(None, description="Mine, or nobody's yet")
    received_from: dt.date | None = Field(None, description="Local date, included")
    received_to: dt.date | None = Field(None, description="Local date, included")
    overdue: bool = False
    public: bool | None = Field(None, description="Shown on the notice board, or not")
    q: Text = Field(
        "",
        max_length=100,
        description="A number, tracking code, words of the title or description, or a phone",
    )


class AppealCreateIn(In):
    unit: Id = Field(..., description="The unit that receives it (in your jurisdiction)")
    category: Id
    description: Text = Field(..., min_length=1, max_length=DESCRIPTION_MAX)
    channel: AppealChannel
    title: Text = Field("", max_length=TITLE_MAX, description="Empty: from the description")
    place: Id | None = None
    resident_name: Text = Field("", max_length=NAME_MAX)
    resident_phone: Text = Field("", max_length=32)
    resident_address: Text = Field("", max_length=ADDRESS_MAX)
    anonymous: bool = False
    latitude: float | None = _latitude()
    longitude: float | None = _longitude()
    received_at: dt.datetime | None = Field(None, description="Default: now")


class AppealPatchIn(In):
    """Only the fields sent change. null clears the place and coordinates; on the other
    fields it means "leave as it is"."""

    NULLABLE: ClassVar[set[str]] = {"place", "latitude", "longitude"}

    category: Id | None = None
    description: Text | None = Field(None, min_length=1, max_length=DESCRIPTION_MAX)
    title: Text | None = Field(None, max_length=TITLE_MAX)
    channel: AppealChannel | None = None
    place: Id | None = None
    resident_name: Text | None = Field(None, max_length=NAME_MAX)
    resident_phone: Text | None = Field(None, max_length=32)
    resident_address: Text | None = Field(None, max_length=ADDRESS_MAX)
    anonymous: bool | None = None
    latitude: float | None = _latitude()
    longitude: float | None = _longitude()


class NoticeIn(In):
    summary: Text = Field("", max_length=PUBLIC_MAX)
    result: Text = Field("", max_length=PUBLIC_MAX)
    show: bool


class NoticeOut(Schema):
    id: int
    number: str
    is_public: bool
    public_summary: str
    public_result: str


class BulkIn(In):
    ids: list[Id] = Field(..., min_length=1, max_length=200)
    action: Literal["assign", "accept", "verify", "park", "unpark", "withdraw"]
    owner: Id | None = Field(None, description="For assign")
    note: Text = Field("", max_length=2000)


class BulkItemOut(Schema):
    id: int
    number: str | None
    ok: bool
    message: str


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    accept_hours: int | None
    contact_hours: int | None
    resolve_days: int | None
    needs_location: bool
    is_public: bool
    is_active: bool
    order: int


class FiguresQuery(Schema):
    unit: Id | None = Field(None, description="Default: your unit")
    period: Text = Field(
        "",
        max_length=40,
        description='"2025", "2025-06", "2025-Q2", "2025-H1" or "2025-01-05..2025-01-20"; '
        "default: this month",
    )
    category: Id | None = None


class FiguresOut(Schema):
    unit: dict[str, Any]
    category: dict[str, Any] | None
    as_of: dt.datetime
    open_now: dict[str, Any]
    periods: list[dict[str, Any]]
