"""The appeals section of the six-situation board (core.figures): the figures of KPIS.md for
one period of a unit's subtree, from one grouped load (`kpis.load_grouped`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.analytics import periods
from liuqing.appeals import kpis
from liuqing.appeals.workflow import APPEAL
from liuqing.core import figures
from liuqing.core.access import VIEW
from liuqing.core.models import Member, Unit
from liuqing.core.navigation import may

# Which way is good news: more completed, on time, followed up, satisfied; fewer working days
# and reopenings. How many were received is neither.
RISE_IS_GOOD: dict[str, bool | None] = {
    "received": None,
    "completion": True,
    "on_time": True,
    "average_handling_days": False,
    "followup": True,
    "satisfaction": True,
    "fully_satisfied": True,
    "reopen": False,
}


def _period(start: dt.datetime, end: dt.datetime) -> periods.Period:
    zone = kpis.tz()
    return periods.Period(
        first=timezone.localtime(start, zone).date(),
        end_date=timezone.localtime(end, zone).date(),
        tz=zone,
    )


def compute_many(
    member: Member,
    unit: Unit,
    spans: Sequence[tuple[dt.datetime, dt.datetime, dt.datetime]],
) -> list[list[figures.Reading]]:
    """Each (start, end, as_of) from one grouped load of the unit's appeals."""
    loaded = kpis.load_grouped(
        member,
        kpis.Cut(unit=unit),
        bounds=[bound for start, end, _as_of in spans for bound in (start, end)],
        as_ofs=[as_of for _start, _end, as_of in spans],
    )
    result = []
    for start, end, as_of in spans:
        values = kpis.figures_for(loaded, _period(start, end), as_of)
        result.append(
            [
                figures.Reading(f.key, f.label, f.get(values), rise_is_good=RISE_IS_GOOD[f.key])
                for f in kpis.FIGURES
            ]
        )
    return result


def compute(
    member: Member, unit: Unit, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> Sequence[figures.Reading]:
    return compute_many(member, unit, [(start, end, as_of)])[0]


def latest(member: Member, unit: Unit) -> dt.datetime | None:
    return kpis.latest_received(member, kpis.Cut(unit=unit))


figures.register(
    figures.FigureSection(
        key="appeals",
        qing="minqing",
        label=_("Residents' requests"),
        compute=compute,
        visible=may(APPEAL, VIEW),
        order=10,
        compute_many=compute_many,
        latest=latest,
    )
)
