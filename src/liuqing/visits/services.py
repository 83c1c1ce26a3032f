"""Writes of the visits engine: plan visits to a target, change or end a plan, record a visit
(with photos), and refresh every plan's next due day (the worker's job). Each is one
transaction with its audit event; bad input is refused with field errors and changes
nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.analytics import visits as cadence
from liuqing.casework import uploads
from liuqing.core import access, audit
from liuqing.core.access import CHANGE, AccessDenied, NotFound
from liuqing.core.models import Member, Team, Unit
from liuqing.visits.models import WEEK_DAYS, Cadence, Visit, VisitPhoto, VisitPlan
from liuqing.visits.policies import VISIT_PLAN, VISIT_PLAN_CHANGE
from liuqing.visits.targets import kind_for

SUMMARY_MAX = 2000
PHOTOS_MAX = 6
INTERVAL_MAX = 366
EARLIEST = dt.date(2000, 1, 1)
LATEST_YEAR = 2100

Errors = dict[str, list[str]]


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def related_units(a: Unit, b: Unit) -> bool:
    """Whether one unit lies on the other's line (same unit, above or below it)."""
    return a.is_ancestor_of(b) or b.is_ancestor_of(a)


def _date(errors: Errors, field: str, value: Any, *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            _add(errors, field, _("Give a date."))
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        _add(errors, field, _("Give a date as YYYY-MM-DD."))
        return None


def _coordinate(errors: Errors, field: str, value: Any, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        _add(errors, field, _("Give a number."))
        return None
    if not number.is_finite() or abs(number) > limit:
        _add(errors, field, _("Impossible coordinates."))
        return None
    return number.quantize(Decimal("0.000001"))


def _day_number(day: dt.date | None) -> int:
    return day.toordinal() if day else int(cadence.NO_DAY)


def due_of(plan: VisitPlan, last_visit: dt.date | None) -> dt.date:
    """The plan's next due day given its latest visit (analytics.visits.next_due)."""
    due = cadence.next_due(
        np.array([plan.starts_on.toordinal()]),
        np.array([plan.interval]),
        np.array([_day_number(last_visit)]),
    )
    return dt.date.fromordinal(int(due[0]))


# --- Plans -----------------------------------------------------------------------------------


def _check_terms(
    errors: Errors,
    *,
    cadence: Any,
    interval_days: Any,
    responsible: Member | None,
    team: Team | None,
    ends_on: Any,
    start: dt.date,
    unit: Unit | None,
) -> tuple[int, dt.date | None]:
    """Check a plan's terms, adding field errors; return its interval in days (7 unless
    custom) and its end. The cadence must be known, a custom interval 1–366 days, the end a
    possible date not before `start`; someone must answer for the plan, and when `unit` is
    known, an active member and a team of that unit's line."""
    if cadence not in Cadence.values:
        _add(errors, "cadence", _("Choose weekly, monthly or every N days."))
    days = WEEK_DAYS
    if cadence == Cadence.CUSTOM:
        try:
            days = int(interval_days)
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= INTERVAL_MAX:
            _add(errors, "interval_days", _("Give a number of days from 1 to 366."))
    end = _date(errors, "ends_on", ends_on, required=False)
    if end is not None and end.year > LATEST_YEAR:
        _add(errors, "ends_on", _("This date is impossible."))
    if end is not None and end < start:
        _add(errors, "ends_on", _("The end cannot be before the start."))
    if responsible is None and team is None:
        _add(errors, "responsible", _("Name a responsible member or team."))
    if unit is not None:
        if responsible is not None and (
            not responsible.is_active or not related_units(responsible.unit, unit)
        ):
            _add(errors, "responsible", _("Choose an active member of this unit's line."))
        if team is not None and not related_units(team.unit, unit):
            _add(errors, "team", _("Choose a team of this unit's line."))
    return days, end


def schedule_visits(
    *,
    actor: Member,
    target_kind: str,
    target_id: Any,
    cadence: str,
    interval_days: Any = None,
    responsible: Member | None = None,
    team: Team | None = None,
    starts_on: Any = None,
    ends_on: Any = None,
) -> VisitPlan:
    """Plan regular visits to one target (a place, a care recipient, an organisation) at the
    target's unit. Refused with field errors: an unknown kind, a target outside the actor's
    jurisdiction, an unknown cadence, a custom interval outside 1–366 days, neither or an
    inactive responsible member, a member or team outside the unit's line, an end before the
    start, and a second active plan for the same target."""
    if not access.can(actor, VISIT_PLAN, CHANGE):
        raise AccessDenied
    errors: Errors = {}
    kind = kind_for(target_kind)
    target = None
    try:
        target = kind.resolve(actor, int(target_id))
    except (NotFound, AccessDenied, TypeError, ValueError):
        _add(errors, "target_id", _("There is no such target in your jurisdiction."))
    start = _date(errors, "starts_on", starts_on, required=False) or timezone.localdate()
    if start < EARLIEST or start > timezone.localdate() + dt.timedelta(days=INTERVAL_MAX):
        _add(errors, "starts_on", _("This date is impossible."))
    days, end = _check_terms(
        errors,
        cadence=cadence,
        interval_days=interval_days,
        responsible=responsible,
        team=team,
        ends_on=ends_on,
        start=start,
        unit=target.unit if target is not None else None,
    )
    if target is not None and (
        VisitPlan.objects.filter(
            target_kind=kind.key, target_id=int(target_id), is_active=True
        ).exists()
    ):
        _add(errors, "target_id", _("This target already has an active visit plan."))
    if errors:
        raise ValidationError(errors)
    assert target is not None
    with transaction.atomic():
        plan = VisitPlan(
            unit=target.unit,
            target_kind=kind.key,
            target_id=int(target_id),
            title=target.title[:100],
            sensitive_label=target.sensitive_label,
            restricted_label=target.restricted_label,
            cadence=cadence,
            interval_days=days,
            responsible=responsible,
            team=team,
            starts_on=start,
            ends_on=end,
            created_by=actor,
        )
        plan.next_due = due_of(plan, None)
        plan.save(force_insert=True)
        audit.record(
            "visits.plan",
            actor=actor,
            obj=plan,
            details={
                "target_kind": kind.key,
                "target_id": int(target_id),
                "cadence": cadence,
                "interval_days": plan.interval_days,
                "responsible": responsible.pk if responsible else None,
                "team": team.pk if team else None,
                "starts_on": start.isoformat(),
            },
        )
    return plan


# The terms `change_plan` may change. The audit record names those that changed, old and
# new, with the next due day they moved (members and teams by id: no personal data).
TERMS = ["cadence", "interval_days", "responsible", "team", "ends_on"]


def change_plan(
    *,
    actor: Member,
    plan: VisitPlan,
    cadence: str,
    interval_days: Any = None,
    responsible: Member | None = None,
    team: Team | None = None,
    ends_on: Any = None,
) -> VisitPlan:
    """Change an active plan's terms: its cadence (and custom interval), who answers for it,
    and its end (None: open-ended). Every term is given, as it should be after the change.
    The next due day is worked out again from the plan's latest visit under the new cadence.
    Returns the plan as stored.

    Only sergeants and chiefs change plans (policy ``visit_plan_change``): NotFound outside
    the jurisdiction or label, AccessDenied for other roles. Refused with field errors and
    nothing written, by the rules of `schedule_visits`: an unknown cadence, a custom interval
    outside 1–366 days, neither or an inactive responsible member, a member or team outside
    the plan's unit line, an end before the start or impossible; and here also an end before
    the latest visit (visits are never dated after their plan's end), or a plan that has
    ended. Terms equal to the present ones write nothing and record no audit event."""
    access.check(actor, plan, VISIT_PLAN_CHANGE, CHANGE)
    with transaction.atomic():
        # Locked while checking, so a visit recorded or an end made meanwhile is seen; only
        # the plan's row (of=self), not its unit's.
        plan = (
            VisitPlan.objects.select_for_update(of=("self",)).select_related("unit").get(pk=plan.pk)
        )
        errors: Errors = {}
        if not plan.is_active:
            _add(errors, NON_FIELD_ERRORS, _("This plan has ended and can no longer be changed."))
        days, end = _check_terms(
            errors,
            cadence=cadence,
            interval_days=interval_days,
            responsible=responsible,
            team=team,
            ends_on=ends_on,
            start=plan.starts_on,
            unit=plan.unit,
        )
        latest = plan.visits.aggregate(last=Max("visited_on"))["last"]
        if end is not None and latest is not None and end < latest and "ends_on" not in errors:
            _add(
                errors,
                "ends_on",
                _("The end cannot be before the latest visit (%(day)s).")
                % {"day": latest.isoformat()},
            )
        if errors:
            raise ValidationError(errors)
        recorded = [*TERMS, "next_due"]
        before = audit.snapshot(plan, recorded)
        plan.cadence = cadence
        plan.interval_days = days
        plan.responsible = responsible
        plan.team = team
        plan.ends_on = end
        if not audit.diff(audit.snapshot(plan, TERMS), {k: before[k] for k in TERMS}):
            return plan
        plan.next_due = due_of(plan, latest)
        plan.save(update_fields=recorded)
        audit.record(
            "visits.plan_change",
            actor=actor,
            obj=plan,
            details={"changes": audit.diff(before, audit.snapshot(plan, recorded))},
        )
    return plan


def end_plan(*, actor: Member, plan: VisitPlan, ends_on: Any = None) -> VisitPlan:
    """Stop a plan (from `ends_on`, default today): it no longer falls due."""
    access.check(actor, plan, VISIT_PLAN, CHANGE)
    errors: Errors = {}
    end = _date(errors, "ends_on", ends_on, required=False) or timezone.localdate()
    if end < plan.starts_on:
        _add(errors, "ends_on", _("The end cannot be before the start."))
    if not plan.is_active:
        _add(errors, "ends_on", _("This plan has already ended."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan.ends_on = end
        plan.is_active = False
        plan.save(update_fields=["ends_on", "is_active"])
        audit.record("visits.plan_end", actor=actor, obj=plan, details={"ends_on": str(end)})
    return plan


def end_target_plans(
    *, actor: Member, target_kind: str, target_id: int, ends_on: dt.date
) -> list[int]:
    """End every active plan of one target (a care recipient taken off the register, say)
    from `ends_on`, or from its start when it starts later, each through `end_plan` (its
    check and audit event). Returns the ended plans' ids, in the plans' order."""
    ended = []
    with transaction.atomic():
        for plan in VisitPlan.objects.filter(
            target_kind=target_kind, target_id=target_id, is_active=True
        ):
            end_plan(actor=actor, plan=plan, ends_on=max(ends_on, plan.starts_on))
            ended.append(plan.pk)
    return ended


def relabel_target_plans(*, target_kind: str, target_id: int, restricted_label: str) -> int:
    """Give every plan of one target (active or ended) the restricted label its record now
    carries, so that its plans and visits need the same grant as the record. Runs inside the
    caller's transaction, whose audit event (the record's change) covers it; returns the
    plans changed."""
    return VisitPlan.objects.filter(target_kind=target_kind, target_id=target_id).update(
        restricted_label=restricted_label
    )


# --- Visits ----------------------------------------------------------------------------------


def record_visit(
    *,
    actor: Member,
    plan: VisitPlan,
    visited_on: Any,
    visitors: Sequence[Member],
    summary: str,
    latitude: Any = None,
    longitude: Any = None,
    photos: Sequence[Any] = (),
) -> Visit:
    """Record a visit made under `plan` and move its next due day on.

    Refused, each with its reason on the field and nothing written: a date in the future,
    before the plan's start or after its end, or impossible; no visitor, or a visitor who is
    inactive or serves outside the plan's unit line; an empty or over-long account of what
    was done; half a location or impossible coordinates; more than six photos, or a file that
    is not a photo (checked by content, casework upload rules)."""
    access.check(actor, plan, VISIT_PLAN, CHANGE)
    errors: Errors = {}
    day = _date(errors, "visited_on", visited_on, required=True)
    if day is not None:
        if day > timezone.localdate():
            _add(errors, "visited_on", _("A visit cannot be dated in the future."))
        elif day < plan.starts_on:
            _add(errors, "visited_on", _("A visit cannot be dated before its plan starts."))
        elif plan.ends_on is not None and day > plan.ends_on:
            _add(errors, "visited_on", _("A visit cannot be dated after its plan ended."))
    people = list(dict.fromkeys(visitors))
    if not people:
        _add(errors, "visitors", _("Name who made the visit."))
    for person in people:
        if not person.is_active or not related_units(person.unit, plan.unit):
            _add(
                errors,
                "visitors",
                _("%(name)s does not serve in this plan's unit (%(unit)s).")
                % {"name": person.full_name or person.username, "unit": plan.unit.name},
            )
    text = str(summary or "").strip()
    if not text:
        _add(errors, "summary", _("Say what was done."))
    elif len(text) > SUMMARY_MAX:
        _add(errors, "summary", _("At most 2,000 characters."))
    lat = _coordinate(errors, "latitude", latitude, 90)
    lng = _coordinate(errors, "longitude", longitude, 180)
    if (lat is None) != (lng is None) and not errors.keys() & {"latitude", "longitude"}:
        _add(errors, "latitude", _("Give both latitude and longitude, or neither."))
    if len(photos) > PHOTOS_MAX:
        _add(errors, "photos", _("At most six photos per visit."))
    for upload in photos:
        try:
            kind = uploads.check(upload)
        except ValidationError as exc:
            for message in exc.message_dict.get("file", exc.messages):
                _add(errors, "photos", message)
            continue
        if kind is uploads.PDF:
            _add(errors, "photos", _("Only photos (JPEG, PNG, WebP) can be attached to a visit."))
    if errors:
        raise ValidationError(errors)
    assert day is not None
    stored: list[uploads.Stored] = []
    try:
        for upload in photos:
            stored.append(uploads.store(upload))
        with transaction.atomic():
            plan = VisitPlan.objects.select_for_update().get(pk=plan.pk)
            visit = Visit.objects.create(
                plan=plan,
                visited_on=day,
                summary=text,
                latitude=lat,
                longitude=lng,
                recorded_by=actor,
            )
            visit.visitors.set(people)
            for item in stored:
                photo = VisitPhoto(
                    visit=visit, name=item.original_name, mime=item.kind.mime, size=item.size
                )
                photo.file.name = item.path
                photo.save()
            latest = plan.visits.order_by("-visited_on").values_list("visited_on", flat=True)[0]
            plan.next_due = due_of(plan, latest)
            plan.save(update_fields=["next_due"])
            audit.record(
                "visits.visit",
                actor=actor,
                obj=visit,
                unit=plan.unit,
                details={
                    "plan": plan.pk,
                    "visited_on": day.isoformat(),
                    "visitors": [p.pk for p in people],
                    "photos": len(stored),
                    "check_in": lat is not None,
                    "next_due": plan.next_due.isoformat(),
                },
            )
    except BaseException:
        for item in stored:
            uploads.discard(item)
        raise
    return visit


def add_visit_photo(*, actor: Member, visit: Visit, upload: Any) -> VisitPhoto:
    """Attach one more photo to a recorded visit (at most six per visit; photos only, typed
    by their content and stored under a random name by the casework upload rules)."""
    access.check(actor, visit.plan, VISIT_PLAN, CHANGE)
    kind = uploads.check(upload)
    if kind is uploads.PDF:
        raise ValidationError(
            {"file": _("Only photos (JPEG, PNG, WebP) can be attached to a visit.")}
        )
    if visit.photos.count() >= PHOTOS_MAX:
        raise ValidationError({"file": _("At most six photos per visit.")})
    stored = uploads.store(upload)
    try:
        with transaction.atomic():
            photo = VisitPhoto(
                visit=visit, name=stored.original_name, mime=kind.mime, size=stored.size
            )
            photo.file.name = stored.path
            photo.save()
            audit.record(
                "visits.photo",
                actor=actor,
                obj=visit,
                unit=visit.plan.unit,
                details={"photo": photo.pk, "type": kind.mime, "size": stored.size},
            )
    except BaseException:
        uploads.discard(stored)
        raise
    return photo


# --- The worker's job ------------------------------------------------------------------------


def refresh_due(*, today: dt.date | None = None, batch: int = 5000) -> dict[str, int]:
    """Recompute every active plan's next due day from its visits in one pass
    (analytics.visits), store the ones that changed, and count what is due and overdue.
    Idempotent: a second run changes nothing."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=6 - today.weekday())
    rows = list(
        VisitPlan.objects.filter(is_active=True).values_list(
            "pk", "starts_on", "cadence", "interval_days", "next_due"
        )
    )
    if not rows:
        return {"plans": 0, "changed": 0, "due": 0, "overdue": 0}
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    start = np.array([r[1].toordinal() for r in rows], dtype=np.int64)
    interval = np.array(
        [
            cadence.MONTHLY if r[2] == Cadence.MONTHLY else (7 if r[2] == Cadence.WEEKLY else r[3])
            for r in rows
        ],
        dtype=np.int64,
    )
    stored = np.array([r[4].toordinal() if r[4] else 0 for r in rows], dtype=np.int64)
    position = {int(pk): i for i, pk in enumerate(ids)}
    latest = np.full(len(rows), cadence.NO_DAY, dtype=np.int64)
    for plan_id, day in (
        Visit.objects.filter(plan__is_active=True)
        .values("plan")
        .annotate(last=Max("visited_on"))
        .values_list("plan", "last")
    ):
        latest[position[plan_id]] = day.toordinal()
    due = cadence.next_due(start, interval, latest)
    states = cadence.status(due, today.toordinal(), horizon.toordinal())
    changed = np.nonzero(due != stored)[0]
    updates = [
        VisitPlan(pk=int(ids[i]), next_due=dt.date.fromordinal(int(due[i]))) for i in changed
    ]
    with transaction.atomic():
        VisitPlan.objects.bulk_update(updates, ["next_due"], batch_size=batch)
    return {
        "plans": len(rows),
        "changed": len(updates),
        "due": int((states == cadence.DUE).sum()),
        "overdue": int((states == cadence.OVERDUE).sum()),
    }


def erase_visit_notes(*, target_kind: str, target_ids: Sequence[int]) -> int:
    """Erase what the visits under the plans of these targets (of the registered kind
    `target_kind`) recorded about the one visited (retention, SECURITY.md): the summary, the
    check-in coordinates and the photos (files too, once the transaction commits). The
    visits themselves stay, so on-time figures do not change. Runs inside the caller's
    transaction (the purge's); returns the visits touched."""
    visits = Visit.objects.filter(
        plan__target_kind=target_kind, plan__target_id__in=list(target_ids)
    )
    photos = list(VisitPhoto.objects.filter(visit__in=visits).values_list("file", flat=True))
    VisitPhoto.objects.filter(visit__in=visits).delete()
    touched = visits.update(summary="", latitude=None, longitude=None)
    if photos:
        from django.core.files.storage import default_storage

        transaction.on_commit(lambda: [default_storage.delete(name) for name in photos])
    return touched
