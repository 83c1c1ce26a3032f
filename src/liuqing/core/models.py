"""Core data: the unit tree, places, members and their roles, teams, grants, API tokens and the
audit log.

Every row that belongs somewhere belongs to a `Unit`; access is decided by where that unit sits
in the tree (see `liuqing.core.access`).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.core.pii import BlindIndexField, PhoneNumberField

PATH_SEGMENT = 8  # digits of the primary key in each materialised-path segment


class UnitKind(models.TextChoices):
    DETACHMENT = "detachment", _("Detachment")
    BRIGADE = "brigade", _("Brigade")
    STATION = "station", _("Police station")
    COMMUNITY = "community", _("Community office")
    GRID = "grid", _("Grid")


UNIT_LEVEL = {
    UnitKind.DETACHMENT: 0,
    UnitKind.BRIGADE: 1,
    UnitKind.STATION: 2,
    UnitKind.COMMUNITY: 3,
    UnitKind.GRID: 4,
}


def validate_latitude(value: Any) -> None:
    if value is not None and not -90 <= float(value) <= 90:
        raise ValidationError(_("Latitude must be between -90 and 90."), code="latitude")


def validate_longitude(value: Any) -> None:
    if value is not None and not -180 <= float(value) <= 180:
        raise ValidationError(_("Longitude must be between -180 and 180."), code="longitude")


def validate_geojson_boundary(value: str) -> None:
    """Accept a GeoJSON Polygon or MultiPolygon (bare geometry or Feature) in WGS 84."""
    if not value:
        return
    try:
        data = json.loads(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("The boundary is not valid JSON."), code="json") from exc
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(
            _("The boundary must be a GeoJSON Polygon or MultiPolygon."), code="geojson_type"
        )
    polygons = data.get("coordinates")
    if data["type"] == "Polygon":
        polygons = [polygons]
    if not isinstance(polygons, list) or not polygons:
        raise ValidationError(_("The boundary has no coordinates."), code="geojson_empty")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValidationError(_("The boundary has an empty polygon."), code="geojson_empty")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValidationError(
                    _("Each ring of the boundary needs at least four positions."),
                    code="geojson_ring",
                )
            for position in ring:
                if (
                    not isinstance(position, list)
                    or len(position) < 2
                    or not all(
                        isinstance(c, int | float) and not isinstance(c, bool) for c in position[:2]
                    )
                ):
                    raise ValidationError(
                        _("Each position must be a pair of numbers [longitude, latitude]."),
                        code="geojson_position",
                    )
                lon, lat = position[0], position[1]
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValidationError(
                        _("A boundary position lies outside longitude/latitude range."),
                        code="geojson_range",
                    )
            if ring[0][:2] != ring[-1][:2]:
                raise ValidationError(
                    _("Each ring of the boundary must end where it starts."), code="geojson_closed"
                )


class Unit(models.Model):
    """A node of the jurisdiction tree: detachment → brigade → station → community office → grid.

    `path` is the materialised path of primary keys ("00000001.00000004."), so "this unit and
    everything below" is the index range [path, path with its last "." replaced by "/"), which
    both SQLite and PostgreSQL answer from the index without LIKE.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, unique=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[validate_latitude],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[validate_longitude],
    )
    duty_phone = models.CharField(_("duty phone"), max_length=32, blank=True)
    # The jurisdiction's outline (GeoJSON Polygon or MultiPolygon, WGS 84), as on `Place`.
    # Incident analytics take the unit's H3 cells from it and locate incidents in it.
    boundary = models.TextField(
        _("boundary (GeoJSON)"), blank=True, validators=[validate_geojson_boundary]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> int:
        return UNIT_LEVEL[UnitKind(self.kind)]

    def subtree_range(self) -> tuple[str, str]:
        """Bounds of the half-open path range covering this unit and all its descendants."""
        return self.path, self.path[:-1] + "/"

    def is_ancestor_of(self, other: Unit) -> bool:
        """True when `other` is this unit or lies below it."""
        return other.path.startswith(self.path)

    def ancestors(self) -> models.QuerySet[Unit]:
        """This unit's ancestors, root first (not including itself)."""
        prefixes = []
        parts = self.path.split(".")[:-2]
        for i in range(1, len(parts) + 1):
            prefixes.append(".".join(parts[:i]) + ".")
        return Unit.objects.filter(path__in=prefixes).order_by("depth")

    def clean(self) -> None:
        if self.kind not in UnitKind.values:
            return  # clean_fields() already reports the invalid choice
        if self.parent is None:
            if self.kind != UnitKind.DETACHMENT:
                raise ValidationError(
                    {"parent": _("Only a detachment may stand at the top of the tree.")}
                )
        else:
            if self.parent.level >= UNIT_LEVEL[UnitKind(self.kind)]:
                raise ValidationError(
                    {
                        "kind": _("A %(kind)s cannot be placed under a %(parent)s.")
                        % {
                            "kind": UnitKind(self.kind).label,
                            "parent": UnitKind(self.parent.kind).label,
                        }
                    }
                )
            if self.pk and self.parent.path.startswith(self.path):
                raise ValidationError({"parent": _("A unit cannot be moved below itself.")})


class PlaceKind(models.TextChoices):
    VILLAGE = "village", _("Village")
    COMMUNITY = "community", _("Community")
    ENTERPRISE = "enterprise", _("Enterprise")
    SCHOOL = "school", _("School")
    SCENIC = "scenic", _("Scenic area")
    MARKET = "market", _("Market")
    OTHER = "other", _("Other")


class Place(models.Model):
    """A village, community, enterprise, school, scenic area or market, owned by a unit."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="places"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=PlaceKind.choices)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, validators=[validate_latitude]
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, validators=[validate_longitude]
    )
    boundary = models.TextField(
        _("boundary (GeoJSON)"), blank=True, validators=[validate_geojson_boundary]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["unit__path", "name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="place_unique_name_per_unit")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    AUXILIARY = "auxiliary", _("Auxiliary officer")
    GRID_WORKER = "grid_worker", _("Grid worker")
    SERGEANT = "sergeant", _("Sergeant")
    STATION_CHIEF = "station_chief", _("Station chief")
    BRIGADE_STAFF = "brigade_staff", _("Brigade staff")
    DETACHMENT_STAFF = "detachment_staff", _("Detachment staff")
    MEDIATOR = "mediator", _("Mediator")
    ANALYST = "analyst", _("Analyst")
    AUDITOR = "auditor", _("Auditor")
    SYSADMIN = "sysadmin", _("System administrator")


class MemberManager(BaseUserManager["Member"]):
    def get_by_natural_key(self, username: str | None) -> Member:
        return self.get(username=username)


class Member(AbstractBaseUser):
    """A person who works in Liuqing: belongs to exactly one unit and holds one or more roles.

    Residents are not members; they use the public pages without an account.
    """

    username = models.CharField(_("username"), max_length=64, unique=True)
    full_name = models.CharField(_("full name"), max_length=64)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="members"
    )
    badge_number = models.CharField(_("badge number"), max_length=16, blank=True)
    phone = PhoneNumberField(_("mobile phone"), blank=True)
    phone_index = BlindIndexField(source="phone")
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(default=timezone.now, editable=False)
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = MemberManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["unit__path", "username"]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})"

    @property
    def role_set(self) -> frozenset[str]:
        """The member's roles; cached on the instance (prefetch `role_grants` for lists)."""
        cached = getattr(self, "_role_cache", None)
        if cached is None:
            cached = frozenset(g.role for g in self.role_grants.all())
            self._role_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))

    def forget_roles(self) -> None:
        self.__dict__.pop("_role_cache", None)

    # Django's auth machinery asks these of every user model.
    @property
    def is_staff(self) -> bool:
        return False

    @property
    def is_superuser(self) -> bool:
        return False

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False


class MemberRole(models.Model):
    """One role held by a member."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "role"], name="member_role_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.role}"


class SensitiveLabel(models.TextChoices):
    CARE = "care", _("Care register")
    DOMESTIC_VIOLENCE = "domestic_violence", _("Domestic violence")
    MINOR = "minor", _("Minor under 14")
    HEALTH = "health", _("Health")
    DISABILITY = "disability", _("Disability")


class SensitiveGrant(models.Model):
    """An extra grant that lets a member see records carrying one sensitive label."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="sensitive_grants")
    label = models.CharField(_("label"), max_length=24, choices=SensitiveLabel.choices)
    granted_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "label"])]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.label}"


class TeamPosition(models.TextChoices):
    OFFICER = "officer", _("Officer")
    AUXILIARY = "auxiliary", _("Auxiliary officer")
    GRID_WORKER = "grid_worker", _("Grid worker")


TEAM_MAX_AUXILIARIES = 3


class Team(models.Model):
    """The smallest working unit: one officer, up to three auxiliaries and any number of grid
    workers, all serving one unit's area."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["unit__path", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="team_unique_name_per_unit")
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    """A member's place in a team. A member serves in one team at a time."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="team_membership")
    position = models.CharField(_("position"), max_length=16, choices=TeamPosition.choices)

    def __str__(self) -> str:
        return f"{self.team_id}:{self.member_id}:{self.position}"


class ApiToken(models.Model):
    """A bearer token for a machine client, acting as one member.

    Only a SHA-256 digest of the secret is stored; the secret is shown once at creation.
    Tokens expire and can be revoked; creating one requires a session verified by TOTP.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=64)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class AuditOutcome(models.TextChoices):
    OK = "ok", _("Succeeded")
    DENIED = "denied", _("Denied")
    FAILED = "failed", _("Failed")


class AuditEvent(models.Model):
    """One append-only, hash-chained audit event.

    `digest` = SHA-256 over the previous event's digest and this event's canonical content, so
    altering or deleting any stored event breaks the chain from there on
    (`liuqing audit verify`). Member and unit are kept as plain values, not foreign keys, so
    that the record survives the rows it speaks of.
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    member_id_value = models.BigIntegerField(null=True, blank=True, db_index=True)
    member_username = models.CharField(max_length=64, blank=True)
    unit_id_value = models.BigIntegerField(null=True, blank=True)
    unit_path = models.CharField(max_length=255, blank=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=8, choices=AuditOutcome.choices)
    source_ip = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)
    details = models.TextField(blank=True)  # canonical JSON: field changes (PII masked), extras
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome}"


class AuditHead(models.Model):
    """The single row that serialises appends to the audit chain (locked FOR UPDATE)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    digest = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
