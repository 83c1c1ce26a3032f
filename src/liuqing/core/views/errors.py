"""Error pages: plain, translated, and never showing personal data or internals."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _render(request: HttpRequest, status: int, template: str) -> HttpResponse:
    return render(request, template, {"status": status}, status=status)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _render(request, 400, "errors/400.html")


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _render(request, 403, "errors/403.html")


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _render(request, 404, "errors/404.html")


def server_error(request: HttpRequest) -> HttpResponse:
    return _render(request, 500, "errors/500.html")
