"""JSON shapes of the case API (/api/v1/cases, /api/v1/queue).

Request bodies forbid unknown fields (`extra="forbid"`): a client cannot set a case's unit,
owner or status through a body that does not take them; it gets a 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.urls import reverse
from ninja import Field, Schema

from liuqing.casework.models import Satisfaction, WarningLevel
from liuqing.casework.services import MAX_EXTENSION_DAYS, REASON_MAX, TEXT_MAX
from liuqing.core.schemas import Id, In, Text


class Ref(Schema):
    id: int
    name: str


class MemberRef(Schema):
    id: int
    full_name: str


class CaseOut(Schema):
    id: int
    number: str
    kind: str
    title: str
    status: str
    warning: WarningLevel
    escalation: int
    unit: Ref
    category: Ref
    owner: MemberRef | None
    place_id: int | None
    channel: str
    received_at: dt.datetime
    accepted_at: dt.datetime | None
    first_contact_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    accept_due: dt.datetime | None
    contact_due: dt.datetime | None
    resolve_due: dt.datetime | None
    paused_since: dt.datetime | None
    paused_seconds: int
    extended_days: int
    closed_on_time: bool | None
    reopened_count: int
    merged_into_id: int | None
    is_public: bool


class EntryOut(Schema):
    id: int
    type: str
    at: dt.datetime
    author: MemberRef | None
    text: str
    is_public: bool
    from_status: str
    to_status: str
    data: dict[str, object]
    attachment_name: str
    attachment_type: str
    attachment_url: str = Field("", description="Where the API serves the file (if any)")

    @staticmethod
    def resolve_attachment_url(obj: Any) -> str:
        if isinstance(obj, dict):  # already serialised (a timeline inside a case)
            return str(obj.get("attachment_url", ""))
        if not getattr(obj, "attachment_name", ""):
            return ""
        return reverse("api:download_case_attachment", kwargs={"pk": obj.pk})


class ExceptionOut(Schema):
    id: int
    case_id: int
    kind: str
    status: str
    days: int | None
    reason: str
    requested_by_id: int
    requested_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str


class FollowUpOut(Schema):
    id: int
    case_id: int
    due_at: dt.datetime
    done_at: dt.datetime | None
    satisfaction: str
    resolved: bool | None
    note: str
    led_to_reopen: bool


class CaseDetailOut(CaseOut):
    description: str
    public_code: str | None
    public_summary: str
    public_result: str
    timeline: list[EntryOut]
    exceptions: list[ExceptionOut]
    followups: list[FollowUpOut]


class CaseListQuery(Schema):
    kind: str | None = Field(None, max_length=24)
    status: str | None = Field(None, max_length=24)
    warning: WarningLevel | None = None
    owner: Literal["me"] | None = Field(None, description="Only cases you own")
    unit: Id | None = Field(None, description="Only this unit and the units below it")
    q: Text = Field("", max_length=100, description="A case number, or part of the title")


class ActionIn(In):
    action: Text = Field(..., min_length=1, max_length=24)
    note: Text = Field("", max_length=TEXT_MAX)
    public: bool = False


class AssignIn(In):
    owner: Id
    note: Text = Field("", max_length=REASON_MAX)


class NoteIn(In):
    text: Text = Field(..., min_length=1, max_length=TEXT_MAX)
    public: bool = False


class ContactIn(In):
    text: Text = Field(..., min_length=1, max_length=TEXT_MAX)
    method: Text = Field("", max_length=16)
    public: bool = False


class ExtensionIn(In):
    days: int = Field(..., ge=1, le=MAX_EXTENSION_DAYS)
    reason: Text = Field(..., min_length=1, max_length=REASON_MAX)


class DecisionIn(In):
    approve: bool
    note: Text = Field("", max_length=REASON_MAX)


class FollowUpIn(In):
    satisfaction: Satisfaction
    resolved: bool
    note: Text = Field("", max_length=REASON_MAX)
    method: Text = Field("", max_length=16)
    reopen: bool = False
    reopen_reason: Text = Field("", max_length=REASON_MAX)


class LinkIn(In):
    other: Id
    note: Text = Field("", max_length=REASON_MAX)


class MergeIn(In):
    into: Id
    note: Text = Field("", max_length=REASON_MAX)


class TransferIn(In):
    to_unit: Id
    reason: Text = Field(..., min_length=1, max_length=REASON_MAX)


class QueueItemOut(Schema):
    url: str
    title: str
    detail: str
    overdue: bool


class QueueSectionOut(Schema):
    """Another engine's section of the queue (e.g. visits due this week)."""

    key: str
    title: str
    count: int
    items: list[QueueItemOut]


class MyWorkOut(Schema):
    owned: list[CaseOut]
    to_dispatch: list[CaseOut]
    to_verify: list[CaseOut]
    followups: list[FollowUpOut]
    extensions: list[ExceptionOut]
    counts: dict[str, int]
    # Sections other engines register (casework.queue_hooks), each with rows for you.
    more: list[QueueSectionOut]
