"""Staff pages of the care register (under /care/): the list, a new recipient, one
recipient (every opening audited; without the grant a 404, audited too) with their services,
needs and visit plans, and the reveal of a protected field with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from liuqing.care import selectors, services
from liuqing.care.forms import (
    FilterForm,
    NeedForm,
    RecipientEditForm,
    RecipientForm,
    RevealForm,
    ServiceForm,
    TakeOffForm,
)
from liuqing.care.models import Recipient
from liuqing.care.policies import CARE_RECIPIENT
from liuqing.care.retention import RULE as RETENTION
from liuqing.care.targets import CARE_RECIPIENT_TARGET
from liuqing.core import access
from liuqing.core.access import CHANGE, AccessDenied
from liuqing.core.auth import staff_required
from liuqing.core.forms import apply_errors
from liuqing.core.models import Member
from liuqing.core.views.common import actor_of, paginate, posted, render_list
from liuqing.visits import selectors as visit_selectors
from liuqing.visits.policies import VISIT_PLAN

GET_POST = require_http_methods(["GET", "POST"])


@staff_required
def recipient_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = FilterForm(request.GET, actor=actor)
    return render_list(
        request,
        "care/list.html",
        "care/_results.html",
        {
            "form": form,
            "page": paginate(request, selectors.recipients_visible_to(actor, form.filters())),
            "can_register": access.can(actor, CARE_RECIPIENT, CHANGE),
            "has_grant": "care" in access.active_labels(actor),
        },
    )


@staff_required
@GET_POST
def recipient_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not access.can(actor, CARE_RECIPIENT, CHANGE):
        raise AccessDenied
    form = RecipientForm(posted(request), actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            recipient = services.register_recipient(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The person was put on the care register."))
            return redirect("care:detail", pk=recipient.pk)
    return render(request, "care/form.html", {"form": form})


def _detail(
    request: HttpRequest, actor: Member, recipient: Recipient, **extra: object
) -> HttpResponse:
    can_change = access.can(actor, CARE_RECIPIENT, CHANGE)
    context = {
        "recipient": recipient,
        "services": selectors.services_of(recipient)[:50],
        "needs": selectors.needs_of(recipient)[:50],
        "plans": visit_selectors.plans_of_target(actor, CARE_RECIPIENT_TARGET, recipient.pk),
        "can_change": can_change,
        "can_plan": can_change and access.can(actor, VISIT_PLAN, CHANGE),
        "target_kind": CARE_RECIPIENT_TARGET,
        "reveal_form": RevealForm(),
        "service_form": ServiceForm(),
        "need_form": NeedForm(actor=actor),
        "take_off_form": TakeOffForm(),
        "erase_on": (
            RETENTION.erase_after(recipient.removed_at)
            if recipient.removed_at and not recipient.purged_at
            else None
        ),
        **extra,
    }
    return render(request, "care/detail.html", context)


@staff_required
def recipient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    recipient = selectors.access_recipient(actor, pk)
    services.record_view(actor=actor, recipient=recipient)
    return _detail(request, actor, recipient)


@staff_required
@require_POST
def recipient_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    recipient = selectors.access_recipient(actor, pk)
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            revealed = services.reveal(actor=actor, recipient=recipient, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
    return _detail(
        request,
        actor,
        recipient,
        reveal_form=form,
        revealed=revealed,
        revealed_field=(
            dict(form.fields["field"].choices).get(form.cleaned_data["field"])  # type: ignore[attr-defined]
            if revealed
            else None
        ),
    )


@staff_required
@require_POST
def recipient_service(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    recipient = selectors.access_recipient(actor, pk, for_write=True)
    form = ServiceForm(request.POST)
    if form.is_valid():
        try:
            services.record_service(actor=actor, recipient=recipient, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The service was recorded."))
            return redirect("care:detail", pk=recipient.pk)
    return _detail(request, actor, recipient, service_form=form)


@staff_required
@require_POST
def recipient_need(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    recipient = selectors.access_recipient(actor, pk, for_write=True)
    form = NeedForm(request.POST, actor=actor)
    if form.is_valid():
        try:
            need = services.raise_need(actor=actor, recipient=recipient, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("The need became appeal %(number)s.") % {"number": need.case.number}
            )
            return redirect("care:detail", pk=recipient.pk)
    return _detail(request, actor, recipient, need_form=form)


@staff_required
@GET_POST
def recipient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    recipient = selectors.access_recipient(actor, pk, for_write=True)
    initial = {
        "category": recipient.category,
        "place": recipient.place_id,
        "restricted_label": recipient.restricted_label,
        "legal_basis": recipient.legal_basis,
        "basis_recorded_on": recipient.basis_recorded_on,
        "basis_note": recipient.basis_note,
    }
    form = RecipientEditForm(posted(request), actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_recipient(actor=actor, recipient=recipient, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The record was updated."))
            return redirect("care:detail", pk=recipient.pk)
    return render(request, "care/edit.html", {"form": form, "recipient": recipient})


@staff_required
@require_POST
def recipient_take_off(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    recipient = selectors.access_recipient(actor, pk, for_write=True)
    form = TakeOffForm(request.POST)
    if form.is_valid():
        try:
            services.take_off_register(actor=actor, recipient=recipient, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The person was taken off the register."))
            return redirect("care:detail", pk=recipient.pk)
    return _detail(request, actor, recipient, take_off_form=form)


app_name = "care"
urlpatterns = [
    path("care/", recipient_list, name="list"),
    path("care/new/", recipient_new, name="new"),
    path("care/<int:pk>/", recipient_detail, name="detail"),
    path("care/<int:pk>/reveal/", recipient_reveal, name="reveal"),
    path("care/<int:pk>/edit/", recipient_edit, name="edit"),
    path("care/<int:pk>/services/", recipient_service, name="service"),
    path("care/<int:pk>/needs/", recipient_need, name="need"),
    path("care/<int:pk>/take-off/", recipient_take_off, name="take_off"),
]
