"""Liaison's figures on the dashboard (KPIS.md, liaison), registered with core.figures:
organisations with an assigned officer ÷ registered organisations (on the period's last
day, or the as-of day if earlier), visits on time ÷ due, problems raised in the period,
solved by as-of, the solve rate, and the estimated savings of the solved problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.analytics import liaison as formulas
from liuqing.analytics.rates import Rate
from liuqing.casework.workflows import CLOSED, MERGED, WITHDRAWN
from liuqing.core import access
from liuqing.core.figures import FigureSection, Reading, register
from liuqing.liaison.models import Assignment, Organisation, Problem
from liuqing.liaison.targets import ORGANISATION_TARGET
from liuqing.liaison.workflow import ORGANISATION
from liuqing.visits import selectors as visit_selectors

OPEN_END = dt.date.max.toordinal()


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def compute(
    member: Any, unit: Any, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> Sequence[Reading]:
    organisations = (
        access.scope(Organisation.objects.all(), member, ORGANISATION)
        .filter(access.subtree_q(unit, "unit__path"), is_active=True, created_at__lt=end)
        .values_list("pk", flat=True)
    )
    ids = list(organisations)
    index = {pk: i for i, pk in enumerate(ids)}
    day = min(_day(end) - dt.timedelta(days=1), _day(as_of))
    rows = (
        list(
            Assignment.objects.filter(organisation_id__in=ids, officer__is_active=True).values_list(
                "organisation_id", "starts_on", "ends_on"
            )
        )
        if ids
        else []
    )
    covered = formulas.coverage(
        len(ids),
        np.array([index[r[0]] for r in rows], dtype=np.int64),
        np.array([r[1].toordinal() for r in rows], dtype=np.int64),
        np.array([r[2].toordinal() if r[2] else OPEN_END for r in rows], dtype=np.int64),
        day.toordinal(),
    )
    cohort = (
        list(
            Problem.objects.filter(
                organisation_id__in=ids,
                case__received_at__gte=start,
                case__received_at__lt=end,
            )
            .exclude(case__status__in=[WITHDRAWN, MERGED])
            .values_list("case__status", "case__closed_at", "estimated_savings")
        )
        if ids
        else []
    )
    result = formulas.problems(
        np.array([s == CLOSED and c is not None and c <= as_of for s, c, _x in cohort], dtype=bool),
        np.array([int(x * 100) for _s, _c, x in cohort], dtype=np.int64),
    )
    visits = visit_selectors.visit_figures(
        member, ORGANISATION_TARGET, unit, _day(start), _day(end), _day(as_of)
    )
    return [
        Reading(
            key="coverage",
            label=_("Organisations with an assigned officer"),
            value=Rate(covered, len(ids)),
            rise_is_good=True,
        ),
        Reading(
            key="visits_on_time",
            label=_("Visits done on time"),
            value=Rate(visits.on_time, visits.due),
            rise_is_good=True,
        ),
        Reading(key="problems_raised", label=_("Problems raised"), value=result.raised),
        Reading(
            key="problems_solved",
            label=_("Problems solved"),
            value=result.solved,
            rise_is_good=True,
        ),
        Reading(
            key="solve_rate",
            label=_("Solve rate"),
            value=Rate(result.solved, result.raised),
            rise_is_good=True,
        ),
        Reading(
            key="savings",
            label=_("Estimated savings (yuan)"),
            value=result.savings,
            rise_is_good=True,
        ),
    ]


def visible(member: Any) -> bool:
    return access.can(member, ORGANISATION, access.VIEW)


SECTION = register(
    FigureSection(
        key="liaison",
        qing="ganqing",
        label=_("Liaison"),
        compute=compute,
        visible=visible,
        order=20,
    )
)
