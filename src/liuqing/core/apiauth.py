"""API authentication: bearer tokens for machine clients, or a browser session that passed the
second factor. Either way the operation sees the acting member as `request.auth`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from liuqing.core import audit, services
from liuqing.core.models import AuditOutcome


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        member = services.authenticate_token(token)
        if member is None:
            audit.record(
                "token.auth_failed",
                outcome=AuditOutcome.DENIED,
                details={"prefix": token[:14]},
            )
            return None
        request.user = member
        return member


class SessionOTPAuth(APIKeyCookie):
    """The staff session cookie, accepted only once the session passed TOTP (CSRF enforced)."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_verified():
            return user
        return None
