"""The visits API at /api/v1/visits: plans (list, create, one with its visits, end), a visit
recorded under a plan, and the caller's visits due this week.

A unit, member or team named in a body or filter that the caller cannot see is a 422 on that
field; a plan outside the caller's jurisdiction (or hidden by a sensitive label) is a 404."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, UploadedFile
from ninja.pagination import paginate

from liuqing.core import access
from liuqing.core.access import VIEW, AccessDenied
from liuqing.core.api import Pagination, api_actor, unit_in_scope
from liuqing.core.models import Member, Team
from liuqing.visits import selectors, services
from liuqing.visits.forms import colleagues
from liuqing.visits.models import Visit, VisitPhoto, VisitPlan
from liuqing.visits.policies import VISIT_PLAN
from liuqing.visits.schemas import (
    EndIn,
    PhotoOut,
    PlanDetailOut,
    PlanIn,
    PlanListQuery,
    PlanOut,
    VisitIn,
    VisitOut,
)

router = Router(tags=["visits"])


@router.get(
    "/plans", response=list[PlanOut], operation_id="list_visit_plans", summary="Visit plans"
)
@paginate(Pagination)
def list_visit_plans(request: HttpRequest, filters: Query[PlanListQuery]) -> QuerySet[VisitPlan]:
    """Active plans of your jurisdiction, soonest due first."""
    actor = api_actor(request)
    unit = None
    if filters.unit is not None:
        unit = unit_in_scope(actor, filters.unit, "unit")
    return selectors.plans_visible_to(
        actor,
        selectors.PlanFilters(
            unit=unit, target_kind=filters.target_kind, state=filters.state, mine=filters.mine
        ),
    )


@router.get("/due", response=list[PlanOut], operation_id="visits_due", summary="My visits due")
def visits_due(request: HttpRequest) -> list[VisitPlan]:
    """Plans you or your team answer for, due by the end of this week (overdue first)."""
    actor = api_actor(request)
    if not access.can(actor, VISIT_PLAN, VIEW):
        raise AccessDenied
    return list(selectors.due_for(actor)[:200])


def _member(actor: Member, pk: int | None, field: str) -> Member | None:
    if pk is None:
        return None
    found = colleagues(actor).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("There is no such member in your jurisdiction.")})
    return found


@router.post(
    "/plans", response={201: PlanOut}, operation_id="create_visit_plan", summary="Plan visits"
)
def create_visit_plan(request: HttpRequest, payload: PlanIn) -> VisitPlan:
    actor = api_actor(request)
    team = None
    if payload.team_id is not None:
        team = access.scope(Team.objects.all(), actor, "team").filter(pk=payload.team_id).first()
        if team is None:
            raise ValidationError({"team_id": _("There is no such team in your jurisdiction.")})
    return services.schedule_visits(
        actor=actor,
        target_kind=payload.target_kind,
        target_id=payload.target_id,
        cadence=payload.cadence,
        interval_days=payload.interval_days,
        responsible=_member(actor, payload.responsible_id, "responsible_id"),
        team=team,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )


@router.get(
    "/plans/{pk}", response=PlanDetailOut, operation_id="get_visit_plan", summary="One plan"
)
def get_visit_plan(request: HttpRequest, pk: int) -> VisitPlan:
    return selectors.access_plan(api_actor(request), pk)


@router.post(
    "/plans/{pk}/visits",
    response={201: VisitOut},
    operation_id="record_visit",
    summary="Record a visit",
)
def record_visit(request: HttpRequest, pk: int, payload: VisitIn) -> Visit:
    """Record a visit under the plan (photos through the page). A date in the future or
    outside the plan, or a visitor outside the plan's unit line, is refused with the reason."""
    actor = api_actor(request)
    plan = selectors.access_plan(actor, pk, for_write=True)
    visible = {m.pk: m for m in colleagues(actor).filter(pk__in=payload.visitor_ids)}
    unknown = [i for i in payload.visitor_ids if i not in visible]
    if unknown:
        raise ValidationError(
            {
                "visitor_ids": _("There is no such member in your jurisdiction: %(ids)s")
                % {"ids": ", ".join(str(i) for i in unknown)}
            }
        )
    return services.record_visit(
        actor=actor,
        plan=plan,
        visited_on=payload.visited_on,
        visitors=[visible[i] for i in payload.visitor_ids],
        summary=payload.summary,
        latitude=payload.latitude,
        longitude=payload.longitude,
    )


@router.post(
    "/{pk}/photos",
    response={201: PhotoOut},
    operation_id="add_visit_photo",
    summary="Add a photo to a visit",
)
def add_visit_photo(request: HttpRequest, pk: int, file: File[UploadedFile]) -> VisitPhoto:
    """multipart/form-data: `file`, a JPEG, PNG or WebP photo of at most 10 MB (typed by its
    content); at most six per visit. Served only as a download."""
    actor = api_actor(request)
    visit = selectors.access_visit(actor, pk, for_write=True)
    return services.add_visit_photo(actor=actor, visit=visit, upload=file)


@router.post(
    "/plans/{pk}/end", response=PlanOut, operation_id="end_visit_plan", summary="End a plan"
)
def end_visit_plan(request: HttpRequest, pk: int, payload: EndIn) -> Any:
    actor = api_actor(request)
    plan = selectors.access_plan(actor, pk, for_write=True)
    return services.end_plan(actor=actor, plan=plan, ends_on=payload.ends_on)
