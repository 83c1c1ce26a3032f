"""The liaison API at /api/v1/liaison: organisations (with their assignment flags), one
organisation with its officers, problems, lessons and visit plans, officer assignments (and
their end), problems raised as casework cases, lessons at schools.

A unit, place, officer or category named in a body that the caller cannot see is a 422 on
that field; an organisation or assignment outside the caller's jurisdiction is a 404.

An organisation's monthly visit plan is made through the visits API (POST
/api/v1/visits/plans with target_kind "organisation", cadence "monthly" and, as the page does,
the organisation's `current_officer_id` as responsible_id)."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from liuqing.core import access
from liuqing.core.access import CHANGE, AccessDenied
from liuqing.core.api import Pagination, api_actor, place_in_scope, unit_in_scope
from liuqing.liaison import selectors, services
from liuqing.liaison.models import Assignment, Lesson, Organisation, Problem
from liuqing.liaison.schemas import (
    AssignmentEndIn,
    AssignmentIn,
    AssignmentOut,
    LessonIn,
    LessonOut,
    OrganisationDetailOut,
    OrganisationIn,
    OrganisationListQuery,
    OrganisationOut,
    ProblemIn,
    ProblemOut,
    SavingsIn,
)
from liuqing.liaison.workflow import ASSIGNMENT
from liuqing.visits.forms import colleagues

router = Router(tags=["liaison"])


@router.get(
    "/organisations",
    response=list[OrganisationOut],
    operation_id="list_organisations",
    summary="Organisations",
)
@paginate(Pagination)
def list_organisations(
    request: HttpRequest, filters: Query[OrganisationListQuery]
) -> list[Organisation]:
    actor = api_actor(request)
    unit = None
    if filters.unit is not None:
        unit = unit_in_scope(actor, filters.unit, "unit")
    return selectors.organisations_visible_to(  # type: ignore[return-value]
        actor, selectors.OrganisationFilters(kind=filters.kind, unit=unit, flagged=filters.flagged)
    )


@router.post(
    "/organisations",
    response={201: OrganisationOut},
    operation_id="register_organisation",
    summary="Register an organisation",
)
def register_organisation(request: HttpRequest, payload: OrganisationIn) -> Organisation:
    actor = api_actor(request)
    unit = unit_in_scope(actor, payload.unit_id, "unit_id")
    place = place_in_scope(actor, payload.place_id, "place_id")
    data = payload.model_dump(exclude={"unit_id", "place_id"})
    return services.register_organisation(actor=actor, unit=unit, place=place, **data)


@router.get(
    "/organisations/{pk}",
    response=OrganisationDetailOut,
    operation_id="get_organisation",
    summary="One organisation",
)
def get_organisation(request: HttpRequest, pk: int) -> Organisation:
    """The organisation (contact masked) with its flags, every officer assignment, its 50
    most recent problems and lessons, and the visit plans you may see."""
    return selectors.access_organisation(api_actor(request), pk)


@router.post(
    "/organisations/{pk}/assignments",
    response={201: AssignmentOut},
    operation_id="assign_liaison_officer",
    summary="Assign an officer",
)
def assign_liaison_officer(request: HttpRequest, pk: int, payload: AssignmentIn) -> Assignment:
    actor = api_actor(request)
    org = selectors.access_organisation(actor, pk)
    if not access.can(actor, ASSIGNMENT, CHANGE):
        raise AccessDenied
    officer = colleagues(actor).filter(pk=payload.officer_id).first()
    if officer is None:
        raise ValidationError({"officer_id": _("There is no such member in your jurisdiction.")})
    return services.assign_officer(
        actor=actor,
        organisation=org,
        officer=officer,
        role=payload.role,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )


@router.post(
    "/assignments/{pk}/end",
    response=AssignmentOut,
    operation_id="end_liaison_assignment",
    summary="End an assignment",
)
def end_liaison_assignment(request: HttpRequest, pk: int, payload: AssignmentEndIn) -> Assignment:
    """End the assignment on `ends_on` (today when not given; not before its start)."""
    actor = api_actor(request)
    assignment = selectors.access_assignment(actor, pk, for_write=True)
    return services.end_assignment(actor=actor, assignment=assignment, ends_on=payload.ends_on)


@router.post(
    "/organisations/{pk}/problems",
    response={201: ProblemOut},
    operation_id="raise_liaison_problem",
    summary="Raise a problem",
)
def raise_liaison_problem(request: HttpRequest, pk: int, payload: ProblemIn) -> Problem:
    actor = api_actor(request)
    org = selectors.access_organisation(actor, pk, for_write=True)
    category = selectors.problem_categories().filter(pk=payload.category_id).first()
    if category is None:
        raise ValidationError({"category_id": _("Choose one of the categories offered.")})
    return services.raise_problem(
        actor=actor,
        organisation=org,
        category=category,
        title=payload.title,
        description=payload.description,
        estimated_savings=payload.estimated_savings,
    )


@router.post(
    "/problems/{pk}/savings",
    response=ProblemOut,
    operation_id="record_liaison_savings",
    summary="Record a problem's estimated savings",
)
def record_liaison_savings(request: HttpRequest, pk: int, payload: SavingsIn) -> Problem:
    """The savings the organisation estimates the problem's solution brought (yuan), usually
    known only once it is solved; `pk` is the problem's case id."""
    actor = api_actor(request)
    problem = selectors.access_problem(actor, pk, for_write=True)
    return services.record_savings(
        actor=actor, problem=problem, estimated_savings=payload.estimated_savings
    )


@router.post(
    "/organisations/{pk}/lessons",
    response={201: LessonOut},
    operation_id="record_liaison_lesson",
    summary="Record a lesson",
)
def record_liaison_lesson(request: HttpRequest, pk: int, payload: LessonIn) -> Lesson:
    actor = api_actor(request)
    org = selectors.access_organisation(actor, pk, for_write=True)
    return services.record_lesson(actor=actor, organisation=org, **payload.model_dump())
