"""Service levels and the clocks they set, on the working-day calendar.

A category's SLA comes from the category itself, else from its nearest ancestor that gives
one, field by field; the kind's workflow gives the last default. Acceptance and first contact
run in working hours, resolution in working days (see liuqing.casework.calendar: a working
day is a whole workday date, 86,400 working seconds).

A pause (the workflow's paused states: waiting on the resident, parked) stops every running
clock: when it ends, the working time it lasted is added to `paused_seconds` and every due time
still running moves later by that much.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from liuqing.casework.calendar import get_calendar
from liuqing.casework.models import Case, Category
from liuqing.casework.workflows import Workflow

HOUR = 3600
MAX_CATEGORY_DEPTH = 20  # a guard against a cycle someone built by hand in the database


@dataclass(frozen=True)
class Sla:
    accept_hours: int
    contact_hours: int
    resolve_days: int


def sla_for(category: Category, workflow: Workflow) -> Sla:
    """The category's service levels, inherited field by field from its ancestors, then
    from the workflow's defaults (one query per ancestor level; categories are shallow)."""
    accept = contact = resolve = None
    node: Category | None = category
    depth = 0
    while node is not None and depth < MAX_CATEGORY_DEPTH:
        accept = accept if accept is not None else node.accept_hours
        contact = contact if contact is not None else node.contact_hours
        resolve = resolve if resolve is not None else node.resolve_days
        if accept is not None and contact is not None and resolve is not None:
            break
        node = node.parent
        depth += 1
    return Sla(
        accept_hours=accept if accept is not None else workflow.accept_hours,
        contact_hours=contact if contact is not None else workflow.contact_hours,
        resolve_days=resolve if resolve is not None else workflow.resolve_days,
    )


def start_clocks(case: Case, sla: Sla, start: dt.datetime) -> None:
    """Set all three due times from `start` (opening)."""
    calendar = get_calendar()
    case.accept_due = calendar.add_working_time(start, sla.accept_hours * HOUR)
    case.contact_due = calendar.add_working_time(start, sla.contact_hours * HOUR)
    restart_resolution(case, sla, start)


def restart_resolution(case: Case, sla: Sla, start: dt.datetime) -> None:
    """A fresh resolution clock from `start` (opening, reopening)."""
    case.resolve_due = get_calendar().add_working_days(start, sla.resolve_days)
    case.allowed_days = sla.resolve_days


def pause(case: Case, now: dt.datetime) -> None:
    if case.paused_since is None:
        case.paused_since = now


def unpause(case: Case, now: dt.datetime) -> int:
    """End a pause: count its working time and push the running due times. Returns the
    working seconds the pause lasted (0 if the case was not paused)."""
    if case.paused_since is None:
        return 0
    calendar = get_calendar()
    seconds = calendar.working_seconds_between(case.paused_since, now)
    case.paused_since = None
    if seconds <= 0:
        return 0
    case.paused_seconds += seconds
    if case.accepted_at is None and case.accept_due is not None:
        case.accept_due = calendar.add_working_time(case.accept_due, seconds)
    if case.first_contact_at is None and case.contact_due is not None:
        case.contact_due = calendar.add_working_time(case.contact_due, seconds)
    if case.closed_at is None and case.resolve_due is not None:
        case.resolve_due = calendar.add_working_time(case.resolve_due, seconds)
    return seconds


def handling_seconds(case: Case, closed_at: dt.datetime) -> int:
    """Working seconds from receipt to closure, less the time spent paused."""
    total = get_calendar().working_seconds_between(case.received_at, closed_at)
    return max(0, total - case.paused_seconds)
