"""Tourist seasons on the incidents API (/api/v1/incidents/trends/seasons): the season in
force for a unit and each scenic area of its subtree, and setting or clearing one
(`seasons`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema

from liuqing.core.api import api_actor, place_in_scope, unit_in_scope
from liuqing.core.schemas import Id, In
from liuqing.incidents import seasons
from liuqing.incidents.api import router


class SeasonQuery(Schema):
    unit: Id | None = Field(None, description="Default: your own unit")


class SeasonIn(In):
    unit: Id | None = Field(None, description="The unit's own season (give unit or place)")
    place: Id | None = Field(None, description="A scenic area's own season")
    months: list[int] | None = Field(
        ...,
        max_length=12,
        description="Months 1-12, at least one, not all twelve; null: clear it (the season "
        "above applies again)",
    )


class SeasonStateOut(Schema):
    unit_id: int
    place_id: int | None
    name: str
    months: list[int]
    source: str = Field(..., description="own, inherited or global")
    from_unit_id: int | None = Field(None, description="inherited: the unit it comes from")


class SeasonsOut(Schema):
    default_months: list[int]
    seasons: list[SeasonStateOut]


def _state(unit_id: int, place_id: int | None, name: str, season: seasons.Season) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "place_id": place_id,
        "name": name,
        "months": list(season.months),
        "source": season.source,
        "from_unit_id": season.from_unit.pk if season.from_unit else None,
    }


@router.get(
    "/trends/seasons",
    response=SeasonsOut,
    operation_id="list_tourist_seasons",
    summary="Tourist seasons of a unit and its scenic areas",
)
def list_tourist_seasons(request: HttpRequest, query: Query[SeasonQuery]) -> dict[str, Any]:
    actor = api_actor(request)
    seasons.require_view(actor)
    unit = unit_in_scope(actor, query.unit) or actor.unit
    places = seasons.scenic_places(unit)
    unit_season, place_seasons = seasons.seasons_for(unit, places)
    return {
        "default_months": list(seasons.global_months()),
        "seasons": [
            _state(unit.pk, None, unit.name, unit_season),
            *(_state(p.unit_id, p.pk, p.name, place_seasons[p.pk]) for p in places),
        ],
    }


@router.put(
    "/trends/seasons",
    response=SeasonStateOut,
    operation_id="set_tourist_season",
    summary="Set or clear the tourist season of a unit or scenic area",
)
def set_tourist_season(request: HttpRequest, payload: SeasonIn) -> dict[str, Any]:
    """The season now in force for the unit or place (after a clear: the one above)."""
    actor = api_actor(request)
    seasons.require_view(actor)
    if (payload.unit is None) == (payload.place is None):
        raise ValidationError({"unit": _("Give either a unit or a scenic area.")})
    place = place_in_scope(actor, payload.place)
    unit = place.unit if place is not None else unit_in_scope(actor, payload.unit)
    assert unit is not None
    if payload.months is None:
        seasons.clear_season(actor=actor, unit=unit, place=place)
    else:
        seasons.set_season(actor=actor, unit=unit, place=place, months=payload.months)
    if place is not None:
        return _state(
            unit.pk, place.pk, place.name, seasons.seasons_for(unit, [place])[1][place.pk]
        )
    return _state(unit.pk, None, unit.name, seasons.season_of_unit(unit))
