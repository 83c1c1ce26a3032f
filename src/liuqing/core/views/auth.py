"""Login (password, then TOTP), logout, and the member's own profile: password and API tokens.

The password step leaves a session that can reach only the TOTP pages and logout; every other
page is guarded by `liuqing.core.auth.staff_required`. Wrong passwords and wrong codes count
against the same django-axes lock, and every success, failure and lock is audited (never the
password or the code).
"""

from __future__ import annotations

import base64
import time
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from liuqing.core import audit, services
from liuqing.core.auth import (
    REDIRECT_FIELD,
    count_failure,
    end_other_sessions,
    is_locked,
    is_verified,
    lockout_response,
    reset_failures,
    safe_next,
    second_factor_url,
    staff_required,
    url_with_next,
)
from liuqing.core.forms_auth import ChangePasswordForm, CreateTokenForm, LoginForm, TokenCodeForm
from liuqing.core.models import ApiToken, AuditOutcome, Member
from liuqing.core.views.errors import bad_request

SESSION_LOGIN_AT = "liuqing_login_at"
SESSION_SEEN_AT = "liuqing_seen_at"
SESSION_EXPIRED = "liuqing_expired"
SESSION_PENDING_KEY = "liuqing_totp_pending_key"


def _member_named(username: str) -> Member | None:
    return Member.objects.select_related("unit").filter(username=username).first()


# --- Step 1: password ------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request)
    user = request.user
    if user.is_authenticated and user.is_active:
        if is_verified(user):
            return HttpResponseRedirect(next_url)
        return HttpResponseRedirect(second_factor_url(user, next_url))

    expired = bool(request.session.pop(SESSION_EXPIRED, False))
    form = LoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        locked_before = is_locked(request, username)
        member = authenticate(request, username=username, password=form.cleaned_data["password"])
        if isinstance(member, Member):
            login(request, member)  # a new session key; the old session is gone
            now = int(time.time())
            request.session[SESSION_LOGIN_AT] = now
            request.session[SESSION_SEEN_AT] = now
            audit.record("auth.login", actor=member, details={"factor": "password"})
            return HttpResponseRedirect(second_factor_url(member, next_url))
        known = _member_named(username)
        if not locked_before:
            audit.record(
                "auth.login_failed",
                username=username,
                obj=known,
                outcome=AuditOutcome.FAILED,
                details={"factor": "password"},
            )
        if getattr(request, "axes_locked_out", False):
            audit.record(
                "auth.locked",
                username=username,
                obj=known,
                outcome=AuditOutcome.DENIED,
                details={"factor": "password", "already_locked": locked_before},
            )
            # AxesMiddleware would swap in the same page; answering it here keeps it explicit.
            return lockout_response(request, None, {"username": username})
        form.add_error(None, _("The username or password is wrong."))
    return render(
        request,
        "core/auth/login.html",
        {"form": form, "next": next_url, "expired": expired},
        status=400 if form.errors else 200,
    )


# --- Step 2: the second factor ---------------------------------------------------------------


def _pending_member(request: HttpRequest) -> Member | None:
    """The member of a session that passed the password step, or None (anonymous, or
    deactivated meanwhile, in which case the session ends)."""
    user = request.user
    if not user.is_authenticated:
        return None
    if not user.is_active:
        logout(request)
        return None
    assert isinstance(user, Member)
    return user


def _after_second_factor(request: HttpRequest, member: Member, device: TOTPDevice) -> None:
    otp_login(request, device)
    # A further new session key for the now fully privileged session.
    request.session.cycle_key()
    reset_failures(request, member.username)


def _lockout(request: HttpRequest, member: Member, already_locked: bool) -> HttpResponse:
    audit.record(
        "auth.locked",
        actor=member,
        outcome=AuditOutcome.DENIED,
        details={"factor": "totp", "already_locked": already_locked},
    )
    logout(request)
    return lockout_response(request, None, {"username": member.username})


def _check_code(
    request: HttpRequest,
    member: Member,
    form: TokenCodeForm,
    candidates: QuerySet[TOTPDevice],
    step: str,
) -> tuple[TOTPDevice | None, HttpResponse | None]:
    """Check the posted code against `candidates` (the member's devices).

    Returns (device, None) when the code matched; (None, lockout page) when the member or the
    address is locked, now or by this failure; (None, None) with the error on the form
    otherwise. A wrong or malformed code counts against the django-axes lock like a wrong
    password. While django-otp's own back-off (1, 2, 4… seconds after consecutive failures)
    holds, the code is not even tried, so that wait costs nothing from the lock.
    """
    if is_locked(request, member.username):
        return None, _lockout(request, member, already_locked=True)
    if form.is_valid():
        with transaction.atomic():
            # Row locks: two requests racing with one code cannot both pass.
            devices = list(candidates.select_for_update().order_by("pk"))
            if devices and all(not d.verify_is_allowed()[0] for d in devices):
                form.add_error(
                    "otp_token",
                    _("Too many wrong codes in a row. Wait a few seconds, then try again."),
                )
                audit.record(
                    "auth.otp_failed",
                    actor=member,
                    outcome=AuditOutcome.DENIED,
                    details={"step": step, "throttled": True},
                )
                return None, None
            code = form.cleaned_data["otp_token"]
            matched = next((d for d in devices if d.verify_token(code)), None)
        if matched is not None:
            return matched, None
    return None, _count_wrong_code(request, member, form, step)


def _count_wrong_code(
    request: HttpRequest, member: Member, form: TokenCodeForm, step: str
) -> HttpResponse | None:
    """Count and audit a wrong or malformed code: the lockout page if it locks, else None
    with the error on the form."""
    locked = count_failure(request, member.username)
    audit.record(
        "auth.otp_failed", actor=member, outcome=AuditOutcome.FAILED, details={"step": step}
    )
    if locked:
        return _lockout(request, member, already_locked=False)
    if not form.has_error("otp_token"):
        form.add_error(
            "otp_token", _("This code is wrong, or was already used. Wait for the next one.")
        )
    return None


@sensitive_post_parameters("otp_token")
@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    member = _pending_member(request)
    next_url = safe_next(request)
    if member is None:
        return HttpResponseRedirect(url_with_next("core:login", next_url))
    if is_verified(member):
        return HttpResponseRedirect(next_url)
    if not user_has_device(member, confirmed=True):
        return HttpResponseRedirect(url_with_next("core:otp_enrol", next_url))

    form = TokenCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        device, refused = _check_code(
            request, member, form, TOTPDevice.objects.filter(user=member, confirmed=True), "verify"
        )
        if refused is not None:
            return refused
        if device is not None:
            _after_second_factor(request, member, device)
            audit.record("auth.otp", actor=member, details={"step": "verify"})
            return HttpResponseRedirect(next_url)
    return render(
        request,
        "core/auth/otp_verify.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


def _pending_key(request: HttpRequest) -> str:
    """The hex key being enrolled, kept in the server-side session (not the device table) so
    that showing the page writes nothing, and reloading shows the same key until confirmed."""
    key = request.session.get(SESSION_PENDING_KEY)
    if not isinstance(key, str) or len(key) != 40:
        key = random_hex(20)
        request.session[SESSION_PENDING_KEY] = key
    return key


def _confirm_enrolment(
    request: HttpRequest, member: Member, form: TokenCodeForm, key: str
) -> tuple[TOTPDevice | None, HttpResponse | None]:
    """Create the member's confirmed authenticator if the posted code matches the pending
    key. Same contract as `_check_code`."""
    if is_locked(request, member.username):
        return None, _lockout(request, member, already_locked=True)
    if form.is_valid():
        device = TOTPDevice(user=member, key=key, name=str(_("Authenticator")), confirmed=True)
        check = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        check.time = time.time()
        if check.verify(int(form.cleaned_data["otp_token"]), tolerance=device.tolerance):
            with transaction.atomic():
                # Lock the member row: two racing confirmations make one device, not two.
                Member.objects.select_for_update().filter(pk=member.pk).first()
                if user_has_device(member, confirmed=True):
                    return None, HttpResponseRedirect(reverse("core:otp_verify"))
                # last_t: the code just used cannot be replayed at the next login.
                device.last_t = check.t()
                device.drift = check.drift
                device.save()
                audit.record("auth.otp_enrol", actor=member, obj=device, unit=member.unit)
            return device, None
    return None, _count_wrong_code(request, member, form, "enrol")


def _qr_data_uri(text: str) -> str:
    # A data: URI in <img>: no inline script or style, which the CSP forbids.
    return str(segno.make(text, error="m").svg_data_uri(scale=4, border=2))


def _secret_groups(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@sensitive_post_parameters("otp_token")
@never_cache
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    member = _pending_member(request)
    next_url = safe_next(request)
    if member is None:
        return HttpResponseRedirect(url_with_next("core:login", next_url))
    if is_verified(member):
        return HttpResponseRedirect(next_url)
    if user_has_device(member, confirmed=True):
        # Replacing an authenticator is not self-service: a chief resets it.
        return HttpResponseRedirect(url_with_next("core:otp_verify", next_url))

    key = _pending_key(request)
    form = TokenCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        device, refused = _confirm_enrolment(request, member, form, key)
        if refused is not None:
            return refused
        if device is not None:
            request.session.pop(SESSION_PENDING_KEY, None)
            _after_second_factor(request, member, device)
            audit.record("auth.otp", actor=member, details={"step": "enrol"})
            messages.success(request, _("Your authenticator is set up."))
            return HttpResponseRedirect(next_url)
    shown = TOTPDevice(user=member, key=key)  # not saved: only to build the app's URL
    return render(
        request,
        "core/auth/otp_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr": _qr_data_uri(shown.config_url),
            "secret": _secret_groups(shown),
        },
        status=400 if form.errors else 200,
    )


# --- Logout ----------------------------------------------------------------------------------


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated:
        assert isinstance(user, Member)
        audit.record("auth.logout", actor=user)
    logout(request)  # flushes the server-side session
    messages.info(request, _("You have logged out."))
    return redirect("core:login")


# --- Profile: password and API tokens --------------------------------------------------------


def _profile(request: HttpRequest, status: int = 200, **forms: Any) -> HttpResponse:
    member = request.user
    assert isinstance(member, Member)
    device = TOTPDevice.objects.filter(user=member, confirmed=True).order_by("pk").first()
    context = {
        "member": member,
        "roles": sorted(member.role_grants.all(), key=lambda g: g.role),
        "tokens": ApiToken.objects.filter(member=member).order_by("-created_at"),
        "device": device,
        "password_form": forms.get("password_form") or ChangePasswordForm(),
        "token_form": forms.get("token_form") or CreateTokenForm(),
    }
    return render(request, "core/auth/profile.html", context, status=status)


@staff_required
@never_cache
@require_http_methods(["GET"])
def profile(request: HttpRequest) -> HttpResponse:
    return _profile(request)


@staff_required
@sensitive_post_parameters("current_password", "new_password", "new_password_again")
@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    """The member's own password. This session stays; every other session of theirs ends."""
    member = request.user
    assert isinstance(member, Member)
    form = ChangePasswordForm(request.POST)
    if form.is_valid():
        try:
            services.change_password(
                actor=member,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = "new_password" if field == "password" else field
                for error in errors:
                    form.add_error(target if target in form.fields else None, error)
        else:
            # Re-key this session for the new hash first, so it survives the sweep below.
            update_session_auth_hash(request, member)
            request.session.save()
            ended = end_other_sessions(member, keep=request.session.session_key)
            messages.success(request, _("Your password has been changed."))
            if ended:
                messages.info(
                    request,
                    _("Your other sessions (%(n)d) have been ended.") % {"n": ended},
                )
            return redirect("core:profile")
    return _profile(request, status=400, password_form=form)


@staff_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    member = request.user
    assert isinstance(member, Member)
    form = CreateTokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = services.create_api_token(
                actor=member, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            response = render(
                request, "core/auth/token_created.html", {"token": token, "secret": secret}
            )
            response["Cache-Control"] = "no-store"
            return response
    return _profile(request, status=400, token_form=form)


@staff_required
@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    """Revoke one of the member's own tokens (id in the POST body); others' tokens are 404."""
    member = request.user
    assert isinstance(member, Member)
    raw = request.POST.get("token_id", "")
    if not raw.isascii() or not raw.isdigit():
        return bad_request(request)  # the page always sends one: a hand-made request
    # Beyond 18 digits an id would overflow the database's integer rather than just miss.
    token = ApiToken.objects.filter(pk=int(raw), member=member).first() if len(raw) <= 18 else None
    if token is None:
        raise Http404
    if token.revoked_at is None:
        services.revoke_api_token(actor=member, token=token)
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect(reverse("core:profile") + "#tokens")


urlpatterns = [
    path("login/", login_view, name="login"),
    path("otp/verify/", otp_verify, name="otp_verify"),
    path("otp/enrol/", otp_enrol, name="otp_enrol"),
    path("logout/", logout_view, name="logout"),
    path("profile/", profile, name="profile"),
    path("profile/password/", password_change, name="password_change"),
    path("profile/tokens/", token_create, name="token_create"),
    path("profile/tokens/revoke/", token_revoke, name="token_revoke"),
]

__all__ = ["REDIRECT_FIELD", "urlpatterns"]
