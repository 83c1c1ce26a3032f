"""Staff pages of the visits engine (under /visits/): the list of plans with what is due, the
month calendar, a new plan for a target, one plan with its visits and the visit form, a
plan's changed terms, and a visit photo (a download)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from liuqing.core import access, audit
from liuqing.core.access import CHANGE, VIEW, AccessDenied
from liuqing.core.auth import staff_required
from liuqing.core.forms import apply_errors
from liuqing.core.views.common import actor_of, paginate, posted, render_list
from liuqing.visits import selectors, services
from liuqing.visits.forms import ChangePlanForm, FilterForm, PlanForm, VisitForm
from liuqing.visits.policies import VISIT_PLAN, VISIT_PLAN_CHANGE
from liuqing.visits.targets import KINDS

GET_POST = require_http_methods(["GET", "POST"])


@staff_required
def plan_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not access.can(actor, VISIT_PLAN, VIEW):
        raise AccessDenied
    form = FilterForm(request.GET, actor=actor)
    return render_list(
        request,
        "visits/list.html",
        "visits/_results.html",
        {
            "form": form,
            "page": paginate(request, selectors.plans_visible_to(actor, form.filters())),
            "today": timezone.localdate(),
            "week_end": selectors.week_end(timezone.localdate()),
            "kinds": KINDS,
            "can_plan": access.can(actor, VISIT_PLAN, CHANGE),
        },
    )


def _month(raw: str) -> dt.date:
    try:
        year, month = (int(x) for x in raw.split("-"))
        if not 2000 <= year <= 2100:
            raise ValueError(year)
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        return timezone.localdate().replace(day=1)


@staff_required
def calendar(request: HttpRequest) -> HttpResponse:
    """The month's due days and visits, day by day (`?month=2026-11`)."""
    actor = actor_of(request)
    if not access.can(actor, VISIT_PLAN, VIEW):
        raise AccessDenied
    month = _month(request.GET.get("month", ""))
    form = FilterForm(request.GET, actor=actor)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "visits/calendar.html",
        {
            "form": form,
            "month": month,
            "days": selectors.calendar(actor, month, form.filters()),
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}",
            "today": timezone.localdate(),
        },
    )


@staff_required
@GET_POST
def plan_new(request: HttpRequest) -> HttpResponse:
    """Plan visits to a target of the kind in `?kind=` (and `?target=` to preselect one)."""
    actor = actor_of(request)
    if not access.can(actor, VISIT_PLAN, CHANGE):
        raise AccessDenied
    kind = request.GET.get("kind", "place")
    if kind not in KINDS:
        raise Http404
    form = PlanForm(
        posted(request),
        actor=actor,
        target_kind=kind,
        initial={"target_id": request.GET.get("target"), "responsible": actor.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.schedule_visits(actor=actor, target_kind=kind, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The visit plan was saved."))
            return redirect("visits:plan", pk=plan.pk)
    return render(request, "visits/plan_form.html", {"form": form, "kind": KINDS[kind]})


@staff_required
@GET_POST
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One plan, its visits, and (for those who record visits) the visit form; for sergeants
    and chiefs, the form that changes the plan's terms (posted to `plan_change`)."""
    actor = actor_of(request)
    plan = selectors.access_plan(actor, pk, for_write=request.method == "POST")
    can_record = access.can(actor, VISIT_PLAN, CHANGE) and plan.is_active
    can_change = access.can(actor, VISIT_PLAN_CHANGE, CHANGE) and plan.is_active
    form = VisitForm(posted(request), request.FILES or None, actor=actor)
    if request.method == "POST":
        if not can_record:
            raise AccessDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_visit(
                    actor=actor,
                    plan=plan,
                    visited_on=data["visited_on"],
                    visitors=list(data["visitors"]),
                    summary=data["summary"],
                    latitude=data.get("latitude"),
                    longitude=data.get("longitude"),
                    photos=request.FILES.getlist("photos"),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The visit was recorded."))
                return redirect("visits:plan", pk=plan.pk)
    return render(
        request,
        "visits/plan.html",
        {
            "plan": plan,
            "kind": KINDS.get(plan.target_kind),
            "state": selectors.state_of(plan),
            "visits": selectors.visits_of(plan)[:50],
            "form": form if can_record else None,
            "change_form": ChangePlanForm(actor=actor, plan=plan) if can_change else None,
        },
    )


@staff_required
@GET_POST
def plan_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a plan's terms (sergeants and chiefs): the form prefilled with the present
    terms; a refusal shows its reasons next to the fields and changes nothing."""
    actor = actor_of(request)
    plan = selectors.access_plan_to_change(actor, pk)
    if not plan.is_active:
        messages.error(request, _("This plan has ended and can no longer be changed."))
        return redirect("visits:plan", pk=plan.pk)
    form = ChangePlanForm(posted(request), actor=actor, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_plan(actor=actor, plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if form.has_changed():
                messages.success(request, _("The visit plan was changed."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("visits:plan", pk=plan.pk)
    return render(request, "visits/plan_change.html", {"form": form, "plan": plan})


@staff_required
@require_POST
def plan_end(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    plan = selectors.access_plan(actor, pk, for_write=True)
    try:
        services.end_plan(actor=actor, plan=plan, ends_on=request.POST.get("ends_on") or None)
    except ValidationError as exc:
        for problems in exc.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.success(request, _("The visit plan was ended."))
    return redirect("visits:plan", pk=plan.pk)


@staff_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A visit photo, always as a download (never rendered by the browser)."""
    actor = actor_of(request)
    found = selectors.access_photo(actor, pk)
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    audit.record(
        "visits.photo.download",
        actor=actor,
        obj=found.visit,
        unit=found.visit.plan.unit,
        details={"photo": found.pk},
    )
    response = FileResponse(
        handle, as_attachment=True, filename=found.name, content_type=found.mime
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


app_name = "visits"
urlpatterns = [
    path("visits/", plan_list, name="list"),
    path("visits/calendar/", calendar, name="calendar"),
    path("visits/plans/new/", plan_new, name="plan_new"),
    path("visits/plans/<int:pk>/", plan_detail, name="plan"),
    path("visits/plans/<int:pk>/change/", plan_change, name="plan_change"),
    path("visits/plans/<int:pk>/end/", plan_end, name="plan_end"),
    path("visits/photos/<int:pk>/", photo, name="photo"),
]
