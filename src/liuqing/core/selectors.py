"""Every read of core's structure: units, places, members, teams, sensitive grants, the audit
log and the home page's summary.

Each selector takes the acting member first and goes through `liuqing.core.access`: lists hold
in-scope rows only; one object outside the jurisdiction raises `NotFound` (404); a role that
may not see (or change) a kind raises `AccessDenied` (403). HTML views and API operations call
the same selectors, so they cannot disagree about who sees what.

List selectors return querysets with everything their pages and schemas show already joined
or prefetched: the number of queries does not grow with the page size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from liuqing.core import access, pii
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.models import (
    ApiToken,
    AuditEvent,
    Member,
    MemberRole,
    Place,
    SensitiveGrant,
    Team,
    TeamMembership,
    TeamPosition,
    Unit,
)

DB_MAX_ID = 2**63 - 1  # a larger id cannot exist; asking for it must not overflow the driver


def require(actor: Member, kind: str, action: str = VIEW) -> None:
    """AccessDenied unless the actor's roles allow `action` on `kind` somewhere in scope."""
    if not access.can(actor, kind, action):
        raise AccessDenied


def _valid_id(pk: Any) -> int:
    """`pk` as an int that can exist in the database, else NotFound."""
    try:
        value = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    if not 1 <= value <= DB_MAX_ID:
        raise NotFound
    return value


def _count_of(queryset: QuerySet[Any], fk: str) -> Coalesce:
    """A correlated COUNT(*) over `queryset` rows whose `fk` is the outer row: one subquery in
    the list's single SELECT rather than one query per row (and no join fan-out)."""
    counted = (
        queryset.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# --- Units -----------------------------------------------------------------------------------


def units_visible_to(
    actor: Member,
    *,
    parent: Unit | int | None = None,
    kind: str | None = None,
    within: Unit | None = None,
    q: str = "",
) -> QuerySet[Unit]:
    """Units of the actor's jurisdiction in tree order, each annotated with `member_count`
    (active members directly at the unit) and `child_count`.

    `parent` keeps the direct children of one unit, `within` the subtree of one unit, `kind`
    one level, `q` a name or code fragment.
    """
    require(actor, "unit")
    qs = access.scope(Unit.objects.select_related("parent"), actor, "unit")
    if parent is not None:
        parent_id = parent.pk if isinstance(parent, Unit) else parent
        if not 1 <= parent_id <= DB_MAX_ID:
            return qs.none()
        qs = qs.filter(parent_id=parent_id)
    if within is not None:
        qs = qs.filter(access.subtree_q(within))
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs.annotate(
        member_count=_count_of(Member.objects.filter(is_active=True), "unit"),
        child_count=_count_of(Unit.objects.all(), "parent"),
    ).order_by("path")


def unit_choices(actor: Member, action: str = VIEW) -> QuerySet[Unit]:
    """Units the actor may pick in a form (their whole jurisdiction, in tree order).

    Empty when the role may not `action` units at all.
    """
    if not access.can(actor, "unit", VIEW):
        return Unit.objects.none()
    return access.scope(Unit.objects.all(), actor, "unit", action).order_by("path")


FILTER_LEVELS = 2
FILTER_OPTIONS = 150


def unit_filter_options(
    actor: Member, selected: Unit | None = None, levels: int = FILTER_LEVELS
) -> QuerySet[Unit]:
    """The units a list filter offers, in tree order: the actor's unit and `levels` levels
    below it (one level when that would be over FILTER_OPTIONS units) and, once a unit is
    picked, the way down to it and its children. A filter drills down the tree instead of a
    select of every unit of a detachment (thousands at scale); any unit of the jurisdiction
    is still accepted (`unit_choices`)."""
    scoped = unit_choices(actor)
    deepest = actor.unit.depth + levels
    while deepest > actor.unit.depth + 1 and (
        scoped.filter(depth__lte=deepest)[: FILTER_OPTIONS + 1].count() > FILTER_OPTIONS
    ):
        deepest -= 1
    wanted = Q(depth__lte=deepest)
    if selected is not None:
        wanted |= Q(pk=selected.pk) | Q(parent_id=selected.pk)
        wanted |= Q(path__in=_ancestor_paths(selected))
    return scoped.filter(wanted)


def _ancestor_paths(unit: Unit) -> list[str]:
    parts = unit.path.split(".")[:-1]
    return [".".join(parts[:i]) + "." for i in range(1, len(parts))]


def access_unit(actor: Member, pk: Any, *, for_write: bool = False) -> Unit:
    return access.access(
        actor, Unit.objects.select_related("parent"), "unit", _valid_id(pk), for_write=for_write
    )


@dataclass
class Crumb:
    unit: Unit
    visible: bool  # inside the actor's jurisdiction, so it may be linked


def breadcrumb(actor: Member, unit: Unit) -> list[Crumb]:
    """The unit's ancestors, root first, then the unit. Ancestors above the actor's own unit
    are shown by name but not linked (their pages would answer 404)."""
    chain = [*unit.ancestors(), unit]
    return [Crumb(unit=u, visible=actor.unit.is_ancestor_of(u)) for u in chain]


@dataclass
class UnitOverview:
    unit: Unit
    crumbs: list[Crumb]
    children: list[Unit]
    places: list[Place]
    place_count: int
    members: list[Member]
    member_count: int
    teams: list[Team]
    can_change: bool
    can_add_place: bool
    can_add_team: bool
    can_add_member: bool


OVERVIEW_LIMIT = 50


def unit_overview(actor: Member, pk: Any) -> UnitOverview:
    """A unit's page: its direct children, and the places, members and teams it owns directly
    (the first OVERVIEW_LIMIT of each, with the full counts)."""
    unit = access_unit(actor, pk)
    places = places_visible_to(actor).filter(unit=unit)
    members = members_visible_to(actor).filter(unit=unit)
    return UnitOverview(
        unit=unit,
        crumbs=breadcrumb(actor, unit),
        children=list(units_visible_to(actor, parent=unit)),
        places=list(places[:OVERVIEW_LIMIT]),
        place_count=places.count(),
        members=list(members[:OVERVIEW_LIMIT]),
        member_count=members.count(),
        teams=list(teams_visible_to(actor).filter(unit=unit)[:OVERVIEW_LIMIT]),
        can_change=access.can(actor, "unit", CHANGE),
        can_add_place=access.can(actor, "place", CHANGE),
        can_add_team=access.can(actor, "team", CHANGE),
        can_add_member=access.can(actor, "member", CHANGE),
    )


# --- Places ----------------------------------------------------------------------------------


def places_visible_to(
    actor: Member,
    *,
    unit: Unit | None = None,
    kind: str | None = None,
    q: str = "",
    active: bool | None = None,
) -> QuerySet[Place]:
    """Places owned by units of the actor's jurisdiction; `unit` keeps that unit's subtree."""
    require(actor, "place")
    qs = access.scope(Place.objects.select_related("unit"), actor, "place")
    if unit is not None:
        qs = qs.filter(access.subtree_q(unit, "unit__path"))
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("unit__path", "name")


def access_place(actor: Member, pk: Any, *, for_write: bool = False) -> Place:
    return access.access(
        actor, Place.objects.select_related("unit"), "place", _valid_id(pk), for_write=for_write
    )


# --- Members ---------------------------------------------------------------------------------


def _member_queryset() -> QuerySet[Member]:
    return Member.objects.select_related("unit", "team_membership__team").prefetch_related(
        Prefetch("role_grants", queryset=MemberRole.objects.order_by("role"))
    )


def phone_lookup(text: str) -> str | None:
    """The blind index for `text` if it parses as a phone number, else None."""
    digits = [c for c in text if c.isdigit()]
    if len(digits) < 7:
        return None
    field = Member._meta.get_field("phone")
    assert isinstance(field, pii.EncryptedField)
    try:
        return pii.lookup_index(field, text)
    except ValidationError:
        return None


def members_visible_to(
    actor: Member,
    *,
    unit: Unit | None = None,
    role: str | None = None,
    active: bool | None = None,
    q: str = "",
) -> QuerySet[Member]:
    """Members of the actor's jurisdiction, with unit, team and roles loaded.

    `unit` keeps that unit's subtree; `q` matches a fragment of the name or username, a badge
    number exactly, or (when it reads as a phone number) the phone number exactly, through
    the blind index: the stored numbers are encrypted and cannot be searched by fragment.
    """
    require(actor, "member")
    qs = access.scope(_member_queryset(), actor, "member")
    if unit is not None:
        qs = qs.filter(access.subtree_q(unit, "unit__path"))
    if role:
        qs = qs.filter(role_grants__role=role)
    if active is not None:
        qs = qs.filter(is_active=active)
    q = q.strip()
    if q:
        match = Q(full_name__icontains=q) | Q(username__icontains=q) | Q(badge_number=q)
        index = phone_lookup(q)
        if index is not None:
            match |= Q(phone_index=index)
        qs = qs.filter(match)
    return qs.order_by("unit__path", "username")


def access_member(actor: Member, pk: Any, *, for_write: bool = False) -> Member:
    return access.access(actor, _member_queryset(), "member", _valid_id(pk), for_write=for_write)


def team_of(member: Member) -> TeamMembership | None:
    """The member's team membership (loaded by the member selectors), or None."""
    try:
        return member.team_membership
    except TeamMembership.DoesNotExist:
        return None


def grants_visible_to(actor: Member, member: Member) -> list[SensitiveGrant] | None:
    """The member's sensitive grants, newest first, or None when the actor may not see grants
    (only chiefs and auditors may)."""
    if not access.can(actor, "sensitive_grant", VIEW):
        return None
    qs = SensitiveGrant.objects.select_related("granted_by", "member__unit").filter(member=member)
    return list(access.scope(qs, actor, "sensitive_grant").order_by("-granted_at"))


def access_grant(
    actor: Member, member_pk: Any, pk: Any, *, for_write: bool = False
) -> SensitiveGrant:
    qs = SensitiveGrant.objects.select_related("member__unit").filter(
        member_id=_valid_id(member_pk)
    )
    return access.access(actor, qs, "sensitive_grant", _valid_id(pk), for_write=for_write)


@dataclass
class MemberProfile:
    member: Member
    team: TeamMembership | None
    grants: list[SensitiveGrant] | None
    active_tokens: int
    can_change: bool
    can_grant: bool
    is_self: bool


def member_profile(actor: Member, pk: Any) -> MemberProfile:
    member = access_member(actor, pk)
    now = timezone.now()
    return MemberProfile(
        member=member,
        team=team_of(member),
        grants=grants_visible_to(actor, member),
        active_tokens=ApiToken.objects.filter(
            member=member, revoked_at__isnull=True, expires_at__gt=now
        ).count(),
        can_change=access.can(actor, "member", CHANGE),
        can_grant=access.can(actor, "sensitive_grant", CHANGE) and member.pk != actor.pk,
        is_self=member.pk == actor.pk,
    )


# --- Teams -----------------------------------------------------------------------------------


def _team_queryset() -> QuerySet[Team]:
    memberships = TeamMembership.objects.select_related("member").order_by(
        "position", "member__full_name"
    )
    return Team.objects.select_related("unit").prefetch_related(
        Prefetch("memberships", queryset=memberships)
    )


def teams_visible_to(actor: Member, *, unit: Unit | None = None, q: str = "") -> QuerySet[Team]:
    """Teams of the actor's jurisdiction with their unit and members loaded."""
    require(actor, "team")
    qs = access.scope(_team_queryset(), actor, "team")
    if unit is not None:
        qs = qs.filter(access.subtree_q(unit, "unit__path"))
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("unit__path", "name")


def access_team(actor: Member, pk: Any, *, for_write: bool = False) -> Team:
    return access.access(actor, _team_queryset(), "team", _valid_id(pk), for_write=for_write)


def team_candidates(actor: Member, position: str, unit: Unit | None = None) -> QuerySet[Member]:
    """Active members in scope who hold the role of `position` (and serve under `unit`)."""
    return members_visible_to(actor, unit=unit, role=position, active=True)


def team_positions(team: Team) -> dict[str, list[Member]]:
    """The team's members by position (uses the prefetched memberships)."""
    result: dict[str, list[Member]] = {p: [] for p in TeamPosition.values}
    for membership in team.memberships.all():
        result.setdefault(membership.position, []).append(membership.member)
    return result


# --- Audit log -------------------------------------------------------------------------------


@dataclass
class AuditFilters:
    """What the audit viewer, its CSV export and the API filter on."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    username: str = ""
    action: str = ""  # a prefix: "member." finds every member event
    outcome: str = ""
    object_type: str = ""
    object_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The filters in use, JSON-ready (for the audit record of the read)."""
        return {
            k: (v.isoformat() if isinstance(v, dt.date) else v)
            for k, v in asdict(self).items()
            if v not in (None, "")
        }


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events_visible_to(
    actor: Member, filters: AuditFilters | None = None
) -> QuerySet[AuditEvent]:
    """Audit events of the actor's unit subtree, newest first.

    Members at the root of the tree (the detachment) also see events that belong to no unit,
    such as failed logins with unknown usernames. Dates are local calendar days, both ends
    included.
    """
    require(actor, "audit")
    base = AuditEvent.objects.all()
    qs = access.scope(base, actor, "audit")
    if actor.unit.parent_id is None:
        qs = qs | base.filter(unit_path="")
    f = filters or AuditFilters()
    if f.date_from:
        qs = qs.filter(at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(at__lt=_day_start(f.date_to + dt.timedelta(days=1)))
    if f.username:
        qs = qs.filter(member_username=f.username)
    if f.action:
        qs = qs.filter(action__startswith=f.action)
    if f.outcome:
        qs = qs.filter(outcome=f.outcome)
    if f.object_type:
        qs = qs.filter(object_type=f.object_type)
    if f.object_id:
        qs = qs.filter(object_id=f.object_id)
    return qs.order_by("-seq")


# --- Home page -------------------------------------------------------------------------------


@dataclass
class HomeSummary:
    unit: Unit
    crumbs: list[Crumb]
    sub_units: int
    members: int
    places: int
    teams: int


def home_summary(actor: Member) -> HomeSummary:
    """The member's unit, its ancestors, and what their jurisdiction holds (kinds the member
    may not see count as 0)."""
    unit = actor.unit

    def count(kind: str, qs: QuerySet[Any]) -> int:
        return access.scope(qs, actor, kind).count() if access.can(actor, kind, VIEW) else 0

    return HomeSummary(
        unit=unit,
        crumbs=breadcrumb(actor, unit),
        sub_units=max(count("unit", Unit.objects.all()) - 1, 0),
        members=count("member", Member.objects.filter(is_active=True)),
        places=count("place", Place.objects.filter(is_active=True)),
        teams=count("team", Team.objects.all()),
    )
