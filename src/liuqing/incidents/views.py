"""Staff pages of incidents (under /incidents/): the ledger with its filters, one incident,
and the category mapping. Files come in through the import engine's pages (/imports/)."""

from __future__ import annotations

import h3.api.basic_int as h3int
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from liuqing.core import access
from liuqing.core.access import CHANGE, VIEW, AccessDenied
from liuqing.core.auth import staff_required
from liuqing.core.forms import apply_errors
from liuqing.core.views.common import actor_of, paginate, posted, render_list
from liuqing.imports.policies import IMPORT_RUN
from liuqing.incidents import selectors, services
from liuqing.incidents.forms import (
    CategoryAddForm,
    CategoryEditForm,
    CategoryMappingForm,
    FilterForm,
)
from liuqing.incidents.locate import resolutions
from liuqing.incidents.policies import INCIDENT, INCIDENT_CATEGORY, INCIDENT_CATEGORY_SET

GET_POST = require_http_methods(["GET", "POST"])


@staff_required
def incident_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not access.can(actor, INCIDENT, VIEW):
        raise AccessDenied
    form = FilterForm(request.GET, actor=actor)
    return render_list(
        request,
        "incidents/list.html",
        "incidents/_results.html",
        {
            "form": form,
            "page": paginate(request, selectors.incidents_visible_to(actor, form.filters())),
            "can_import": access.can(actor, INCIDENT, CHANGE)
            and access.can(actor, IMPORT_RUN, CHANGE),
        },
    )


@staff_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.access_incident(actor_of(request), pk)
    coarse, fine = resolutions()
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "cells": [
                (coarse, h3int.int_to_str(incident.cell_coarse)),
                (fine, h3int.int_to_str(incident.cell_fine)),
            ],
        },
    )


@staff_required
@GET_POST
def category_mappings(request: HttpRequest) -> HttpResponse:
    """Source categories mapped onto ours; importers add, change and remove them."""
    actor = actor_of(request)
    mappings = selectors.category_mappings_visible_to(actor)
    can_change = access.can(actor, INCIDENT_CATEGORY, CHANGE)
    if request.method == "POST" and not can_change:
        raise AccessDenied
    remove = request.POST.get("remove", "")
    if request.method == "POST" and remove:
        found = (
            mappings.filter(pk=int(remove)).first()
            if remove.isdigit() and len(remove) < 19
            else None
        )
        if found is not None:
            services.unmap_category(actor=actor, mapping=found)
            messages.success(request, _("The mapping was removed."))
        return redirect("incidents:category_mappings")
    form = CategoryMappingForm(posted(request)) if can_change else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.map_category(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The mapping was saved."))
            return redirect("incidents:category_mappings")
    return render(
        request,
        "incidents/categories.html",
        {
            "mappings": mappings,
            "categories": selectors.categories(active=None),
            "form": form,
            "can_change": can_change,
            "can_manage": access.can(actor, INCIDENT_CATEGORY_SET, VIEW),
        },
    )


@staff_required
@GET_POST
def category_settings(request: HttpRequest) -> HttpResponse:
    """The categories themselves: administrators add one, rename, reorder or disable one
    (``?edit=<code>`` opens a category's form; the POST names it in ``category``)."""
    actor = actor_of(request)
    categories = list(selectors.category_set_visible_to(actor))
    can_change = access.can(actor, INCIDENT_CATEGORY_SET, CHANGE)
    if request.method == "POST" and not can_change:
        raise AccessDenied
    by_code = {c.code: c for c in categories}
    action = request.POST.get("action", "") if request.method == "POST" else ""
    add_form = CategoryAddForm(posted(request) if action == "add" else None) if can_change else None
    editing = by_code.get(
        (request.POST.get("category") if action == "change" else request.GET.get("edit")) or ""
    )
    edit_form = None
    if can_change and editing is not None:
        edit_form = CategoryEditForm(request.POST if action == "change" else None, category=editing)
    if action == "add" and add_form is not None and add_form.is_valid():
        try:
            category = services.add_category(actor=actor, **add_form.cleaned_data)
        except ValidationError as exc:
            apply_errors(add_form, exc)
        else:
            messages.success(
                request, _("The category %(name)s was added.") % {"name": category.label}
            )
            return redirect("incidents:category_settings")
    elif action == "change" and edit_form is not None and editing is not None:
        if edit_form.is_valid():
            try:
                category = services.change_category(
                    actor=actor, category=editing, **edit_form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(edit_form, exc)
            else:
                messages.success(
                    request, _("The category %(name)s was saved.") % {"name": category.label}
                )
                return redirect("incidents:category_settings")
    elif action == "change":
        messages.error(request, _("Choose one of the categories listed."))
        return redirect("incidents:category_settings")
    return render(
        request,
        "incidents/category_settings.html",
        {
            "categories": categories,
            "can_change": can_change,
            "add_form": add_form,
            "edit_form": edit_form,
            "editing": editing,
        },
    )


app_name = "incidents"
urlpatterns = [
    path("incidents/", incident_list, name="list"),
    path("incidents/categories/", category_mappings, name="category_mappings"),
    path("incidents/categories/settings/", category_settings, name="category_settings"),
    path("incidents/<int:pk>/", incident_detail, name="detail"),
]

# The analytics pages live in their own modules (maps, trends, patrols).
from liuqing.incidents.views_analysis import urlpatterns as _analysis_urls  # noqa: E402
from liuqing.incidents.views_maps import urlpatterns as _map_urls  # noqa: E402
from liuqing.incidents.views_seasons import urlpatterns as _season_urls  # noqa: E402

urlpatterns += _map_urls + _analysis_urls + _season_urls
