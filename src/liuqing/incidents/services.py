"""Writes of incidents: the JSON push (the same writer as the file import), the categories
and the category mappings. Files go through the import engine (`liuqing.imports.services`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.core import access, audit
from liuqing.core.access import CHANGE, AccessDenied, NotFound
from liuqing.core.models import Member, Place, Unit
from liuqing.core.validation import Errors, add_error, clean_text
from liuqing.imports.registry import CREATED, BatchResult
from liuqing.incidents.defaults import category_texts
from liuqing.incidents.ledger import CLOCK_SKEW, DESCRIPTION_MAX, WGS84, IncidentWriter
from liuqing.incidents.models import CategoryMapping, Incident, IncidentCategory
from liuqing.incidents.policies import (
    INCIDENT,
    INCIDENT_CATEGORY,
    INCIDENT_CATEGORY_SET,
    REPORTERS,
)

PUSH_MAX = 1000


def push_incidents(
    *, actor: Member, source_system: str, coordinates: str, items: Sequence[dict[str, str]]
) -> BatchResult:
    """Validate and store a batch of incidents sent by a machine, into the actor's
    jurisdiction: per-item statuses and errors (item numbers from 0), idempotent by
    (source system, source id). One transaction with its audit event."""
    if not access.can(actor, INCIDENT, CHANGE):
        raise AccessDenied
    if len(items) > PUSH_MAX:
        raise ValidationError({"items": _("At most %(n)d items per request.") % {"n": PUSH_MAX}})
    writer = IncidentWriter(
        actor=actor,
        unit=actor.unit,
        options={"source_system": source_system, "coordinates": coordinates},
    )
    writer.want_ids = True
    rows = [(i, {k: v for k, v in item.items() if v}) for i, item in enumerate(items)]
    with transaction.atomic():
        result = writer.write(rows)
        audit.record(
            "incident.push",
            actor=actor,
            object_type="incidents.incident",
            details={
                "source_system": writer.source_system,
                "items": len(items),
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "rejected": result.rejected,
            },
        )
    return result


# The writer's row fields, as the fields of one reported incident.
_REPORT_FIELDS = {
    "category": "category",
    "occurred_at": "occurred_at",
    "latitude": "place",
    "longitude": "place",
    "unit": "place",
    "description": "description",
}


def report_incident(
    *,
    actor: Member,
    unit: Unit,
    source_system: str,
    source_id: str,
    category: str,
    occurred_at: Any,
    place: Any,
    description: str = "",
) -> Incident:
    """Record one incident reported in person (a walk-in at the reception desk) at `unit`,
    located at `place`, through the same writer as the push and the file import.

    Unlike the bulk push, officers and sergeants may use it (`policies.REPORTERS`), but only
    for a unit and a place in their own jurisdiction (NotFound otherwise, before anything is
    written). `category` is a category code; `occurred_at` an aware datetime, not in the
    future. Bad input is a ValidationError on the fields category, occurred_at, place and
    description; (source system, source id) already recorded is refused rather than
    overwritten. One transaction with its audit event (``incident.report``)."""
    if not access.member_roles(actor) & REPORTERS:
        raise AccessDenied
    if not actor.is_active or not access.in_jurisdiction(actor, unit):
        raise NotFound
    errors: dict[str, list[str]] = {}
    code = str(category or "").strip()
    if not code or not IncidentCategory.objects.filter(code=code, is_active=True).exists():
        errors["category"] = [_("Choose the kind of incident.")]
    if not isinstance(occurred_at, dt.datetime) or timezone.is_naive(occurred_at):
        errors["occurred_at"] = [_("Enter when it happened.")]
    elif occurred_at > timezone.now() + CLOCK_SKEW:
        errors["occurred_at"] = [_("The time is in the future.")]
    if not isinstance(place, Place) or not access.in_jurisdiction(actor, place.unit):
        errors["place"] = [_("Choose where it happened, in your jurisdiction.")]
    text = str(description or "").strip()
    if len(text) > DESCRIPTION_MAX:
        errors["description"] = [_("Too long: at most %(n)d characters.") % {"n": DESCRIPTION_MAX}]
    if errors:
        raise ValidationError(errors)
    assert isinstance(place, Place)
    assert isinstance(occurred_at, dt.datetime)
    writer = IncidentWriter(
        actor=actor, unit=unit, options={"source_system": source_system, "coordinates": WGS84}
    )
    writer.want_ids = True
    row = {
        "source_id": source_id,
        "occurred_at": occurred_at.isoformat(),
        "category": code,
        "latitude": str(place.latitude),
        "longitude": str(place.longitude),
        "unit": unit.code,
        "description": text,
    }
    with transaction.atomic():
        if Incident.objects.filter(
            source_system=writer.source_system, source_id=source_id
        ).exists():
            raise ValidationError({NON_FIELD_ERRORS: _("This incident is already recorded.")})
        result = writer.write([(0, {k: v for k, v in row.items() if v})])
        status, pk = result.statuses.get(0, ("", None))
        if result.errors or status != CREATED or pk is None:
            found: dict[str, list[str]] = {}
            for e in result.errors:
                found.setdefault(_REPORT_FIELDS.get(e.field, NON_FIELD_ERRORS), []).append(e.reason)
            raise ValidationError(found or {NON_FIELD_ERRORS: _("The incident was not recorded.")})
        incident = Incident.objects.select_related("unit", "category").get(pk=pk)
        audit.record(
            "incident.report",
            actor=actor,
            obj=incident,
            details={"source_system": writer.source_system, "category": code},
        )
    return incident


def map_category(
    *, actor: Member, source_system: str, source_text: str, category: IncidentCategory
) -> CategoryMapping:
    """Map a source system's category text onto one of ours (replacing an earlier mapping of
    the same text)."""
    if not access.can(actor, INCIDENT_CATEGORY, CHANGE):
        raise AccessDenied
    source_system, source_text = source_system.strip(), source_text.strip()
    errors: dict[str, Any] = {}
    if not source_system or len(source_system) > 32:
        errors["source_system"] = _("Name the source system (at most 32 characters).")
    if not source_text or len(source_text) > 64:
        errors["source_text"] = _("Give the source's category text (at most 64 characters).")
    if not category.is_active:
        errors["category"] = _("Choose an active category.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            mapping, created = CategoryMapping.objects.update_or_create(
                source_system=source_system,
                source_text=source_text,
                defaults={"category": category},
            )
            audit.record(
                "incident.category_map" if created else "incident.category_remap",
                actor=actor,
                obj=mapping,
                details={
                    "source_system": source_system,
                    "source_text": source_text,
                    "category": category.code,
                },
            )
    except IntegrityError as exc:  # two people saving the same mapping at once
        raise ValidationError(
            {"source_text": _("This mapping was just saved; try again.")}
        ) from exc
    return mapping


def unmap_category(*, actor: Member, mapping: CategoryMapping) -> None:
    if not access.can(actor, INCIDENT_CATEGORY, CHANGE):
        raise AccessDenied
    with transaction.atomic():
        audit.record(
            "incident.category_unmap",
            actor=actor,
            obj=mapping,
            details={"source_system": mapping.source_system, "source_text": mapping.source_text},
        )
        mapping.delete()


# --- The categories themselves ----------------------------------------------------------------

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
NAME_MAX = 64
ORDER_MAX = 32767


def _names_taken(exclude: IncidentCategory | None) -> dict[str, str]:
    """Lower-cased code, name or built-in name → the code of the category holding it, for
    every category but `exclude`: a source's category text must name one category only."""
    others = IncidentCategory.objects.values_list("code", "name")
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return {text: code for code, name in others for text in category_texts(code, name)}


def _clean_order(errors: Errors, value: Any) -> int:
    try:
        order = int(str(value).strip())
    except (TypeError, ValueError):
        order = -1
    if not 0 <= order <= ORDER_MAX:
        add_error(errors, "order", _("A whole number from 0 to %(max)d.") % {"max": ORDER_MAX})
    return order


def _check_name(errors: Errors, name: str, taken: dict[str, str]) -> None:
    if name and name.lower() in taken:
        add_error(
            errors,
            "name",
            _("Already the code or name of the category %(code)s.") % {"code": taken[name.lower()]},
        )


def _state(category: IncidentCategory) -> dict[str, Any]:
    return {
        "name": category.name,
        "order": category.order,
        "is_active": category.is_active,
    }


def add_category(*, actor: Member, code: Any, name: Any, order: Any) -> IncidentCategory:
    """Add an incident category (administrators: `policies.CATEGORY_ADMINS`). The code is
    stable (lower-case letters, digits and "_", starting with a letter); the name is shown as
    given in every language. Neither may be the code or name of another category (a source's
    text must name one category). One transaction with its audit event."""
    if not access.can(actor, INCIDENT_CATEGORY_SET, CHANGE):
        raise AccessDenied
    errors: Errors = {}
    code = clean_text(errors, "code", code, max_length=32, required=True).lower()
    if code and "code" not in errors and not CODE_RE.match(code):
        add_error(
            errors,
            "code",
            _("Lower-case letters, digits and _ only, starting with a letter."),
        )
    name = clean_text(errors, "name", name, max_length=NAME_MAX, required=True)
    number = _clean_order(errors, order)
    taken = _names_taken(None)
    if code and code in taken:
        add_error(
            errors,
            "code",
            _("Already the code or name of the category %(code)s.") % {"code": taken[code]},
        )
    _check_name(errors, name, taken)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            category = IncidentCategory.objects.create(code=code, name=name, order=number)
            audit.record(
                "incident.category_add",
                actor=actor,
                obj=category,
                details={"code": code, **_state(category)},
            )
    except IntegrityError as exc:  # the same code added by someone else at the same moment
        raise ValidationError({"code": _("This code was just taken; choose another.")}) from exc
    return category


def change_category(
    *, actor: Member, category: IncidentCategory, name: Any, order: Any, is_active: Any
) -> IncidentCategory:
    """Rename, reorder, disable or enable a category (administrators). A built-in category
    may be given an empty name: it then shows its built-in name in the reader's language
    again. A disabled category takes no new incidents (import, push, report, mapping) and
    keeps its history; at least one category stays active. The code never changes. One
    transaction with its audit event (the fields changed, before and after)."""
    if not access.can(actor, INCIDENT_CATEGORY_SET, CHANGE):
        raise AccessDenied
    errors: Errors = {}
    text = clean_text(errors, "name", name, max_length=NAME_MAX, required=not category.is_builtin)
    number = _clean_order(errors, order)
    active = bool(is_active)
    _check_name(errors, text, _names_taken(category))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = IncidentCategory.objects.select_for_update().get(pk=category.pk)
        if (
            not active
            and current.is_active
            and not IncidentCategory.objects.filter(is_active=True).exclude(pk=current.pk).exists()
        ):
            raise ValidationError({"is_active": _("At least one category must stay active.")})
        before = _state(current)
        current.name, current.order, current.is_active = text, number, active
        after = _state(current)
        if before != after:
            current.save(update_fields=["name", "order", "is_active"])
            audit.record(
                "incident.category_change",
                actor=actor,
                obj=current,
                details={"code": current.code, "changes": audit.diff(before, after)},
            )
    return current
