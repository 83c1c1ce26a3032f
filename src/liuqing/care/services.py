"""Writes of the care register: register a recipient, record a service, raise a need (one
step: the appeals module's `submit_appeal` opens the appeal), reveal protected data. Each is
one transaction with its audit event; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.appeals import services as appeals
from liuqing.care.models import (
    LegalBasis,
    Need,
    Recipient,
    RecipientCategory,
    RestrictedLabel,
    Service,
    ServiceKind,
)
from liuqing.care.policies import CARE_RECIPIENT
from liuqing.casework.models import Category
from liuqing.core import access, audit, pii
from liuqing.core import services as core_services
from liuqing.core.access import CHANGE, AccessDenied, NotFound
from liuqing.core.models import Member, Place, Unit
from liuqing.core.validation import add_error as _add
from liuqing.core.validation import clean_phone
from liuqing.core.validation import clean_text as _text
from liuqing.visits import selectors as visit_selectors
from liuqing.visits import services as visits

if TYPE_CHECKING:
    from liuqing.visits.models import Visit

NAME_MAX = 64
ADDRESS_MAX = 200
NOTES_MAX = 2000
NOTE_MAX = 500
PROTECTED_FIELDS = ("name", "phone", "address", "notes")

Errors = dict[str, list[str]]


def _day(errors: Errors, field: str, value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            _add(errors, field, _("Give a date as YYYY-MM-DD."))
            return None
    if day > timezone.localdate():
        _add(errors, field, _("The date cannot be in the future."))
    elif day.year < 2000:
        _add(errors, field, _("This date is impossible."))
    return day


TEXT_LIMITS = {"name": NAME_MAX, "address": ADDRESS_MAX, "notes": NOTES_MAX, "basis_note": 200}


def _clean_fields(
    errors: Errors, unit: Unit, values: dict[str, Any], *, required: tuple[str, ...]
) -> dict[str, Any]:
    """The field checks registration and correction share, on the fields present in
    `values`: category and legal basis offered, the basis date, a place on this unit's
    line, the texts (`required` ones not empty) and the phone number. Returns the cleaned
    values; problems go to `errors`."""
    new: dict[str, Any] = {}
    if "category" in values:
        if values["category"] not in RecipientCategory.values:
            _add(errors, "category", _("Choose one of the categories offered."))
        new["category"] = values["category"]
    if "legal_basis" in values:
        if values["legal_basis"] not in LegalBasis.values:
            _add(errors, "legal_basis", _("Record the consent or legal basis."))
        new["legal_basis"] = values["legal_basis"]
    if "basis_recorded_on" in values:
        new["basis_recorded_on"] = _day(errors, "basis_recorded_on", values["basis_recorded_on"])
    for field, limit in TEXT_LIMITS.items():
        if field in values:
            new[field] = _text(
                errors, field, values[field], max_length=limit, required=field in required
            )
    if "phone" in values:
        new["phone"] = clean_phone(errors, "phone", values["phone"])
    if "place" in values:
        place = values["place"]
        if place is not None and not visits.related_units(place.unit, unit):
            _add(errors, "place", _("Choose a place of this unit."))
        new["place"] = place
    return new


def register_recipient(
    *,
    actor: Member,
    unit: Unit,
    category: str,
    name: str,
    legal_basis: str,
    basis_recorded_on: Any,
    basis_note: str = "",
    phone: str = "",
    address: str = "",
    notes: str = "",
    restricted_label: str = "",
    place: Place | None = None,
) -> Recipient:
    """Put a resident on the care register at `unit` (in the actor's jurisdiction; NotFound
    outside it). The actor must hold the care grant, and the restricted label's grant if one
    is given: nobody registers what they could not see afterwards. Refused with field
    errors: an unknown category, basis or label; an empty or over-long name; a phone number
    that does not parse; a basis date in the future; a place of another unit line."""
    access.check(actor, unit, "unit")
    if not access.can(actor, CARE_RECIPIENT, CHANGE):
        raise AccessDenied
    errors: Errors = {}
    if restricted_label not in RestrictedLabel.values:
        _add(errors, "restricted_label", _("Choose one of the labels offered."))
    labels = access.active_labels(actor)
    if "care" not in labels or (restricted_label and restricted_label not in labels):
        _add(
            errors,
            "restricted_label",
            _("You need the grant for these labels to register this person."),
        )
    values = _clean_fields(
        errors,
        unit,
        {
            "category": category,
            "legal_basis": legal_basis,
            "basis_recorded_on": basis_recorded_on,
            "basis_note": basis_note,
            "name": name,
            "phone": phone,
            "address": address,
            "notes": notes,
            "place": place,
        },
        required=("name",),
    )
    if not unit.is_active:
        _add(errors, "unit", _("This unit is no longer active."))
    if errors:
        raise ValidationError(errors)
    assert values["basis_recorded_on"] is not None
    with transaction.atomic():
        recipient = Recipient.objects.create(
            unit=unit, restricted_label=restricted_label, registered_by=actor, **values
        )
        audit.record(
            "care.register",
            actor=actor,
            obj=recipient,
            details={
                "category": category,
                "legal_basis": legal_basis,
                "restricted_label": restricted_label,
                "fields": {f: bool(values[f]) for f in ("phone", "address", "notes")},
            },
        )
    recipient.refresh_from_db()  # protected fields read back as masked values
    return recipient


EDITABLE = (
    "category",
    "place",
    "restricted_label",
    "legal_basis",
    "basis_recorded_on",
    "basis_note",
    *PROTECTED_FIELDS,
)
CLEARABLE = ("phone", "address", "notes")


def update_recipient(
    *,
    actor: Member,
    recipient: Recipient,
    clear: Any = (),
    **changes: Any,
) -> Recipient:
    """Correct a recipient's record: category, place, restricted label, legal basis (a renewed
    consent) and the protected fields. A protected field is replaced only when a new value is
    given (the form never shows the stored one); `clear` lists the protected fields to erase
    (not the name). Changing the restricted label needs the grants of both labels, and moves
    the recipient's visit plans to the new label. Refused with field errors as registration
    is, and for a person no longer on the register. Audited with the names of the fields
    changed, never their values."""
    access.check(actor, recipient, CARE_RECIPIENT, CHANGE)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    errors: Errors = {}
    clear = list(clear or ())
    for field in clear:
        if field not in CLEARABLE:
            _add(errors, "clear", _("Only the phone, the address and the notes can be erased."))
            break
    if not recipient.is_active:
        _add(errors, NON_FIELD_ERRORS, _("This person is no longer on the register."))
    # A protected field is checked only when a new value is given and it is not erased.
    given = {
        f: v
        for f, v in changes.items()
        if f != "restricted_label"
        and not (f in PROTECTED_FIELDS and (v in (None, "") or f in clear))
    }
    new = _clean_fields(errors, recipient.unit, given, required=PROTECTED_FIELDS)
    if "restricted_label" in changes:
        label = changes["restricted_label"] or ""
        labels = access.active_labels(actor)
        if label not in RestrictedLabel.values:
            _add(errors, "restricted_label", _("Choose one of the labels offered."))
        elif label and label not in labels:
            _add(errors, "restricted_label", _("You need the grant for this label."))
        new["restricted_label"] = label
    for field in clear:
        if field in CLEARABLE:
            new[field] = ""
    if errors:
        raise ValidationError(errors)
    changed = sorted(
        f for f, v in new.items() if f in PROTECTED_FIELDS or getattr(recipient, f) != v
    )
    if not changed:
        return recipient
    with transaction.atomic():
        for field in changed:
            setattr(recipient, field, new[field])
        recipient.save(update_fields=changed)
        if "restricted_label" in changed:
            visits.relabel_target_plans(
                target_kind="care_recipient",
                target_id=recipient.pk,
                restricted_label=new["restricted_label"],
            )
        audit.record(
            "care.update",
            actor=actor,
            obj=recipient,
            details={"fields": changed, "cleared": sorted(set(clear) & set(CLEARABLE))},
        )
    recipient.refresh_from_db()
    return recipient


def take_off_register(*, actor: Member, recipient: Recipient, reason: str) -> Recipient:
    """Take a recipient off the register (consent withdrawn, moved away, no longer in
    need): they leave the lists and the figures, and their active visit plans end today.
    The reason is required and audited; the personal data stay for the retention period
    (care.retention) and are then erased."""
    access.check(actor, recipient, CARE_RECIPIENT, CHANGE)
    errors: Errors = {}
    reason = _text(errors, "reason", reason, max_length=200, required=True)
    if not recipient.is_active:
        _add(errors, "reason", _("This person is no longer on the register."))
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    with transaction.atomic():
        recipient.is_active = False
        recipient.removed_at = timezone.now()
        recipient.save(update_fields=["is_active", "removed_at"])
        ended = visits.end_target_plans(
            actor=actor, target_kind="care_recipient", target_id=recipient.pk, ends_on=today
        )
        audit.record(
            "care.take_off",
            actor=actor,
            obj=recipient,
            reason=reason,
            details={"plans_ended": ended},
        )
    return recipient


def record_view(*, actor: Member, recipient: Recipient) -> None:
    """Audit that `actor` opened a recipient's record (a sensitive read)."""
    with transaction.atomic():
        audit.record("care.view", actor=actor, obj=recipient)


def reveal(*, actor: Member, recipient: Recipient, field: str, reason: str) -> str:
    """The plain value of a protected field, with a reason; audited (core reveal service)."""
    if field not in PROTECTED_FIELDS:
        raise ValidationError({"field": _("This field is not protected personal data.")})
    return core_services.reveal_personal_data(
        actor=actor, obj=recipient, kind=CARE_RECIPIENT, field=field, reason=reason
    )


def _visit_of(errors: Errors, recipient: Recipient, visit: Visit | None) -> Visit | None:
    if visit is None:
        return None
    if not visit_selectors.is_visit_to(visit, target_kind="care_recipient", target_id=recipient.pk):
        _add(errors, "visit", _("This visit was not made to this person."))
    return visit


def record_service(
    *,
    actor: Member,
    recipient: Recipient,
    kind: str,
    given_on: Any,
    note: str = "",
    visit: Visit | None = None,
) -> Service:
    access.check(actor, recipient, CARE_RECIPIENT, CHANGE)
    errors: Errors = {}
    if kind not in ServiceKind.values:
        _add(errors, "kind", _("Choose one of the services offered."))
    day = _day(errors, "given_on", given_on)
    note = _text(errors, "note", note, max_length=NOTE_MAX)
    _visit_of(errors, recipient, visit)
    if errors:
        raise ValidationError(errors)
    assert day is not None
    with transaction.atomic():
        service = Service.objects.create(
            recipient=recipient, kind=kind, given_on=day, note=note, visit=visit, given_by=actor
        )
        audit.record(
            "care.service",
            actor=actor,
            obj=recipient,
            details={"service": service.pk, "kind": kind, "given_on": str(day)},
        )
    return service


def raise_need(
    *,
    actor: Member,
    recipient: Recipient,
    category: Category,
    description: str,
    visit: Visit | None = None,
    title: str = "",
) -> Need:
    """Turn a need raised for a recipient into an appeal in one step: the appeals module's
    `submit_appeal` opens it at the recipient's unit (channel: home visit), with the
    recipient's name and phone for the follow-up, and the need links to it. One transaction:
    a refused appeal leaves no need behind (its field errors come back as they are)."""
    access.check(actor, recipient, CARE_RECIPIENT, CHANGE)
    errors: Errors = {}
    _visit_of(errors, recipient, visit)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        try:
            case = appeals.submit_appeal(
                actor=actor,
                unit=recipient.unit,
                category=category,
                title=title,
                description=description,
                channel="home_visit",
                place=recipient.place,
                resident_name=pii.plain(recipient.name),
                resident_phone=pii.plain(recipient.phone),
            )
        except NotFound:
            raise ValidationError(
                {"category": _("Choose one of the categories offered.")}
            ) from None
        need = Need.objects.create(recipient=recipient, visit=visit, case=case, raised_by=actor)
        audit.record(
            "care.need",
            actor=actor,
            obj=recipient,
            details={"need": need.pk, "case": case.pk, "number": case.number},
        )
    return need
