"""The JSON API at /api/v1/: one NinjaAPI, one error format, routers from each app.

Errors always look like {"error": {"code": ..., "message": ..., "fields": {name: [messages]}}}.
Authentication: a bearer token (`Authorization: Bearer lq_...`) or a session that passed the
second factor (with CSRF for unsafe methods).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.apiauth import SessionOTPAuth, TokenAuth

api = NinjaAPI(
    title="Liuqing API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionOTPAuth()],
    docs_url=None,
)


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _ninja_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for err in errors:
        loc = [
            str(p)
            for p in err.get("loc", [])
            if p not in ("body", "query", "path", "form", "payload")
        ]
        name = ".".join(loc) or "__all__"
        fields.setdefault(name, []).append(str(err.get("msg", _("Invalid value."))))
    return fields


@api.exception_handler(NinjaValidationError)
def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return api.create_response(
        request,
        error_body("validation_error", _("Some fields are not valid."), _ninja_fields(exc.errors)),
        status=422,
    )


@api.exception_handler(ValidationError)
def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    else:
        fields = {"__all__": [str(m) for m in exc.messages]}
    return api.create_response(
        request, error_body("validation_error", _("Some fields are not valid."), fields), status=422
    )


@api.exception_handler(NotFound)
def on_not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return api.create_response(request, error_body("not_found", _("Not found.")), status=404)


@api.exception_handler(AccessDenied)
def on_denied(request: HttpRequest, exc: AccessDenied) -> HttpResponse:
    return api.create_response(request, error_body("forbidden", str(exc)), status=403)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, error_body("unauthenticated", _("Authentication required.")), status=401
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(
        request, error_body("error", str(exc.message)), status=exc.status_code
    )


def _add_routers() -> None:
    from liuqing.core.api import router as core_router
    from liuqing.core.api_me import router as me_router

    api.add_router("/", core_router)
    api.add_router("/me", me_router)

    from liuqing.casework.api import queue_router
    from liuqing.casework.api import router as case_router
    from liuqing.notify.api import router as notify_router

    api.add_router("/cases", case_router)
    api.add_router("/queue", queue_router)
    api.add_router("/notifications", notify_router)

    from liuqing.appeals.api import router as appeals_router

    api.add_router("/appeals", appeals_router)

    from liuqing.incidents.api import router as incidents_router

    api.add_router("/incidents", incidents_router)

    from liuqing.care.api import router as care_router
    from liuqing.liaison.api import router as liaison_router
    from liuqing.visits.api import router as visits_router

    api.add_router("/visits", visits_router)
    api.add_router("/care", care_router)
    api.add_router("/liaison", liaison_router)

    from liuqing.mediation.api import router as mediation_router

    api.add_router("/disputes", mediation_router)

    from liuqing.reception.api import router as reception_router

    api.add_router("/reception", reception_router)

    from liuqing.partners.api import router as partners_router

    api.add_router("/partners", partners_router)

    from liuqing.dashboard.api import router as dashboard_router

    api.add_router("/dashboard", dashboard_router)


_add_routers()
