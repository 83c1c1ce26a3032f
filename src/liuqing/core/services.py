"""Every write in core: one business operation per function, one transaction, its audit record.

Services take the acting member (`actor`) and keyword-only arguments, check permission through
`liuqing.core.access`, validate with the models' own rules (field-level `ValidationError`), and
record the change with masked personal data. Callers (views, API, CLI) do nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.core import access, audit
from liuqing.core.access import CHANGE, AccessDenied
from liuqing.core.models import (
    TEAM_MAX_AUXILIARIES,
    ApiToken,
    Member,
    MemberRole,
    Place,
    Role,
    SensitiveGrant,
    SensitiveLabel,
    Team,
    TeamMembership,
    TeamPosition,
    Unit,
)
from liuqing.core.pii import Protected

# --- Units -----------------------------------------------------------------------------------


def _assign_path(unit: Unit) -> None:
    parent_path = unit.parent.path if unit.parent is not None else ""
    unit.path = f"{parent_path}{unit.pk:08d}."
    unit.depth = unit.path.count(".") - 1


def create_unit(
    *,
    actor: Member | None,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None,
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    duty_phone: str = "",
    boundary: str = "",
) -> Unit:
    """Create a unit under `parent` (the actor must be allowed to change the parent).

    `actor=None` is for the bootstrap and demo commands, which create the root detachment.
    `boundary` is the jurisdiction's outline as GeoJSON text (as for places) or "".
    """
    if actor is not None:
        if parent is None:
            raise AccessDenied(_("Only the set-up command creates a top-level unit."))
        access.check(actor, parent, "unit", CHANGE)
    coordinates = _coordinates(latitude=latitude, longitude=longitude)
    unit = Unit(
        code=code.strip(),
        name=name.strip(),
        kind=kind,
        parent=parent,
        duty_phone=duty_phone.strip(),
        boundary=boundary.strip(),
        **coordinates,
    )
    unit.full_clean(exclude=["path"])
    with transaction.atomic():
        unit.save()
        _assign_path(unit)
        unit.save(update_fields=["path", "depth"])
        audit.record("unit.create", actor=actor, obj=unit, details={"fields": _unit_snapshot(unit)})
    return unit


def update_unit(*, actor: Member, unit: Unit, **changes: Any) -> Unit:
    """Change a unit's name, code, coordinates, boundary, duty phone or active flag."""
    access.check(actor, unit, "unit", CHANGE)
    allowed = {"code", "name", "latitude", "longitude", "boundary", "duty_phone", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({f: _("This field cannot be changed here.") for f in unknown})
    before = _unit_snapshot(unit)
    coordinates = _coordinates(
        **{k: v for k, v in changes.items() if k in {"latitude", "longitude"}}
    )
    for key, value in {**changes, **coordinates}.items():
        setattr(unit, key, value.strip() if isinstance(value, str) else value)
    unit.full_clean(exclude=["path"])
    with transaction.atomic():
        unit.save()
        audit.record(
            "unit.update",
            actor=actor,
            obj=unit,
            details={"changes": audit.diff(before, _unit_snapshot(unit))},
        )
    return unit


def _unit_snapshot(unit: Unit) -> dict[str, Any]:
    # As for places: the audit trail keeps a boundary's digest, not its thousands of positions.
    fields = audit.snapshot(unit)
    if fields.get("boundary"):
        fields["boundary"] = "sha256:" + hashlib.sha256(unit.boundary.encode()).hexdigest()[:16]
    return fields


def move_unit(*, actor: Member, unit: Unit, new_parent: Unit) -> Unit:
    """Re-parent a unit; every descendant's path follows in the same transaction."""
    access.check(actor, unit, "unit", CHANGE)
    access.check(actor, new_parent, "unit", CHANGE)
    old_path = unit.path
    unit.parent = new_parent
    unit.full_clean(exclude=["path"])
    with transaction.atomic():
        _assign_path(unit)
        unit.save()
        low, high = old_path, old_path[:-1] + "/"
        for child in Unit.objects.filter(path__gt=low, path__lt=high).order_by("path"):
            child.path = unit.path + child.path[len(old_path) :]
            child.depth = child.path.count(".") - 1
            child.save(update_fields=["path", "depth"])
        audit.record(
            "unit.move",
            actor=actor,
            obj=unit,
            details={"from": old_path, "to": unit.path, "parent": new_parent.pk},
        )
    return unit


def _decimal(value: Any, field: str) -> Decimal | None:
    """A coordinate as a Decimal with six places; a field error (not a crash) for anything
    that is not a finite number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError({field: _("Enter a number.")})
    try:
        number = Decimal(str(value).strip()).quantize(Decimal("0.000001"))
    except (ArithmeticError, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    return number


def _coordinates(**values: Any) -> dict[str, Decimal | None]:
    """Each coordinate converted by `_decimal`, every bad one reported at once."""
    result: dict[str, Decimal | None] = {}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        try:
            result[name] = _decimal(value, name)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return result


# --- Places ----------------------------------------------------------------------------------


def create_place(
    *,
    actor: Member,
    unit: Unit,
    name: str,
    kind: str,
    latitude: Decimal | float,
    longitude: Decimal | float,
    boundary: str = "",
) -> Place:
    """Register a place owned by `unit` (in the actor's jurisdiction).

    `boundary` is GeoJSON text (Polygon or MultiPolygon, optionally inside a Feature) or "".
    Bad coordinates or a bad boundary raise field errors and write nothing.
    """
    access.check(actor, unit, "unit", access.VIEW)
    if not access.can(actor, "place", CHANGE):
        raise AccessDenied
    place = Place(
        unit=unit,
        name=name.strip(),
        kind=kind,
        boundary=boundary.strip(),
        **_coordinates(latitude=latitude, longitude=longitude),
    )
    _full_clean(place, unique_field="name")
    with transaction.atomic():
        place.save()
        audit.record(
            "place.create", actor=actor, obj=place, details={"fields": _place_snapshot(place)}
        )
    return place


def update_place(*, actor: Member, place: Place, **changes: Any) -> Place:
    access.check(actor, place, "place", CHANGE)
    allowed = {"name", "kind", "latitude", "longitude", "boundary", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({f: _("This field cannot be changed here.") for f in unknown})
    before = _place_snapshot(place)
    coordinates = _coordinates(
        **{k: v for k, v in changes.items() if k in {"latitude", "longitude"}}
    )
    for key, value in {**changes, **coordinates}.items():
        setattr(place, key, value.strip() if isinstance(value, str) else value)
    _full_clean(place, unique_field="name")
    with transaction.atomic():
        place.save()
        audit.record(
            "place.update",
            actor=actor,
            obj=place,
            details={"changes": audit.diff(before, _place_snapshot(place))},
        )
    return place


def _place_snapshot(place: Place) -> dict[str, Any]:
    # A boundary can hold thousands of positions; the audit trail keeps its digest instead.
    fields = audit.snapshot(place)
    if fields.get("boundary"):
        fields["boundary"] = "sha256:" + hashlib.sha256(place.boundary.encode()).hexdigest()[:16]
    return fields


def _full_clean(
    instance: Any, *, exclude: list[str] | None = None, unique_field: str | None = None
) -> None:
    """`full_clean()`, with "unique together" errors (say, a second place of the same name in
    one unit) reported on `unique_field` instead of the whole form."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        errors = dict(exc.error_dict)
        general = errors.get(NON_FIELD_ERRORS, [])
        unique = [e for e in general if e.code in {"unique_together", "unique"}]
        if unique_field and unique:
            errors[NON_FIELD_ERRORS] = [e for e in general if e not in unique]
            if not errors[NON_FIELD_ERRORS]:
                del errors[NON_FIELD_ERRORS]
            errors.setdefault(unique_field, []).extend(unique)
        raise ValidationError(errors) from None


# --- Members ---------------------------------------------------------------------------------


def _check_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    if not roles:
        raise ValidationError({"roles": _("Choose at least one role.")})
    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise ValidationError({"roles": _("Unknown role: %(role)s") % {"role": ", ".join(bad)}})
    return roles


def _role_grant_errors(actor: Member | None, roles: Iterable[str]) -> list[str]:
    """Why `actor` may not give (or take away) `roles`; empty when they may.

    Nobody grants beyond their own standing: only an administrator makes an administrator or
    an auditor (those who are audited do not appoint their auditors), and a station chief
    cannot make brigade or detachment staff. `actor=None` (set-up commands) may do anything.
    """
    if actor is None:
        return []
    roles = set(roles)
    errors = []
    if Role.SYSADMIN in roles and not actor.has_role(Role.SYSADMIN):
        errors.append(_("Only an administrator can make an administrator."))
    if Role.AUDITOR in roles and not actor.has_role(Role.SYSADMIN):
        errors.append(_("Only an administrator can make an auditor."))
    if Role.DETACHMENT_STAFF in roles and not actor.has_role(Role.DETACHMENT_STAFF, Role.SYSADMIN):
        errors.append(_("You cannot grant the detachment staff role."))
    if Role.BRIGADE_STAFF in roles and not actor.has_role(
        Role.BRIGADE_STAFF, Role.DETACHMENT_STAFF, Role.SYSADMIN
    ):
        errors.append(_("You cannot grant the brigade staff role."))
    return errors


def grantable_roles(actor: Member | None) -> list[str]:
    """The roles `actor` may give or take away (what a form should offer them)."""
    return [role for role in Role.values if not _role_grant_errors(actor, [role])]


def _check_role_grant(actor: Member | None, roles: Iterable[str]) -> None:
    errors = _role_grant_errors(actor, roles)
    if errors:
        raise ValidationError({"roles": errors})


def _check_standing(actor: Member, member: Member) -> None:
    """Managing a member (editing, roles, password, deactivation) needs a standing that could
    have granted every role they hold: a station chief cannot reset the password of a
    brigade staff member or an administrator who happens to work at the station."""
    if member.pk != actor.pk and _role_grant_errors(actor, member.role_set):
        raise AccessDenied(_("This member holds a role above your standing."))


def validate_new_password(password: str, member: Member | None = None) -> None:
    try:
        password_validation.validate_password(password, member)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def create_member(
    *,
    actor: Member | None,
    username: str,
    full_name: str,
    unit: Unit,
    roles: Iterable[str],
    password: str,
    phone: str = "",
    badge_number: str = "",
) -> Member:
    """Create a member at `unit` with roles and an initial password.

    The member enrols a TOTP device at first login. `actor=None` is for set-up commands.
    """
    if actor is not None:
        access.check(actor, unit, "unit", access.VIEW)
        if not access.can(actor, "member", CHANGE):
            raise AccessDenied
    member = Member(
        username=username.strip(),
        full_name=full_name.strip(),
        unit=unit,
        phone=phone,
        badge_number=badge_number.strip(),
    )
    # Every problem at once, so a form can show them all next to their fields.
    errors: dict[str, list[str]] = {}
    role_list: list[str] = []
    try:
        role_list = _check_roles(roles)
        _check_role_grant(actor, role_list)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        member.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        validate_new_password(password, member)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    member.set_password(password)
    member.password_changed_at = timezone.now()
    with transaction.atomic():
        member.save()
        MemberRole.objects.bulk_create([MemberRole(member=member, role=r) for r in role_list])
        member.forget_roles()
        audit.record(
            "member.create",
            actor=actor,
            obj=member,
            details={"fields": audit.snapshot(member), "roles": role_list},
        )
    return member


def update_member(*, actor: Member, member: Member, **changes: Any) -> Member:
    """Change a member's name, phone, badge number or unit (within the actor's scope)."""
    access.check(actor, member, "member", CHANGE)
    _check_standing(actor, member)
    allowed = {"full_name", "phone", "badge_number", "unit"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({f: _("This field cannot be changed here.") for f in unknown})
    if "unit" in changes:
        access.check(actor, changes["unit"], "unit", access.VIEW)
    before = audit.snapshot(member)
    for key, value in changes.items():
        setattr(member, key, value.strip() if isinstance(value, str) else value)
    member.full_clean(exclude=["password"])
    with transaction.atomic():
        member.save()
        audit.record(
            "member.update",
            actor=actor,
            obj=member,
            details={"changes": audit.diff(before, audit.snapshot(member))},
        )
    return member


def set_member_roles(*, actor: Member, member: Member, roles: Iterable[str]) -> Member:
    """Replace the member's roles. Roles the actor could not grant can be neither added nor
    taken away by them."""
    access.check(actor, member, "member", CHANGE)
    _check_standing(actor, member)
    role_list = _check_roles(roles)
    before = sorted(member.role_set)
    _check_role_grant(actor, set(role_list) ^ set(before))
    if member.pk == actor.pk and Role.SYSADMIN in before and Role.SYSADMIN not in role_list:
        raise ValidationError({"roles": _("You cannot remove your own administrator role.")})
    with transaction.atomic():
        MemberRole.objects.filter(member=member).exclude(role__in=role_list).delete()
        existing = set(MemberRole.objects.filter(member=member).values_list("role", flat=True))
        MemberRole.objects.bulk_create(
            [MemberRole(member=member, role=r) for r in role_list if r not in existing]
        )
        member.forget_roles()
        audit.record(
            "member.roles",
            actor=actor,
            obj=member,
            details={"changes": {"roles": [before, role_list]}},
        )
    return member


def end_sessions(member: Member) -> int:
    """Delete every server-side session of `member`; returns how many."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) == str(member.pk):
            session.delete()
            ended += 1
    return ended


def deactivate_member(*, actor: Member, member: Member, reason: str) -> Member:
    """Deactivate: the member can no longer log in, their sessions and tokens end now."""
    access.check(actor, member, "member", CHANGE)
    if member.pk == actor.pk:
        raise ValidationError({"member": _("You cannot deactivate yourself.")})
    _check_standing(actor, member)
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    with transaction.atomic():
        member.is_active = False
        member.save(update_fields=["is_active"])
        ApiToken.objects.filter(member=member, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        ended = end_sessions(member)
        audit.record(
            "member.deactivate",
            actor=actor,
            obj=member,
            reason=reason.strip(),
            details={"sessions_ended": ended},
        )
    return member


def reactivate_member(*, actor: Member, member: Member) -> Member:
    access.check(actor, member, "member", CHANGE)
    _check_standing(actor, member)
    with transaction.atomic():
        member.is_active = True
        member.save(update_fields=["is_active"])
        audit.record("member.reactivate", actor=actor, obj=member)
    return member


def change_password(*, actor: Member, current_password: str, new_password: str) -> Member:
    """A member changes their own password. The caller ends their other sessions and keeps
    the current one (liuqing.core.auth.end_other_sessions), since only it knows which is which."""
    if not actor.check_password(current_password):
        raise ValidationError({"current_password": _("The current password is wrong.")})
    validate_new_password(new_password, actor)
    with transaction.atomic():
        actor.set_password(new_password)
        actor.password_changed_at = timezone.now()
        actor.save(update_fields=["password", "password_changed_at"])
        audit.record("member.password", actor=actor, obj=actor)
    return actor


def reset_password(*, actor: Member, member: Member, new_password: str) -> Member:
    """A chief or administrator sets a new password for a member; their sessions end."""
    access.check(actor, member, "member", CHANGE)
    _check_standing(actor, member)
    if member.pk == actor.pk:
        raise ValidationError(
            {"password": _("Change your own password on your profile page instead.")}
        )
    validate_new_password(new_password, member)
    with transaction.atomic():
        member.set_password(new_password)
        member.password_changed_at = timezone.now()
        member.save(update_fields=["password", "password_changed_at"])
        ended = end_sessions(member)
        audit.record(
            "member.password_reset", actor=actor, obj=member, details={"sessions_ended": ended}
        )
    return member


# --- Teams -----------------------------------------------------------------------------------


def validate_team(unit: Unit, members: list[tuple[Member, str]], team: Team | None = None) -> None:
    """One officer, at most three auxiliaries, any number of grid workers; each member is
    active, holds the role of their position, serves in the team's unit subtree and in no
    other team. Raises one ValidationError on "members" listing every problem."""
    errors: list[str] = []
    positions = [p for _m, p in members]
    if positions.count(TeamPosition.OFFICER) != 1:
        errors.append(_("A team has exactly one officer."))
    if positions.count(TeamPosition.AUXILIARY) > TEAM_MAX_AUXILIARIES:
        errors.append(_("A team has at most three auxiliary officers."))
    seen: set[int] = set()
    for member, position in members:
        if position not in TeamPosition.values:
            errors.append(_("Unknown position: %(p)s") % {"p": position})
            continue
        if member.pk in seen:
            errors.append(_("%(name)s is listed twice.") % {"name": member.full_name})
        seen.add(member.pk)
        if not member.is_active:
            errors.append(_("%(name)s is deactivated.") % {"name": member.full_name})
        if not member.has_role(position):
            errors.append(
                _("%(name)s does not hold the role of %(position)s.")
                % {"name": member.full_name, "position": TeamPosition(position).label}
            )
        if not unit.is_ancestor_of(member.unit):
            errors.append(
                _("%(name)s does not serve in this unit's area.") % {"name": member.full_name}
            )
        other = TeamMembership.objects.filter(member=member)
        if team is not None:
            other = other.exclude(team=team)
        if other.exists():
            errors.append(_("%(name)s is already in another team.") % {"name": member.full_name})
    if errors:
        raise ValidationError({"members": errors})


def create_team(*, actor: Member, unit: Unit, name: str, members: list[tuple[Member, str]]) -> Team:
    access.check(actor, unit, "unit", access.VIEW)
    if not access.can(actor, "team", CHANGE):
        raise AccessDenied
    team = Team(unit=unit, name=name.strip())
    errors: dict[str, list[str]] = {}
    try:
        _full_clean(team, unique_field="name")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        validate_team(unit, members)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        team.save()
        TeamMembership.objects.bulk_create(
            [TeamMembership(team=team, member=m, position=p) for m, p in members]
        )
        audit.record(
            "team.create",
            actor=actor,
            obj=team,
            details={"members": [[m.pk, p] for m, p in members]},
        )
    return team


def set_team_members(*, actor: Member, team: Team, members: list[tuple[Member, str]]) -> Team:
    access.check(actor, team, "team", CHANGE)
    validate_team(team.unit, members, team=team)
    with transaction.atomic():
        before = sorted([m.member_id, m.position] for m in team.memberships.all())
        team.memberships.all().delete()
        TeamMembership.objects.bulk_create(
            [TeamMembership(team=team, member=m, position=p) for m, p in members]
        )
        audit.record(
            "team.members",
            actor=actor,
            obj=team,
            details={"changes": {"members": [before, sorted([m.pk, p] for m, p in members)]}},
        )
    return team


def delete_team(*, actor: Member, team: Team) -> None:
    access.check(actor, team, "team", CHANGE)
    with transaction.atomic():
        audit.record("team.delete", actor=actor, obj=team, details={"name": team.name})
        team.delete()


# --- Sensitive grants ------------------------------------------------------------------------


def grant_sensitive(
    *, actor: Member, member: Member, label: str, expires_at: dt.datetime | None = None
) -> SensitiveGrant:
    """Let `member` see records carrying `label` (until `expires_at`, if given).

    A chief's decision, never the administrator's; nobody grants to themselves, and a label
    already granted and still active is not granted twice.
    """
    access.check(actor, member, "member", access.VIEW)
    if not access.can(actor, "sensitive_grant", CHANGE):
        raise AccessDenied
    if member.pk == actor.pk:
        raise ValidationError({"label": _("Another chief must grant this to you.")})
    if label not in SensitiveLabel.values:
        raise ValidationError({"label": _("Unknown label.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    now = timezone.now()
    active = SensitiveGrant.objects.filter(member=member, label=label, revoked_at__isnull=True)
    if active.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).exists():
        raise ValidationError({"label": _("This member already holds this grant.")})
    with transaction.atomic():
        grant = SensitiveGrant.objects.create(
            member=member, label=label, granted_by=actor, expires_at=expires_at
        )
        audit.record(
            "grant.create",
            actor=actor,
            obj=grant,
            unit=member.unit,
            details={
                "member": member.pk,
                "label": label,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return grant


def revoke_sensitive(*, actor: Member, grant: SensitiveGrant) -> SensitiveGrant:
    access.check(actor, grant, "sensitive_grant", CHANGE)
    if grant.revoked_at is not None:
        raise ValidationError({"grant": _("This grant was already revoked.")})
    with transaction.atomic():
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit.record("grant.revoke", actor=actor, obj=grant, unit=grant.member.unit)
    return grant


# --- API tokens ------------------------------------------------------------------------------

TOKEN_PREFIX = "lq_"  # noqa: S105  (the visible prefix of every token, not a secret)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_token(*, actor: Member, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Issue a token acting as `actor`; returns the row and the secret, shown only once.

    Callers must only offer this to a session that passed the second factor.
    """
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not name.strip():
        raise ValidationError({"name": _("Give the token a name.")})
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": _("Between 1 and %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS}}
        )
    prefix = secrets.token_hex(5)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            member=actor,
            name=name.strip()[:64],
            prefix=prefix,
            digest=token_digest(secret),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        audit.record(
            "token.create",
            actor=actor,
            obj=token,
            unit=actor.unit,
            details={"name": token.name, "days": days},
        )
    return token, secret


def revoke_api_token(*, actor: Member, token: ApiToken) -> ApiToken:
    if token.member_id != actor.pk:
        access.check(actor, token.member, "member", CHANGE)
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("token.revoke", actor=actor, obj=token, unit=token.member.unit)
    return token


def authenticate_token(secret: str) -> Member | None:
    """The member a bearer token acts for, or None (unknown, revoked, expired, inactive)."""
    if not secret.startswith(TOKEN_PREFIX) or secret.count("_") < 2:
        return None
    prefix = secret[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.select_related("member__unit").filter(prefix=prefix).first()
    if token is None or not secrets.compare_digest(token.digest, token_digest(secret)):
        return None
    if not token.is_usable or not token.member.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.member


# --- Personal data ---------------------------------------------------------------------------


def reveal_personal_data(*, actor: Member, obj: Any, kind: str, field: str, reason: str) -> str:
    """Return the plain value of a protected field, after the access check, with a reason, and
    audit the reveal in the same transaction (no audit, no reveal)."""
    access.check(actor, obj, kind, access.VIEW)
    if len(reason.strip()) < 4:
        raise ValidationError(
            {"reason": _("Say why you need to see this (at least 4 characters).")}
        )
    value = getattr(obj, field, None)
    if not isinstance(value, Protected):
        raise ValidationError({"field": _("This field is not protected personal data.")})
    with transaction.atomic():
        audit.record(
            "pii.reveal", actor=actor, obj=obj, reason=reason.strip(), details={"field": field}
        )
    return value.reveal()


# --- Reads of the audit log ------------------------------------------------------------------

AUDIT_READ_ACTIONS = frozenset({"audit.view", "audit.export"})


def record_audit_read(
    *, actor: Member, action: str, filters: dict[str, Any], count: int | None = None
) -> None:
    """Record that `actor` looked at (``audit.view``) or exported (``audit.export``) the audit
    log with `filters`: reading the log is itself a sensitive read. Callers record before
    they show or stream anything, so a failed record means nothing is shown."""
    if action not in AUDIT_READ_ACTIONS:
        raise ValueError(f"not an audit read: {action}")
    if not access.can(actor, "audit", access.VIEW):
        raise AccessDenied
    with transaction.atomic():
        audit.record(
            action,
            actor=actor,
            object_type="audit",
            details={"filters": filters, "count": count},
        )
