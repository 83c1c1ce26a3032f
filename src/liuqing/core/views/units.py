"""The home page and the unit pages: the jurisdiction tree, one unit, create, edit, move."""

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
from liuqing.core.forms import UnitFilterForm, UnitForm, UnitMoveForm, apply_errors, changed
from liuqing.core.views.common import actor_of, paginate, posted, render_list

GET_POST = require_http_methods(["GET", "POST"])


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(
        request,
        "core/home.html",
        {
            "summary": selectors.home_summary(actor),
            "can_add_member": access.can(actor, "member", CHANGE),
            "can_add_place": access.can(actor, "place", CHANGE),
            "can_add_unit": access.can(actor, "unit", CHANGE),
        },
    )


@staff_required
def unit_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = UnitFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    units = selectors.units_visible_to(actor, kind=data.get("kind") or None, q=data.get("q", ""))
    return render_list(
        request,
        "core/structure/unit_list.html",
        "core/structure/_unit_results.html",
        {
            "form": form,
            "page": paginate(request, units, per_page=50),
            "minus_depth": -actor.unit.depth,
            "can_add": access.can(actor, "unit", CHANGE),
        },
    )


@staff_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    overview = selectors.unit_overview(actor_of(request), pk)
    return render(request, "core/structure/unit_detail.html", {"o": overview})


@staff_required
@GET_POST
def unit_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    selectors.require(actor, "unit", CHANGE)
    initial = {"parent": request.GET.get("parent")} if request.GET.get("parent") else {}
    form = UnitForm(posted(request), actor=actor, create=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.create_unit(
                actor=actor,
                parent=data["parent"],
                kind=data["kind"],
                code=data["code"],
                name=data["name"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                duty_phone=data["duty_phone"],
                boundary=data["boundary"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The unit was created."))
            return redirect("core:unit_detail", pk=unit.pk)
    return render(
        request,
        "core/structure/form.html",
        {
            "form": form,
            "title": _("New unit"),
            "submit": _("Create unit"),
            "back_url": reverse("core:unit_list"),
        },
    )


@staff_required
@GET_POST
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    unit = selectors.access_unit(actor, pk, for_write=True)
    title = _("Edit %(name)s") % {"name": unit.name}
    current = {name: getattr(unit, name) for name in UnitForm.EDIT_FIELDS}
    form = UnitForm(posted(request), actor=actor, create=False, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_unit(
                actor=actor, unit=unit, **changed(form, UnitForm.EDIT_FIELDS, current)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The unit was saved."))
            return redirect("core:unit_detail", pk=unit.pk)
    return render(
        request,
        "core/structure/form.html",
        {
            "form": form,
            "title": title,
            "submit": _("Save"),
            "back_url": reverse("core:unit_detail", kwargs={"pk": unit.pk}),
        },
    )


@staff_required
@GET_POST
def unit_move(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    unit = selectors.access_unit(actor, pk, for_write=True)
    form = UnitMoveForm(posted(request), actor=actor, unit=unit, initial={"parent": unit.parent_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.move_unit(actor=actor, unit=unit, new_parent=form.cleaned_data["parent"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The unit was moved."))
            return redirect("core:unit_detail", pk=unit.pk)
    return render(
        request,
        "core/structure/form.html",
        {
            "form": form,
            "title": _("Move %(name)s") % {"name": unit.name},
            "intro": _(
                "The unit moves with everything below it: sub-units, places, members and teams."
            ),
            "submit": _("Move"),
            "back_url": reverse("core:unit_detail", kwargs={"pk": unit.pk}),
        },
    )


urlpatterns = [
    path("", home, name="home"),
    path("units/", unit_list, name="unit_list"),
    path("units/new/", unit_create, name="unit_create"),
    path("units/<int:pk>/", unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", unit_edit, name="unit_edit"),
    path("units/<int:pk>/move/", unit_move, name="unit_move"),
]
