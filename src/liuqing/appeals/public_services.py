"""Writes of the residents' surfaces: a request from the public form, a contact card's QR code
or an Open311 client; Open311 client keys; a client's update to a request.

Residents are not members, so nothing here takes an acting member: `open_case(actor=None)`
opens the case, nobody's jurisdiction applies, and the audit event records the source address
(set per request by the middleware) instead. What a resident may decide is narrow on purpose:
the category (one of those offered), the village or community, the text, how to reach them and
a map pin. The unit comes from the chosen place or from the officer's contact card, never from
a field of the request; owner, status and publication are the staff's (SECURITY.md: no mass
assignment).

Rate limits are the views' business (liuqing.appeals.public.ratelimit): they know the client
address and answer 429 before any of this runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.appeals.models import Appeal, AppealChannel, BatchToken, Open311Client
from liuqing.appeals.services import (
    DESCRIPTION_MAX,
    NAME_MAX,
    _add,
    _coordinate,
    _needs_location,
    _phone,
    _text,
    derive_title,
)
from liuqing.appeals.workflow import APPEAL
from liuqing.casework import services as casework
from liuqing.casework.models import Case, Category, Entry, EntryType
from liuqing.casework.selectors import supervisors_of
from liuqing.core import audit
from liuqing.core.models import Member, Place, PlaceKind, Role, Unit
from liuqing.notify.services import publish

# The version of the consent notice on the request form (templates/appeals/public/submit.html).
# Change it whenever the notice's text changes: each appeal records the version accepted.
CONSENT_VERSION = "2026-01"
# Open311 clients accept our terms for their users when they get a key; their requests record
# this instead of a form version.
OPEN311_CONSENT = "open311"
PUBLIC_PLACE_KINDS = (PlaceKind.VILLAGE, PlaceKind.COMMUNITY)
# Roles whose holders carry a contact card (民警联系卡).
CARD_ROLES = (Role.OFFICER,)
OPEN311_KEY_PREFIX = "o311_"
BATCH_TOKEN_LENGTH = 24
# Client statuses that ask for something only staff may do: closure is verified by someone
# other than the handler (casework), and reopening is a supervisor's decision.
STAFF_DECIDES = {"fixed", "closed", "reopen", "no_further_action", "duplicate"}

# --- Validation helpers ------------------------------------------------------------------------
# The field rules are the staff service's (appeals.services): the same messages on the same
# fields whoever records the request.


def public_category(category: Category | int | str | None) -> Category | None:
    """The category if residents may choose it (kind appeal, active, public), else None."""
    if category is None or category == "":
        return None
    if not isinstance(category, Category):
        try:
            category = Category.objects.get(pk=int(category), kind=APPEAL)
        except (Category.DoesNotExist, TypeError, ValueError):
            return None
    if category.kind != APPEAL or not category.is_active or not category.is_public:
        return None
    return category


def public_place(place: Place | int | str | None) -> Place | None:
    """The place if residents may choose it (an active village or community of an active
    unit), else None."""
    if place is None or place == "":
        return None
    if not isinstance(place, Place):
        try:
            place = Place.objects.select_related("unit").get(pk=int(place))
        except (Place.DoesNotExist, TypeError, ValueError):
            return None
    if place.kind not in PUBLIC_PLACE_KINDS or not place.is_active or not place.unit.is_active:
        return None
    return place


def card_is_valid(officer: Member | None, unit: Unit | None) -> bool:
    """A contact card names an active officer and an active unit whose subtree holds the
    officer's unit."""
    return (
        isinstance(officer, Member)
        and isinstance(unit, Unit)
        and officer.is_active
        and unit.is_active
        and officer.has_role(*CARD_ROLES)
        and unit.is_ancestor_of(officer.unit)
    )


# --- Submitting --------------------------------------------------------------------------------


def submit_public_appeal(
    *,
    category: Category | int | str | None,
    description: str,
    place: Place | int | str | None = None,
    unit: Unit | None = None,
    resident_name: str = "",
    resident_phone: str = "",
    anonymous: bool = False,
    consent: bool,
    latitude: Any = None,
    longitude: Any = None,
    officer: Member | None = None,
    channel: str = AppealChannel.ONLINE,
    client: Open311Client | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Case:
    """A resident's request, opened as a case of kind appeal; returns the case, whose
    `public_code` is the tracking code to give back.

    Where it goes: the chosen `place` (an active village or community) decides the unit.
    `unit` and `officer` come from a contact card's link: without a place the case opens at
    the card's unit; with both, the place must lie in the card unit's subtree. Neither →
    an error on ``place``.

    Refused with field errors (`ValidationError`, nothing written): no consent; a category
    residents may not choose (unknown, inactive, not public, another kind); a place that is
    not an active village or community; a description missing or over 4,000 characters; a
    name over 64 characters; a phone number that does not parse; coordinates out of range or
    only one of them; a category that needs a location without a place or a pin. A contact card
    whose officer is not active or not in the unit's subtree is a non-field error.

    Open311 clients pass `client` (consent is then the client's, see OPEN311_CONSENT) and the
    service definition's typed `attributes`, kept in the data of the case's first timeline
    entry. The appeal row, the case, its first entry and the audit event are one transaction.
    """
    errors: dict[str, list[str]] = {}
    if not consent:
        _add(
            errors,
            "consent",
            _("Please read the notice and agree, so that we may take your request."),
        )
    chosen = public_category(category)
    if chosen is None:
        _add(errors, "category", _("Choose one of the categories offered."))
    chosen_place = public_place(place)
    if place not in (None, "") and chosen_place is None:
        _add(errors, "place", _("Choose one of the villages or communities offered."))
    if officer is not None or unit is not None:
        if not card_is_valid(officer, unit) or unit is None:
            _add(
                errors,
                NON_FIELD_ERRORS,
                _("This contact-card link is not valid. Choose your village or community."),
            )
        elif chosen_place is not None and not unit.is_ancestor_of(chosen_place.unit):
            _add(
                errors,
                "place",
                _("Choose a village or community served by %(unit)s.") % {"unit": unit.name},
            )
    elif place in (None, "") and "place" not in errors:
        _add(errors, "place", _("Choose your village or community."))
    text = _text(errors, "description", description, max_length=DESCRIPTION_MAX, required=True)
    name = _text(errors, "resident_name", resident_name, max_length=NAME_MAX)
    phone = _phone(errors, resident_phone)
    lat = _coordinate(errors, "latitude", latitude)
    long = _coordinate(errors, "longitude", longitude)
    if not errors.keys() & {"latitude", "longitude"} and (lat is None) != (long is None):
        _add(errors, "latitude", _("Give both latitude and longitude, or neither."))
    if "place" not in errors:
        _needs_location(errors, chosen, chosen_place, lat, long)
    if errors:
        raise ValidationError(errors)
    assert chosen is not None
    case_unit = chosen_place.unit if chosen_place is not None else unit
    assert case_unit is not None

    now = timezone.now()
    try:
        with transaction.atomic():
            case = casework.open_case(
                actor=None,
                kind=APPEAL,
                unit=case_unit,
                category=chosen,
                title=derive_title(text),
                description=text,
                place=chosen_place,
                channel=str(channel),
                latitude=lat,
                longitude=long,
            )
            Appeal.objects.create(
                case=case,
                channel=channel,
                resident_name=name,
                resident_phone=phone,
                anonymous=bool(anonymous),
                consent_version=OPEN311_CONSENT if client is not None else CONSENT_VERSION,
                consent_at=now,
                contact_officer=officer,
                client_name=client.name if client is not None else "",
                created_at=now,
            )
            if attributes:
                first = Entry.objects.filter(case=case).order_by("at", "id").first()
                assert first is not None
                first.data = {**first.data, "attributes": _jsonable(attributes)}
                first.save(update_fields=["data"])
            audit.record(
                "appeal.submit_public",
                obj=case,
                username=f"open311:{client.name}" if client is not None else "",
                details={
                    "number": case.number,
                    "channel": str(channel),
                    "category": chosen.pk,
                    "place": chosen_place.pk if chosen_place is not None else None,
                    "officer": officer.pk if officer is not None else None,
                    "consent_version": CONSENT_VERSION if client is None else OPEN311_CONSENT,
                    "anonymous": bool(anonymous),
                    "client": client.name if client is not None else None,
                },
            )
    except ValidationError as exc:
        raise _for_residents(exc) from None
    return case


def _for_residents(exc: ValidationError) -> ValidationError:
    """open_case's errors, named after the resident's fields (the title is made from the
    description; the unit from the place or the card)."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed: dict[str, list[str]] = {}
    for name, messages in exc.message_dict.items():
        target = {"title": "description", "unit": "place", "kind": NON_FIELD_ERRORS}.get(name, name)
        renamed.setdefault(target, []).extend(messages)
    return ValidationError(renamed)


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, tuple | list):
            out[key] = [str(v) for v in value]
        elif isinstance(value, dt.datetime):
            out[key] = value.isoformat()
        elif value is None or isinstance(value, bool | int | str):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def submit_open311_request(
    *,
    client: Open311Client,
    category: Category,
    place: Place,
    description: str,
    resident_name: str = "",
    resident_phone: str = "",
    latitude: Any = None,
    longitude: Any = None,
    attributes: Mapping[str, Any] | None = None,
    media_urls: Sequence[str] = (),
    batch: bool = False,
) -> tuple[Case, BatchToken | None]:
    """A request from an Open311 client, at the unit of the place its location resolved to.
    Batch services also get a token (returned instead of the request id; it resolves once
    staff accept the case). The client's `media_urls` (checked http(s) URLs of its own
    photos) are kept for the officers with the attributes, in the data of the case's first
    timeline entry; they are never shown publicly (they point at the resident's own photo,
    which nobody has checked). One transaction."""
    with transaction.atomic():
        case = submit_public_appeal(
            category=category,
            description=description,
            place=place,
            resident_name=resident_name,
            resident_phone=resident_phone,
            anonymous=True,
            consent=True,
            latitude=latitude,
            longitude=longitude,
            channel=AppealChannel.OPEN311,
            client=client,
            attributes=attributes,
        )
        if media_urls:
            first = Entry.objects.filter(case=case).order_by("at", "id").first()
            assert first is not None
            first.data = {**first.data, "media_urls": [str(u) for u in media_urls]}
            first.save(update_fields=["data"])
        token = None
        if batch:
            token = BatchToken.objects.create(
                token=secrets.token_urlsafe(BATCH_TOKEN_LENGTH)[:BATCH_TOKEN_LENGTH], case=case
            )
            Appeal.objects.filter(case=case).update(client_token=token.token)
    return case, token


def add_client_update(
    *,
    client: Open311Client,
    case: Case,
    update_id: str,
    status: str,
    description: str,
    updated_datetime: dt.datetime,
) -> tuple[Entry, bool]:
    """mySociety's POST servicerequestupdates: the client's note goes on the case's public
    timeline (redacted whenever shown). Returns the entry and whether it is new: the same
    client sending the same `update_id` again gets the first entry back, nothing written.

    A status only staff may set (FIXED, CLOSED, REOPEN, …) changes nothing by itself: closure
    must be verified by someone other than the handler, and reopening is a supervisor's
    decision. The note records what the client asked, and the case's owner (or, without one,
    the unit's sergeants and chief) is notified to check it.
    """
    status = status.lower()
    key = f"{client.name}:{update_id}"
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()
        existing = Entry.objects.filter(case=case, data__client_update=key).first()
        if existing is not None:
            return existing, False
        asks_staff = status in STAFF_DECIDES
        entry = Entry.objects.create(
            case=case,
            type=EntryType.NOTE,
            author=None,
            text=_text({}, "description", description, max_length=DESCRIPTION_MAX),
            is_public=True,
            at=timezone.now(),
            data={
                "client_update": key,
                "client": client.name,
                "status": status,
                "client_time": updated_datetime.isoformat(),
                "needs_staff": asks_staff,
            },
        )
        Case.objects.filter(pk=case.pk).update(updated_at=entry.at)
        audit.record(
            "appeal.client_update",
            obj=case,
            username=f"open311:{client.name}",
            details={"number": case.number, "entry": entry.pk, "status": status},
        )
        if asks_staff:
            members: list[int] = (
                [case.owner_id]
                if case.owner_id
                else supervisors_of(case.unit, (Role.SERGEANT, Role.STATION_CHIEF))
            )
            publish(
                kind="appeal.client_status",
                subject=_("%(client)s reports %(number)s as %(status)s: please check")
                % {"client": client.name, "number": case.number, "status": status.upper()},
                body=_(
                    "An Open311 client sent this status. Nothing changed by itself: verify "
                    "and close, or reopen, the case yourself if it is right."
                ),
                link=casework.case_link(case),
                members=members,
                dedupe_key=f"appeal:{case.pk}:client:{entry.pk}",
            )
    return entry, True


# --- Open311 client keys -----------------------------------------------------------------------


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_open311_client(*, actor: Member | None, name: str) -> tuple[Open311Client, str]:
    """A new Open311 client and its api_key, which is shown only this once (only a digest is
    stored). `actor=None` is the command line."""
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, max_length=64, required=True)
    if not errors and Open311Client.objects.filter(name=name).exists():
        _add(errors, "name", _("A client with this name exists already."))
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(5)
    key = f"{OPEN311_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        client = Open311Client.objects.create(
            name=name, key_prefix=prefix, key_digest=key_digest(key), created_by=actor
        )
        audit.record(
            "open311.client_create",
            actor=actor,
            obj=client,
            details={"name": name, "prefix": prefix},
        )
    return client, key


def deactivate_open311_client(*, actor: Member | None, client: Open311Client) -> Open311Client:
    """Refuse the client's key from now on."""
    with transaction.atomic():
        client.is_active = False
        client.save(update_fields=["is_active"])
        audit.record("open311.client_deactivate", actor=actor, obj=client)
    return client
