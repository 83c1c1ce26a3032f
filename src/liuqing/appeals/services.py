"""Every write of the appeals module, staff side: recording an appeal, correcting its
details, approving its public notice, the sergeants' bulk actions, and the category tree.

Services take the acting member (`actor`) and keyword-only arguments, check access through
the casework engine (`check_case`, with the ``case`` and ``appeal`` policies) or the
``appeal_category`` policy, validate with field-level `ValidationError`s (every problem of a
form at once), and write inside one transaction with their audit record. A refused call
writes nothing.

The lifecycle itself (accept, assign, resolve, verify, follow-up, reopen) is the engine's:
`liuqing.casework.services`. An appeal is a casework `Case` of kind "appeal" plus its
`Appeal` detail row; `submit_appeal` opens both in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.appeals import signals
from liuqing.appeals.models import Appeal, AppealChannel
from liuqing.appeals.workflow import APPEAL, APPEAL_CATEGORY, WORKFLOW
from liuqing.casework import services as casework
from liuqing.casework.models import Case, Category
from liuqing.casework.policies import SUPERVISION
from liuqing.casework.selectors import check_case
from liuqing.casework.workflows import SUPERVISORS
from liuqing.core import access, audit, pii
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.models import Member, Place, Unit, validate_latitude, validate_longitude
from liuqing.core.redact import redact
from liuqing.core.validation import add_error as _add
from liuqing.core.validation import clean_phone
from liuqing.core.validation import clean_text as _text

TITLE_MAX = casework.TITLE_MAX
DESCRIPTION_MAX = casework.TEXT_MAX  # 4,000 characters
DERIVED_TITLE = 30  # characters of the description that make a title when none is given
NAME_MAX = 64
ADDRESS_MAX = 200
PUBLIC_MAX = 1000
CATEGORY_NAME_MAX = 100
CATEGORY_CODE_MAX = 32
MAX_RESOLVE_DAYS = 365
MAX_SLA_HOURS = 24 * 365
BULK_MAX = 200
CONTROL = casework.CONTROL

# Fields `update_appeal_details` accepts.
CASE_FIELDS = ("title", "description", "category", "place", "latitude", "longitude", "channel")
APPEAL_FIELDS = ("resident_name", "resident_phone", "resident_address", "anonymous")


# --- Validation helpers -----------------------------------------------------------------------


def _merge(errors: dict[str, list[str]], exc: ValidationError) -> None:
    """Add the engine's errors to ours; a field we already explained keeps our message."""
    if hasattr(exc, "error_dict"):
        mine = set(errors)
        for name, messages in exc.message_dict.items():
            if name in mine:
                continue
            for message in messages:
                _add(errors, name, message)
    else:
        for message in exc.messages:
            _add(errors, NON_FIELD_ERRORS, message)


def _coordinate(errors: dict[str, list[str]], field: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(str(value).strip()).quantize(Decimal("0.000001"))
        if not number.is_finite():
            raise InvalidOperation
    except (ArithmeticError, InvalidOperation, ValueError):
        _add(errors, field, _("Enter a number."))
        return None
    try:
        (validate_latitude if field == "latitude" else validate_longitude)(number)
    except ValidationError as exc:
        for message in exc.messages:
            _add(errors, field, message)
        return None
    return number


def _category(errors: dict[str, list[str]], category: Any) -> Category | None:
    """The category when it is an active appeal category, else an error on "category"."""
    if not isinstance(category, Category):
        _add(errors, "category", _("Choose one of the categories offered."))
        return None
    if category.kind != APPEAL:
        _add(errors, "category", _("This is not a category of appeals."))
        return None
    if not category.is_active:
        _add(errors, "category", _("This category is no longer in use; choose another."))
        return None
    return category


def _channel(errors: dict[str, list[str]], channel: Any) -> str:
    value = str(channel or "").strip()
    if value not in AppealChannel.values:
        _add(errors, "channel", _("Choose how the appeal reached you."))
    return value


def _phone(errors: dict[str, list[str]], value: Any) -> str:
    """The resident's phone number in E.164 form ("" when none was given)."""
    return clean_phone(errors, "resident_phone", value)


def _place(errors: dict[str, list[str]], actor: Member, place: Any, unit: Unit) -> Place | None:
    """A place of the unit (above or below it), active and visible to the actor."""
    if place is None:
        return None
    ok = isinstance(place, Place) and place.is_active
    if ok:
        ok = place.unit.is_ancestor_of(unit) or unit.is_ancestor_of(place.unit)
    if ok:
        try:
            access.check(actor, place, "place", VIEW)
        except (NotFound, AccessDenied):
            ok = False
    if not ok:
        _add(errors, "place", _("Choose a place of this unit."))
        return None
    return place


def _needs_location(
    errors: dict[str, list[str]],
    category: Category | None,
    place: Place | None,
    latitude: Decimal | None,
    longitude: Decimal | None,
) -> None:
    if category is None or not category.needs_location:
        return
    if place is None and (latitude is None or longitude is None):
        _add(
            errors,
            "place",
            _("This category needs a location: choose a place or put a pin on the map."),
        )


def derive_title(description: str) -> str:
    """A title from the first words of the description (the phone form may leave it out)."""
    first = " ".join(str(description or "").split())
    if len(first) <= DERIVED_TITLE:
        return first
    return first[:DERIVED_TITLE].rstrip() + "…"


def _names(appeal: Appeal | None) -> list[str]:
    if appeal is None:
        return []
    name = pii.plain(appeal.resident_name).strip()
    return [name] if name else []


# --- Recording --------------------------------------------------------------------------------


def submit_appeal(
    *,
    actor: Member,
    unit: Unit,
    category: Category,
    title: str,
    description: str,
    channel: str,
    place: Place | None = None,
    resident_name: str = "",
    resident_phone: str = "",
    resident_address: str = "",
    anonymous: bool = False,
    latitude: Any = None,
    longitude: Any = None,
    received_at: dt.datetime | None = None,
) -> Case:
    """Record a resident's appeal at `unit`: one transaction opens the casework `Case` (kind
    appeal, number SQ-<year>-<n> at that unit, clocks from the category's SLA starting at
    `received_at`, default now) and its `Appeal` row, with their audit events.

    `title` may be empty: the first words of the description stand in. Refused, with every
    problem on its field and nothing written: an unknown, retired or non-appeal category; a
    category that needs a location given neither a place nor both coordinates; an empty
    description or one over 4,000 characters; a phone number that does not parse; an unknown
    channel; a unit or place outside the actor's jurisdiction (the unit: NotFound).
    """
    errors: dict[str, list[str]] = {}
    channel = _channel(errors, channel)
    category_ok = _category(errors, category)
    description = _text(
        errors, "description", description, max_length=DESCRIPTION_MAX, required=True
    )
    title = _text(errors, "title", title, max_length=TITLE_MAX)
    if not title and description and "description" not in errors:
        title = derive_title(description)
    name = _text(errors, "resident_name", pii.plain(resident_name), max_length=NAME_MAX)
    address = _text(errors, "resident_address", pii.plain(resident_address), max_length=ADDRESS_MAX)
    phone = _phone(errors, resident_phone)
    lat = _coordinate(errors, "latitude", latitude)
    lon = _coordinate(errors, "longitude", longitude)
    _needs_location(errors, category_ok, place, lat, lon)

    with transaction.atomic():
        try:
            case = casework.open_case(
                actor=actor,
                kind=APPEAL,
                unit=unit,
                category=category,
                title=title or "-",
                description=description or "-",
                place=place,
                channel=channel,
                received_at=received_at,
                latitude=lat if "latitude" not in errors else None,
                longitude=lon if "longitude" not in errors else None,
            )
        except ValidationError as exc:
            _merge(errors, exc)
            raise ValidationError(errors) from None
        if errors:
            # open_case found nothing more to say; undo its row and report ours.
            raise ValidationError(errors)
        Appeal.objects.create(
            case=case,
            channel=channel,
            resident_name=name,
            resident_phone=phone,
            resident_address=address,
            anonymous=bool(anonymous),
            created_at=case.updated_at,
        )
        audit.record(
            "appeal.submit",
            actor=actor,
            obj=case,
            details={
                "number": case.number,
                "channel": channel,
                "category": category.pk,
                "anonymous": bool(anonymous),
                "resident": {"name": bool(name), "phone": bool(phone), "address": bool(address)},
            },
        )
    return case


def _lock(case: Case) -> Case:
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()
    case.refresh_from_db()
    return case


def _appeal_of(case: Case) -> Appeal:
    appeal = Appeal.objects.filter(case_id=case.pk).first()
    if appeal is None:  # a case of kind appeal always has one; guard against a broken import
        raise NotFound
    return appeal


def update_appeal_details(*, actor: Member, case: Case, **changes: Any) -> Case:
    """Correct what was recorded while the appeal is open: title, description, category,
    place, latitude, longitude, channel, resident_name, resident_phone, resident_address,
    anonymous (only the fields passed change).

    The clocks keep the service level they started with: a new category does not move a
    deadline (an extension or a transfer does, through the engine).
    """
    check_case(actor, case, CHANGE)
    if case.kind != APPEAL:
        raise NotFound
    unknown = set(changes) - set(CASE_FIELDS) - set(APPEAL_FIELDS)
    if unknown:
        raise ValidationError({f: _("This field cannot be changed here.") for f in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "title" in changes:
        clean["title"] = _text(errors, "title", changes["title"], max_length=TITLE_MAX)
    if "description" in changes:
        clean["description"] = _text(
            errors,
            "description",
            changes["description"],
            max_length=DESCRIPTION_MAX,
            required=True,
        )
    if "title" in clean and not clean["title"]:
        source = clean.get("description") or case.description
        clean["title"] = derive_title(source)
    if "category" in changes:
        clean["category"] = _category(errors, changes["category"])
    if "place" in changes:
        clean["place"] = _place(errors, actor, changes["place"], case.unit)
    for name in ("latitude", "longitude"):
        if name in changes:
            clean[name] = _coordinate(errors, name, changes[name])
    if "channel" in changes:
        clean["channel"] = _channel(errors, changes["channel"])
    if "resident_name" in changes:
        clean["resident_name"] = _text(
            errors, "resident_name", pii.plain(changes["resident_name"]), max_length=NAME_MAX
        )
    if "resident_address" in changes:
        clean["resident_address"] = _text(
            errors,
            "resident_address",
            pii.plain(changes["resident_address"]),
            max_length=ADDRESS_MAX,
        )
    if "resident_phone" in changes:
        clean["resident_phone"] = _phone(errors, changes["resident_phone"])
    if "anonymous" in changes:
        clean["anonymous"] = bool(changes["anonymous"])
    final_lat = clean.get("latitude", case.latitude)
    final_lon = clean.get("longitude", case.longitude)
    if not errors.keys() & {"latitude", "longitude"} and (final_lat is None) != (final_lon is None):
        _add(errors, "latitude", _("Give both latitude and longitude, or neither."))
    if "category" not in errors and "place" not in errors:
        _needs_location(
            errors,
            clean.get("category", case.category),
            clean.get("place", case.place),
            final_lat,
            final_lon,
        )
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    with transaction.atomic():
        _lock(case)
        if not WORKFLOW.is_open(case.status):
            raise ValidationError(
                {NON_FIELD_ERRORS: _("A closed, withdrawn or merged appeal cannot be edited.")}
            )
        appeal = _appeal_of(case)
        case_before = audit.snapshot(case, list(CASE_FIELDS))
        appeal_before = audit.snapshot(appeal, list(APPEAL_FIELDS))
        for name in CASE_FIELDS:
            if name in clean:
                setattr(case, name, clean[name])
        for name in APPEAL_FIELDS:
            if name in clean:
                value = clean[name]
                field = Appeal._meta.get_field(name)
                if isinstance(field, pii.EncryptedField):
                    value = pii.Protected(value, field.kind)  # masked in the audit record
                setattr(appeal, name, value)
        if "channel" in clean:
            appeal.channel = clean["channel"]
        case.updated_at = now
        appeal_fields = [n for n in APPEAL_FIELDS if n in clean]
        if "resident_phone" in clean:
            appeal_fields.append("resident_phone_index")
        if "channel" in clean:
            appeal_fields.append("channel")
        # One search-document write at most (none when no searched field or name changed).
        with signals.one_reindex():
            case.save(update_fields=[*[n for n in CASE_FIELDS if n in clean], "updated_at"])
            if appeal_fields:
                appeal.save(update_fields=appeal_fields)
        changed = {
            **audit.diff(case_before, audit.snapshot(case, list(CASE_FIELDS))),
            **audit.diff(appeal_before, audit.snapshot(appeal, list(APPEAL_FIELDS))),
        }
        audit.record(
            "appeal.update",
            actor=actor,
            obj=case,
            details={"number": case.number, "changes": changed},
        )
    return case


# --- Public notice ----------------------------------------------------------------------------


def may_approve_notice(actor: Member, case: Case) -> bool:
    """The case's owner or a supervisor approves what the notice board shows."""
    return bool(actor.role_set & SUPERVISORS) or (
        case.owner_id is not None and case.owner_id == actor.pk
    )


def set_public_notice(*, actor: Member, case: Case, summary: str, result: str, show: bool) -> Case:
    """Approve (or withdraw) the public notice of an appeal: the summary and result the
    village notice board, the residents' status page and Open311 show.

    Both texts are stored already redacted (`core.redact.redact`, with the resident's name),
    so no public surface depends on a late redaction. Only the case's owner or a supervisor
    may do it; showing needs a summary; a withdrawn or merged appeal cannot be shown. The
    timeline gets an internal note, the audit log an event.
    """
    check_case(actor, case, CHANGE)
    if case.kind != APPEAL:
        raise NotFound
    errors: dict[str, list[str]] = {}
    summary = _text(errors, "summary", summary, max_length=PUBLIC_MAX)
    result = _text(errors, "result", result, max_length=PUBLIC_MAX)
    show = bool(show)
    if show and not summary and "summary" not in errors:
        _add(errors, "summary", _("Write the summary the notice board should show."))
    if not may_approve_notice(actor, case):
        _add(
            errors,
            NON_FIELD_ERRORS,
            _("Only the appeal's owner or a supervisor may approve its public notice."),
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock(case)
        if show and case.status in WORKFLOW.excluded:
            raise ValidationError(
                {"show": _("A withdrawn or merged appeal is not shown on the notice board.")}
            )
        names = _names(_appeal_of(case))
        public_summary = redact(summary, names=names)
        public_result = redact(result, names=names)
        was_public = case.is_public
        case.public_summary = public_summary
        case.public_result = public_result
        case.is_public = show
        case.updated_at = timezone.now()
        case.save(update_fields=["public_summary", "public_result", "is_public", "updated_at"])
        if show:
            note = _("Public notice approved:") + "\n" + public_summary
            if public_result:
                note += "\n" + public_result
        else:
            note = _("Public notice withdrawn from the notice board.") if was_public else ""
        if note:
            casework.add_note(actor=actor, case=case, text=note[: casework.TEXT_MAX])
        audit.record(
            "appeal.public_notice",
            actor=actor,
            obj=case,
            details={
                "number": case.number,
                "show": show,
                "redacted": public_summary != summary or public_result != result,
            },
        )
    return case


# --- Bulk actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkOutcome:
    """What happened to one case of a bulk action."""

    case: Case
    ok: bool
    message: str


def _bulk(actor: Member, cases: Iterable[Case], do: Any, done_message: str) -> list[BulkOutcome]:
    if not access.can(actor, SUPERVISION, CHANGE):
        raise AccessDenied
    cases = list(cases)
    if len(cases) > BULK_MAX:
        raise ValidationError(
            {"cases": _("At most %(max)d appeals at a time.") % {"max": BULK_MAX}}
        )
    outcomes = []
    for case in cases:
        try:
            if case.kind != APPEAL:
                raise NotFound
            do(case)
        except ValidationError as exc:
            outcomes.append(BulkOutcome(case, False, " ".join(exc.messages)))
        except (NotFound, AccessDenied):
            outcomes.append(
                BulkOutcome(case, False, _("There is no such appeal in your jurisdiction."))
            )
        else:
            outcomes.append(BulkOutcome(case, True, done_message))
    return outcomes


def bulk_assign(*, actor: Member, cases: Iterable[Case], owner: Member) -> list[BulkOutcome]:
    """A sergeant assigns many appeals to one handler. Each case is its own transaction
    (`casework.services.assign_case`): one refusal does not undo the others; the outcome of
    each is reported."""
    return _bulk(
        actor,
        cases,
        lambda case: casework.assign_case(actor=actor, case=case, owner=owner),
        _("Assigned."),
    )


def bulk_act(
    *, actor: Member, cases: Iterable[Case], action: str, note: str = ""
) -> list[BulkOutcome]:
    """A sergeant makes one workflow transition ("accept", "verify", "park", ...) on many
    appeals, each in its own transaction, with the outcome of each."""
    if action not in WORKFLOW.transitions:
        raise ValidationError({"action": _("Unknown action.")})
    return _bulk(
        actor,
        cases,
        lambda case: casework.act_on_case(actor=actor, case=case, action=action, note=note),
        _("Done."),
    )


# --- Categories -------------------------------------------------------------------------------


def _sla_number(errors: dict[str, list[str]], field: str, value: Any, maximum: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value)
    except (TypeError, ValueError):
        _add(errors, field, _("Enter a whole number."))
        return None
    if not 1 <= number <= maximum:
        _add(errors, field, _("Between 1 and %(max)d.") % {"max": maximum})
        return None
    return number


def _category_fields(
    errors: dict[str, list[str]], category: Category | None, data: dict[str, Any]
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "name" in data:
        clean["name"] = _text(
            errors, "name", data["name"], max_length=CATEGORY_NAME_MAX, required=True
        )
    if "description" in data:
        clean["description"] = _text(
            errors, "description", data["description"], max_length=DESCRIPTION_MAX
        )
    if "parent" in data:
        parent = data["parent"]
        if parent is not None:
            if not isinstance(parent, Category) or parent.kind != APPEAL:
                _add(errors, "parent", _("Choose one of the categories offered."))
            elif parent.parent_id is not None:
                _add(errors, "parent", _("Categories have two levels: choose a top category."))
            elif category is not None and parent.pk == category.pk:
                _add(errors, "parent", _("A category cannot be its own parent."))
            elif category is not None and category.children.exists():
                _add(errors, "parent", _("A category with sub-categories stays at the top."))
        clean["parent"] = parent
    for field, maximum in (
        ("accept_hours", MAX_SLA_HOURS),
        ("contact_hours", MAX_SLA_HOURS),
        ("resolve_days", MAX_RESOLVE_DAYS),
    ):
        if field in data:
            clean[field] = _sla_number(errors, field, data[field], maximum)
    for field in ("needs_location", "is_public", "is_active"):
        if field in data:
            clean[field] = bool(data[field])
    if "order" in data:
        order = data["order"]
        clean["order"] = 0
        if order not in (None, ""):
            if isinstance(order, bool) or not str(order).strip().isdigit():
                _add(errors, "order", _("Enter a whole number."))
            elif int(order) > 10_000:
                _add(errors, "order", _("At most %(max)d.") % {"max": 10_000})
            else:
                clean["order"] = int(order)
    return clean


def create_category(
    *,
    actor: Member,
    code: str,
    name: str,
    parent: Category | None = None,
    description: str = "",
    accept_hours: int | None = None,
    contact_hours: int | None = None,
    resolve_days: int | None = None,
    needs_location: bool = False,
    is_public: bool = True,
    order: int = 0,
) -> Category:
    """Add an appeal category (two levels: top categories and their sub-categories). Empty
    service levels inherit the parent's, then the workflow's defaults."""
    if not access.can(actor, APPEAL_CATEGORY, CHANGE):
        raise AccessDenied
    errors: dict[str, list[str]] = {}
    code = _text(errors, "code", code, max_length=CATEGORY_CODE_MAX, required=True)
    if code and not all(c.isascii() and (c.isalnum() or c in "._-") for c in code):
        _add(errors, "code", _("Use letters, digits, dots, dashes and underscores only."))
    clean = _category_fields(
        errors,
        None,
        {
            "name": name,
            "description": description,
            "parent": parent,
            "accept_hours": accept_hours,
            "contact_hours": contact_hours,
            "resolve_days": resolve_days,
            "needs_location": needs_location,
            "is_public": is_public,
            "order": order,
        },
    )
    with transaction.atomic():
        if code and Category.objects.filter(kind=APPEAL, code=code).exists():
            _add(errors, "code", _("A category with this code exists already."))
        if errors:
            raise ValidationError(errors)
        category = Category.objects.create(kind=APPEAL, code=code, is_active=True, **clean)
        audit.record(
            "appeal.category.create",
            actor=actor,
            obj=category,
            details={"code": code, "fields": audit.snapshot(category)},
        )
    return category


def update_category(*, actor: Member, category: Category, **changes: Any) -> Category:
    """Change an appeal category: name, description, parent, service levels, needs_location,
    is_public, is_active (retiring keeps its appeals; it is no longer offered), order."""
    if not access.can(actor, APPEAL_CATEGORY, CHANGE):
        raise AccessDenied
    if not isinstance(category, Category) or category.kind != APPEAL:
        raise NotFound
    allowed = {
        "name",
        "description",
        "parent",
        "accept_hours",
        "contact_hours",
        "resolve_days",
        "needs_location",
        "is_public",
        "is_active",
        "order",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({f: _("This field cannot be changed here.") for f in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    clean = _category_fields(errors, category, changes)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = audit.snapshot(category)
        for name, value in clean.items():
            setattr(category, name, value)
        category.save()
        audit.record(
            "appeal.category.update",
            actor=actor,
            obj=category,
            details={
                "code": category.code,
                "changes": audit.diff(before, audit.snapshot(category)),
            },
        )
    return category
