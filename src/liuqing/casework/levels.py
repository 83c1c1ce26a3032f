"""A case's warning level and escalation: a function of its clock and the time, never stored.

At an instant `now` (thresholds are settings, defaults in brackets):

* **red**: the resolution deadline has passed (`resolve_due < now`);
* **yellow**: less than ``CASEWORK_WARNING_YELLOW_DAYS`` [1] working day left;
* **blue**: less than ``CASEWORK_WARNING_BLUE_DAYS`` [3] working days left, or less than
  ``CASEWORK_WARNING_BLUE_FRACTION`` [0.25] of the working time the clock allows
  (`Case.allowed_days`: the SLA plus approved extensions) left;
* **none** otherwise, and always for a case whose clock does not run (closed, withdrawn,
  merged, or paused: waiting, parked).

Escalation: 1 (the sergeant's supervision queue) while red; 2 (the station chief's) once red
for more than ``CASEWORK_ESCALATION_2_DAYS`` [2] working days.

Every threshold is turned into an absolute instant once for `now` (working time is added on
the working-day calendar in Python, a handful of calls), so a case's level is a plain
comparison of `resolve_due` with a few constants: in SQL a range on the indexed deadline
(`warning_q`, `level_expressions`), in Python the same comparisons (`level_of`). The pages, the
API and the figures all read the level this way, so it is exact to the second, not as old as
the last sweep. What the SLA sweep stores (`CaseAlert`) is only the level it last recorded on
the timeline and notified, so that it notices a change (liuqing.casework.sweep).

Why not a stored column: a first sweep over a large backlog moves hundreds of thousands of
levels at once, and rewriting that many case rows (and every index of the case table with
them) took minutes on PostgreSQL; see docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import Q, Value
from django.utils import timezone

from liuqing.casework.calendar import SECONDS_PER_DAY, get_calendar
from liuqing.casework.models import Case, WarningLevel
from liuqing.casework.workflows import WORKFLOWS


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


@dataclass(frozen=True)
class Thresholds:
    """The level rules' instants for one `now`."""

    now: dt.datetime
    yellow_before: dt.datetime  # due earlier than this: yellow (or red)
    blue_before: dt.datetime  # due earlier than this: blue at least
    escalate_before: dt.datetime  # due earlier than this: escalation 2
    fraction: float
    fraction_before: dict[int, dt.datetime]  # allowed_days → instant for the fraction rule


def _blue_rule() -> tuple[float, float]:
    """The blue window in working days and the fraction of the allowed time, from settings."""
    return (
        _setting("CASEWORK_WARNING_BLUE_DAYS", 3),
        _setting("CASEWORK_WARNING_BLUE_FRACTION", 0.25),
    )


def _fraction_rule_from() -> int:
    """The smallest `allowed_days` for which a fraction of the allowed time is longer than the
    fixed blue window (13 with the defaults): below it the fraction rule adds nothing."""
    blue_days, fraction = _blue_rule()
    if fraction <= 0:
        return 2**31
    return int(blue_days / fraction) + 1


def thresholds(now: dt.datetime, allowed_days: list[int] | None = None) -> Thresholds:
    """The instants for `now`; `allowed_days`: the clock lengths the fraction rule must cover
    (those of the cases to compare; `fraction_days()` gives every length in use)."""
    calendar = get_calendar()
    blue_days, fraction = _blue_rule()
    day = SECONDS_PER_DAY
    return Thresholds(
        now=now,
        yellow_before=calendar.add_working_time(
            now, round(_setting("CASEWORK_WARNING_YELLOW_DAYS", 1) * day)
        ),
        blue_before=calendar.add_working_time(now, round(blue_days * day)),
        escalate_before=calendar.add_working_time(
            now, -round(_setting("CASEWORK_ESCALATION_2_DAYS", 2) * day)
        ),
        fraction=fraction,
        fraction_before={
            days: calendar.add_working_time(now, round(fraction * days * day))
            for days in sorted(set(allowed_days or []))
            if fraction * days > blue_days
        },
    )


def fraction_days() -> list[int]:
    """Every clock length (`allowed_days`) in the case table for which the fraction rule
    counts: a handful of values, found by one seek per value in the `allowed_days` index (a
    loose index scan) rather than by reading the table. Closed cases' lengths are included;
    a rule for a length no running case has changes nothing."""
    table = connection.ops.quote_name(Case._meta.db_table)
    column = connection.ops.quote_name("allowed_days")
    sql = (
        "WITH RECURSIVE d(v) AS ("  # noqa: S608 (quoted names only)
        f"SELECT MIN({column}) FROM {table} WHERE {column} >= %s "
        f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > d.v) "
        "FROM d WHERE d.v IS NOT NULL) SELECT v FROM d WHERE v IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_fraction_rule_from()])
        return [int(v) for (v,) in cursor.fetchall()]


def current(now: dt.datetime | None = None) -> Thresholds:
    """The instants at `now` (default: the current time) for every case in the table."""
    return thresholds(now or timezone.now(), fraction_days())


def running_states(wf: Any) -> list[str]:
    """The states of a workflow in which its resolution clock runs."""
    return sorted(wf.states - set(wf.closed) - set(wf.excluded) - set(wf.paused))


def running_q(prefix: str = "", also: Q | None = None) -> Q:
    """Cases whose resolution clock runs: open, not paused, with a deadline (`prefix`: the
    path to the case from another model, e.g. "case__"). `also` is added to each kind's term,
    so that every term is one seek in the (kind, status, resolve_due) index: the running
    states are listed (IN), not the stopped ones excluded (NOT IN, which an index cannot
    seek), and a range of the deadline in `also` follows them."""
    result = Q(**{f"{prefix}pk__in": []})
    for wf in WORKFLOWS.values():
        term = Q(**{f"{prefix}kind": wf.kind, f"{prefix}status__in": running_states(wf)})
        if also is not None:
            term &= also
        result |= term
    return result & Q(**{f"{prefix}resolve_due__isnull": False})


def _blue_q(t: Thresholds) -> Q:
    blue = Q(resolve_due__lt=t.blue_before)
    for days, before in t.fraction_before.items():
        blue |= Q(allowed_days=days, resolve_due__lt=before)
    return blue


def warning_q(level: str, t: Thresholds) -> Q:
    """Cases at `level` at `t.now`: ranges of the deadline, which the list indexes carry."""
    if level == WarningLevel.RED:
        return running_q(also=Q(resolve_due__lt=t.now))
    if level == WarningLevel.YELLOW:
        return running_q(also=Q(resolve_due__gte=t.now, resolve_due__lt=t.yellow_before))
    if level == WarningLevel.BLUE:
        return running_q(also=Q(resolve_due__gte=t.yellow_before) & _blue_q(t))
    if level == WarningLevel.NONE:
        return ~running_q(also=Q(resolve_due__lt=t.yellow_before) | _blue_q(t))
    raise ValueError(level)


def escalated_q(level: int, t: Thresholds) -> Q:
    """Cases escalated to `level` (1 or 2) or above at `t.now`."""
    before = t.escalate_before if level >= 2 else t.now
    return running_q(also=Q(resolve_due__lt=before))


def warning_expression(
    t: Thresholds, values: dict[str, Any] | None = None, *, running: bool = False
) -> models.Case:
    """The warning level at `t.now` as an SQL expression: each level's value in `values`
    (default: the level's code). Without `running`, for running cases only (filter them with
    `running_q()`); with it, "none" for a case whose clock does not run."""
    out = values or {level.value: level.value for level in WarningLevel}
    field: models.Field[Any, Any] = models.CharField() if values is None else models.IntegerField()
    stopped = [models.When(~running_q(), then=Value(out[WarningLevel.NONE]))] if running else []
    return models.Case(
        *stopped,
        models.When(resolve_due__lt=t.now, then=Value(out[WarningLevel.RED])),
        models.When(resolve_due__lt=t.yellow_before, then=Value(out[WarningLevel.YELLOW])),
        models.When(_blue_q(t), then=Value(out[WarningLevel.BLUE])),
        default=Value(out[WarningLevel.NONE]),
        output_field=field,
    )


def level_expressions(t: Thresholds) -> tuple[models.Case, models.Case]:
    """The warning level and the escalation at `t.now` as SQL expressions, for running cases
    (combine with `running_q()`; a stopped case is "none" and 0 whatever these say)."""
    warning = warning_expression(t)
    escalation = models.Case(
        models.When(resolve_due__lt=t.escalate_before, then=Value(2)),
        models.When(resolve_due__lt=t.now, then=Value(1)),
        default=Value(0),
        output_field=models.PositiveSmallIntegerField(),
    )
    return warning, escalation


def is_running(case: Case) -> bool:
    wf = WORKFLOWS.get(case.kind)
    if wf is None or case.resolve_due is None:
        return False
    return case.status in running_states(wf)


def level_of(case: Case, now: dt.datetime | None = None) -> tuple[str, int]:
    """The case's warning level and escalation at `now` (default: the current time), by the
    same comparisons as `level_expressions`."""
    if not is_running(case):
        return WarningLevel.NONE.value, 0
    due: Any = case.resolve_due
    t = thresholds(now or timezone.now(), [case.allowed_days])
    if due < t.now:
        return WarningLevel.RED.value, 2 if due < t.escalate_before else 1
    if due < t.yellow_before:
        return WarningLevel.YELLOW.value, 0
    before = t.fraction_before.get(case.allowed_days)
    if due < t.blue_before or (before is not None and due < before):
        return WarningLevel.BLUE.value, 0
    return WarningLevel.NONE.value, 0
