"""JSON shapes of the incidents API (/api/v1/incidents)."""

import datetime as dt
from typing import Literal

import h3.api.basic_int as h3int
from ninja import Field, Schema

from liuqing.core.schemas import Id, In, Text
from liuqing.incidents.models import Incident, IncidentCategory


class IncidentOut(Schema):
    id: int
    source_system: str
    source_id: str
    occurred_at: dt.datetime
    category: str = Field(..., description="Category code")
    category_name: str
    sub_category: str
    latitude: float = Field(..., description="WGS 84 degrees")
    longitude: float = Field(..., description="WGS 84 degrees")
    cell_coarse: str = Field(..., description="H3 cell (hex) at the coarse resolution")
    cell_fine: str = Field(..., description="H3 cell (hex) at the fine resolution")
    unit_id: int
    unit_name: str
    outcome: str
    description: str = Field(..., description="Staff only; never published")

    @staticmethod
    def resolve_category(obj: Incident) -> str:
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj: Incident) -> str:
        return obj.category.label

    @staticmethod
    def resolve_unit_name(obj: Incident) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_cell_coarse(obj: Incident) -> str:
        return str(h3int.int_to_str(obj.cell_coarse))

    @staticmethod
    def resolve_cell_fine(obj: Incident) -> str:
        return str(h3int.int_to_str(obj.cell_fine))


class IncidentListQuery(Schema):
    category: Id | None = Field(None, description="Category id")
    unit: Id | None = Field(None, description="Only incidents of this unit and below")
    occurred_from: dt.date | None = Field(None, description="From this day (local time)")
    occurred_to: dt.date | None = Field(None, description="To this day, inclusive")


class IncidentIn(In):
    source_id: Text = Field(..., min_length=1, max_length=64)
    occurred_at: Text = Field(
        ..., min_length=1, max_length=40, description="ISO 8601; without a zone: local time"
    )
    category: Text = Field(
        ..., min_length=1, max_length=64, description="Code, name or mapped text"
    )
    sub_category: Text = Field("", max_length=64)
    latitude: float
    longitude: float
    unit: Text = Field("", max_length=32, description="Unit code; empty: found from the location")
    outcome: Text = Field("", max_length=64)
    description: Text = Field("", max_length=500, description="Staff only; no personal data")


class IncidentPushIn(In):
    source_system: Text = Field(..., min_length=1, max_length=32)
    coordinates: Literal["wgs84", "gcj02"] = "wgs84"
    items: list[IncidentIn] = Field(..., min_length=1, max_length=1000)


class ItemErrorOut(Schema):
    field: str
    value: str
    reason: str


class ItemResultOut(Schema):
    index: int
    source_id: str
    status: Literal["created", "updated", "unchanged", "rejected"]
    id: int | None
    errors: list[ItemErrorOut]


class IncidentPushOut(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int
    items: list[ItemResultOut]


class CategoryOut(Schema):
    code: str
    name: str = Field(..., description="The name shown, in the caller's language")
    custom_name: str = Field(
        ..., description="The administrator's name; empty: a built-in name, translated"
    )
    builtin: bool
    order: int
    active: bool

    @staticmethod
    def resolve_name(obj: IncidentCategory) -> str:
        return obj.label

    @staticmethod
    def resolve_custom_name(obj: IncidentCategory) -> str:
        return obj.name

    @staticmethod
    def resolve_builtin(obj: IncidentCategory) -> bool:
        return obj.is_builtin

    @staticmethod
    def resolve_active(obj: IncidentCategory) -> bool:
        return obj.is_active


class CategoryAddIn(In):
    code: Text = Field(..., max_length=32, description="Stable: a-z, 0-9 and _, from a letter")
    name: Text = Field(..., max_length=64)
    order: int = Field(100, ge=0, le=32767)


class CategoryChangeIn(In):
    code: Text = Field(..., max_length=32, description="The category to change")
    name: Text | None = Field(
        None, max_length=64, description="Empty (built-in only): the translated built-in name"
    )
    order: int | None = Field(None, ge=0, le=32767)
    active: bool | None = None
