"""Staff authentication: the guard on every staff page, safe redirects, the lockout page.

Logging in takes two steps. The password step (``core:login``) gives a session in which only
the second-factor pages and logout work; the TOTP step (``core:otp_verify`` or, the first time,
``core:otp_enrol``) marks the session verified. Every staff view is wrapped in
`staff_required`, which sends a visitor to whichever step they still owe and turns the access
errors of `liuqing.core.access` into 404 and 403.

Failed passwords and failed TOTP codes feed the same django-axes counters (per username and per
address), so five of either, mixed as you like, lock for ``AXES_COOLOFF_TIME``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import user_has_device

from liuqing.core.access import AccessDenied, NotFound

# Any view: HttpResponse, a redirect, or a StreamingHttpResponse (exports).
V = TypeVar("V", bound=Callable[..., HttpResponseBase])

REDIRECT_FIELD = "next"


# --- Redirects -------------------------------------------------------------------------------


def safe_next(request: HttpRequest, default: str = "") -> str:
    """The `next` target of the request (POST first, then GET) if it stays on this site;
    otherwise `default`, or the home page when no default is given."""
    candidate = request.POST.get(REDIRECT_FIELD) or request.GET.get(REDIRECT_FIELD) or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return candidate
    return default or home_url()


def home_url() -> str:
    return str(reverse(settings.LOGIN_REDIRECT_URL))


def url_with_next(url_name: str, next_url: str) -> str:
    """`url_name` reversed, carrying `next_url` along (omitted when it is the home page)."""
    url = str(reverse(url_name))
    if next_url and next_url != home_url():
        url += "?" + urlencode({REDIRECT_FIELD: next_url})
    return url


def second_factor_url(member: Any, next_url: str = "") -> str:
    """Where a password-authenticated member goes next: verify a code, or enrol first."""
    name = "core:otp_verify" if user_has_device(member, confirmed=True) else "core:otp_enrol"
    return url_with_next(name, next_url)


# --- The guard on staff views ----------------------------------------------------------------


def is_verified(user: Any) -> bool:
    """Whether `user` passed both factors in this session (django-otp's OTPMiddleware adds
    `is_verified` to the request's user; anything else counts as not verified)."""
    check = getattr(user, "is_verified", None)
    return bool(user.is_authenticated and callable(check) and check())


def html_errors(view: V) -> V:
    """Answer `access.NotFound` with 404 and `access.AccessDenied` with 403 (HTML views)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except AccessDenied as exc:
            raise PermissionDenied(str(exc)) from exc

    return cast(V, wrapper)


def staff_required(view: V) -> V:
    """Guard a staff page: a verified, active member only.

    * anonymous (or the session expired) → the login page, with ``?next=`` back here;
    * the member was deactivated → the session ends, then as anonymous;
    * password passed but not the second factor → the TOTP verify page (or enrolment, if the
      member has no authenticator yet), with ``?next=``;
    * inside the view, `access.NotFound` → 404 and `access.AccessDenied` → 403.
    """
    guarded = html_errors(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and not user.is_active:
            logout(request)
        if not request.user.is_authenticated:
            return _send_to(request, url_with_next("core:login", _come_back_to(request)))
        if not is_verified(request.user):
            return _send_to(request, second_factor_url(request.user, _come_back_to(request)))
        return guarded(request, *args, **kwargs)

    return cast(V, wrapper)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _come_back_to(request: HttpRequest) -> str:
    """Where to return after logging in: this page for a plain GET, the page around the
    fragment for htmx, the home page after a POST (its URL cannot be fetched with GET)."""
    if _is_htmx(request):
        return request.headers.get("HX-Current-URL", "")  # checked by safe_next when used
    return request.get_full_path() if request.method in ("GET", "HEAD") else ""


def _send_to(request: HttpRequest, url: str) -> HttpResponseBase:
    """Redirect; for htmx, make it a whole-page navigation instead of swapping the login page
    into a fragment (htmx follows HX-Redirect whatever the status)."""
    if _is_htmx(request):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class StaffRequiredMixin:
    """`staff_required` for class-based views: put it first among the bases."""

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponseBase]:
        # A mixin: `View.as_view` comes later in the subclass's MRO, which mypy cannot see.
        view = super().as_view(**initkwargs)  # type: ignore[misc]
        return staff_required(view)


# --- Lockout ---------------------------------------------------------------------------------


def lockout_ends(request: HttpRequest, username: str) -> dt.datetime:
    """When the lock on `username` and on the request's address lifts: the latest failure of
    either, plus the cool-off (each failure during a lock starts the cool-off again)."""
    cool_off = get_cool_off(request) or dt.timedelta(0)
    ip = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    lookup = Q(ip_address=ip)
    if username:
        lookup |= Q(username=username)
    latest = AccessAttempt.objects.filter(lookup).aggregate(at=Max("attempt_time"))["at"]
    return (latest or timezone.now()) + cool_off


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' AXES_LOCKOUT_CALLABLE: 429 with a translated page (or JSON) saying that
    logins for this account or from this address are locked, and until when."""
    username = ""
    if isinstance(credentials, dict):
        username = str(credentials.get(settings.AXES_USERNAME_FORM_FIELD) or "")
    until = lockout_ends(request, username)
    minutes = max(1, int((until - timezone.now()).total_seconds() + 59) // 60)
    message = _(
        "Too many failed attempts. Logging in to this account, or from your network address, "
        "is locked for %(minutes)d more minutes."
    ) % {"minutes": minutes}
    if wants_json(request):
        return JsonResponse(
            {
                "error": {
                    "code": "locked",
                    "message": message,
                    "fields": {},
                    "locked_until": until.isoformat(),
                }
            },
            status=429,
            headers={"Retry-After": str(minutes * 60)},
        )
    response = render(
        request,
        "core/auth/locked.html",
        {"until": until, "minutes": minutes, "message": message},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


def is_locked(request: HttpRequest, username: str) -> bool:
    """Whether django-axes currently refuses `username` or the request's address."""
    return not AxesProxyHandler.is_allowed(request, {settings.AXES_USERNAME_FORM_FIELD: username})


def count_failure(request: HttpRequest, username: str) -> bool:
    """Count one failed login step (a wrong TOTP code, say) against the same django-axes
    counters as a wrong password. Returns True when this failure (or an earlier one) locked."""
    user_login_failed.send(
        sender=__name__,
        credentials={settings.AXES_USERNAME_FORM_FIELD: username},
        request=request,
    )
    return bool(getattr(request, "axes_locked_out", False))


def reset_failures(request: HttpRequest, username: str) -> None:
    """Clear the failure counters of `username` and the request's address after a complete
    (password and TOTP) login.

    This is django-axes' AXES_RESET_ON_SUCCESS done one step later on purpose: resetting at
    the password step would let someone holding the password try four codes, log in again and
    try four more, for ever.
    """
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.get_implementation().reset_user_attempts(
        request, {settings.AXES_USERNAME_FORM_FIELD: username}
    )


# --- Sessions --------------------------------------------------------------------------------


def end_other_sessions(member: Any, keep: str | None) -> int:
    """Delete every server-side session of `member` except the one keyed `keep`.

    Reads every live session (the database backend has no index by member); fine at a
    detachment's few thousand sessions, and it only runs on a password change.
    """
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == keep:
            continue
        if str(session.get_decoded().get("_auth_user_id")) == str(member.pk):
            session.delete()
            ended += 1
    return ended
