"""Patrols: the week's plan (officer-hours per unit and mode, proposed in proportion to the
hot cells' risk and editable), patrol logs, and patrol coverage (见警率).

* The week's hot cells of a unit are the cells with a Gi* bin > 0 on its stored map of all
  categories at the fine resolution for the last month that ended before the week's Monday
  (the latest stored month up to it).
* Coverage of a week = hot cells with at least one logged patrol in the week (Monday 00:00 to
  the next Monday, local time) by the unit or below it ÷ hot cells (`analytics.patrols`).
  A log naming a coarse cell covers every fine cell inside it.

Every write is one transaction with its audit event.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import h3.api.basic_int as h3int
import numpy as np
from django.core.exceptions import ValidationError
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

MAX_HOURS = Decimal("100000")
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


def _plan_units(unit: Unit) -> list[Unit]:
    """The units a plan shares hours among: the children with a map, else the unit itself."""
    fine = resolutions()[1]
    children = [
        u
        for u in Unit.objects.filter(parent=unit, is_active=True).order_by("path")
        if maps.latest_grid(u, fine) is not None
    ]
    return children or [unit]


def _risk(unit: Unit, week: dt.date, units: list[Unit]) -> tuple[dict[int, int], dt.date | None]:
    fine = resolutions()[1]
    grid = maps.latest_grid(unit, fine)
    if grid is None:
        return {u.pk: 0 for u in units}, None
    start, _end = week_bounds(week)
    stored = (
        CellMap.objects.filter(
            grid=grid, category__isnull=True, month__lte=last_complete_month(start)
        )
        .order_by("-month")
        .first()
    )
    if stored is None:
        return {u.pk: 0 for u in units}, None
    cells = grid.cell_array()
    counts = np.zeros(cells.size, dtype=np.int64)
    bins = np.zeros(cells.size, dtype=np.int8)
    nz = np.frombuffer(bytes(stored.nonzero), dtype="<i4")
    counts[nz] = np.frombuffer(bytes(stored.counts), dtype="<i4")
    spots = np.frombuffer(bytes(stored.spots), dtype="<i4")
    bins[spots] = np.frombuffer(bytes(stored.bins), dtype="i1")
    owners = np.zeros(cells.size, dtype=np.int64)
    for u in units:
        child_grid = maps.latest_grid(u, fine) if u.pk != unit.pk else grid
        if child_grid is not None:
            owners[np.isin(cells, child_grid.cell_array())] = u.pk
    keep = owners != 0
    risk = patrol_maths.unit_risk(counts[keep], bins[keep], owners[keep])
    for u in units:
        risk.setdefault(u.pk, 0)
    return risk, stored.month


def _check_hours(value: Any, field: str) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except ArithmeticError:
        raise ValidationError({field: _("Give a number of hours.")}) from None
    if not hours.is_finite() or hours < 0 or hours > MAX_HOURS:
        raise ValidationError({field: _("Give between 0 and 100,000 hours.")})
    return hours


def propose_plan(*, actor: Member, unit: Unit, week: dt.date, hours: Any) -> PatrolPlan:
    """Propose (or propose again, replacing the hours) the week's plan of `unit`: its
    officer-hours shared among its units by the risk of their hot cells, then among the
    modes (analytics.patrols)."""
    if not access.can(actor, PATROL_PLAN, CHANGE):
        raise AccessDenied
    if not access.in_jurisdiction(actor, unit):
        raise NotFound
    total = _check_hours(hours, "hours")
    if total * 2 != int(total * 2):
        raise ValidationError({"hours": _("Give the hours in half hours.")})
    week = monday(week)
    units = _plan_units(unit)
    risk, based_on = _risk(unit, week, units)
    allocation = patrol_maths.allocate(Fraction(str(total)), risk)
    risk_total = sum(risk.values())
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
        PatrolAllocation.objects.bulk_create(
            [
                PatrolAllocation(
                    plan=plan,
                    unit_id=unit_id,
                    mode=mode,
                    risk=(risk[unit_id] / risk_total) if risk_total else 1 / len(units),
                    hours=Decimal(str(float(h))).quantize(Decimal("0.1")),
                )
                for unit_id, modes in allocation.items()
                for mode, h in modes.items()
            ]
        )
        audit.record(
            "patrol.plan_propose",
            actor=actor,
            obj=plan,
            details={"week": week.isoformat(), "hours": str(total), "created": created},
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
    follows. Unknown allocation ids are a field error."""
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
