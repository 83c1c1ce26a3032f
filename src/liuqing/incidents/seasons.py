"""Tourist seasons per unit and scenic place, for the seasonal view of the trends.

A scenic place's season is its own (`TouristSeason` with the place), else the season of its
unit or of the nearest unit above it that has one, else the global
settings.INCIDENTS_TOURIST_MONTHS. A unit's season (the unit as a whole) is its own, else the
nearest ancestor's, else the global one. So a detachment may set one season for everything
below it, and a scenic area with its own high months (a ski resort) overrides it.

Months are 1–12, at least one and not all twelve (the view compares the season with the rest
of the year). Setting and clearing are audited (``incident.season_set`` /
``incident.season_clear``), one transaction each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liuqing.core import access, audit
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.models import Member, Place, PlaceKind, Unit
from liuqing.core.validation import Errors, add_error
from liuqing.incidents.models_maps import TouristSeason
from liuqing.incidents.policies import TOURIST_SEASON

OWN = "own"
INHERITED = "inherited"
GLOBAL = "global"
SOURCE_LABELS = {
    OWN: gettext_lazy("set here"),
    INHERITED: gettext_lazy("from %(unit)s"),
    GLOBAL: gettext_lazy("default"),
}


@dataclass(frozen=True)
class Season:
    """The months in force for a unit or place, and where they come from."""

    months: tuple[int, ...]
    source: str  # OWN, INHERITED or GLOBAL
    from_unit: Unit | None = None  # INHERITED: the unit whose season applies

    @property
    def source_label(self) -> str:
        if self.source == INHERITED and self.from_unit is not None:
            return str(SOURCE_LABELS[INHERITED]) % {"unit": self.from_unit.name}
        return str(SOURCE_LABELS[self.source])

    @property
    def comparable(self) -> bool:
        """A season the view can compare with the rest of the year."""
        return 0 < len(self.months) < 12


def global_months() -> tuple[int, ...]:
    raw = getattr(settings, "INCIDENTS_TOURIST_MONTHS", (6, 7, 8))
    return tuple(sorted({int(m) for m in raw if 1 <= int(m) <= 12}))


def _months(row: TouristSeason) -> tuple[int, ...]:
    return tuple(row.month_list)


def _unit_rows(units: Iterable[Unit]) -> dict[int, TouristSeason]:
    """Unit id → its own season, for the units and all their ancestors (one query)."""
    paths: set[str] = set()
    for unit in units:
        parts = unit.path.split(".")[:-1]
        paths.update(".".join(parts[: i + 1]) + "." for i in range(len(parts)))
    rows = TouristSeason.objects.filter(place__isnull=True, unit__path__in=paths).select_related(
        "unit"
    )
    return {row.unit_id: row for row in rows}


def _inherited(unit: Unit, own: dict[int, TouristSeason], by_path: dict[str, Unit]) -> Season:
    parts = unit.path.split(".")[:-1]
    for i in range(len(parts), 0, -1):
        path = ".".join(parts[:i]) + "."
        holder = by_path.get(path)
        if holder is not None and holder.pk in own:
            row = own[holder.pk]
            source = OWN if holder.pk == unit.pk else INHERITED
            return Season(_months(row), source, row.unit if source == INHERITED else None)
    return Season(global_months(), GLOBAL)


def seasons_for(unit: Unit, places: Sequence[Place]) -> tuple[Season, dict[int, Season]]:
    """The season of `unit` and of each place (place id → season), in two queries."""
    owners = [unit, *(p.unit for p in places)]
    own = _unit_rows(owners)
    by_path = {row.unit.path: row.unit for row in own.values()}
    place_rows = {
        row.place_id: row for row in TouristSeason.objects.filter(place__in=[p.pk for p in places])
    }
    result: dict[int, Season] = {}
    for place in places:
        row = place_rows.get(place.pk)
        if row is not None:
            result[place.pk] = Season(_months(row), OWN)
            continue
        season = _inherited(place.unit, own, by_path)
        if season.source == OWN:  # the place's own unit's season: inherited by the place
            season = Season(season.months, INHERITED, place.unit)
        result[place.pk] = season
    return _inherited(unit, own, by_path), result


def season_of_unit(unit: Unit) -> Season:
    return seasons_for(unit, [])[0]


def scenic_places(unit: Unit, limit: int = 50) -> list[Place]:
    """The scenic places of the unit's subtree, by name."""
    return list(
        Place.objects.filter(access.subtree_q(unit, "unit__path"), kind=PlaceKind.SCENIC)
        .select_related("unit")
        .order_by("name", "pk")[:limit]
    )


def place_of(unit: Unit, raw: str) -> Place:
    """The place of `unit` whose id `raw` gives (as a form posts it); NotFound otherwise."""
    raw = raw.strip()
    place = Place.objects.filter(
        pk=int(raw) if raw.isdigit() and len(raw) < 12 else 0, unit=unit
    ).first()
    if place is None:
        raise NotFound
    return place


# --- Writes -------------------------------------------------------------------------------------


def clean_months(errors: Errors, value: Any) -> tuple[int, ...]:
    """Months 1–12 (numbers or their text), at least one, not all twelve."""
    items = value if isinstance(value, list | tuple | set | frozenset) else [value]
    months: set[int] = set()
    for item in items:
        try:
            month = int(str(item).strip())
        except (TypeError, ValueError):
            month = 0
        if not 1 <= month <= 12:
            add_error(errors, "months", _("Months are numbers from 1 to 12."))
            return ()
        months.add(month)
    if not months:
        add_error(errors, "months", _("Choose at least one month."))
    elif len(months) == 12:
        add_error(
            errors, "months", _("Leave at least one month outside the season to compare with.")
        )
    return tuple(sorted(months))


def _target(actor: Member, unit: Unit, place: Place | None) -> None:
    """The unit (and the place, which must belong to the unit) in the jurisdiction; a place
    must be a scenic area."""
    if not access.can(actor, TOURIST_SEASON, CHANGE):
        raise AccessDenied
    if not actor.is_active or not access.in_jurisdiction(actor, unit):
        raise NotFound
    if place is not None:
        if place.unit_id != unit.pk:
            raise NotFound
        if place.kind != PlaceKind.SCENIC:
            raise ValidationError({"place": _("Only a scenic area has a tourist season.")})


def set_season(
    *, actor: Member, unit: Unit, place: Place | None = None, months: Any
) -> TouristSeason:
    """Set the season of `unit` (place None) or of one of its scenic places."""
    _target(actor, unit, place)
    errors: Errors = {}
    chosen = clean_months(errors, months)
    if errors:
        raise ValidationError(errors)
    text = ",".join(str(m) for m in chosen)
    try:
        with transaction.atomic():
            row = TouristSeason.objects.select_for_update().filter(unit=unit, place=place).first()
            before = row.months if row is not None else ""
            if row is None:
                row = TouristSeason.objects.create(unit=unit, place=place, months=text)
            elif row.months != text:
                row.months, row.updated_at = text, timezone.now()
                row.save(update_fields=["months", "updated_at"])
            if before != text:
                audit.record(
                    "incident.season_set",
                    actor=actor,
                    obj=row,
                    unit=unit,
                    details={
                        "place": place.pk if place else None,
                        "months": [before, text],
                    },
                )
    except IntegrityError as exc:  # the same season saved by someone else at the same moment
        raise ValidationError({"months": _("This season was just saved; try again.")}) from exc
    return row


def clear_season(*, actor: Member, unit: Unit, place: Place | None = None) -> None:
    """Remove the unit's or place's own season: the one above it applies again."""
    _target(actor, unit, place)
    with transaction.atomic():
        row = TouristSeason.objects.select_for_update().filter(unit=unit, place=place).first()
        if row is None:
            return
        audit.record(
            "incident.season_clear",
            actor=actor,
            obj=row,
            unit=unit,
            details={"place": place.pk if place else None, "months": row.months},
        )
        row.delete()


def require_view(actor: Member) -> None:
    if not access.can(actor, TOURIST_SEASON, VIEW):
        raise AccessDenied
