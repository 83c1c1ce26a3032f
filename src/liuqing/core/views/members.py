"""Member pages: list and search, one member, create, edit, roles, deactivation, password
reset, revealing the phone number, and sensitive grants."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from liuqing.core import access, selectors, services
from liuqing.core.access import CHANGE
from liuqing.core.auth import staff_required
from liuqing.core.forms import (
    GrantForm,
    MemberCreateForm,
    MemberEditForm,
    MemberFilterForm,
    MemberRolesForm,
    PasswordResetForm,
    ReasonForm,
    RevealForm,
    apply_errors,
)
from liuqing.core.models import Member
from liuqing.core.views.common import actor_of, paginate, posted, render_list

GET_POST = require_http_methods(["GET", "POST"])


def _detail(member: Member) -> str:
    return reverse("core:member_detail", kwargs={"pk": member.pk})


def _form_page(
    request: HttpRequest, form: Any, title: str, submit: str, back_url: str, **extra: Any
) -> HttpResponse:
    context = {"form": form, "title": title, "submit": submit, "back_url": back_url, **extra}
    return render(request, "core/structure/form.html", context)


@staff_required
def member_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = MemberFilterForm(request.GET, actor=actor)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    members = selectors.members_visible_to(
        actor,
        unit=data.get("unit"),
        role=data.get("role") or None,
        active=form.active_value() if valid else None,
        q=data.get("q", ""),
    )
    return render_list(
        request,
        "core/structure/member_list.html",
        "core/structure/_member_results.html",
        {
            "form": form,
            "page": paginate(request, members),
            "can_add": access.can(actor, "member", CHANGE),
        },
    )


@staff_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    profile = selectors.member_profile(actor, pk)
    return render(
        request,
        "core/structure/member_detail.html",
        {
            "p": profile,
            "m": profile.member,
            "grant_form": GrantForm() if profile.can_grant else None,
            "now": timezone.now(),
        },
    )


@staff_required
@sensitive_post_parameters("password")
@GET_POST
def member_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    selectors.require(actor, "member", CHANGE)
    initial = {"unit": request.GET.get("unit")} if request.GET.get("unit") else {}
    form = MemberCreateForm(posted(request), actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = services.create_member(
                actor=actor,
                username=data["username"],
                full_name=data["full_name"],
                unit=data["unit"],
                roles=data["roles"],
                password=data["password"],
                phone=data["phone"],
                badge_number=data["badge_number"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("The member was created. They set up an authenticator at first login.")
            )
            return redirect(_detail(member))
    return _form_page(
        request, form, _("New member"), _("Create member"), reverse("core:member_list")
    )


@staff_required
@GET_POST
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    member = selectors.access_member(actor, pk, for_write=True)
    title = _("Edit %(name)s") % {"name": member.full_name}
    initial = {
        "full_name": member.full_name,
        "unit": member.unit_id,
        "badge_number": member.badge_number,
    }
    form = MemberEditForm(posted(request), actor=actor, member=member, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_member(actor=actor, member=member, **form.changes(member))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The member was saved."))
            return redirect(_detail(member))
    return _form_page(request, form, title, _("Save"), _detail(member))


@staff_required
@GET_POST
def member_roles(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    member = selectors.access_member(actor, pk, for_write=True)
    form = MemberRolesForm(posted(request), actor=actor, initial={"roles": sorted(member.role_set)})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_member_roles(actor=actor, member=member, roles=form.cleaned_data["roles"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The roles were saved."))
            return redirect(_detail(member))
    return _form_page(
        request,
        form,
        _("Roles of %(name)s") % {"name": member.full_name},
        _("Save roles"),
        _detail(member),
    )


@staff_required
@GET_POST
def member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    member = selectors.access_member(actor, pk, for_write=True)
    form = ReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.deactivate_member(
                actor=actor, member=member, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("The member was deactivated; their sessions and tokens ended.")
            )
            return redirect(_detail(member))
    return _form_page(
        request,
        form,
        _("Deactivate %(name)s") % {"name": member.full_name},
        _("Deactivate"),
        _detail(member),
        intro=_("They can no longer log in; their sessions and API tokens end at once."),
        danger=True,
    )


@staff_required
@require_POST
def member_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    member = selectors.access_member(actor, pk, for_write=True)
    services.reactivate_member(actor=actor, member=member)
    messages.success(request, _("The member was reactivated."))
    return redirect(_detail(member))


@staff_required
@sensitive_post_parameters("password", "password_again")
@GET_POST
def member_password(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    member = selectors.access_member(actor, pk, for_write=True)
    form = PasswordResetForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(
                actor=actor, member=member, new_password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The password was reset; their sessions ended."))
            return redirect(_detail(member))
    return _form_page(
        request,
        form,
        _("New password for %(name)s") % {"name": member.full_name},
        _("Set password"),
        _detail(member),
        intro=_("Give the new password to them in person; their sessions end now."),
    )


@staff_required
@GET_POST
def member_reveal_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a reason, then show the full number once (audited as pii.reveal)."""
    actor = actor_of(request)
    member = selectors.access_member(actor, pk)
    form = RevealForm(posted(request))
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = services.reveal_personal_data(
                actor=actor,
                obj=member,
                kind="member",
                field="phone",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
    response = render(
        request,
        "core/structure/member_reveal.html",
        {"m": member, "form": form, "revealed": revealed},
    )
    add_never_cache_headers(response)  # the plain number must not linger in any cache
    return response


@staff_required
@GET_POST
def member_grant(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    member = selectors.access_member(actor, pk)
    selectors.require(actor, "sensitive_grant", CHANGE)
    form = GrantForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_sensitive(
                actor=actor,
                member=member,
                label=form.cleaned_data["label"],
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The grant was given."))
            return redirect(_detail(member))
    return _form_page(
        request,
        form,
        _("Grant sensitive access to %(name)s") % {"name": member.full_name},
        _("Grant"),
        _detail(member),
        intro=_("They will see records carrying this label in their jurisdiction."),
    )


@staff_required
@require_POST
def member_grant_revoke(request: HttpRequest, pk: int, grant_pk: int) -> HttpResponse:
    actor = actor_of(request)
    grant = selectors.access_grant(actor, pk, grant_pk, for_write=True)
    try:
        services.revoke_sensitive(actor=actor, grant=grant)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The grant was revoked."))
    return redirect(_detail(grant.member))


urlpatterns = [
    path("members/", member_list, name="member_list"),
    path("members/new/", member_create, name="member_create"),
    path("members/<int:pk>/", member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", member_edit, name="member_edit"),
    path("members/<int:pk>/roles/", member_roles, name="member_roles"),
    path("members/<int:pk>/deactivate/", member_deactivate, name="member_deactivate"),
    path("members/<int:pk>/reactivate/", member_reactivate, name="member_reactivate"),
    path("members/<int:pk>/password/", member_password, name="member_password"),
    path("members/<int:pk>/reveal-phone/", member_reveal_phone, name="member_reveal_phone"),
    path("members/<int:pk>/grants/", member_grant, name="member_grant"),
    path(
        "members/<int:pk>/grants/<int:grant_pk>/revoke/",
        member_grant_revoke,
        name="member_grant_revoke",
    ),
]
