"""Place pages: list with filters, one place, create, edit."""

from __future__ import annotations

import json

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
from liuqing.core.forms import PlaceFilterForm, PlaceForm, apply_errors, changed
from liuqing.core.views.common import actor_of, paginate, posted, render_list

GET_POST = require_http_methods(["GET", "POST"])


@staff_required
def place_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = PlaceFilterForm(request.GET, actor=actor)
    data = form.cleaned_data if form.is_valid() else {}
    places = selectors.places_visible_to(
        actor, unit=data.get("unit"), kind=data.get("kind") or None, q=data.get("q", "")
    )
    return render_list(
        request,
        "core/structure/place_list.html",
        "core/structure/_place_results.html",
        {
            "form": form,
            "page": paginate(request, places),
            "can_add": access.can(actor, "place", CHANGE),
        },
    )


@staff_required
def place_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    place = selectors.access_place(actor, pk)
    boundary = ""
    if place.boundary:
        try:
            boundary = json.dumps(json.loads(place.boundary), indent=2, ensure_ascii=False)
        except ValueError:
            boundary = place.boundary
    return render(
        request,
        "core/structure/place_detail.html",
        {
            "place": place,
            "boundary": boundary,
            "crumbs": selectors.breadcrumb(actor, place.unit),
            "can_change": access.can(actor, "place", CHANGE),
        },
    )


@staff_required
@GET_POST
def place_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    selectors.require(actor, "place", CHANGE)
    initial = {"unit": request.GET.get("unit")} if request.GET.get("unit") else {}
    form = PlaceForm(posted(request), actor=actor, create=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            place = services.create_place(
                actor=actor,
                unit=data["unit"],
                name=data["name"],
                kind=data["kind"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                boundary=data["boundary"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The place was created."))
            return redirect("core:place_detail", pk=place.pk)
    return render(
        request,
        "core/structure/form.html",
        {
            "form": form,
            "title": _("New place"),
            "submit": _("Create place"),
            "back_url": reverse("core:place_list"),
        },
    )


@staff_required
@GET_POST
def place_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    place = selectors.access_place(actor, pk, for_write=True)
    title = _("Edit %(name)s") % {"name": place.name}
    current = {name: getattr(place, name) for name in PlaceForm.EDIT_FIELDS}
    form = PlaceForm(posted(request), actor=actor, create=False, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_place(
                actor=actor, place=place, **changed(form, PlaceForm.EDIT_FIELDS, current)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The place was saved."))
            return redirect("core:place_detail", pk=place.pk)
    return render(
        request,
        "core/structure/form.html",
        {
            "form": form,
            "title": title,
            "submit": _("Save"),
            "back_url": reverse("core:place_detail", kwargs={"pk": place.pk}),
        },
    )


urlpatterns = [
    path("places/", place_list, name="place_list"),
    path("places/new/", place_create, name="place_create"),
    path("places/<int:pk>/", place_detail, name="place_detail"),
    path("places/<int:pk>/edit/", place_edit, name="place_edit"),
]
