"""Team pages: list, one team, create, change members, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from liuqing.core import access, selectors, services
from liuqing.core.access import CHANGE
from liuqing.core.auth import staff_required
from liuqing.core.forms import TeamFilterForm, TeamForm, apply_errors
from liuqing.core.models import TeamPosition
from liuqing.core.views.common import actor_of, paginate, posted, render_list

GET_POST = require_http_methods(["GET", "POST"])


@staff_required
def team_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = TeamFilterForm(request.GET, actor=actor)
    data = form.cleaned_data if form.is_valid() else {}
    teams = selectors.teams_visible_to(actor, unit=data.get("unit"), q=data.get("q", ""))
    return render_list(
        request,
        "core/structure/team_list.html",
        "core/structure/_team_results.html",
        {
            "form": form,
            "page": paginate(request, teams),
            "can_add": access.can(actor, "team", CHANGE),
        },
    )


@staff_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    team = selectors.access_team(actor, pk)
    positions = selectors.team_positions(team)
    return render(
        request,
        "core/structure/team_detail.html",
        {
            "team": team,
            "officers": positions[TeamPosition.OFFICER],
            "auxiliaries": positions[TeamPosition.AUXILIARY],
            "grid_workers": positions[TeamPosition.GRID_WORKER],
            "crumbs": selectors.breadcrumb(actor, team.unit),
            "can_change": access.can(actor, "team", CHANGE),
        },
    )


@staff_required
@GET_POST
def team_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    selectors.require(actor, "team", CHANGE)
    initial = {"unit": request.GET.get("unit")} if request.GET.get("unit") else {}
    form = TeamForm(posted(request), actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.create_team(
                actor=actor,
                unit=form.cleaned_data["unit"],
                name=form.cleaned_data["name"],
                members=form.members(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The team was created."))
            return redirect("core:team_detail", pk=team.pk)
    return render(
        request,
        "core/structure/form.html",
        {
            "form": form,
            "title": _("New team"),
            "intro": _(
                "One officer, up to three auxiliary officers and any number of grid workers."
            ),
            "submit": _("Create team"),
            "back_url": reverse("core:team_list"),
        },
    )


@staff_required
@GET_POST
def team_members(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    team = selectors.access_team(actor, pk, for_write=True)
    positions = selectors.team_positions(team)
    initial = {
        "officer": next(iter(positions[TeamPosition.OFFICER]), None),
        "auxiliaries": positions[TeamPosition.AUXILIARY],
        "grid_workers": positions[TeamPosition.GRID_WORKER],
    }
    form = TeamForm(posted(request), actor=actor, team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_team_members(actor=actor, team=team, members=form.members())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The team was saved."))
            return redirect("core:team_detail", pk=team.pk)
    return render(
        request,
        "core/structure/form.html",
        {
            "form": form,
            "title": _("Members of %(name)s") % {"name": team.name},
            "intro": _(
                "One officer, up to three auxiliary officers and any number of grid workers."
            ),
            "submit": _("Save"),
            "back_url": reverse("core:team_detail", kwargs={"pk": team.pk}),
        },
    )


@staff_required
@GET_POST
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    team = selectors.access_team(actor, pk, for_write=True)
    if request.method == "POST":
        services.delete_team(actor=actor, team=team)
        messages.success(request, _("The team was deleted."))
        return redirect("core:team_list")
    return render(
        request,
        "core/structure/confirm.html",
        {
            "title": _("Delete %(name)s") % {"name": team.name},
            "question": _("The team is dissolved; its members stay, without a team."),
            "submit": _("Delete team"),
            "back_url": reverse("core:team_detail", kwargs={"pk": team.pk}),
        },
    )


urlpatterns = [
    path("teams/", team_list, name="team_list"),
    path("teams/new/", team_create, name="team_create"),
    path("teams/<int:pk>/", team_detail, name="team_detail"),
    path("teams/<int:pk>/members/", team_members, name="team_members"),
    path("teams/<int:pk>/delete/", team_delete, name="team_delete"),
]
