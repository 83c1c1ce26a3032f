"""The tourist-season page (/incidents/seasons/): the season in force for a unit and for each
scenic area of its subtree, where it comes from, and (for those who may) the months to set
or "use the season above" to clear one. Bad months are shown on their row; a unit or place
outside the jurisdiction is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from liuqing.core import access
from liuqing.core.access import CHANGE, AccessDenied, NotFound
from liuqing.core.auth import staff_required
from liuqing.core.models import Unit
from liuqing.core.views.common import actor_of
from liuqing.incidents import seasons
from liuqing.incidents.policies import TOURIST_SEASON
from liuqing.incidents.views_analysis import _unit_choices, _units


def _in_scope(units: list[Unit], raw: str) -> Unit:
    found = {str(u.pk): u for u in units}.get(raw.strip())
    if found is None:
        raise NotFound
    return found


@staff_required
@require_http_methods(["GET", "POST"])
def season_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    seasons.require_view(actor)
    can_change = access.can(actor, TOURIST_SEASON, CHANGE)
    units = _units(actor, levels=3)
    unit = {str(u.pk): u for u in units}.get(request.GET.get("unit", ""), actor.unit)
    row_errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not can_change:
            raise AccessDenied
        target_unit = _in_scope(units, request.POST.get("unit", ""))
        raw_place = request.POST.get("place", "")
        place = seasons.place_of(target_unit, raw_place) if raw_place.strip() else None
        try:
            if request.POST.get("action") == "clear":
                seasons.clear_season(actor=actor, unit=target_unit, place=place)
                messages.success(request, _("The season above applies again."))
            else:
                seasons.set_season(
                    actor=actor,
                    unit=target_unit,
                    place=place,
                    months=request.POST.getlist("months"),
                )
                messages.success(request, _("The tourist season was saved."))
        except ValidationError as exc:
            key = f"place-{place.pk}" if place else f"unit-{target_unit.pk}"
            row_errors[key] = [m for ms in exc.message_dict.values() for m in ms]
            unit = target_unit if place is None else unit
        else:
            return redirect(f"{reverse('incidents:seasons')}?unit={unit.pk}")
    places = seasons.scenic_places(unit)
    unit_season, place_seasons = seasons.seasons_for(unit, places)
    rows: list[dict[str, Any]] = [
        {
            "key": f"unit-{unit.pk}",
            "label": unit.name,
            "unit": unit,
            "place": None,
            "season": unit_season,
            "errors": row_errors.get(f"unit-{unit.pk}", []),
        }
    ]
    rows += [
        {
            "key": f"place-{p.pk}",
            "label": p.name,
            "unit": p.unit,
            "place": p,
            "season": place_seasons[p.pk],
            "errors": row_errors.get(f"place-{p.pk}", []),
        }
        for p in places
    ]
    return render(
        request,
        "incidents/seasons.html",
        {
            "unit": unit,
            "unit_choices": _unit_choices(actor, units),
            "rows": rows,
            "months": [(m, MONTHS[m]) for m in range(1, 13)],
            "default_months": seasons.global_months(),
            "can_change": can_change,
        },
    )


urlpatterns = [path("incidents/seasons/", season_page, name="seasons")]
