"""The incident analytics API, on the incidents router (/api/v1/incidents/...): the stored
monthly maps (counts, levels, Gi* bins, emerging patterns per cell), "refresh now", trends,
patrol plans, logs and coverage. The same services and selectors as the pages; a unit, month,
category or week that is not offered is a 422 on that field, a unit outside the caller's
jurisdiction a 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema
from ninja.pagination import paginate

from liuqing.analytics import periods
from liuqing.core.access import NotFound
from liuqing.core.api import Pagination, api_actor
from liuqing.core.models import Member, Unit
from liuqing.core.schemas import Id, In, Text
from liuqing.incidents import kpis, maps, patrols, seasons, selectors
from liuqing.incidents.api import router
from liuqing.incidents.locate import resolutions
from liuqing.incidents.models import PatrolLog, PatrolPlan
from liuqing.incidents.refresh import last_complete_month, local_tz, refresh_maps

# --- Schemas -----------------------------------------------------------------------------------


class MapQuery(Schema):
    unit: Id | None = None
    resolution: int | None = Field(None, description="H3 resolution: the fine (default) or coarse")
    month: str | None = Field(None, description="YYYY-MM; default the latest stored")
    category: str | None = Field(None, description="Category code; default all categories")


class CellOut(Schema):
    cell: str
    count: int
    level: str = Field(..., description="green, yellow or red")
    gi_bin: int = Field(..., description="−3…+3: cold/hot at 99, 95, 90 % after FDR; 0 none")
    z: float | None
    pattern: str = Field(..., description="Emerging hot-spot pattern; empty: not enough data")


class MapOut(Schema):
    unit_id: int
    unit_name: str
    resolution: int
    month: str
    category: str
    incidents: int
    outside: int
    not_enough_data: str = Field(..., description="Why Gi* was not run; empty when it was")
    emerging_not_enough_data: str
    months: list[str]
    computed_at: dt.datetime | None
    cells: list[CellOut]


class RefreshIn(In):
    unit: Id | None = None


class RunOut(Schema):
    id: int
    unit_id: int
    status: str
    maps: int
    recomputed: int
    incidents: int
    first_month: dt.date
    last_month: dt.date
    seconds: float


class TrendQuery(Schema):
    unit: Id | None = None
    month: str | None = Field(None, description="YYYY-MM; default the last complete month")


class ChangeOut(Schema):
    before: int
    change: str = Field(..., description="(now − before) ÷ before as a percentage; — if before 0")
    p: float
    note: str = Field(..., description="significant, not_significant or too_few")


class TrendRowOut(Schema):
    label: str
    now: int
    year_on_year: ChangeOut
    month_on_month: ChangeOut


class SeasonOut(Schema):
    label: str
    months: list[int] = Field(..., description="The tourist season of this row")
    season_source: str = Field(..., description="own, inherited or global")
    in_season: int
    in_days: int
    rest: int
    rest_days: int
    ratio: str
    p: float
    note: str


class TrendsOut(Schema):
    unit_id: int
    period: str
    by_category: list[TrendRowOut]
    by_unit: list[TrendRowOut]
    tourist_months: list[int] = Field(
        ..., description="The default season (each seasonal row has its own months)"
    )
    seasonal: list[SeasonOut]


class AllocationOut(Schema):
    id: int
    unit_id: int
    cell: str | None = Field(..., description="H3 index of a hot cell; null: the whole unit")
    mode: str
    risk: float = Field(..., description="The cell's share of its unit's hot-cell incidents")
    hours: Decimal


class PlanOut(Schema):
    id: int
    unit_id: int
    week: dt.date
    hours: Decimal
    based_on: dt.date | None
    allocations: list[AllocationOut]

    @staticmethod
    def resolve_allocations(obj: PatrolPlan) -> list[Any]:
        return list(obj.allocations.all())


class UnitHoursIn(In):
    unit_id: Id
    hours: Decimal = Field(..., description="0 to 10,000, in half hours", allow_inf_nan=False)


class PlanIn(In):
    unit: Id
    week: dt.date
    hours: list[UnitHoursIn] = Field(
        ...,
        max_length=500,
        description="The officer-hours each unit of the plan has for the week: every child "
        "unit with a map, else the unit itself",
    )


class AllocationIn(In):
    id: Id
    hours: Decimal = Field(..., description="0 to 10,000, in half hours", allow_inf_nan=False)


class PlanEditIn(In):
    allocations: list[AllocationIn] = Field(..., max_length=500)


class LogIn(In):
    unit: Id
    officer: Id
    mode: str
    started_at: dt.datetime
    ended_at: dt.datetime
    cells: list[Text] = Field(..., max_length=500)
    note: Text = Field("", max_length=200)


class LogOut(Schema):
    id: int
    unit_id: int
    officer_id: int
    mode: str
    started_at: dt.datetime
    ended_at: dt.datetime
    cells: list[str]
    note: str

    @staticmethod
    def resolve_cells(obj: PatrolLog) -> list[str]:
        return obj.cell_list()


class CoverageQuery(Schema):
    unit: Id | None = None
    week: dt.date | None = Field(None, description="Any day of the week; default this week")


class CoverageOut(Schema):
    unit_id: int
    week: dt.date
    hot_cells: int
    patrolled: int
    coverage: float | None
    display: str


# --- Helpers -----------------------------------------------------------------------------------


def _unit(actor: Member, pk: int | None) -> Unit:
    if pk is None:
        return actor.unit
    try:
        return maps.access_map_unit(actor, pk)
    except NotFound:
        raise ValidationError({"unit": _("There is no such unit in your jurisdiction.")}) from None


def _month(text: str | None, field: str = "month") -> dt.date | None:
    if not text:
        return None
    try:
        month = dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValidationError({field: _("Give a month as YYYY-MM.")}) from None
    if not 2000 <= month.year <= 2100:
        raise ValidationError({field: _("Give a month as YYYY-MM.")})
    return month


# --- Maps --------------------------------------------------------------------------------------


@router.get(
    "/maps/cells", response=MapOut, operation_id="get_incident_map", summary="A month's map"
)
def get_incident_map(request: HttpRequest, query: Query[MapQuery]) -> dict[str, Any]:
    """Every cell of a unit's map for a month and category: count, level, Gi* bin and z,
    emerging pattern. 404 when the unit has no stored map yet."""
    actor = api_actor(request)
    maps.require_view(actor)
    unit = _unit(actor, query.unit)
    if query.resolution is not None and query.resolution not in resolutions():
        raise ValidationError({"resolution": _("Choose one of the cell sizes offered.")})
    category = None
    if query.category:
        category = selectors.categories(active=None).filter(code=query.category).first()
        if category is None:
            raise ValidationError({"category": _("Choose one of the categories offered.")})
    month = _month(query.month)
    try:
        view = maps.load_map(
            actor, unit=unit, resolution=query.resolution, month=month, category=category
        )
    except NotFound:
        raise ValidationError({"month": _("There is no map of this month.")}) from None
    if view is None:
        raise NotFound
    return {
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "resolution": view.resolution,
        "month": view.month.strftime("%Y-%m"),
        "category": category.code if category else "",
        "incidents": view.incidents,
        "outside": view.outside,
        "not_enough_data": view.reason,
        "emerging_not_enough_data": view.trend_reason,
        "months": [m.strftime("%Y-%m") for m in view.months],
        "computed_at": view.run.finished_at,
        "cells": maps.cell_records(view),
    }


@router.post(
    "/maps/refresh",
    response=RunOut,
    operation_id="refresh_incident_maps",
    summary="Refresh the maps now",
)
def refresh_incident_maps(request: HttpRequest, payload: RefreshIn) -> Any:
    """Recompute the maps of a unit (default: yours) and the units below it."""
    from liuqing.core import access

    actor = api_actor(request)
    if not access.can(actor, "incident", access.CHANGE):
        raise access.AccessDenied
    unit = _unit(actor, payload.unit)
    return refresh_maps(root=unit, trigger="manual", actor=actor)


# --- Trends ------------------------------------------------------------------------------------


def _change(c: Any) -> dict[str, Any]:
    from liuqing.analytics import rates

    return {
        "before": c.before,
        "change": rates.change_display(c.now, c.before),
        "p": c.p,
        "note": str(c.note),
    }


@router.get(
    "/trends/monthly", response=TrendsOut, operation_id="get_incident_trends", summary="Trends"
)
def get_incident_trends(request: HttpRequest, query: Query[TrendQuery]) -> dict[str, Any]:
    """同比 and 环比 per category and per child unit with the exact Poisson test, and the
    tourist season against the rest for the unit and its scenic areas."""
    actor = api_actor(request)
    maps.require_view(actor)
    unit = _unit(actor, query.unit)
    month = _month(query.month) or last_complete_month()
    period = periods.month(month.year, month.month, local_tz())
    by_category, by_unit = kpis.trend_rows(actor, unit, period)

    def row(r: kpis.TrendRow) -> dict[str, Any]:
        return {
            "label": r.label,
            "now": r.now,
            "year_on_year": _change(r.yoy),
            "month_on_month": _change(r.mom),
        }

    return {
        "unit_id": unit.pk,
        "period": period.key,
        "by_category": [row(r) for r in by_category],
        "by_unit": [row(r) for r in by_unit],
        "tourist_months": list(seasons.global_months()),
        "seasonal": [
            {
                "label": s.label,
                "months": s.months,
                "season_source": s.season.source if s.season else "",
                "in_season": s.comparison.in_count,
                "in_days": s.comparison.in_days,
                "rest": s.comparison.out_count,
                "rest_days": s.comparison.out_days,
                "ratio": s.ratio,
                "p": s.comparison.test.p,
                "note": str(s.comparison.test.note),
            }
            for s in kpis.seasonal_rows(actor, unit, period)
        ],
    }


# --- Patrols -----------------------------------------------------------------------------------


@router.get(
    "/patrols/plans",
    response=list[PlanOut],
    operation_id="list_patrol_plans",
    summary="Patrol plans",
)
@paginate(Pagination)
def list_patrol_plans(request: HttpRequest) -> QuerySet[PatrolPlan]:
    return (
        patrols.plans_visible_to(api_actor(request))
        .prefetch_related("allocations")
        .order_by("-week", "unit__path")
    )


@router.post(
    "/patrols/plans",
    response=PlanOut,
    operation_id="propose_patrol_plan",
    summary="Propose a week's patrol plan",
)
def propose_patrol_plan(request: HttpRequest, payload: PlanIn) -> PatrolPlan:
    """Allocate each unit's officer-hours to car, foot and video patrols, then to its hot
    cells in proportion to their incidents (replaces the week's earlier proposal). Errors
    name the unit: `hours-<unit id>`."""
    actor = api_actor(request)
    unit = _unit(actor, payload.unit)
    hours: dict[int, Decimal] = {}
    for item in payload.hours:
        if item.unit_id in hours:
            raise ValidationError(
                {f"hours-{item.unit_id}": _("The hours of this unit are given twice.")}
            )
        hours[item.unit_id] = item.hours
    return patrols.propose_plan(actor=actor, unit=unit, week=payload.week, hours=hours)


@router.put(
    "/patrols/plans/{pk}",
    response=PlanOut,
    operation_id="edit_patrol_plan",
    summary="Edit a plan's hours",
)
def edit_patrol_plan(request: HttpRequest, pk: int, payload: PlanEditIn) -> PatrolPlan:
    actor = api_actor(request)
    plan = patrols.access_plan(actor, pk)
    return patrols.edit_plan(
        actor=actor, plan=plan, hours={a.id: a.hours for a in payload.allocations}
    )


@router.get(
    "/patrols/logs",
    response=list[LogOut],
    operation_id="list_patrol_logs",
    summary="Patrol logs",
)
@paginate(Pagination)
def list_patrol_logs(request: HttpRequest) -> QuerySet[PatrolLog]:
    return patrols.logs_visible_to(api_actor(request))


@router.post("/patrols/logs", response=LogOut, operation_id="log_patrol", summary="Log a patrol")
def log_patrol(request: HttpRequest, payload: LogIn) -> PatrolLog:
    actor = api_actor(request)
    unit = _unit(actor, payload.unit)
    officer = Member.objects.filter(pk=payload.officer, is_active=True).first()
    if officer is None:
        raise ValidationError({"officer": _("Choose an officer of this unit.")})
    return patrols.log_patrol(
        actor=actor,
        unit=unit,
        officer=officer,
        mode=payload.mode,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        cells=list(payload.cells),
        note=payload.note,
    )


@router.get(
    "/patrols/coverage",
    response=CoverageOut,
    operation_id="get_patrol_coverage",
    summary="Patrol coverage of a week",
)
def get_patrol_coverage(request: HttpRequest, query: Query[CoverageQuery]) -> dict[str, Any]:
    """Hot cells with at least one logged patrol in the week ÷ hot cells (见警率)."""
    actor = api_actor(request)
    unit = _unit(actor, query.unit)
    week = patrols.monday(query.week or dt.date.today())
    rate = patrols.coverage(actor, unit, week)
    value = rate.value
    return {
        "unit_id": unit.pk,
        "week": week,
        "hot_cells": rate.denominator,
        "patrolled": rate.numerator,
        "coverage": float(value) if value is not None else None,
        "display": rate.percent_display(),
    }
