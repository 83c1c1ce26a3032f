"""The board page and its CSV export."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from liuqing.core.auth import staff_required
from liuqing.core.views.common import actor_of
from liuqing.dashboard import board as boards
from liuqing.dashboard import selectors
from liuqing.dashboard.forms import BoardForm


def _board(request: HttpRequest) -> tuple[boards.Board, BoardForm, bool]:
    actor = actor_of(request)
    form = BoardForm(request.GET, actor=actor)
    form.is_valid()
    # A field with an error falls back to its default; the form shows the error beside it.
    for name in form.errors:
        form.cleaned_data.pop(name, None)
    data: dict[str, Any] = form.cleaned_data
    moved = False
    day = data.get("on")
    if day is None:
        day, moved = selectors.default_day(actor, data.get("unit"))
    board = selectors.board_for(actor, data.get("unit"), form.period(selectors.tz(), day))
    return board, form, moved


@staff_required
def board(request: HttpRequest) -> HttpResponse:
    """The six situations' figures of a unit and its subtree for a period, with year-on-year
    and period-on-period change; numerator and denominator on hover."""
    result, form, moved = _board(request)
    return render(
        request,
        "dashboard/board.html",
        {"board": result, "form": form, "moved": moved, "query": request.GET.urlencode()},
    )


@staff_required
def board_csv(request: HttpRequest) -> HttpResponse:
    result, _form, _moved = _board(request)
    response = HttpResponse(boards.as_csv(result), content_type="text/csv; charset=utf-8")
    name = f"board-{result.unit.code}-{result.period.key}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


app_name = "dashboard"
urlpatterns = [
    path("board/", board, name="board"),
    path("board.csv", board_csv, name="board_csv"),
]
