"""Staff pages of partners and alerts (under /partners/): the registry, groups with their
invite codes and QR codes, alerts from composing to resolution with their timeline."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from liuqing.core import access, audit
from liuqing.core.access import CHANGE, AccessDenied
from liuqing.core.auth import staff_required
from liuqing.core.forms import apply_errors
from liuqing.core.views.common import actor_of, paginate, posted
from liuqing.partners import selectors, services
from liuqing.partners.forms import (
    AlertForm,
    EndpointEditForm,
    EndpointForm,
    GroupForm,
    NoteForm,
    SecretForm,
    initial_for,
    initial_from,
)
from liuqing.partners.models import AlertKind, AlertStatus, PartnerStatus
from liuqing.partners.policies import ALERT, ALERT_APPROVAL, PARTNER, PARTNER_GROUP

GET_POST = require_http_methods(["GET", "POST"])


def join_url(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(reverse("partners:pp_join_code", kwargs={"code": code}))


def hours_and_minutes(delta: dt.timedelta) -> str:
    """A duration as the staff read it, in their language: "3 h 5 min", "45 min", "2 h";
    seconds are dropped (under a minute: "under a minute")."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes == 0:
        return _("under a minute")
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours})
    if minutes:
        parts.append(ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes})
    if len(parts) == 1:
        return parts[0]
    # Translators: hours, then minutes ("3 h 5 min").
    return _("%(hours)s %(minutes)s") % {"hours": parts[0], "minutes": parts[1]}


@staff_required
def partner_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    status = request.GET.get("status", "")
    status = status if status in PartnerStatus.values else ""
    page = paginate(request, selectors.partners_visible_to(actor, status=status))
    return render(
        request,
        "partners/staff/partners.html",
        {
            "page": page,
            "status": status,
            "statuses": PartnerStatus.choices,
            "can_change": access.can(actor, PARTNER, CHANGE),
        },
    )


@staff_required
@require_POST
def partner_status(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    partner = selectors.access_partner(actor, pk, for_write=True)
    wanted = request.POST.get("status", "")
    try:
        services.set_partner_status(partner=partner, status=wanted, actor=actor)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The partner's status was changed."))
    return redirect("partners:list")


@staff_required
@GET_POST
def group_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    groups = selectors.groups_visible_to(actor)
    can_change = access.can(actor, PARTNER_GROUP, CHANGE)
    if request.method == "POST" and not can_change:
        raise AccessDenied
    form = GroupForm(posted(request), actor=actor) if can_change else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            group = services.create_group(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The group was created."))
            return redirect("partners:group", pk=group.pk)
    return render(
        request,
        "partners/staff/groups.html",
        {"page": paginate(request, groups), "form": form},
    )


@staff_required
@GET_POST
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    group = selectors.access_group(actor, pk)
    can_change = access.can(actor, PARTNER_GROUP, CHANGE)
    form = EndpointForm(posted(request)) if can_change else None
    if request.method == "POST":
        group = selectors.access_group(actor, pk, for_write=True)
        if request.POST.get("renew"):
            services.renew_invite_code(actor=actor, group=group)
            messages.success(request, _("A new invite code was made; the old one no longer works."))
            return redirect("partners:group", pk=group.pk)
        if form is not None and form.is_valid():
            try:
                services.add_group_endpoint(actor=actor, group=group, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The bot was connected."))
                return redirect("partners:group", pk=group.pk)
    return render(
        request,
        "partners/staff/group.html",
        {
            "group": group,
            "members": selectors.group_members(group)[:200],
            "endpoints": selectors.group_endpoints(group),
            "join_url": join_url(request, group.invite_code),
            "form": form,
            "can_change": can_change,
        },
    )


@staff_required
@GET_POST
def group_endpoint(request: HttpRequest, pk: int, eid: int) -> HttpResponse:
    """One group bot or webhook: rename it, change its address, disable or enable it, or
    set a new secret (the secret and the address's key are never shown back)."""
    actor = actor_of(request)
    # A POST needs the right to change (`for_write`: 403 without it).
    group = selectors.access_group(actor, pk, for_write=request.method == "POST")
    endpoint = selectors.group_endpoint(group, eid)
    can_change = access.can(actor, PARTNER_GROUP, CHANGE)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    edit_form = EndpointEditForm(
        request.POST if action == "edit" else None,
        initial={"name": endpoint.name, "is_active": endpoint.is_active},
    )
    secret_form = SecretForm(request.POST if action == "rotate" else None)
    # Each action posts one of the two forms, saved by its service.
    actions: dict[str, tuple[forms.Form, Callable[..., Any], str]] = {
        "edit": (edit_form, services.edit_group_endpoint, _("Saved.")),
        "rotate": (secret_form, services.rotate_endpoint_secret, _("The new secret was saved.")),
    }
    if action in actions:
        form, save, done = actions[action]
        if form.is_valid():
            try:
                save(actor=actor, group=group, endpoint=endpoint, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect("partners:group_endpoint", pk=group.pk, eid=endpoint.pk)
    return render(
        request,
        "partners/staff/endpoint.html",
        {
            "group": group,
            "endpoint": endpoint,
            "url": selectors.masked_url(endpoint.url),
            "edit_form": edit_form if can_change else None,
            "secret_form": secret_form if can_change else None,
        },
        status=400 if edit_form.errors or secret_form.errors else 200,
    )


@staff_required
def group_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The group's join link as an SVG QR code, to print or show on a phone."""
    group = selectors.access_group(actor_of(request), pk)
    out = io.BytesIO()
    segno.make(join_url(request, group.invite_code), error="m").save(
        out, kind="svg", scale=6, border=2
    )
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="group-{group.pk}-qr.svg"'
    return response


@staff_required
def alert_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    status = request.GET.get("status", "")
    status = status if status in AlertStatus.values else ""
    return render(
        request,
        "partners/staff/alerts.html",
        {
            "page": paginate(request, selectors.alerts_visible_to(actor, status=status)),
            "status": status,
            "statuses": AlertStatus.choices,
            "kinds": AlertKind.choices,
            "can_change": access.can(actor, ALERT, CHANGE),
        },
    )


@staff_required
@GET_POST
def alert_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not access.can(actor, ALERT, CHANGE):
        raise AccessDenied
    kind = request.GET.get("kind", AlertKind.OTHER)
    kind = kind if kind in AlertKind.values else AlertKind.OTHER
    form = AlertForm(posted(request), actor=actor, initial=initial_for(kind, actor.unit))
    if request.method == "POST" and form.is_valid():
        try:
            alert = services.save_alert(
                actor=actor, unit=form.cleaned_data["unit"], data=form.alert_input()
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The draft was saved. Check it, then issue it."))
            return redirect("partners:alert", pk=alert.pk)
    return render(
        request,
        "partners/staff/alert_form.html",
        {"form": form, "kinds": AlertKind.choices, "alert": None},
    )


@staff_required
@GET_POST
def alert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft, or update an issued alert (a new CAP version)."""
    actor = actor_of(request)
    alert = selectors.access_alert(actor, pk, for_write=request.method == "POST")
    form = AlertForm(posted(request), actor=actor, unit=alert.unit, initial=initial_from(alert))
    if request.method == "POST" and form.is_valid():
        try:
            if alert.status == AlertStatus.ISSUED:
                services.update_alert(
                    actor=actor,
                    alert=alert,
                    data=form.alert_input(),
                    note=form.cleaned_data.get("note", ""),
                )
                messages.success(request, _("The update was issued."))
            else:
                services.save_alert(
                    actor=actor, unit=alert.unit, data=form.alert_input(), alert=alert
                )
                messages.success(request, _("The draft was saved."))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("partners:alert", pk=alert.pk)
    return render(request, "partners/staff/alert_form.html", {"form": form, "alert": alert})


@staff_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    alert = selectors.access_alert(actor, pk)
    took = selectors.time_to_resolution(alert)
    return render(
        request,
        "partners/staff/alert.html",
        {
            "alert": alert,
            "texts": alert.texts.all(),
            "versions": alert.versions.order_by("number"),
            "counts": selectors.delivery_counts(alert),
            "timeline": selectors.timeline(alert),
            "resolution_time": None if took is None else hours_and_minutes(took),
            "sightings": selectors.sightings(alert)[:100],
            "dead": selectors.dead_letters(alert)[:50],
            "can_change": access.can(actor, ALERT, CHANGE),
            "can_approve": access.can(actor, ALERT_APPROVAL, CHANGE),
            "needs_approval": services.needs_approval(alert.kind, alert.scope),
            "note_form": NoteForm(),
        },
    )


@staff_required
@require_POST
def alert_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue (or submit for approval), cancel, resolve, re-drive dead letters."""
    actor = actor_of(request)
    alert = selectors.access_alert(actor, pk, for_write=True)
    action = request.POST.get("action", "")
    note = request.POST.get("note", "")
    try:
        if action == "issue":
            alert = services.issue_alert(actor=actor, alert=alert)
            messages.success(
                request,
                _("Sent to the station chief for approval.")
                if alert.status == AlertStatus.AWAITING
                else _("The alert was issued."),
            )
        elif action == "cancel":
            services.cancel_alert(actor=actor, alert=alert, note=note)
            messages.success(request, _("The alert was cancelled."))
        elif action == "resolve":
            services.resolve_alert(actor=actor, alert=alert, note=note)
            messages.success(request, _("The alert was resolved."))
        elif action == "redrive":
            count = services.redrive_alert(actor=actor, alert=alert)
            messages.success(
                request, _("%(count)d failed deliveries were queued again.") % {"count": count}
            )
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("partners:alert", pk=alert.pk)


@staff_required
def sighting_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A sighting's photo, always as a download (never rendered by the browser), for those
    who may see its alert; the read is audited."""
    actor = actor_of(request)
    reply = selectors.access_sighting_photo(actor, pk)
    audit.record("alert.photo_read", actor=actor, obj=reply.alert, details={"reply": reply.pk})
    response = FileResponse(
        reply.photo.open("rb"),
        as_attachment=True,
        filename=f"sighting-{reply.pk}.{reply.photo.name.rsplit('.', 1)[-1]}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


app_name = "partners"
staff_urlpatterns = [
    ("partners/", partner_list, "list"),
    ("partners/<int:pk>/status/", partner_status, "partner_status"),
    ("partners/groups/", group_list, "groups"),
    ("partners/groups/<int:pk>/", group_detail, "group"),
    ("partners/groups/<int:pk>/qr.svg", group_qr, "group_qr"),
    ("partners/groups/<int:pk>/endpoints/<int:eid>/", group_endpoint, "group_endpoint"),
    ("partners/alerts/", alert_list, "alerts"),
    ("partners/alerts/new/", alert_new, "alert_new"),
    ("partners/alerts/<int:pk>/", alert_detail, "alert"),
    ("partners/alerts/<int:pk>/edit/", alert_edit, "alert_edit"),
    ("partners/alerts/<int:pk>/act/", alert_action, "alert_action"),
    ("partners/sightings/<int:pk>/photo/", sighting_photo, "sighting_photo"),
]
