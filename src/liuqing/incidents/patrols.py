"""Patrols: the week's plan (the officer-hours each unit has, allocated to its hot cells in
proportion to their incidents and to car, foot and video patrols; editable), patrol logs, and
patrol coverage (见警率).

* The week's hot cells of a unit are the cells with a Gi* bin > 0 on its stored map of all
  categories at the fine resolution for the last month that ended before the week's Monday
  (the latest stored month up to it).
* Coverage of a week = hot cells with at least one logged patrol in the week (Monday 00:00 to
  the next Monday, local time) by the unit or below it ÷ hot cells (`analytics.patrols`).
  A log naming a coarse cell covers every fine cell inside it.
* A plan of a unit covers its child units that have a map (else the unit alone). The caller
  gives the officer-hours each of them has for the week (0 to 10,000 h, in half hours); each
  unit's hours go to its own hot cells (as above: those of its own map, the cells its coverage
  counts) by `analytics.patrols.allocate`, with the mode shares of
  `settings.INCIDENTS_PATROL_MODE_SHARES`.

Every write is one transaction with its audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import h3.api.basic_int as h3int
import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.analytics import patrols as patrol_maths
from liuqing.analytics.rates import Rate
from liuqing.core import access, audit
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.models import Member, Unit
from liuqing.incidents import maps
from liuqing.incidents.locate import resolutions
from liuqing.incidents.models import (
    CellMap,
    PatrolAllocation,
    PatrolLog,
    PatrolMode,
    PatrolPlan,
)
from liuqing.incidents.policies import PATROL_LOG, PATROL_PLAN
from liuqing.incidents.refresh import last_complete_month, local_tz

# A sanity cap, not a working-time rule: a unit has many officers (168 h is one officer's week).
MAX_UNIT_HOURS = Decimal("10000")
HOURS_STEP = Decimal("0.5")
MAX_CELLS = 500


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_bounds(week: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = local_tz()
    start = dt.datetime.combine(week, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=7)


def hot_cells(unit: Unit, week: dt.date) -> np.ndarray:
    """The unit's hot cells for the week (module docstring); uint64, sorted."""
    fine = resolutions()[1]
    grid = maps.latest_grid(unit, fine)
    if grid is None:
        return np.zeros(0, dtype=np.uint64)
    start, _end = week_bounds(week)
    month = last_complete_month(start)
    stored = (
        CellMap.objects.filter(grid=grid, category__isnull=True, month__lte=month)
        .order_by("-month")
        .first()
    )
    if stored is None:
        return np.zeros(0, dtype=np.uint64)
    cells = grid.cell_array()
    spots = np.frombuffer(bytes(stored.spots), dtype="<i4")
    bins = np.frombuffer(bytes(stored.bins), dtype="i1")
    return np.sort(cells[spots[bins > 0]])


def _fine_cells(texts: list[str]) -> np.ndarray:
    _coarse, fine = resolutions()
    found: list[int] = []
    for text in texts:
        cell = h3int.str_to_int(text)
        if h3int.get_resolution(cell) == fine:
            found.append(cell)
        else:
            found.extend(h3int.cell_to_children(cell, fine))
    return np.array(found, dtype=np.uint64)


def logs_visible_to(member: Member, unit: Unit | None = None) -> QuerySet[PatrolLog]:
    if not access.can(member, PATROL_LOG, VIEW):
        raise AccessDenied
    qs = access.scope(
        PatrolLog.objects.select_related("unit", "officer"), member, PATROL_LOG
    ).order_by("-started_at", "-pk")
    if unit is not None:
        qs = qs.filter(access.subtree_q(unit, "unit__path"))
    return qs


def coverage(member: Member, unit: Unit, week: dt.date, as_of: dt.datetime | None = None) -> Rate:
    """Coverage of the unit's hot cells in the week (module docstring)."""
    if not access.can(member, PATROL_LOG, VIEW):
        raise AccessDenied
    if not access.in_jurisdiction(member, unit):
        raise NotFound
    hot = hot_cells(unit, week)
    start, end = week_bounds(week)
    logs = logs_visible_to(member, unit).filter(started_at__gte=start, started_at__lt=end)
    if as_of is not None:
        logs = logs.filter(created_at__lte=as_of)
    texts = [c for cells in logs.values_list("cells", flat=True) for c in cells.split()]
    return patrol_maths.patrol_coverage(hot, _fine_cells(texts))


def coverage_between(
    member: Member, unit: Unit, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> Rate:
    """Pooled coverage of the complete weeks (Monday to Monday) inside [start, end)."""
    first = monday(timezone.localtime(start, local_tz()).date())
    if week_bounds(first)[0] < start:
        first += dt.timedelta(days=7)
    weeks = []
    week = first
    while week_bounds(week)[1] <= end and len(weeks) < 60:
        weeks.append(coverage(member, unit, week, as_of))
        week += dt.timedelta(days=7)
    return patrol_maths.pooled(weeks)


# --- Plans -------------------------------------------------------------------------------------


def plan_units(unit: Unit) -> list[Unit]:
    """The units a plan of `unit` allocates hours to: its children with a map, else the unit
    itself (in tree order)."""
    fine = resolutions()[1]
    children = [
        u
        for u in Unit.objects.filter(parent=unit, is_active=True).order_by("path")
        if maps.latest_grid(u, fine) is not None
    ]
    return children or [unit]


def mode_shares() -> dict[str, Fraction]:
    """`settings.INCIDENTS_PATROL_MODE_SHARES` as fractions, checked."""
    configured = settings.INCIDENTS_PATROL_MODE_SHARES
    try:
        shares = {str(mode): Fraction(str(share)) for mode, share in configured.items()}
    except (ValueError, ZeroDivisionError):
        raise ImproperlyConfigured(f"INCIDENTS_PATROL_MODE_SHARES: {configured!r}") from None
    if (
        not shares
        or not set(shares) <= set(PatrolMode.values)
        or any(share < 0 for share in shares.values())
        or sum(shares.values()) != 1
    ):
        raise ImproperlyConfigured(
            f"INCIDENTS_PATROL_MODE_SHARES must give car, foot or video shares adding up to 1: "
            f"{configured!r}"
        )
    return shares


def _hot_cell_risk(
    week: dt.date, units: list[Unit]
) -> tuple[dict[int, dict[int, int]], dt.date | None]:
    """unit id → its hot cell → incidents, each from the unit's own map (the one its coverage
    uses, module docstring); and the latest month they come from."""
    fine = resolutions()[1]
    month = last_complete_month(week_bounds(week)[0])
    risk: dict[int, dict[int, int]] = {}
    based_on: dt.date | None = None
    for u in units:
        grid = maps.latest_grid(u, fine)
        if grid is None:
            continue
        stored = (
            CellMap.objects.filter(grid=grid, category__isnull=True, month__lte=month)
            .order_by("-month")
            .first()
        )
        if stored is None:
            continue
        cells = grid.cell_array()
        counts = np.zeros(cells.size, dtype=np.int64)
        bins = np.zeros(cells.size, dtype=np.int8)
        nz = np.frombuffer(bytes(stored.nonzero), dtype="<i4")
        counts[nz] = np.frombuffer(bytes(stored.counts), dtype="<i4")
        spots = np.frombuffer(bytes(stored.spots), dtype="<i4")
        bins[spots] = np.frombuffer(bytes(stored.bins), dtype="i1")
        owners = np.full(cells.size, u.pk, dtype=np.int64)
        risk.update(patrol_maths.cell_risk(counts, bins, owners, cells))
        based_on = max(based_on or stored.month, stored.month)
    return risk, based_on


def _check_hours(value: Any, field: str) -> Decimal:
    """0 to 10,000 officer-hours in half hours, else a field error."""
    if isinstance(value, bool):
        raise ValidationError({field: _("Give a number of hours.")})
    try:
        hours = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValidationError({field: _("Give a number of hours.")}) from None
    if not hours.is_finite():
        raise ValidationError({field: _("Give a number of hours.")})
    if hours < 0 or hours > MAX_UNIT_HOURS:
        raise ValidationError({field: _("Give between 0 and 10,000 hours.")})
    if hours % HOURS_STEP != 0:
        raise ValidationError({field: _("Give the hours in half hours.")})
    return hours.quantize(Decimal("0.1"))


def _decimal(hours: Fraction) -> Decimal:
    return (Decimal(hours.numerator) / Decimal(hours.denominator)).quantize(Decimal("0.1"))


def propose_plan(
    *, actor: Member, unit: Unit, week: dt.date, hours: Mapping[int, Any]
) -> PatrolPlan:
    """Propose (or propose again, replacing the lines) the week's plan of `unit` from the
    officer-hours each of its plan units has (`hours`: unit id → hours, one for every unit of
    `plan_units(unit)`). Field errors (nothing written), keyed `hours-<unit id>`: a unit that
    is not part of the plan, a plan unit missing, and hours that are not a number, negative,
    above 10,000 or not in half hours."""
    if not access.can(actor, PATROL_PLAN, CHANGE):
        raise AccessDenied
    if not access.in_jurisdiction(actor, unit):
        raise NotFound
    units = plan_units(unit)
    by_pk = {u.pk: u for u in units}
    errors: dict[str, Any] = {}
    given: dict[int, Decimal] = {}
    for key, value in hours.items():
        field = f"hours-{key}"
        if key not in by_pk:
            errors[field] = _("This unit is not part of the plan.")
            continue
        try:
            given[key] = _check_hours(value, field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    for u in units:
        if u.pk not in hours:
            errors[f"hours-{u.pk}"] = _("Give the officer-hours of %(unit)s.") % {"unit": u.name}
    if errors:
        raise ValidationError(errors)
    week = monday(week)
    risk, based_on = _hot_cell_risk(week, units)
    allocation = patrol_maths.allocate(
        {u.pk: Fraction(str(given[u.pk])) for u in units}, risk, mode_shares()
    )
    total = sum(given.values(), Decimal(0))
    fine = resolutions()[1]
    with transaction.atomic():
        plan, created = PatrolPlan.objects.update_or_create(
            unit=unit,
            week=week,
            defaults={
                "hours": total,
                "resolution": fine,
                "based_on": based_on,
                "created_by": actor,
                "updated_at": timezone.now(),
            },
        )
        plan.allocations.all().delete()
        lines = []
        for unit_id, cells in allocation.items():
            incidents = risk.get(unit_id, {})
            total_incidents = sum(incidents.values())
            for cell, modes in cells.items():
                if cell is None:
                    share = 1.0
                elif total_incidents:
                    share = incidents[cell] / total_incidents
                else:
                    share = 1 / len(cells)
                lines += [
                    PatrolAllocation(
                        plan=plan,
                        unit_id=unit_id,
                        cell=None if cell is None else h3int.int_to_str(cell),
                        mode=mode,
                        risk=share,
                        hours=_decimal(h),
                    )
                    for mode, h in modes.items()
                ]
        PatrolAllocation.objects.bulk_create(lines)
        audit.record(
            "patrol.plan_propose",
            actor=actor,
            obj=plan,
            details={
                "week": week.isoformat(),
                "hours": {str(pk): str(h) for pk, h in given.items()},
                "cells": sum(len(r) for r in risk.values()),
                "created": created,
            },
        )
    return plan


def plans_visible_to(member: Member) -> QuerySet[PatrolPlan]:
    if not access.can(member, PATROL_PLAN, VIEW):
        raise AccessDenied
    return access.scope(PatrolPlan.objects.select_related("unit"), member, PATROL_PLAN)


def access_plan(member: Member, pk: Any) -> PatrolPlan:
    return access.access(member, PatrolPlan.objects.select_related("unit"), PATROL_PLAN, pk)


def edit_plan(*, actor: Member, plan: PatrolPlan, hours: dict[int, Any]) -> PatrolPlan:
    """Change the hours of the plan's allocations (by allocation id); the plan's total
    follows. Unknown allocation ids and hours outside 0 to 10,000 or not in half hours (as
    when proposing) are field errors, keyed `alloc-<id>`, and change nothing."""
    if not access.can(actor, PATROL_PLAN, CHANGE):
        raise AccessDenied
    access.check(actor, plan, PATROL_PLAN, CHANGE)
    allocations = {a.pk: a for a in plan.allocations.all()}
    errors: dict[str, Any] = {}
    values: dict[int, Decimal] = {}
    for key, value in hours.items():
        if key not in allocations:
            errors[f"alloc-{key}"] = _("This line is not part of the plan.")
            continue
        try:
            values[key] = _check_hours(value, f"alloc-{key}")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        changed = {}
        for key, value in values.items():
            if allocations[key].hours != value:
                changed[str(key)] = [str(allocations[key].hours), str(value)]
                allocations[key].hours = value
                allocations[key].save(update_fields=["hours"])
        plan.hours = sum((a.hours for a in allocations.values()), Decimal(0))
        plan.updated_at = timezone.now()
        plan.save(update_fields=["hours", "updated_at"])
        audit.record("patrol.plan_edit", actor=actor, obj=plan, details={"changed": changed})
    return plan


# --- Logs --------------------------------------------------------------------------------------


def log_patrol(
    *,
    actor: Member,
    unit: Unit,
    officer: Member,
    mode: str,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    cells: list[str],
    note: str = "",
) -> PatrolLog:
    """Record one patrol of `officer` (a member of the unit's subtree) through `cells`."""
    if not access.can(actor, PATROL_LOG, CHANGE):
        raise AccessDenied
    if not access.in_jurisdiction(actor, unit):
        raise NotFound
    errors: dict[str, Any] = {}
    if mode not in PatrolMode.values:
        errors["mode"] = _("Choose car, foot or video patrol.")
    if not officer.is_active or not unit.is_ancestor_of(officer.unit):
        errors["officer"] = _("Choose an officer of this unit.")
    now = timezone.now()
    if ended_at <= started_at:
        errors["ended_at"] = _("The patrol must end after it starts.")
    elif ended_at - started_at > dt.timedelta(hours=24):
        errors["ended_at"] = _("A patrol lasts at most 24 hours; log longer ones in parts.")
    if started_at > now + dt.timedelta(minutes=5):
        errors["started_at"] = _("The time is in the future.")
    coarse, fine = resolutions()
    clean: list[str] = []
    for text in cells:
        text = text.strip().lower()
        if not text:
            continue
        try:
            cell = h3int.str_to_int(text)
            valid = h3int.is_valid_cell(cell) and h3int.get_resolution(cell) in (coarse, fine)
        except (ValueError, TypeError):
            valid = False
        if not valid:
            errors["cells"] = _("%(cell)s is not a map cell.") % {"cell": text[:20]}
            break
        clean.append(text)
    if not clean and "cells" not in errors:
        errors["cells"] = _("Name at least one cell the patrol covered.")
    if len(clean) > MAX_CELLS:
        errors["cells"] = _("At most 500 cells per log.")
    if len(note) > 200:
        errors["note"] = _("At most 200 characters.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        log = PatrolLog.objects.create(
            unit=unit,
            officer=officer,
            mode=mode,
            started_at=started_at,
            ended_at=ended_at,
            cells=" ".join(dict.fromkeys(clean)),
            note=note,
            created_by=actor,
        )
        audit.record(
            "patrol.log",
            actor=actor,
            obj=log,
            details={"mode": mode, "cells": len(clean), "officer": officer.pk},
        )
    return log
