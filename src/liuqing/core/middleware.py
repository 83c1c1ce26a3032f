"""Request-wide middleware: security headers, session lifetime, the audit request context."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from liuqing.core import audit


def client_ip(request: HttpRequest) -> str:
    """The client address; behind PROXY_COUNT trusted proxies, taken from X-Forwarded-For."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies][:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


class SecurityHeadersMiddleware:
    """Content-Security-Policy and the audit request context for every request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        token = audit.set_context(
            audit.RequestContext(source_ip=client_ip(request), channel=channel)
        )
        try:
            response = self.get_response(request)
        finally:
            audit.reset_context(token)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"
        )
        return response


class SessionLifetimeMiddleware:
    """End a session after SESSION_IDLE_TIMEOUT seconds without a request, and after
    SESSION_ABSOLUTE_LIFETIME seconds since login, whatever the activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = request.session.get("liuqing_login_at", now)
            last = request.session.get("liuqing_seen_at", now)
            if (
                now - last > settings.SESSION_IDLE_TIMEOUT
                or now - started > settings.SESSION_ABSOLUTE_LIFETIME
            ):
                logout(request)  # flushes the server-side session
                request.session["liuqing_expired"] = True
            else:
                request.session.setdefault("liuqing_login_at", now)
                request.session["liuqing_seen_at"] = now
        return self.get_response(request)
