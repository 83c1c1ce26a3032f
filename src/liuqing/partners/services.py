"""Every write of partners and alerts: groups and invite codes, joining, pausing and leaving,
the partners' one-time-code sign-in, composing, approving, issuing, updating, cancelling,
resolving and expiring alerts, and the partners' acknowledgements, sightings and tips.

Staff operations take the acting member (`actor`) and check the access policy; partner
operations take the signed-in `partner` (liuqing.partners.session) and act only on what was
sent to them. Each is one transaction with its audit record. Issuing an alert version writes
its CAP message and every delivery (one per recipient and channel, liuqing.notify) in the
same transaction: the alert is out, with all its deliveries queued, or nothing happened.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import io
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce, Length
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from liuqing.core import access, audit, pii
from liuqing.core.access import CHANGE, AccessDenied, NotFound
from liuqing.core.models import Member, Place, Unit
from liuqing.notify import channels as notify_channels
from liuqing.notify import services as notify
from liuqing.notify.models import SIGNED_CHANNELS, Channel, Endpoint
from liuqing.partners import cap, geo
from liuqing.partners.models import (
    LANGUAGES,
    Alert,
    AlertKind,
    AlertScope,
    AlertStatus,
    AlertText,
    AlertVersion,
    Certainty,
    Language,
    Membership,
    MsgType,
    Partner,
    PartnerChannel,
    PartnerGroup,
    PartnerKind,
    PartnerSession,
    PartnerStatus,
    Reply,
    ReplyKind,
    Severity,
    SignInCode,
    Urgency,
)
from liuqing.partners.policies import ALERT, ALERT_APPROVAL, PARTNER, PARTNER_GROUP

CONSENT_VERSION = "2026-12"
CODE_TTL = dt.timedelta(minutes=10)
CODE_TRIES = 5
CODES_PER_WINDOW = 3
SESSION_TTL = dt.timedelta(days=30)
MAX_ALERT_DAYS = 30
TEXT_MAX = 2000
PHOTO_MAX_BYTES = 5 * 1024 * 1024
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _digest(value: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _in_scope(actor: Member, unit: Unit, kind: str) -> None:
    if not access.in_jurisdiction(actor, unit):
        raise NotFound
    if not access.can(actor, kind, CHANGE):
        raise AccessDenied


# --- Groups ------------------------------------------------------------------------------------


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _i in range(8))


def create_group(*, actor: Member, unit: Unit, name: str, description: str = "") -> PartnerGroup:
    """A partner group at `unit` (in the actor's jurisdiction) with a fresh invite code."""
    _in_scope(actor, unit, PARTNER_GROUP)
    errors: dict[str, list[str]] = {}
    name, description = name.strip(), description.strip()
    if not name or len(name) > 100:
        _add(errors, "name", _("Give the group a name of at most 100 characters."))
    if len(description) > 300:
        _add(errors, "description", _("At most 300 characters."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        group = PartnerGroup.objects.create(
            unit=unit, name=name, description=description, invite_code=new_invite_code()
        )
        audit.record("partner_group.create", actor=actor, obj=group, details={"name": name})
    return group


def renew_invite_code(*, actor: Member, group: PartnerGroup) -> PartnerGroup:
    """A new invite code (the old one, and QR codes printed with it, stop working)."""
    _in_scope(actor, group.unit, PARTNER_GROUP)
    with transaction.atomic():
        group.invite_code = new_invite_code()
        group.save(update_fields=["invite_code"])
        audit.record("partner_group.renew_code", actor=actor, obj=group)
    return group


def _check_url(errors: dict[str, list[str]], url: str) -> None:
    if not url.startswith("https://") and not (settings.DEBUG or settings.TESTING):
        _add(errors, "url", _("The address must start with https://."))
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        _add(errors, "url", _("Give the bot's web address (at most 500 characters)."))


def _check_name(errors: dict[str, list[str]], name: str) -> None:
    if not name.strip() or len(name) > 100:
        _add(errors, "name", _("Give it a name of at most 100 characters."))


def _check_secret(errors: dict[str, list[str]], channel: str, secret: str) -> None:
    if len(secret) > 200:
        _add(errors, "secret", _("At most 200 characters."))
    elif channel in SIGNED_CHANNELS and not secret.strip():
        _add(
            errors,
            "secret",
            _("A webhook or a DingTalk bot needs its signing secret: every message is signed."),
        )


def add_group_endpoint(
    *,
    actor: Member,
    group: PartnerGroup,
    channel: str,
    name: str,
    url: str,
    secret: str = "",
) -> Endpoint:
    """Connect a WeCom or DingTalk group bot, or a webhook, to the group. A webhook and a
    DingTalk bot need their signing secret (every message to them is HMAC-signed; a
    missing one is an error on ``secret``); a WeCom bot has no signing."""
    _in_scope(actor, group.unit, PARTNER_GROUP)
    errors: dict[str, list[str]] = {}
    if channel not in (Channel.WECOM, Channel.DINGTALK, Channel.WEBHOOK):
        _add(errors, "channel", _("Choose a group bot or a webhook."))
    _check_name(errors, name)
    url = (url or "").strip()
    _check_url(errors, url)
    _check_secret(errors, channel, secret)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            channel=channel,
            name=name.strip(),
            url=url,
            secret=secret,
            secret_rotated_at=timezone.now() if secret else None,
        )
        group.endpoints.add(endpoint)
        audit.record(
            "partner_group.add_endpoint",
            actor=actor,
            obj=group,
            details={"channel": channel, "name": name.strip(), "endpoint": endpoint.pk},
        )
    return endpoint


def edit_group_endpoint(
    *,
    actor: Member,
    group: PartnerGroup,
    endpoint: Endpoint,
    name: str,
    url: str = "",
    is_active: bool = True,
) -> Endpoint:
    """Rename a group's bot or webhook, give it a new address (empty: keep the address,
    which for a WeCom bot holds its key and is never shown back whole), or disable it
    (`is_active` False: nothing more is sent to it; its queued messages are dead-lettered
    when their turn comes and can be re-driven once it is enabled again). The channel
    cannot change; the secret changes only by `rotate_endpoint_secret`."""
    _in_scope(actor, group.unit, PARTNER_GROUP)
    errors: dict[str, list[str]] = {}
    _check_name(errors, name)
    url = (url or "").strip()
    if url:
        _check_url(errors, url)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        changed = []
        if endpoint.name != name.strip():
            endpoint.name = name.strip()
            changed.append("name")
        if url and url != endpoint.url:
            endpoint.url = url
            changed.append("url")
        if endpoint.is_active != bool(is_active):
            endpoint.is_active = bool(is_active)
            changed.append("is_active")
        if changed:
            endpoint.save(update_fields=changed)
            audit.record(
                "partner_group.edit_endpoint",
                actor=actor,
                obj=group,
                details={"endpoint": endpoint.pk, "changed": changed, "active": endpoint.is_active},
            )
    return endpoint


def rotate_endpoint_secret(
    *, actor: Member, group: PartnerGroup, endpoint: Endpoint, secret: str
) -> Endpoint:
    """Store a new signing secret for a group's bot or webhook (encrypted; never shown
    back). A signed channel's secret cannot be emptied; a WeCom bot's may be."""
    _in_scope(actor, group.unit, PARTNER_GROUP)
    secret = secret or ""
    errors: dict[str, list[str]] = {}
    _check_secret(errors, endpoint.channel, secret)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.secret = secret  # type: ignore[assignment]
        endpoint.secret_rotated_at = timezone.now() if secret else None
        endpoint.save(update_fields=["secret", "secret_rotated_at"])
        audit.record(
            "partner_group.rotate_secret",
            actor=actor,
            obj=group,
            details={"endpoint": endpoint.pk, "set": bool(secret)},
        )
    return endpoint


# --- Joining, pausing, leaving -------------------------------------------------------------------


def group_by_code(code: str) -> PartnerGroup | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return (
        PartnerGroup.objects.filter(invite_code=code, is_active=True).select_related("unit").first()
    )


def _partner_fields(
    errors: dict[str, list[str]],
    *,
    display_name: str,
    kind: str,
    phone: str,
    email: str,
    language: str,
    channels: Iterable[str],
) -> dict[str, Any]:
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 64:
        _add(errors, "display_name", _("Give a name of at most 64 characters."))
    if kind not in PartnerKind.values:
        _add(errors, "kind", _("Choose what you do."))
    normalised = ""
    try:
        normalised = pii.normalise_phone(phone or "")
    except ValidationError:
        _add(errors, "phone", _("Give a mobile phone number we can send a code to."))
    email = (email or "").strip()
    chosen = sorted(set(channels or []))
    if set(chosen) - set(PartnerChannel.values):
        _add(errors, "channels", _("Choose among the channels offered."))
    if PartnerChannel.EMAIL in chosen and not email:
        _add(errors, "email", _("Give an e-mail address to receive alerts by e-mail."))
    if email:
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            _add(errors, "email", _("This is not an e-mail address."))
    if language not in LANGUAGES:
        _add(errors, "language", _("Choose a language."))
    return {
        "display_name": display_name,
        "kind": kind,
        "phone": normalised,
        "email": email,
        "language": language,
        "channels": ",".join(chosen),
    }


def join_group(
    *,
    invite_code: str,
    display_name: str,
    kind: str,
    phone: str,
    place: Place | int | str | None,
    consent: bool,
    email: str = "",
    language: str = Language.ZH,
    channels: Iterable[str] = (PartnerChannel.SMS,),
) -> Partner:
    """A resident joins a partner group with its invite code (typed, or from the QR code).

    Someone already registered with the same phone number joins the group with their
    existing registration, unchanged (typing a number proves nothing about holding it).
    Refused with field errors, nothing written: a wrong or retired invite code (on
    ``invite_code``), no consent, a missing name, a phone number that does not parse, an
    unknown kind, language or channel, e-mail chosen without an address, a place outside
    the group's unit.
    """
    errors: dict[str, list[str]] = {}
    group = group_by_code(invite_code)
    if group is None:
        _add(errors, "invite_code", _("This invite code is not valid. Check it with your officer."))
    if not consent:
        _add(errors, "consent", _("Please read the notice and agree, so that we may register you."))
    fields = _partner_fields(
        errors,
        display_name=display_name,
        kind=kind,
        phone=phone,
        email=email,
        language=language,
        channels=channels,
    )
    chosen_place = None
    if place not in (None, "") and group is not None:
        chosen_place = (
            Place.objects.filter(is_active=True, pk=place).first()
            if str(place).isdigit() and len(str(place)) < 19
            else None
        )
        if chosen_place is None or not group.unit.is_ancestor_of(chosen_place.unit):
            _add(errors, "place", _("Choose one of the villages or communities offered."))
    if errors:
        raise ValidationError(errors)
    assert group is not None
    now = timezone.now()
    with transaction.atomic():
        partner = (
            Partner.objects.select_for_update()
            .filter(phone_index=pii.lookup_index(Partner._meta.get_field("phone"), fields["phone"]))  # type: ignore[arg-type]
            .exclude(status=PartnerStatus.LEFT)
            .first()
        )
        created = partner is None
        if partner is None:
            partner = Partner(unit=group.unit, consent_version=CONSENT_VERSION, consent_at=now)
            for name, value in fields.items():
                setattr(partner, name, value)
            partner.place = chosen_place
            partner.save()
        # A number already registered only gains the membership: whoever typed it has not
        # proved they hold it, so its name, channels, e-mail and language stay as they were
        # (otherwise a stranger could redirect its sign-in codes to their own e-mail).
        _enter(partner, group, now)
        audit.record(
            "partner.join",
            obj=partner,
            unit=group.unit,
            username=f"partner:{partner.pk}",
            details={"group": group.pk, "new": created, "kind": partner.kind},
        )
    return partner


def _enter(partner: Partner, group: PartnerGroup, now: dt.datetime) -> bool:
    """Make the partner a member of the group (again, if they left it); False if they
    already were."""
    membership, created = Membership.objects.get_or_create(partner=partner, group=group)
    if created:
        return True
    if membership.left_at is None:
        return False
    membership.left_at = None
    membership.joined_at = now
    membership.save(update_fields=["left_at", "joined_at"])
    return True


def _end_sessions(partner: Partner, now: dt.datetime) -> None:
    PartnerSession.objects.filter(partner=partner, ended_at__isnull=True).update(ended_at=now)


def set_partner_status(*, partner: Partner, status: str, actor: Member | None = None) -> Partner:
    """Pause, resume or leave. A partner acts on themselves (`actor` None); an officer may
    pause or resume a partner of their jurisdiction. Pausing or leaving withdraws the
    partner's alert deliveries not yet sent (new alerts target active partners only; a
    paused partner still gets sign-in codes, to resume). Leaving ends every membership and
    session and erases the phone number and e-mail address (the registration is kept,
    anonymous, for the figures)."""
    if status not in PartnerStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if actor is not None:
        _in_scope(actor, partner.unit, PARTNER)
        if status == PartnerStatus.LEFT:
            raise ValidationError({"status": _("Only the partner can leave.")})
    if partner.status == PartnerStatus.LEFT:
        raise ValidationError({"status": _("This partner has left.")})
    now = timezone.now()
    with transaction.atomic():
        partner.status = status
        fields = ["status"]
        if status == PartnerStatus.LEFT:
            partner.left_at = now
            partner.phone = ""  # type: ignore[assignment]
            partner.email = ""  # type: ignore[assignment]
            partner.display_name = _("(left)")
            fields += ["left_at", "phone", "phone_index", "email", "display_name"]
            Membership.objects.filter(partner=partner, left_at__isnull=True).update(left_at=now)
            _end_sessions(partner, now)
        if status != PartnerStatus.ACTIVE:
            notify.withdraw_for_recipient(
                recipient=partner.recipient,
                kind="alert",
                reason=_("The partner paused or left before it was sent."),
            )
        partner.save(update_fields=fields)
        audit.record(
            f"partner.{status}",
            actor=actor,
            obj=partner,
            username="" if actor else f"partner:{partner.pk}",
        )
    return partner


def join_with_code(*, partner: Partner, invite_code: str) -> PartnerGroup:
    """A signed-in partner joins one more group with its invite code, with their registration
    as it is (name, channels and place unchanged). A wrong or retired code is an error on
    ``invite_code`` and nothing is written; joining a group one is already in changes
    nothing; a group left earlier is joined again."""
    group = group_by_code(invite_code)
    if group is None:
        raise ValidationError(
            {"invite_code": _("This invite code is not valid. Check it with your officer.")}
        )
    if partner.status == PartnerStatus.LEFT:
        raise ValidationError({"status": _("This partner has left.")})
    with transaction.atomic():
        if not _enter(partner, group, timezone.now()):
            return group
        audit.record(
            "partner.join",
            obj=partner,
            unit=group.unit,
            username=f"partner:{partner.pk}",
            details={"group": group.pk, "new": False, "kind": partner.kind},
        )
    return group


def leave_group(*, partner: Partner, group: PartnerGroup) -> None:
    with transaction.atomic():
        updated = Membership.objects.filter(
            partner=partner, group=group, left_at__isnull=True
        ).update(left_at=timezone.now())
        if not updated:
            raise NotFound
        audit.record(
            "partner.leave_group",
            obj=partner,
            username=f"partner:{partner.pk}",
            details={"group": group.pk},
        )


# --- Signing in with a one-time code ---------------------------------------------------------


def _partner_by_phone(phone: str) -> Partner | None:
    try:
        normalised = pii.normalise_phone(phone or "")
    except ValidationError:
        return None
    index = pii.lookup_index(Partner._meta.get_field("phone"), normalised)  # type: ignore[arg-type]
    return (
        Partner.objects.filter(phone_index=index)
        .exclude(status=PartnerStatus.LEFT)
        .order_by("-pk")
        .first()
    )


def request_sign_in_code(*, phone: str) -> None:
    """Send a six-digit sign-in code through the partner's channel (text message, or e-mail
    if that is all they chose). Says nothing about whether the number is registered: an
    unknown number, or one that asked too often, silently gets nothing."""
    partner = _partner_by_phone(phone)
    if partner is None:
        return
    now = timezone.now()
    with transaction.atomic():
        recent = SignInCode.objects.filter(partner=partner, created_at__gt=now - CODE_TTL).count()
        if recent >= CODES_PER_WINDOW:
            return
        code = f"{secrets.randbelow(10**6):06d}"
        row = SignInCode.objects.create(
            partner=partner, digest=_digest(f"{partner.pk}:{code}"), expires_at=now + CODE_TTL
        )
        channel = (
            Channel.EMAIL
            if partner.channel_list == [PartnerChannel.EMAIL] and pii.plain(partner.email)
            else Channel.SMS
        )
        with translation.override(partner.language):
            subject = _("Your Liuqing sign-in code is %(code)s (valid 10 minutes).") % {
                "code": code
            }
        notify.publish_many(
            [
                notify.Message(
                    member_id=None,
                    recipient=partner.recipient,
                    kind="partner_code",
                    subject=subject,
                    dedupe_key=f"code:{row.pk}",
                    channel=channel,
                    expires_at=row.expires_at,
                )
            ]
        )
        audit.record("partner.code_sent", obj=partner, username=f"partner:{partner.pk}")


def sign_in(*, phone: str, code: str) -> tuple[Partner, str]:
    """Check the code; returns the partner and a fresh session token for their cookie.
    A wrong, expired or used code is an error on ``code`` (five wrong tries spend it)."""
    wrong = ValidationError({"code": _("This code is wrong or has expired. Ask for a new one.")})
    partner = _partner_by_phone(phone)
    code = (code or "").strip()
    if partner is None or not code.isdigit() or len(code) != 6:
        raise wrong
    now = timezone.now()
    with transaction.atomic():
        row = (
            SignInCode.objects.select_for_update()
            .filter(
                partner=partner, used_at__isnull=True, expires_at__gt=now, attempts__lt=CODE_TRIES
            )
            .order_by("-created_at")
            .first()
        )
        if row is None:
            raise wrong
        if not hmac.compare_digest(row.digest, _digest(f"{partner.pk}:{code}")):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            audit.record("partner.sign_in_failed", obj=partner, username=f"partner:{partner.pk}")
            failed = True  # committed (the try counts); reported after the transaction
        else:
            failed = False
            row.used_at = now
            row.save(update_fields=["used_at"])
            token = secrets.token_urlsafe(32)
            PartnerSession.objects.create(
                partner=partner, digest=_digest(token), expires_at=now + SESSION_TTL
            )
            audit.record("partner.sign_in", obj=partner, username=f"partner:{partner.pk}")
    if failed:
        raise wrong
    return partner, token


def partner_for_token(token: str | None) -> Partner | None:
    """The partner of a live session token (not ended, not expired, partner not left)."""
    if not token or len(token) > 100:
        return None
    session = (
        PartnerSession.objects.select_related("partner")
        .filter(digest=_digest(token), ended_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if session is None or session.partner.status == PartnerStatus.LEFT:
        return None
    return session.partner


def session_expiry(token: str) -> dt.datetime | None:
    """When a live session token stops working (None: it does not)."""
    if not token or len(token) > 100:
        return None
    return (
        PartnerSession.objects.filter(digest=_digest(token), ended_at__isnull=True)
        .values_list("expires_at", flat=True)
        .first()
    )


def sign_out(*, token: str) -> None:
    PartnerSession.objects.filter(digest=_digest(token), ended_at__isnull=True).update(
        ended_at=timezone.now()
    )


# --- Composing alerts ------------------------------------------------------------------------


def needs_approval(kind: str, scope: str) -> bool:
    """Missing-person and public alerts are issued by a station chief (or above)."""
    return kind == AlertKind.MISSING_PERSON or scope == AlertScope.PUBLIC


@dataclass(frozen=True)
class AlertInput:
    """What a form or an API call gives for an alert (texts: language → (headline,
    description, instruction))."""

    kind: str
    scope: str
    expires_at: dt.datetime | None
    texts: Mapping[str, tuple[str, str, str]]
    groups: list[PartnerGroup]
    places: list[Place]
    circle: str = ""
    polygon: str = ""
    severity: str = ""
    urgency: str = ""
    certainty: str = ""
    place_radius_km: float | None = None


PLACE_RADIUS_MAX_KM = 50.0


def default_place_radius_km() -> float:
    """The radius around a target place without a boundary of its own, when the alert does
    not choose one: settings.PARTNERS_PLACE_RADIUS_KM (2 km unless set)."""
    return float(getattr(settings, "PARTNERS_PLACE_RADIUS_KM", 2.0))


@dataclass(frozen=True)
class PlaceArea:
    """The area a target place stands for: its boundary when it has one (`shapes`, with
    their holes, decide who is inside; `polygons`, their outer rings, go into the CAP
    message), else a circle of the alert's place radius around its point (neither: the
    place alone)."""

    place: Place
    polygons: list[list[tuple[float, float]]]
    circle: geo.Circle | None
    shapes: tuple[geo.Shape, ...] = ()


def alert_circle(alert: Alert) -> geo.Circle | None:
    """The alert's own circle, if it has one."""
    if alert.radius_km is None or alert.circle_lat is None or alert.circle_lon is None:
        return None
    return geo.Circle(alert.circle_lat, alert.circle_lon, alert.radius_km)


def place_areas(alert: Alert) -> list[PlaceArea]:
    radius = alert.place_radius_km or default_place_radius_km()
    areas = []
    for place in alert.places.all():
        shapes = tuple(geo.boundary_shapes(place.boundary))
        polygons = [geo.thinned(shape.outer) for shape in shapes]
        circle = None
        if not shapes and place.latitude is not None and place.longitude is not None:
            circle = geo.Circle(float(place.latitude), float(place.longitude), radius)
        areas.append(PlaceArea(place=place, polygons=polygons, circle=circle, shapes=shapes))
    return areas


def _check_alert(
    actor: Member, unit: Unit, data: AlertInput, errors: dict[str, list[str]]
) -> dict[str, Any]:
    now = timezone.now()
    if data.kind not in AlertKind.values:
        _add(errors, "kind", _("Choose a kind of alert."))
    if data.scope not in AlertScope.values:
        _add(errors, "scope", _("Choose the audience."))
    for name, choices in (
        ("severity", Severity.values),
        ("urgency", Urgency.values),
        ("certainty", Certainty.values),
    ):
        if getattr(data, name) and getattr(data, name) not in choices:
            _add(errors, name, _("Choose one of the values offered."))
    if data.expires_at is None:
        _add(errors, "expires_at", _("Give the time the alert expires."))
    elif data.expires_at <= now:
        _add(errors, "expires_at", _("The expiry must be in the future."))
    elif data.expires_at > now + dt.timedelta(days=MAX_ALERT_DAYS):
        _add(
            errors,
            "expires_at",
            _("An alert lasts at most %(n)d days; issue an update to extend it.")
            % {"n": MAX_ALERT_DAYS},
        )
    circle = None
    if data.circle.strip():
        try:
            circle = geo.parse_circle(data.circle)
        except geo.AreaError as exc:
            _add(errors, "circle", str(exc))
        else:
            if not 0 < circle.radius_km <= 200:
                _add(errors, "circle", _("A radius of more than 0 and at most 200 km."))
    if data.place_radius_km is not None and not (0 < data.place_radius_km <= PLACE_RADIUS_MAX_KM):
        _add(
            errors,
            "place_radius_km",
            _("A radius of more than 0 and at most %(n)d km.") % {"n": PLACE_RADIUS_MAX_KM},
        )
    polygon = ""
    if data.polygon.strip():
        try:
            polygon = geo.format_polygon(geo.parse_polygon(data.polygon))
        except geo.AreaError as exc:
            _add(errors, "polygon", str(exc))
    for group in data.groups:
        if not unit.is_ancestor_of(group.unit) or not group.is_active:
            _add(errors, "groups", _("Choose groups of the alert's unit."))
            break
    for place in data.places:
        if not unit.is_ancestor_of(place.unit):
            _add(errors, "places", _("Choose places of the alert's unit."))
            break
    if not (data.groups or data.places or data.circle.strip() or data.polygon.strip()):
        _add(
            errors,
            "area",
            _("Give the alert an area: groups, places, a radius or a polygon."),
        )
    texts: dict[str, tuple[str, str, str]] = {}
    for language, (headline, description, instruction) in data.texts.items():
        if language not in LANGUAGES:
            _add(errors, "texts", _("Unknown language."))
            continue
        headline, description, instruction = (
            (headline or "").strip(),
            (description or "").strip(),
            (instruction or "").strip(),
        )
        if not (headline or description or instruction):
            continue
        if not headline or len(headline) > 120:
            _add(errors, f"headline_{language}", _("A headline of at most 120 characters."))
        if not description or len(description) > TEXT_MAX:
            _add(errors, f"description_{language}", _("A description of at most 2,000 characters."))
        if len(instruction) > 1000:
            _add(errors, f"instruction_{language}", _("At most 1,000 characters."))
        texts[language] = (headline, description, instruction)
    if Language.ZH not in texts and f"headline_{Language.ZH}" not in errors:
        _add(errors, f"headline_{Language.ZH}", _("The Chinese text is required."))
    return {"circle": circle, "polygon": polygon, "texts": texts}


def save_alert(*, actor: Member, unit: Unit, data: AlertInput, alert: Alert | None = None) -> Alert:
    """Create a draft alert at `unit`, or change a draft or an alert awaiting approval.
    Refused with field errors, nothing written: no area (``area``), no or a past expiry, a
    polygon that is not closed, a malformed circle, groups or places outside the unit, no
    Chinese text, texts too long."""
    _in_scope(actor, unit, ALERT)
    if alert is not None and alert.status not in (AlertStatus.DRAFT, AlertStatus.AWAITING):
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("Only a draft can be edited; issue an update instead.")]}
        )
    errors: dict[str, list[str]] = {}
    checked = _check_alert(actor, unit, data, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        created = alert is None
        if alert is None:
            alert = Alert(unit=unit, created_by=actor)
        _apply(alert, data, checked)
        alert.status = AlertStatus.DRAFT
        alert.save()
        _store_texts_and_targets(alert, data, checked)
        audit.record(
            "alert.create" if created else "alert.edit",
            actor=actor,
            obj=alert,
            details={"kind": alert.kind, "scope": alert.scope},
        )
    return alert


def _apply(alert: Alert, data: AlertInput, checked: dict[str, Any]) -> None:
    from liuqing.partners.templates_text import template_for

    defaults = template_for(data.kind)
    alert.kind, alert.scope = data.kind, data.scope
    alert.severity = data.severity or defaults["severity"]
    alert.urgency = data.urgency or defaults["urgency"]
    alert.certainty = data.certainty or defaults["certainty"]
    assert data.expires_at is not None
    alert.expires_at = data.expires_at
    circle = checked["circle"]
    alert.circle_lat = circle.lat if circle else None
    alert.circle_lon = circle.lon if circle else None
    alert.radius_km = circle.radius_km if circle else None
    alert.polygon = checked["polygon"]
    alert.place_radius_km = data.place_radius_km


def _store_texts_and_targets(alert: Alert, data: AlertInput, checked: dict[str, Any]) -> None:
    AlertText.objects.filter(alert=alert).delete()
    AlertText.objects.bulk_create(
        AlertText(alert=alert, language=lang, headline=h, description=d, instruction=i)
        for lang, (h, d, i) in checked["texts"].items()
    )
    alert.groups.set(data.groups)
    alert.places.set(data.places)


# --- Recipients -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipients:
    partners: list[tuple[int, str, str, bool]]  # pk, language, channels, has e-mail
    endpoints: list[tuple[int, str]]  # pk, channel


def _places_within(
    places: QuerySet[Place],
    box: tuple[float, float, float, float],
    contains: Callable[[float, float], bool],
) -> set[int]:
    """The places (with a point) in the bounding box `box` whose point a shape `contains`."""
    lo_lat, lo_lon, hi_lat, hi_lon = box
    return {
        pk
        for pk, lat, lon in places.filter(
            latitude__gte=lo_lat, latitude__lte=hi_lat, longitude__gte=lo_lon, longitude__lte=hi_lon
        ).values_list("pk", "latitude", "longitude")
        if contains(float(lat), float(lon))
    }


def recipients(alert: Alert) -> Recipients:
    """Who receives the alert: active partners (consented, not paused) who are members of
    a target group, wherever they registered (a partner registered at one station may join
    groups run by others), or whose village, one of the alert's unit subtree, is a target
    place or lies in the circle, the polygon or a target place's area (its boundary less
    its holes, else the circle of the alert's place radius around it: `place_areas`); and
    the group bots and webhooks of the target groups.

    The unit a partner registered at decides neither: a group is the alert's unit's own
    (`_check_alert`), and so are the villages matched, so an alert reaches no one outside
    its unit's groups and territory."""
    base = Partner.objects.filter(status=PartnerStatus.ACTIVE)
    group_ids = list(alert.groups.values_list("pk", flat=True))
    areas = place_areas(alert)
    place_ids = {area.place.pk for area in areas}
    places_qs = Place.objects.filter(
        access.subtree_q(alert.unit, "unit__path"), latitude__isnull=False
    )
    # The villages inside the alert's circle or polygon, or inside a target place's area (its
    # boundary, else the circle of the place radius around it), are targeted too.
    circles = [c for c in [alert_circle(alert), *(a.circle for a in areas)] if c is not None]
    shapes = [geo.Shape(geo.parse_polygon(alert.polygon))] if alert.polygon else []
    shapes += [shape for area in areas for shape in area.shapes]
    for circle in circles:
        place_ids |= _places_within(places_qs, geo.circle_box(circle), circle.contains)
    for shape in shapes:
        place_ids |= _places_within(places_qs, geo.bounding_box(shape.outer), shape.contains)
    # A semi-join (IN a subquery), not a join with DISTINCT: one row per partner whatever
    # the number of groups, and no sort of 10,000 rows to remove duplicates.
    where = Q(pk__in=[])
    if group_ids:
        where |= Q(
            pk__in=Membership.objects.filter(group_id__in=group_ids, left_at__isnull=True).values(
                "partner_id"
            )
        )
    if place_ids:
        where |= Q(place_id__in=place_ids)
    # Whether a partner has an e-mail address is all that is needed here: the length of its
    # ciphertext says so without decrypting 10,000 addresses.
    rows = (
        base.filter(where)
        .annotate(email_length=Coalesce(Length("email"), 0))
        .values_list("pk", "language", "channels", "email_length")
        .order_by("pk")
    )
    partners = [(pk, lang, chans, length > 0) for pk, lang, chans, length in rows]
    endpoints = sorted(
        set(
            Endpoint.objects.filter(
                is_active=True,
                pk__in=PartnerGroup.endpoints.through.objects.filter(
                    partnergroup_id__in=group_ids
                ).values("endpoint_id"),
            ).values_list("pk", "channel")
        )
    )
    return Recipients(partners=partners, endpoints=endpoints)


# --- Issuing versions -------------------------------------------------------------------------


def partner_link(alert: Alert) -> str:
    from django.urls import reverse

    base = str(getattr(settings, "LIUQING_BASE_URL", "")).rstrip("/")
    return base + reverse("partners:pp_alert", kwargs={"pk": alert.pk})


def cap_url(identifier: str) -> str:
    from django.urls import reverse

    base = str(getattr(settings, "LIUQING_BASE_URL", "")).rstrip("/")
    return base + reverse("partners:cap", kwargs={"identifier": identifier})


def public_cap_url(alert: Alert, identifier: str) -> str | None:
    """The URL of a version's public CAP message, or None where that URL would answer 404:
    only public alerts' versions are served (liuqing.partners.selectors.public_version)."""
    return cap_url(identifier) if alert.scope == AlertScope.PUBLIC else None


def _texts_of(alert: Alert) -> dict[str, AlertText]:
    return {t.language: t for t in alert.texts.all()}


def _areas(alert: Alert) -> list[cap.AreaSpec]:
    names = [g.name for g in alert.groups.all()] + [p.name for p in alert.places.all()]
    circle = alert_circle(alert)
    circles = [circle.cap()] if circle is not None else []
    polygons = [alert.polygon] if alert.polygon else []
    for area in place_areas(alert):
        polygons += [geo.cap_polygon(points) for points in area.polygons]
        if area.circle is not None:
            circles.append(area.circle.cap())
    description = "、".join(names) or alert.unit.name
    return [
        cap.AreaSpec(
            description=description[:300],
            polygons=polygons,
            circles=circles,
            geocodes=[("liuqing:unit", alert.unit.code)],
        )
    ]


def cap_message(alert: Alert, version: AlertVersion, previous: list[AlertVersion]) -> cap.Message:
    texts = _texts_of(alert)
    infos = []
    for language in LANGUAGES:
        text = texts.get(language)
        if text is None:
            continue
        with translation.override(language):
            event = str(AlertKind(alert.kind).label)
            sender_name = alert.unit.name
        infos.append(
            cap.InfoBlock(
                language=language,
                event=event,
                headline=text.headline,
                description=text.description,
                instruction=text.instruction,
                sender_name=sender_name,
            )
        )
    references = " ".join(f"{cap.sender()},{v.identifier},{cap.cap_time(v.sent)}" for v in previous)
    return cap.Message(
        identifier=version.identifier,
        sender=cap.sender(),
        sent=version.sent,
        msg_type=version.msg_type,
        scope=alert.scope,
        category=cap.CATEGORY[alert.kind],
        urgency=alert.urgency if version.msg_type != MsgType.CANCEL else "Past",
        severity=alert.severity,
        certainty=alert.certainty,
        expires=max(alert.expires_at, version.sent + dt.timedelta(minutes=1)),
        infos=infos,
        areas=_areas(alert),
        references=references,
        note=version.note,
        web=partner_link(alert),
        response_type="AllClear" if version.msg_type == MsgType.CANCEL else "",
    )


def _issue_version(alert: Alert, actor: Member, msg_type: str, note: str = "") -> AlertVersion:
    """Inside the caller's transaction: the version's CAP message (validated), its row, and
    one delivery per recipient and channel; earlier versions' unsent deliveries are
    withdrawn."""
    previous = list(alert.versions.order_by("number"))
    number = len(previous) + 1
    now = timezone.now()
    version = AlertVersion(
        alert=alert,
        number=number,
        msg_type=msg_type,
        identifier=f"{alert.unit.code}-A{alert.pk}-{number}",
        sent=now,
        note=note[:300],
        issued_by=actor,
    )
    message = cap_message(alert, version, previous)
    version.references = message.references
    xml = cap.build(message)
    problems = cap.validate(xml)
    if problems:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    _("The alert is not a valid CAP message: %(p)s")
                    % {"p": "; ".join(problems[:3])}
                ]
            }
        )
    version.xml = xml.decode("utf-8")
    notify.withdraw(topic=alert.topic, reason=_("Superseded by version %(n)d.") % {"n": number})
    targets = recipients(alert)
    version.recipients = len(targets.partners)
    version.save()
    _write_deliveries(alert, version, targets)
    return version


def _write_deliveries(alert: Alert, version: AlertVersion, targets: Recipients) -> int:
    texts = _texts_of(alert)
    link = partner_link(alert)
    verb = {
        MsgType.ALERT: "",
        MsgType.UPDATE: _("Update: "),
        MsgType.CANCEL: _("Cancelled: "),
    }
    by_language: dict[str, tuple[str, str]] = {}
    for language in LANGUAGES:
        text = texts.get(language) or texts[Language.ZH]
        with translation.override(language):
            prefix = str(verb[MsgType(version.msg_type)])
            if version.msg_type == MsgType.CANCEL and version.note:
                body = version.note
            else:
                body = text.description + ("\n" + text.instruction if text.instruction else "")
        by_language[language] = (prefix + text.headline, body)
    key = f"alert:{alert.pk}:v{version.number}"
    sms_gateway = (
        Endpoint.objects.filter(channel=Channel.SMS, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    expires = alert.expires_at if version.msg_type != MsgType.CANCEL else None
    # What every message of this version shares, named once.
    message = functools.partial(
        notify.Message,
        member_id=None,
        kind="alert",
        dedupe_key=key,
        topic=alert.topic,
        expires_at=expires,
    )
    # 10,000 partners make 20,000 messages or more: the loop reads plain locals only (an
    # enum member or a property looked up per row costs more than the row's own work), and
    # the channels of each distinct choice of channels are worked out once.
    inapp, sms, email = Channel.INAPP.value, Channel.SMS.value, Channel.EMAIL.value
    wants_sms, wants_email = PartnerChannel.SMS.value, PartnerChannel.EMAIL.value

    @functools.cache
    def routes(chans: str, has_email: bool) -> tuple[tuple[str, int | None], ...]:
        """Channel and endpoint of each message to a partner: in the app always, then each
        channel they chose that can reach them."""
        found: list[tuple[str, int | None]] = [(inapp, None)]
        for chan in chans.split(",") if chans else ():
            if chan == wants_sms:
                found.append((sms, sms_gateway))
            elif chan == wants_email and has_email:
                found.append((email, None))
        return tuple(found)

    fallback = by_language[Language.ZH]
    messages: list[notify.Message] = []
    add = messages.append
    for pk, language, chans, has_email in targets.partners:
        subject, body = by_language.get(language, fallback)
        recipient = f"partner:{pk}"
        for channel, endpoint_id in routes(chans, has_email):
            add(
                message(
                    subject=subject,
                    body=body,
                    link=link,
                    channel=channel,
                    recipient=recipient,
                    endpoint_id=endpoint_id,
                )
            )
    subject, body = fallback
    for pk, chan in targets.endpoints:
        add(
            message(
                subject=subject,
                body=body,
                link=public_cap_url(alert, version.identifier) or link,
                channel=chan,
                recipient=f"endpoint:{pk}",
                endpoint_id=pk,
            )
        )
    return notify.publish_many(messages)


def _lock(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().select_related("unit").get(pk=alert.pk)


def issue_alert(*, actor: Member, alert: Alert) -> Alert:
    """Issue a draft (or approve one awaiting approval). A missing-person or public alert
    issued by someone who may not approve goes to the station chief instead (status
    awaiting). Issuing writes version 1 (CAP msgType Alert) and its deliveries."""
    _in_scope(actor, alert.unit, ALERT)
    with transaction.atomic():
        alert = _lock(alert)
        if alert.status not in (AlertStatus.DRAFT, AlertStatus.AWAITING):
            raise ValidationError({NON_FIELD_ERRORS: [_("This alert was already issued.")]})
        if alert.expires_at <= timezone.now():
            raise ValidationError({"expires_at": _("The expiry must be in the future.")})
        approver = access.can(actor, ALERT_APPROVAL, CHANGE)
        if needs_approval(alert.kind, alert.scope) and not approver:
            if alert.status == AlertStatus.AWAITING:
                raise AccessDenied(_("A station chief approves this alert."))
            alert.status = AlertStatus.AWAITING
            alert.save(update_fields=["status"])
            audit.record("alert.submit", actor=actor, obj=alert)
            return alert
        alert.status = AlertStatus.ISSUED
        alert.issued_at = timezone.now()
        if needs_approval(alert.kind, alert.scope):
            alert.approved_by = actor
        alert.save(update_fields=["status", "issued_at", "approved_by"])
        version = _issue_version(alert, actor, MsgType.ALERT)
        audit.record(
            "alert.issue",
            actor=actor,
            obj=alert,
            details={"identifier": version.identifier, "recipients": version.recipients},
        )
    return alert


def update_alert(*, actor: Member, alert: Alert, data: AlertInput, note: str = "") -> Alert:
    """Change an issued alert: a new version (CAP Update, referencing every earlier one) goes
    to the recomputed recipients; unsent deliveries of earlier versions are withdrawn.
    Missing-person and public alerts are updated by an approver only."""
    _in_scope(actor, alert.unit, ALERT)
    if needs_approval(alert.kind, alert.scope) and not access.can(actor, ALERT_APPROVAL, CHANGE):
        raise AccessDenied(_("A station chief approves this alert."))
    errors: dict[str, list[str]] = {}
    checked = _check_alert(actor, alert.unit, data, errors)
    if data.kind != alert.kind:
        _add(errors, "kind", _("The kind of an issued alert cannot change."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        alert = _lock(alert)
        if alert.status != AlertStatus.ISSUED:
            raise ValidationError({NON_FIELD_ERRORS: [_("Only an issued alert can be updated.")]})
        _apply(alert, data, checked)
        alert.save()
        _store_texts_and_targets(alert, data, checked)
        version = _issue_version(alert, actor, MsgType.UPDATE, note)
        audit.record(
            "alert.update", actor=actor, obj=alert, details={"identifier": version.identifier}
        )
    return alert


def _close(actor: Member, alert: Alert, status: str, note: str) -> Alert:
    _in_scope(actor, alert.unit, ALERT)
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": _("At most 300 characters.")})
    if status == AlertStatus.RESOLVED and not note:
        raise ValidationError({"note": _("Say how it ended (for example: found safe).")})
    with transaction.atomic():
        alert = _lock(alert)
        if alert.status != AlertStatus.ISSUED:
            raise ValidationError({NON_FIELD_ERRORS: [_("Only an issued alert can be closed.")]})
        alert.status = status
        alert.closed_at = timezone.now()
        alert.resolution = note
        alert.save(update_fields=["status", "closed_at", "resolution"])
        version = _issue_version(alert, actor, MsgType.CANCEL, note or str(_("Cancelled.")))
        audit.record(
            f"alert.{status}", actor=actor, obj=alert, details={"identifier": version.identifier}
        )
    return alert


def cancel_alert(*, actor: Member, alert: Alert, note: str = "") -> Alert:
    """Cancel an issued alert (CAP Cancel): unsent deliveries are withdrawn and recipients
    are told."""
    return _close(actor, alert, AlertStatus.CANCELLED, note)


def resolve_alert(*, actor: Member, alert: Alert, note: str) -> Alert:
    """The matter ended (the child was found): like a cancellation, and the time from issue
    to resolution counts in the figures."""
    return _close(actor, alert, AlertStatus.RESOLVED, note)


def expire_alerts(now: dt.datetime | None = None) -> int:
    """Mark issued alerts past their expiry expired (the worker's job); their unsent
    deliveries are skipped by the worker."""
    now = now or timezone.now()
    with transaction.atomic():
        pks = list(
            Alert.objects.filter(status=AlertStatus.ISSUED, expires_at__lte=now).values_list(
                "pk", flat=True
            )
        )
        if pks:
            Alert.objects.filter(pk__in=pks).update(status=AlertStatus.EXPIRED, closed_at=now)
            for pk in pks:
                notify.withdraw(topic=f"alert:{pk}", reason="expired")
            audit.record("alert.expire", object_type="partners.alert", details={"ids": pks[:100]})
    return len(pks)


def redrive_alert(*, actor: Member, alert: Alert) -> int:
    """Put the dead letters of the alert's latest version back in the queue. Those of earlier
    versions stay dead (an updated, cancelled or resolved alert must not go out again as it
    was; after a cancellation or resolution the latest version is the notice that says so),
    and an expired alert sends nothing more."""
    _in_scope(actor, alert.unit, ALERT)
    from liuqing.notify.models import Delivery, DeliveryStatus

    if alert.status not in (AlertStatus.ISSUED, AlertStatus.CANCELLED, AlertStatus.RESOLVED):
        raise ValidationError(
            _(
                "Only the failed deliveries of an issued, cancelled or resolved alert "
                "can be sent again."
            )
        )
    latest = alert.versions.order_by("-number").values_list("number", flat=True).first()
    if latest is None:
        return 0
    # Not to a partner who paused or left since (their contact no longer wants alerts).
    gone = [
        f"partner:{pk}"
        for pk in Partner.objects.filter(
            pk__in=_partner_pks(
                Delivery.objects.filter(topic=alert.topic, status=DeliveryStatus.DEAD).values_list(
                    "recipient", flat=True
                )
            )
        )
        .exclude(status=PartnerStatus.ACTIVE)
        .values_list("pk", flat=True)
    ]
    return notify.redrive(
        Delivery.objects.filter(
            topic=alert.topic, dedupe_key=f"alert:{alert.pk}:v{latest}"
        ).exclude(recipient__in=gone),
        actor=actor,
    )


def _partner_pks(recipients: Iterable[str]) -> list[int]:
    return [
        int(ref)
        for prefix, _sep, ref in (r.partition(":") for r in recipients)
        if prefix == "partner" and ref.isdigit() and len(ref) < 19
    ]


# --- The partners' replies -----------------------------------------------------------------------


def _photo(errors: dict[str, list[str]], upload: Any) -> ContentFile[bytes] | None:
    if upload is None:
        return None
    from PIL import Image, UnidentifiedImageError

    data = upload.read(PHOTO_MAX_BYTES + 1)
    if len(data) > PHOTO_MAX_BYTES:
        _add(errors, "photo", _("A photo of at most 5 MB."))
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind = (image.format or "").lower()
    except (UnidentifiedImageError, OSError, ValueError):
        _add(errors, "photo", _("This file is not a photo (JPEG or PNG)."))
        return None
    if kind not in ("jpeg", "png"):
        _add(errors, "photo", _("This file is not a photo (JPEG or PNG)."))
        return None
    return ContentFile(data, name=f"{secrets.token_hex(16)}.{'jpg' if kind == 'jpeg' else 'png'}")


def _location(
    errors: dict[str, list[str]], latitude: Any, longitude: Any
) -> tuple[float | None, float | None]:
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        _add(errors, "latitude", _("Give both latitude and longitude as numbers, or neither."))
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        _add(errors, "latitude", _("This location is outside the globe."))
        return None, None
    return lat, lon


def acknowledge(*, partner: Partner, alert: Alert) -> Reply:
    """The partner saw the alert (once; a second acknowledgement returns the first)."""
    from liuqing.partners.selectors import access_partner_alert

    alert = access_partner_alert(partner, alert.pk)
    with transaction.atomic():
        found = Reply.objects.filter(partner=partner, alert=alert, kind=ReplyKind.ACK).first()
        if found is not None:
            return found
        reply = Reply.objects.create(partner=partner, alert=alert, kind=ReplyKind.ACK)
        audit.record("alert.ack", obj=alert, username=f"partner:{partner.pk}", unit=alert.unit)
    return reply


def report_sighting(
    *,
    partner: Partner,
    alert: Alert,
    text: str,
    latitude: Any = None,
    longitude: Any = None,
    photo: Any = None,
) -> Reply:
    """A sighting of an alert sent to the partner: text, optional location and photo."""
    from liuqing.partners.selectors import access_partner_alert

    alert = access_partner_alert(partner, alert.pk)
    errors: dict[str, list[str]] = {}
    text = (text or "").strip()
    if not text or len(text) > TEXT_MAX:
        _add(errors, "text", _("Say what you saw (at most 2,000 characters)."))
    lat, lon = _location(errors, latitude, longitude)
    stored = _photo(errors, photo)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        reply = Reply(
            partner=partner,
            alert=alert,
            kind=ReplyKind.SIGHTING,
            text=text,
            latitude=lat,
            longitude=lon,
        )
        if stored is not None:
            reply.photo.save(stored.name or "photo", stored, save=False)
        reply.save()
        audit.record("alert.sighting", obj=alert, username=f"partner:{partner.pk}", unit=alert.unit)
    return reply


def send_tip(
    *,
    partner: Partner,
    category: Any,
    place: Any,
    text: str,
    latitude: Any = None,
    longitude: Any = None,
) -> Reply:
    """A tip outside any alert (a broken street light, a hazard): it becomes a resident's
    request through the appeals module's service, at the chosen village (one of the unit
    the partner registered at or of their groups' units, `selectors.tip_places`); the
    partner keeps the request's tracking code.
    Errors are on the same fields as the appeals service's."""
    from liuqing.appeals.public_services import submit_public_appeal
    from liuqing.partners.selectors import tip_places

    errors: dict[str, list[str]] = {}
    # The villages offered to the partner (the page's choices).
    if place not in (None, "") and not (
        str(place).isdigit()
        and len(str(place)) < 19
        and tip_places(partner).filter(pk=int(str(place))).exists()
    ):
        _add(errors, "place", _("Choose one of the villages or communities offered."))
    lat, lon = _location(errors, latitude, longitude)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = submit_public_appeal(
            category=category,
            description=(text or "").strip(),
            place=place,
            consent=True,
            latitude=lat,
            longitude=lon,
            anonymous=True,
        )
        reply = Reply.objects.create(
            partner=partner,
            kind=ReplyKind.TIP,
            text=(text or "").strip(),
            latitude=lat,
            longitude=lon,
            case_code=str(case.public_code),
        )
        audit.record(
            "partner.tip",
            obj=partner,
            username=f"partner:{partner.pk}",
            details={"case": case.number},
        )
    return reply


# --- Resolving partners for the notify engine -------------------------------------------------


def contact(ref: str) -> notify_channels.Contact | None:
    """notify's resolver for "partner:<pk>": the partner's phone and e-mail, inactive once
    they paused or left."""
    if not ref.isdigit() or len(ref) > 18:
        return None
    partner = Partner.objects.filter(pk=int(ref)).first()
    if partner is None:
        return None
    return notify_channels.Contact(
        phone=pii.plain(partner.phone),
        email=pii.plain(partner.email),
        language=partner.language,
        # A paused partner still gets sign-in codes (to resume); alerts skip them at publish,
        # and pausing withdrew those already queued (set_partner_status).
        active=partner.status != PartnerStatus.LEFT,
    )
