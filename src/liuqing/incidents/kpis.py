"""The incident figures of KPIS.md (降警情): counts by category, year-on-year and
month-on-month with the exact Poisson note, the seasonal view of scenic areas, and patrol
coverage; and their registration with the dashboard (`liuqing.core.figures`).

Counts come from the incident records (scoped to the member through
`selectors.incidents_visible_to`), as known at the as-of instant (created by then).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import h3.api.basic_int as h3int
import numpy as np
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liuqing.analytics import periods, rates, trends
from liuqing.analytics.periods import Period
from liuqing.analytics.rates import Rate
from liuqing.core import access, figures
from liuqing.core.models import Member, Place, Unit
from liuqing.incidents import seasons, selectors
from liuqing.incidents.locate import boundary_cells, resolutions
from liuqing.incidents.models import IncidentCategory
from liuqing.incidents.policies import INCIDENT

NOTE_TEXT = {
    trends.Note.SIGNIFICANT: gettext_lazy("significant change"),
    trends.Note.NOT_SIGNIFICANT: gettext_lazy("change not significant"),
    trends.Note.TOO_FEW: gettext_lazy("too few incidents to say"),
}
PLACE_RING = 2  # a scenic area without a boundary: its cell and two rings (about 350 m)


def _incidents(
    member: Member,
    unit: Unit,
    start: dt.datetime,
    end: dt.datetime,
    as_of: dt.datetime | None = None,
) -> Any:
    qs = selectors.incidents_visible_to(member, selectors.IncidentFilters(unit=unit)).filter(
        occurred_at__gte=start, occurred_at__lt=end
    )
    if as_of is not None:
        qs = qs.filter(created_at__lte=as_of)
    return qs.order_by()


def counts_by_category(
    member: Member,
    unit: Unit,
    start: dt.datetime,
    end: dt.datetime,
    as_of: dt.datetime | None = None,
) -> dict[int, int]:
    """Incidents in [start, end) of the unit's subtree, per category id."""
    rows = (
        _incidents(member, unit, start, end, as_of)
        .values_list("category_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def counts_by_child(
    member: Member, unit: Unit, start: dt.datetime, end: dt.datetime
) -> dict[int, int]:
    """Incidents in [start, end) per child unit of `unit` (its subtree each)."""
    result = {}
    for child in Unit.objects.filter(parent=unit, is_active=True).order_by("path"):
        result[child.pk] = _incidents(member, child, start, end).count()
    return result


@dataclass
class TrendRow:
    label: str
    now: int
    yoy: trends.CountComparison
    mom: trends.CountComparison

    def change(self, which: str) -> str:
        comparison = self.yoy if which == "yoy" else self.mom
        return rates.change_display(comparison.now, comparison.before)

    @property
    def yoy_change(self) -> str:
        return self.change("yoy")

    @property
    def mom_change(self) -> str:
        return self.change("mom")

    @property
    def yoy_note(self) -> str:
        return str(NOTE_TEXT[self.yoy.note])

    @property
    def mom_note(self) -> str:
        return str(NOTE_TEXT[self.mom.note])


def _row(label: str, now: int, yoy_before: int, mom_before: int, p: Period) -> TrendRow:
    return TrendRow(
        label=label,
        now=now,
        yoy=trends.compare_periods(now, yoy_before, p, periods.year_on_year(p)),
        mom=trends.compare_periods(now, mom_before, p, periods.month_on_month(p)),
    )


def trend_rows(member: Member, unit: Unit, p: Period) -> tuple[list[TrendRow], list[TrendRow]]:
    """Per category and per child unit: the count in P, 同比 and 环比 with their notes."""
    if not access.can(member, INCIDENT, access.VIEW):
        raise access.AccessDenied
    y, m = periods.year_on_year(p), periods.month_on_month(p)
    now = counts_by_category(member, unit, p.start, p.end)
    yoy = counts_by_category(member, unit, y.start, y.end)
    mom = counts_by_category(member, unit, m.start, m.end)
    by_category = [
        _row(c.label, now.get(c.pk, 0), yoy.get(c.pk, 0), mom.get(c.pk, 0), p)
        for c in IncidentCategory.objects.order_by("order", "code")
        if c.is_active or now.get(c.pk) or yoy.get(c.pk) or mom.get(c.pk)
    ]
    by_category.append(
        _row(_("All categories"), sum(now.values()), sum(yoy.values()), sum(mom.values()), p)
    )
    children = list(Unit.objects.filter(parent=unit, is_active=True).order_by("path"))
    c_now = counts_by_child(member, unit, p.start, p.end)
    c_yoy = counts_by_child(member, unit, y.start, y.end)
    c_mom = counts_by_child(member, unit, m.start, m.end)
    by_unit = [
        _row(u.name, c_now.get(u.pk, 0), c_yoy.get(u.pk, 0), c_mom.get(u.pk, 0), p)
        for u in children
    ]
    return by_category, by_unit


@dataclass
class SeasonRow:
    label: str
    comparison: trends.SeasonalComparison
    season: seasons.Season | None = None

    @property
    def months(self) -> list[int]:
        return list(self.season.months) if self.season else []

    @property
    def in_per_month(self) -> str:
        rate = self.comparison.in_rate
        return "—" if rate is None else rates.format_decimal(rate * 30)

    @property
    def out_per_month(self) -> str:
        rate = self.comparison.out_rate
        return "—" if rate is None else rates.format_decimal(rate * 30)

    @property
    def ratio(self) -> str:
        ratio = self.comparison.ratio
        return "—" if ratio is None else rates.format_decimal(ratio, 2)

    @property
    def note(self) -> str:
        return str(NOTE_TEXT[self.comparison.test.note])


def place_cells(place: Place) -> np.ndarray:
    """A place's cells at the fine resolution: its boundary's, else a disc around its point."""
    fine = resolutions()[1]
    if place.boundary:
        return boundary_cells(place.boundary, fine)
    centre = h3int.latlng_to_cell(float(place.latitude), float(place.longitude), fine)
    return np.array(sorted(h3int.grid_disk(centre, PLACE_RING)), dtype=np.uint64)


def seasonal_rows(member: Member, unit: Unit, last: Period, months: int = 24) -> list[SeasonRow]:
    """Tourist season against the other months over the `months` months ending with `last`:
    for the unit as a whole and for each scenic area of its subtree, each with its own season
    (`seasons`: its own, else its unit's or an ancestor's, else the global default). A row
    whose season cannot be compared (none, or all twelve months) is left out."""
    if not access.can(member, INCIDENT, access.VIEW):
        raise access.AccessDenied
    window = [*periods.previous(last, months - 1), last]
    rows = []

    def monthly(extra: dict[str, Any]) -> list[tuple[Period, int]]:
        return [
            (p, _incidents(member, unit, p.start, p.end).filter(**extra).count()) for p in window
        ]

    scenic = seasons.scenic_places(unit, limit=20)
    unit_season, place_seasons = seasons.seasons_for(unit, scenic)
    if unit_season.comparable:
        rows.append(
            SeasonRow(
                unit.name,
                trends.seasonal_comparison(monthly({}), frozenset(unit_season.months)),
                unit_season,
            )
        )
    for place in scenic:
        season = place_seasons[place.pk]
        if not season.comparable:
            continue
        cells = [int(c) for c in place_cells(place)]
        rows.append(
            SeasonRow(
                place.name,
                trends.seasonal_comparison(
                    monthly({"cell_fine__in": cells}), frozenset(season.months)
                ),
                season,
            )
        )
    return rows


# --- Dashboard figures -------------------------------------------------------------------------


def _compute_incidents(
    member: Member, unit: Unit, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> list[figures.Reading]:
    counts = counts_by_category(member, unit, start, end, as_of)
    readings = [
        figures.Reading(
            key="incidents", label=_("Incidents"), value=sum(counts.values()), rise_is_good=False
        )
    ]
    for category in IncidentCategory.objects.order_by("order", "code"):
        if category.is_active or counts.get(category.pk):
            readings.append(
                figures.Reading(
                    key=f"incidents.{category.code}",
                    label=category.label,
                    value=counts.get(category.pk, 0),
                    rise_is_good=False,
                )
            )
    return readings


def _compute_patrols(
    member: Member, unit: Unit, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> list[figures.Reading]:
    from liuqing.incidents.patrols import coverage_between

    rate: Rate = coverage_between(member, unit, start, end, as_of)
    return [
        figures.Reading(
            key="patrol_coverage",
            label=_("Patrol coverage of hot cells"),
            value=rate,
            rise_is_good=True,
        )
    ]


def _visible(member: Member) -> bool:
    return access.can(member, INCIDENT, access.VIEW)


figures.register(
    figures.FigureSection(
        key="incidents",
        qing="jingqing",
        label=gettext_lazy("Incidents"),
        compute=_compute_incidents,
        visible=_visible,
        order=10,
    )
)
figures.register(
    figures.FigureSection(
        key="patrols",
        qing="jingqing",
        label=gettext_lazy("Patrols"),
        compute=_compute_patrols,
        visible=_visible,
        order=20,
    )
)
