"""Staff pages of liaison (under /liaison/): organisations with their flags, one
organisation with its officers, visit plans, problems and lessons, and the forms that add
them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from liuqing.core import access
from liuqing.core.access import CHANGE
from liuqing.core.auth import staff_required
from liuqing.core.forms import apply_errors
from liuqing.core.models import Member
from liuqing.core.views.common import actor_of, paginate, posted, render_list
from liuqing.liaison import selectors, services
from liuqing.liaison.forms import (
    AssignmentForm,
    FilterForm,
    LessonForm,
    OrganisationForm,
    ProblemForm,
    SavingsForm,
)
from liuqing.liaison.models import Organisation, OrganisationKind
from liuqing.liaison.targets import ORGANISATION_TARGET
from liuqing.liaison.workflow import ASSIGNMENT, ORGANISATION
from liuqing.visits import selectors as visit_selectors
from liuqing.visits.policies import VISIT_PLAN

GET_POST = require_http_methods(["GET", "POST"])


@staff_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = FilterForm(request.GET, actor=actor)
    page = paginate(request, selectors.organisations_visible_to(actor, form.filters()))
    flags = selectors.flags_of(list(page.object_list))
    return render_list(
        request,
        "liaison/list.html",
        "liaison/_results.html",
        {
            "form": form,
            "page": page,
            "rows": [(o, flags[o.pk]) for o in page.object_list],
            "can_register": access.can(actor, ORGANISATION, CHANGE),
        },
    )


@staff_required
@GET_POST
def organisation_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not access.can(actor, ORGANISATION, CHANGE):
        raise access.AccessDenied
    form = OrganisationForm(posted(request), actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.register_organisation(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The organisation was registered."))
            return redirect("liaison:detail", pk=org.pk)
    return render(request, "liaison/form.html", {"form": form})


def _detail(request: HttpRequest, actor: Member, org: Organisation, **extra: Any) -> HttpResponse:
    can_change = access.can(actor, ORGANISATION, CHANGE)
    context = {
        "org": org,
        "flags": selectors.flags_of([org])[org.pk],
        "assignments": selectors.assignments_of(org),
        "plans": visit_selectors.plans_of_target(actor, ORGANISATION_TARGET, org.pk),
        "problems": selectors.problems_of(org)[: selectors.RECENT],
        "lessons": selectors.lessons_of(org)[: selectors.RECENT],
        "is_school": org.kind == OrganisationKind.SCHOOL,
        "can_change": can_change,
        "can_assign": access.can(actor, ASSIGNMENT, CHANGE),
        "can_plan": access.can(actor, VISIT_PLAN, CHANGE),
        "assignment_form": AssignmentForm(actor=actor),
        "problem_form": ProblemForm(),
        "lesson_form": LessonForm(),
        **extra,
    }
    return render(request, "liaison/detail.html", context)


@staff_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    return _detail(request, actor, selectors.access_organisation(actor, pk))


@staff_required
@require_POST
def organisation_assign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    org = selectors.access_organisation(actor, pk)
    if not access.can(actor, ASSIGNMENT, CHANGE):
        raise access.AccessDenied
    form = AssignmentForm(request.POST, actor=actor)
    if form.is_valid():
        try:
            services.assign_officer(actor=actor, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The officer was assigned."))
            return redirect("liaison:detail", pk=org.pk)
    return _detail(request, actor, org, assignment_form=form)


def _flash_errors(request: HttpRequest, errors: Mapping[str, Iterable[str]]) -> None:
    """Every message of `errors` (a form's or a service's) as an error message, for the
    actions that go back to the organisation's page instead of showing a form."""
    for problems in errors.values():
        for problem in problems:
            messages.error(request, problem)


@staff_required
@require_POST
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    assignment = selectors.access_assignment(actor, pk, for_write=True)
    try:
        services.end_assignment(
            actor=actor, assignment=assignment, ends_on=request.POST.get("ends_on")
        )
    except ValidationError as exc:
        _flash_errors(request, exc.message_dict)
    else:
        messages.success(request, _("The assignment was ended."))
    return redirect("liaison:detail", pk=assignment.organisation_id)


@staff_required
@require_POST
def organisation_problem(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    org = selectors.access_organisation(actor, pk, for_write=True)
    form = ProblemForm(request.POST)
    if form.is_valid():
        try:
            problem = services.raise_problem(actor=actor, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("The problem became case %(number)s.") % {"number": problem.case.number}
            )
            return redirect("liaison:detail", pk=org.pk)
    return _detail(request, actor, org, problem_form=form)


@staff_required
@require_POST
def problem_savings(request: HttpRequest, pk: int) -> HttpResponse:
    """The savings the organisation estimates a problem's solution brought, usually known
    only once it is solved."""
    actor = actor_of(request)
    problem = selectors.access_problem(actor, pk, for_write=True)
    form = SavingsForm(request.POST)
    if form.is_valid():
        try:
            services.record_savings(actor=actor, problem=problem, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
    if form.errors:
        _flash_errors(request, form.errors)
    else:
        messages.success(
            request,
            _("The savings of %(number)s were recorded.") % {"number": problem.case.number},
        )
    return redirect("liaison:detail", pk=problem.organisation_id)


@staff_required
@require_POST
def organisation_lesson(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    org = selectors.access_organisation(actor, pk, for_write=True)
    form = LessonForm(request.POST)
    if form.is_valid():
        try:
            services.record_lesson(actor=actor, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The lesson was recorded."))
            return redirect("liaison:detail", pk=org.pk)
    return _detail(request, actor, org, lesson_form=form)


@staff_required
@require_POST
def organisation_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """The organisation's monthly visit plan, answered for by its current officer."""
    actor = actor_of(request)
    org = selectors.access_organisation(actor, pk)
    if not access.can(actor, VISIT_PLAN, CHANGE):
        raise access.AccessDenied
    try:
        plan = services.plan_monthly_visits(actor=actor, organisation=org)
    except ValidationError as exc:
        _flash_errors(request, exc.message_dict)
        return redirect("liaison:detail", pk=org.pk)
    messages.success(request, _("Monthly visits were planned."))
    return redirect("visits:plan", pk=plan.pk)


app_name = "liaison"
urlpatterns = [
    path("liaison/", organisation_list, name="list"),
    path("liaison/new/", organisation_new, name="new"),
    path("liaison/<int:pk>/", organisation_detail, name="detail"),
    path("liaison/<int:pk>/assign/", organisation_assign, name="assign"),
    path("liaison/<int:pk>/problems/", organisation_problem, name="problem"),
    path("liaison/<int:pk>/lessons/", organisation_lesson, name="lesson"),
    path("liaison/<int:pk>/visit-plan/", organisation_plan, name="plan"),
    path("liaison/assignments/<int:pk>/end/", assignment_end, name="assignment_end"),
    path("liaison/problems/<int:pk>/savings/", problem_savings, name="problem_savings"),
]
