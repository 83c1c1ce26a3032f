"""Demo helper of the visits engine (no demo step of its own): a history of visits under
plans made by the modules' demo steps, written in bulk (a visit per period most of the time,
some periods missed, nothing after the demo anchor), then every plan's next due day from the
engine's own computation (`services.refresh_due` as of the anchor)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

import numpy as np

from liuqing.analytics import visits as cadence
from liuqing.core.models import Member
from liuqing.visits import services
from liuqing.visits.models import Visit, VisitPlan

SUMMARIES = [
    "入户走访，了解近况",
    "送达政策宣传资料",
    "检查安全隐患",
    "听取意见建议",
    "回访上次反映的问题",
]


def visit_history(
    plans: Sequence[VisitPlan],
    visitors: dict[int, list[Member]],
    anchor: dt.date,
    rng: random.Random,
    *,
    done_share: float = 0.85,
) -> int:
    """Visits for each plan's periods from its start to `anchor` (about `done_share` of the
    periods get one), by the plan's responsible member or someone of `visitors[plan.pk]`."""
    made: list[tuple[Visit, list[Member]]] = []
    for plan in plans:
        start = plan.starts_on.toordinal()
        interval = np.array([plan.interval])
        k = 0
        while True:
            ends = int(cadence.period_end(np.array([k]), np.array([start]), interval)[0])
            begins = (
                start
                if k == 0
                else int(cadence.period_end(np.array([k - 1]), np.array([start]), interval)[0])
            )
            if begins > anchor.toordinal():
                break
            if rng.random() < done_share:
                day = rng.randrange(begins, min(ends, anchor.toordinal() + 1))
                people = [
                    p for p in [plan.responsible, *visitors.get(plan.pk, [])] if p is not None
                ][:2]
                made.append(
                    (
                        Visit(
                            plan=plan,
                            visited_on=dt.date.fromordinal(day),
                            summary=rng.choice(SUMMARIES),
                            recorded_by=people[0],
                        ),
                        people,
                    )
                )
            k += 1
    Visit.objects.bulk_create([v for v, _p in made], batch_size=2000)
    through = Visit.visitors.through
    through.objects.bulk_create(
        [through(visit_id=v.pk, member_id=p.pk) for v, people in made for p in people],
        batch_size=5000,
        ignore_conflicts=True,
    )
    services.refresh_due(today=anchor)
    return len(made)
