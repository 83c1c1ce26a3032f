"""Writes of liaison: organisations, officer assignments, problems raised (casework cases
of kind "liaison_problem"), estimated savings, lessons, and a monthly visit plan on the
visits engine. One transaction each with its audit event; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.casework import services as casework
from liuqing.casework.models import Category
from liuqing.core import access, audit
from liuqing.core.access import CHANGE, AccessDenied
from liuqing.core.models import Member, Place, Unit
from liuqing.core.validation import add_error as _add
from liuqing.core.validation import clean_phone
from liuqing.core.validation import clean_text as _text
from liuqing.liaison.models import (
    Assignment,
    AssignmentRole,
    Lesson,
    Organisation,
    OrganisationKind,
    Problem,
)
from liuqing.liaison.workflow import ASSIGNMENT, LIAISON_PROBLEM, ORGANISATION
from liuqing.visits import services as visits

if TYPE_CHECKING:
    from liuqing.visits.models import VisitPlan

SAVINGS_MAX = Decimal("1000000000")
ATTENDANCE_MAX = 5000

Errors = dict[str, list[str]]


def _day(errors: Errors, field: str, value: Any, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            _add(errors, field, _("Give a date."))
        return None
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            _add(errors, field, _("Give a date as YYYY-MM-DD."))
            return None
    if day.year < 2000:
        _add(errors, field, _("This date is impossible."))
    return day


def _savings(errors: Errors, value: Any) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError):
        _add(errors, "estimated_savings", _("Give an amount in yuan."))
        return Decimal("0")
    if not amount.is_finite() or amount < 0 or amount >= SAVINGS_MAX:
        _add(errors, "estimated_savings", _("Give an amount from 0 to 999,999,999.99 yuan."))
        return Decimal("0")
    return amount.quantize(Decimal("0.01"))


def register_organisation(
    *,
    actor: Member,
    unit: Unit,
    name: str,
    kind: str,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    place: Place | None = None,
) -> Organisation:
    access.check(actor, unit, "unit")
    if not access.can(actor, ORGANISATION, CHANGE):
        raise AccessDenied
    errors: Errors = {}
    name = _text(errors, "name", name, max_length=100, required=True)
    if kind not in OrganisationKind.values:
        _add(errors, "kind", _("Choose one of the kinds offered."))
    address = _text(errors, "address", address, max_length=200)
    contact = _text(errors, "contact_name", contact_name, max_length=64)
    phone = clean_phone(errors, "contact_phone", contact_phone)
    if place is not None and not visits.related_units(place.unit, unit):
        _add(errors, "place", _("Choose a place of this unit."))
    if name and Organisation.objects.filter(unit=unit, name=name).exists():
        _add(errors, "name", _("This unit already has an organisation of this name."))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            org = Organisation.objects.create(
                unit=unit,
                place=place,
                name=name,
                kind=kind,
                address=address,
                contact_name=contact,
                contact_phone=phone,
                created_by=actor,
            )
            audit.record(
                "liaison.organisation", actor=actor, obj=org, details={"name": name, "kind": kind}
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"name": _("This unit already has an organisation of this name.")}
        ) from exc
    org.refresh_from_db()
    return org


def assign_officer(
    *,
    actor: Member,
    organisation: Organisation,
    officer: Member,
    role: str,
    starts_on: Any,
    ends_on: Any = None,
) -> Assignment:
    """Assign an officer to the organisation. Overlaps are allowed but flagged on the
    organisation (selectors.flags_of); refused: an unknown role, a school role at a
    non-school, an inactive officer or one outside the organisation's unit line, an end
    before the start."""
    access.check(actor, organisation, ORGANISATION)
    if not access.can(actor, ASSIGNMENT, CHANGE):
        raise AccessDenied
    errors: Errors = {}
    if role not in AssignmentRole.values:
        _add(errors, "role", _("Choose one of the roles offered."))
    elif role == AssignmentRole.SCHOOL and organisation.kind != OrganisationKind.SCHOOL:
        _add(errors, "role", _("A school liaison officer is assigned to a school."))
    unit = organisation.unit
    if not officer.is_active or not visits.related_units(officer.unit, unit):
        _add(errors, "officer", _("Choose an active officer of this unit's line."))
    start = _day(errors, "starts_on", starts_on)
    end = _day(errors, "ends_on", ends_on, required=False)
    if start and end and end < start:
        _add(errors, "ends_on", _("The end cannot be before the start."))
    if errors:
        raise ValidationError(errors)
    assert start is not None
    with transaction.atomic():
        assignment = Assignment.objects.create(
            organisation=organisation,
            officer=officer,
            role=role,
            starts_on=start,
            ends_on=end,
            created_by=actor,
        )
        audit.record(
            "liaison.assign",
            actor=actor,
            obj=organisation,
            details={
                "assignment": assignment.pk,
                "officer": officer.pk,
                "role": role,
                "starts_on": str(start),
            },
        )
    return assignment


def end_assignment(*, actor: Member, assignment: Assignment, ends_on: Any = None) -> Assignment:
    access.check(actor, assignment, ASSIGNMENT, CHANGE)
    errors: Errors = {}
    end = _day(errors, "ends_on", ends_on, required=False) or timezone.localdate()
    if end < assignment.starts_on:
        _add(errors, "ends_on", _("The end cannot be before the start."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        assignment.ends_on = end
        assignment.save(update_fields=["ends_on"])
        audit.record(
            "liaison.unassign",
            actor=actor,
            obj=assignment.organisation,
            details={"assignment": assignment.pk},
        )
    return assignment


def raise_problem(
    *,
    actor: Member,
    organisation: Organisation,
    category: Category,
    title: str,
    description: str,
    estimated_savings: Any = None,
) -> Problem:
    """Open a casework case of kind "liaison_problem" at the organisation's unit (its clock
    from the category's deadline) with the problem's detail row, in one transaction."""
    access.check(actor, organisation, ORGANISATION, CHANGE)
    errors: Errors = {}
    savings = _savings(errors, estimated_savings)
    with transaction.atomic():
        try:
            case = casework.open_case(
                actor=actor,
                kind=LIAISON_PROBLEM,
                unit=organisation.unit,
                category=category,
                title=title,
                description=description,
                place=organisation.place,
                channel="liaison",
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    _add(errors, name, message)
            raise ValidationError(errors) from None
        if errors:
            raise ValidationError(errors)
        problem = Problem.objects.create(
            case=case, organisation=organisation, estimated_savings=savings
        )
        audit.record(
            "liaison.problem",
            actor=actor,
            obj=organisation,
            details={"case": case.pk, "number": case.number, "savings": str(savings)},
        )
    return problem


def record_savings(*, actor: Member, problem: Problem, estimated_savings: Any) -> Problem:
    access.check(actor, problem.organisation, ORGANISATION, CHANGE)
    errors: Errors = {}
    amount = _savings(errors, estimated_savings)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = problem.estimated_savings
        problem.estimated_savings = amount
        problem.save(update_fields=["estimated_savings"])
        audit.record(
            "liaison.savings",
            actor=actor,
            obj=problem.organisation,
            details={"case": problem.case_id, "savings": [str(before), str(amount)]},
        )
    return problem


def record_lesson(
    *,
    actor: Member,
    organisation: Organisation,
    given_on: Any,
    topic: str,
    class_name: str,
    attendance: Any,
) -> Lesson:
    access.check(actor, organisation, ORGANISATION, CHANGE)
    errors: Errors = {}
    if organisation.kind != OrganisationKind.SCHOOL:
        _add(errors, "organisation", _("Lessons are given at schools."))
    day = _day(errors, "given_on", given_on)
    if day and day > timezone.localdate():
        _add(errors, "given_on", _("The date cannot be in the future."))
    topic = _text(errors, "topic", topic, max_length=100, required=True)
    class_name = _text(errors, "class_name", class_name, max_length=64, required=True)
    try:
        count = int(attendance)
    except (TypeError, ValueError):
        count = -1
    if not 0 < count <= ATTENDANCE_MAX:
        _add(errors, "attendance", _("Give the number of pupils present (1 to 5,000)."))
    if errors:
        raise ValidationError(errors)
    assert day is not None
    with transaction.atomic():
        lesson = Lesson.objects.create(
            organisation=organisation,
            given_on=day,
            topic=topic,
            class_name=class_name,
            attendance=count,
            given_by=actor,
        )
        audit.record(
            "liaison.lesson",
            actor=actor,
            obj=organisation,
            details={"lesson": lesson.pk, "topic": topic, "attendance": count},
        )
    return lesson


def plan_monthly_visits(
    *,
    actor: Member,
    organisation: Organisation,
    responsible: Member | None = None,
    starts_on: Any = None,
) -> VisitPlan:
    """The organisation's monthly visit plan on the visits engine, with its current
    officer (or `responsible`) answering for it."""
    from liuqing.liaison.selectors import current_officer
    from liuqing.liaison.targets import ORGANISATION_TARGET

    return visits.schedule_visits(
        actor=actor,
        target_kind=ORGANISATION_TARGET,
        target_id=organisation.pk,
        cadence="monthly",
        responsible=responsible or current_officer(organisation),
        starts_on=starts_on,
    )
