"""Small helpers shared by the structure pages: the acting member, pagination, htmx fragments."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from liuqing.core.models import Member
from liuqing.core.paging import CappedPaginator

PER_PAGE = 25
PER_PAGE_MAX = 100


def actor_of(request: HttpRequest) -> Member:
    """The verified member behind a staff request (`staff_required` guarantees one)."""
    user = request.user
    assert isinstance(user, Member)
    return user


def posted(request: HttpRequest) -> Any:
    """The POST data to bind a form to, or None on GET (an empty POST still binds)."""
    return request.POST if request.method == "POST" else None


def paginate(request: HttpRequest, queryset: QuerySet[Any], per_page: int = PER_PAGE) -> Page[Any]:
    """One page of `queryset`: `?page=` (out of range gives the last page) and `?per_page=`
    (capped at PER_PAGE_MAX). Two queries whatever the size: the count (up to
    `paging.COUNT_CAP`: `page.paginator.capped` says there are more) and the page."""
    try:
        size = int(request.GET.get("per_page", per_page))
    except ValueError:
        size = per_page
    size = max(1, min(size, PER_PAGE_MAX))
    return CappedPaginator(queryset, size).get_page(request.GET.get("page"))


def query_without(request: HttpRequest, *names: str) -> str:
    """The current query string without `names` (for pagination links), "" or ending in "&"."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request for the results only (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render_list(
    request: HttpRequest, template: str, fragment: str, context: dict[str, Any]
) -> HttpResponse:
    """The whole list page, or only its results when htmx filters in place."""
    context.setdefault("query", query_without(request, "page"))
    response = render(request, fragment if wants_fragment(request) else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
