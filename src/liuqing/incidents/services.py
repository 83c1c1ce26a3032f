"""Writes of incidents: the JSON push (the same writer as the file import) and the category
mappings. Files go through the import engine (`liuqing.imports.services`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from liuqing.core import access, audit
from liuqing.core.access import CHANGE, AccessDenied
from liuqing.core.models import Member
from liuqing.imports.registry import BatchResult
from liuqing.incidents.ledger import IncidentWriter
from liuqing.incidents.models import CategoryMapping, IncidentCategory
from liuqing.incidents.policies import INCIDENT, INCIDENT_CATEGORY

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
