"""JSON shapes of the structure API (/api/v1/units, places, members, teams, audit/events).

Input schemas forbid unknown fields (`extra="forbid"`): a client cannot slip a unit, an owner,
a status or anything else past an operation that does not take it; the answer is a 422 naming
the field. Partial updates (PATCH) take only the fields sent; `null` on a field that cannot be
empty means "leave as it is", and on coordinates or a boundary it clears them.

Personal data leaves only masked (`138****1234`); the plain phone number is returned solely by
the reveal operation, which asks for a reason and audits it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, ClassVar

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

from liuqing.core.models import (
    AuditEvent,
    AuditOutcome,
    Member,
    Place,
    PlaceKind,
    Role,
    Team,
    TeamPosition,
    Unit,
    UnitKind,
)
from liuqing.core.selectors import DB_MAX_ID, team_of

CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}


def _no_control_characters(value: str) -> str:
    # NUL in particular: PostgreSQL cannot store it, and must not be asked to.
    if CONTROL.intersection(value):
        raise ValueError(str(_("The text cannot contain control characters.")))
    return value


Text = Annotated[str, AfterValidator(_no_control_characters)]
# An id that can exist: larger ones would overflow the database driver rather than miss.
Id = Annotated[int, Field(ge=1, le=DB_MAX_ID)]


class In(Schema):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _latitude(default: Any = None) -> Any:
    return Field(default, ge=-90, le=90, allow_inf_nan=False, description="WGS 84 degrees")


def _longitude(default: Any = None) -> Any:
    return Field(default, ge=-180, le=180, allow_inf_nan=False, description="WGS 84 degrees")


def _geojson(text: str) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# --- Units -----------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    depth: int
    latitude: float | None
    longitude: float | None
    duty_phone: str
    boundary: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon")
    is_active: bool
    member_count: int | None = Field(
        None, description="Active members directly at the unit (lists)"
    )
    child_count: int | None = Field(None, description="Direct sub-units (lists)")

    @staticmethod
    def resolve_boundary(obj: Unit) -> dict[str, Any] | None:
        return _geojson(obj.boundary)


class UnitListQuery(Schema):
    parent: Id | None = Field(None, description="Only direct children of this unit")
    kind: UnitKind | None = None
    q: Text = Field("", max_length=100, description="Part of the name or code")


class UnitCreateIn(In):
    parent: Id = Field(..., description="The unit to create it under (in your jurisdiction)")
    kind: UnitKind
    code: Text = Field(..., min_length=1, max_length=32)
    name: Text = Field(..., min_length=1, max_length=100)
    latitude: float | None = _latitude()
    longitude: float | None = _longitude()
    duty_phone: Text = Field("", max_length=32)
    boundary: dict[str, Any] | None = Field(
        None, description="The jurisdiction's outline: GeoJSON Polygon or MultiPolygon"
    )


class UnitPatchIn(In):
    code: Text | None = Field(None, min_length=1, max_length=32)
    name: Text | None = Field(None, min_length=1, max_length=100)
    latitude: float | None = _latitude()
    longitude: float | None = _longitude()
    duty_phone: Text | None = Field(None, max_length=32)
    boundary: dict[str, Any] | None = None
    is_active: bool | None = None

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"latitude", "longitude", "boundary"})


class UnitMoveIn(In):
    parent: Id = Field(..., description="The new parent unit (in your jurisdiction)")


# --- Places ----------------------------------------------------------------------------------


class PlaceOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    name: str
    kind: PlaceKind
    latitude: float
    longitude: float
    boundary: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon")
    is_active: bool

    @staticmethod
    def resolve_unit_name(obj: Place) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_boundary(obj: Place) -> dict[str, Any] | None:
        return _geojson(obj.boundary)


class PlaceListQuery(Schema):
    unit: Id | None = Field(None, description="Only places of this unit and below")
    kind: PlaceKind | None = None
    q: Text = Field("", max_length=100, description="Part of the name")


class PlaceCreateIn(In):
    unit: Id
    name: Text = Field(..., min_length=1, max_length=100)
    kind: PlaceKind
    latitude: float = _latitude(...)
    longitude: float = _longitude(...)
    boundary: dict[str, Any] | None = Field(
        None, description="GeoJSON Polygon or MultiPolygon (or a Feature holding one)"
    )


class PlacePatchIn(In):
    name: Text | None = Field(None, min_length=1, max_length=100)
    kind: PlaceKind | None = None
    latitude: float | None = _latitude()
    longitude: float | None = _longitude()
    boundary: dict[str, Any] | None = None
    is_active: bool | None = None

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"boundary"})


# --- Members ---------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    username: str
    full_name: str
    unit_id: int
    unit_name: str
    roles: list[Role]
    badge_number: str
    phone: str = Field(..., description="Masked, e.g. 138****1234; empty when none")
    is_active: bool
    team_id: int | None
    date_joined: dt.datetime

    @staticmethod
    def resolve_unit_name(obj: Member) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_roles(obj: Member) -> list[str]:
        return sorted(obj.role_set)

    @staticmethod
    def resolve_phone(obj: Member) -> str:
        return str(obj.phone or "")

    @staticmethod
    def resolve_team_id(obj: Member) -> int | None:
        membership = team_of(obj)
        return membership.team_id if membership is not None else None


class MemberListQuery(Schema):
    unit: Id | None = Field(None, description="Only members of this unit and below")
    role: Role | None = None
    active: bool | None = None
    q: Text = Field(
        "",
        max_length=100,
        description="Part of a name or username, a badge number, or a whole phone number",
    )


class MemberCreateIn(In):
    username: Text = Field(..., min_length=1, max_length=64)
    full_name: Text = Field(..., min_length=1, max_length=64)
    unit: Id
    roles: list[Role] = Field(..., min_length=1)
    password: Text = Field(..., min_length=1, max_length=256)
    phone: Text = Field("", max_length=32)
    badge_number: Text = Field("", max_length=16)


class MemberPatchIn(In):
    full_name: Text | None = Field(None, min_length=1, max_length=64)
    unit: Id | None = Field(None, description="Move the member to this unit")
    phone: Text | None = Field(None, max_length=32, description='"" removes the number')
    badge_number: Text | None = Field(None, max_length=16)

    NULLABLE: ClassVar[frozenset[str]] = frozenset()


class RolesIn(In):
    roles: list[Role] = Field(..., min_length=1)


class ReasonIn(In):
    reason: Text = Field(..., min_length=1, max_length=500)


class RevealedOut(Schema):
    phone: str = Field(..., description="The full number (E.164); empty when none is stored")


# --- Teams -----------------------------------------------------------------------------------


class TeamMemberOut(Schema):
    member_id: int
    full_name: str
    position: TeamPosition

    @staticmethod
    def resolve_full_name(obj: Any) -> str:
        return str(obj.member.full_name)


class TeamOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_name: str
    members: list[TeamMemberOut]

    @staticmethod
    def resolve_unit_name(obj: Team) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_members(obj: Team) -> list[Any]:
        return list(obj.memberships.all())


class TeamListQuery(Schema):
    unit: Id | None = Field(None, description="Only teams of this unit and below")
    q: Text = Field("", max_length=100, description="Part of the name")


class TeamMemberIn(In):
    member: Id
    position: TeamPosition


class TeamCreateIn(In):
    name: Text = Field(..., min_length=1, max_length=64)
    unit: Id
    members: list[TeamMemberIn] = Field(..., max_length=500)


class TeamMembersIn(In):
    members: list[TeamMemberIn] = Field(..., max_length=500)


# --- Audit log -------------------------------------------------------------------------------


class AuditEventOut(Schema):
    seq: int
    at: dt.datetime
    member_id: int | None
    member_username: str
    unit_id: int | None
    unit_path: str
    action: str
    object_type: str
    object_id: str
    outcome: AuditOutcome
    source_ip: str
    reason: str
    details: dict[str, Any]

    @staticmethod
    def resolve_member_id(obj: AuditEvent) -> int | None:
        return obj.member_id_value

    @staticmethod
    def resolve_unit_id(obj: AuditEvent) -> int | None:
        return obj.unit_id_value

    @staticmethod
    def resolve_details(obj: AuditEvent) -> dict[str, Any]:
        try:
            value = json.loads(obj.details or "{}")
        except ValueError:
            return {"raw": obj.details}
        return value if isinstance(value, dict) else {"value": value}


class AuditQuery(Schema):
    date_from: dt.date | None = Field(None, description="First local day, included")
    date_to: dt.date | None = Field(None, description="Last local day, included")
    username: Text = Field("", max_length=64)
    action: Text = Field(
        "", max_length=64, description='A prefix: "member." finds every member event'
    )
    outcome: AuditOutcome | None = None
    object_type: Text = Field("", max_length=64)
    object_id: Text = Field("", max_length=64)
