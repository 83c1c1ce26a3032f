"""The visits API at /api/v1/visits: plans (list, create, one with its visits, change, end), a
visit recorded under a plan, and the caller's visits due this week.

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
from liuqing.visits.forms import colleagues, teams_for
from liuqing.visits.models import Visit, VisitPhoto, VisitPlan
from liuqing.visits.policies import VISIT_PLAN
from liuqing.visits.schemas import (
    EndIn,
    PhotoOut,
    PlanDetailOut,
    PlanIn,
    PlanListQuery,
    PlanOut,
    PlanPatchIn,
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


def _member(actor: Member, pk: int | None, field: str, keep: int | None = None) -> Member | None:
    """The member a body names (`keep`: a plan's present one, who may serve above the
    caller's unit), or a 422 on `field`."""
    if pk is None:
        return None
    found = colleagues(actor, keep).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("There is no such member in your jurisdiction.")})
    return found


def _team(actor: Member, pk: int | None, field: str, keep: int | None = None) -> Team | None:
    if pk is None:
        return None
    found = teams_for(actor, keep).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("There is no such team in your jurisdiction.")})
    return found


@router.post(
    "/plans", response={201: PlanOut}, operation_id="create_visit_plan", summary="Plan visits"
)
def create_visit_plan(request: HttpRequest, payload: PlanIn) -> VisitPlan:
    actor = api_actor(request)
    team = _team(actor, payload.team_id, "team_id")
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


@router.patch(
    "/plans/{pk}", response=PlanOut, operation_id="change_visit_plan", summary="Change a plan"
)
def change_visit_plan(request: HttpRequest, pk: int, payload: PlanPatchIn) -> VisitPlan:
    """Change an active plan's terms; only the fields sent change (sergeants and chiefs).
    The next due day is worked out again from the latest visit. Refused with 422 and the
    reasons: an unknown cadence, a custom interval outside 1–366 days, no one responsible, a
    member or team outside the plan's unit line, an end before the start or the latest visit,
    an ended plan. Terms equal to the present ones change nothing."""
    actor = api_actor(request)
    plan = selectors.access_plan_to_change(actor, pk)
    sent = {
        k: v
        for k, v in payload.model_dump(exclude_unset=True).items()
        if v is not None or k in payload.NULLABLE
    }
    responsible = plan.responsible
    if "responsible_id" in sent:
        responsible = _member(actor, sent["responsible_id"], "responsible_id", plan.responsible_id)
    team = plan.team
    if "team_id" in sent:
        team = _team(actor, sent["team_id"], "team_id", plan.team_id)
    return services.change_plan(
        actor=actor,
        plan=plan,
        cadence=sent.get("cadence", plan.cadence),
        interval_days=sent.get("interval_days", plan.interval_days),
        responsible=responsible,
        team=team,
        ends_on=sent.get("ends_on", plan.ends_on),
    )


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
