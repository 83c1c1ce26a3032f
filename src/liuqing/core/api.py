"""The structure API: units, places, members, teams and the audit log (mounted at /api/v1/).

Each operation parses its input (schemas in core/schemas.py), calls one selector or service,
and returns a schema; the HTML pages call the very same selectors and services. Errors are
raised, never returned: `access.NotFound` → 404, `access.AccessDenied` → 403, Django's
`ValidationError` → 422 with field messages (see liuqing/api.py). An id in a request body that
names nothing in the caller's jurisdiction is a 422 on that field; an id in the path, a 404.

Lists are paginated (`?limit=&offset=`) and cost the same number of queries at any page size.
"""

import json
from typing import Any, overload

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination, paginate

from liuqing.core import paging, selectors, services
from liuqing.core.access import NotFound
from liuqing.core.models import AuditEvent, Member, Place, Team, Unit
from liuqing.core.schemas import (
    AuditEventOut,
    AuditQuery,
    MemberCreateIn,
    MemberListQuery,
    MemberOut,
    MemberPatchIn,
    PlaceCreateIn,
    PlaceListQuery,
    PlaceOut,
    PlacePatchIn,
    ReasonIn,
    RevealedOut,
    RolesIn,
    TeamCreateIn,
    TeamListQuery,
    TeamMemberIn,
    TeamMembersIn,
    TeamOut,
    UnitCreateIn,
    UnitListQuery,
    UnitMoveIn,
    UnitOut,
    UnitPatchIn,
)

router = Router(tags=["structure"])

MAX_OFFSET = 10**9  # far beyond any list here, far below what a database integer holds


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=`, with an offset a database can take: a huge one is a 422, not a
    driver overflow (500). `count` counts matching rows up to 10,000 (`count_capped` is
    true when more match: narrow the filters to reach them), so a list over a million rows
    costs a bounded count."""

    class Input(Schema):
        limit: int = Field(
            ninja_settings.PAGINATION_PER_PAGE, ge=1, le=ninja_settings.PAGINATION_MAX_LIMIT
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="Matching rows, counted up to LIST_COUNT_CAP (10,000)")
        count_capped: bool = Field(description="More rows match than `count` says")

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        offset = pagination.offset
        limit: int = min(pagination.limit, self.max_limit)
        count, capped = paging.capped_count(queryset)
        if isinstance(queryset, QuerySet) and not queryset.query.combinator:
            items: Any = paging.page_rows(queryset, offset, offset + limit)
        else:
            items = queryset[offset : offset + limit]
        return {
            self.items_attribute: items,
            "count": count,
            "count_capped": capped,
        }


def api_actor(request: HttpRequest) -> Member:
    """The member behind an authenticated API request (a token's or a verified session's);
    every app's API operations start here."""
    member = request.auth  # type: ignore[attr-defined]
    assert isinstance(member, Member)
    return member


def _changes(payload: Any) -> dict[str, Any]:
    """The fields a PATCH body sent; null counts only where it means "clear"."""
    sent = payload.model_dump(exclude_unset=True)
    return {k: v for k, v in sent.items() if v is not None or k in payload.NULLABLE}


@overload
def unit_in_scope(actor: Member, pk: int, field: str = "unit") -> Unit: ...
@overload
def unit_in_scope(actor: Member, pk: None, field: str = "unit") -> None: ...
@overload
def unit_in_scope(actor: Member, pk: int | None, field: str = "unit") -> Unit | None: ...
def unit_in_scope(actor: Member, pk: int | None, field: str = "unit") -> Unit | None:
    """The unit a body or filter names (None for none), or a 422 on `field` when it is not
    in the actor's jurisdiction. Every API module names units through this."""
    if pk is None:
        return None
    try:
        return selectors.access_unit(actor, pk)
    except NotFound:
        raise ValidationError({field: _("There is no such unit in your jurisdiction.")}) from None


@overload
def place_in_scope(actor: Member, pk: int, field: str = "place") -> Place: ...
@overload
def place_in_scope(actor: Member, pk: None, field: str = "place") -> None: ...
@overload
def place_in_scope(actor: Member, pk: int | None, field: str = "place") -> Place | None: ...
def place_in_scope(actor: Member, pk: int | None, field: str = "place") -> Place | None:
    """The place a body names (None for none), or a 422 on `field` when it is not in the
    actor's jurisdiction."""
    if pk is None:
        return None
    try:
        return selectors.access_place(actor, pk)
    except NotFound:
        raise ValidationError({field: _("There is no such place in your jurisdiction.")}) from None


def _boundary(value: dict[str, Any] | None) -> str:
    return json.dumps(value, ensure_ascii=False) if value else ""


# --- Units -----------------------------------------------------------------------------------


@router.get("/units", response=list[UnitOut], operation_id="list_units", summary="Units")
@paginate(Pagination)
def list_units(request: HttpRequest, filters: Query[UnitListQuery]) -> QuerySet[Unit]:
    """Units of your jurisdiction in tree order, with member and sub-unit counts."""
    return selectors.units_visible_to(
        api_actor(request), parent=filters.parent, kind=filters.kind, q=filters.q
    )


@router.get("/units/{pk}", response=UnitOut, operation_id="get_unit", summary="One unit")
def get_unit(request: HttpRequest, pk: int) -> Unit:
    return selectors.access_unit(api_actor(request), pk)


@router.post("/units", response={201: UnitOut}, operation_id="create_unit", summary="Create a unit")
def create_unit(request: HttpRequest, payload: UnitCreateIn) -> Unit:
    actor = api_actor(request)
    return services.create_unit(
        actor=actor,
        parent=unit_in_scope(actor, payload.parent, "parent"),
        kind=payload.kind,
        code=payload.code,
        name=payload.name,
        latitude=payload.latitude,
        longitude=payload.longitude,
        duty_phone=payload.duty_phone,
        boundary=_boundary(payload.boundary),
    )


@router.patch("/units/{pk}", response=UnitOut, operation_id="update_unit", summary="Change a unit")
def update_unit(request: HttpRequest, pk: int, payload: UnitPatchIn) -> Unit:
    actor = api_actor(request)
    unit = selectors.access_unit(actor, pk, for_write=True)
    changes = _changes(payload)
    if "boundary" in changes:
        changes["boundary"] = _boundary(changes["boundary"])
    return services.update_unit(actor=actor, unit=unit, **changes)


@router.post("/units/{pk}/move", response=UnitOut, operation_id="move_unit", summary="Move a unit")
def move_unit(request: HttpRequest, pk: int, payload: UnitMoveIn) -> Unit:
    """Re-parent the unit (with everything below it) under another unit of your jurisdiction."""
    actor = api_actor(request)
    unit = selectors.access_unit(actor, pk, for_write=True)
    parent = unit_in_scope(actor, payload.parent, "parent")
    assert parent is not None
    return services.move_unit(actor=actor, unit=unit, new_parent=parent)


# --- Places ----------------------------------------------------------------------------------


@router.get("/places", response=list[PlaceOut], operation_id="list_places", summary="Places")
@paginate(Pagination)
def list_places(request: HttpRequest, filters: Query[PlaceListQuery]) -> QuerySet[Place]:
    actor = api_actor(request)
    return selectors.places_visible_to(
        actor, unit=unit_in_scope(actor, filters.unit, "unit"), kind=filters.kind, q=filters.q
    )


@router.get("/places/{pk}", response=PlaceOut, operation_id="get_place", summary="One place")
def get_place(request: HttpRequest, pk: int) -> Place:
    return selectors.access_place(api_actor(request), pk)


@router.post(
    "/places", response={201: PlaceOut}, operation_id="create_place", summary="Create a place"
)
def create_place(request: HttpRequest, payload: PlaceCreateIn) -> Place:
    actor = api_actor(request)
    unit = unit_in_scope(actor, payload.unit, "unit")
    assert unit is not None
    return services.create_place(
        actor=actor,
        unit=unit,
        name=payload.name,
        kind=payload.kind,
        latitude=payload.latitude,
        longitude=payload.longitude,
        boundary=_boundary(payload.boundary),
    )


@router.patch(
    "/places/{pk}", response=PlaceOut, operation_id="update_place", summary="Change a place"
)
def update_place(request: HttpRequest, pk: int, payload: PlacePatchIn) -> Place:
    actor = api_actor(request)
    place = selectors.access_place(actor, pk, for_write=True)
    changes = _changes(payload)
    if "boundary" in changes:
        changes["boundary"] = _boundary(changes["boundary"])
    return services.update_place(actor=actor, place=place, **changes)


# --- Members ---------------------------------------------------------------------------------


@router.get("/members", response=list[MemberOut], operation_id="list_members", summary="Members")
@paginate(Pagination)
def list_members(request: HttpRequest, filters: Query[MemberListQuery]) -> QuerySet[Member]:
    """Members of your jurisdiction. `q` also finds a whole phone number, exactly."""
    actor = api_actor(request)
    return selectors.members_visible_to(
        actor,
        unit=unit_in_scope(actor, filters.unit, "unit"),
        role=filters.role,
        active=filters.active,
        q=filters.q,
    )


@router.get("/members/{pk}", response=MemberOut, operation_id="get_member", summary="One member")
def get_member(request: HttpRequest, pk: int) -> Member:
    return selectors.access_member(api_actor(request), pk)


@router.post(
    "/members", response={201: MemberOut}, operation_id="create_member", summary="Create a member"
)
def create_member(request: HttpRequest, payload: MemberCreateIn) -> Member:
    """Create a member with roles and an initial password; they enrol TOTP at first login."""
    actor = api_actor(request)
    unit = unit_in_scope(actor, payload.unit, "unit")
    assert unit is not None
    member = services.create_member(
        actor=actor,
        username=payload.username,
        full_name=payload.full_name,
        unit=unit,
        roles=list(payload.roles),
        password=payload.password,
        phone=payload.phone,
        badge_number=payload.badge_number,
    )
    return selectors.access_member(actor, member.pk)


@router.patch(
    "/members/{pk}", response=MemberOut, operation_id="update_member", summary="Change a member"
)
def update_member(request: HttpRequest, pk: int, payload: MemberPatchIn) -> Member:
    actor = api_actor(request)
    member = selectors.access_member(actor, pk, for_write=True)
    changes = _changes(payload)
    if "unit" in changes:
        changes["unit"] = unit_in_scope(actor, changes["unit"], "unit")
    services.update_member(actor=actor, member=member, **changes)
    return selectors.access_member(actor, pk)


@router.put(
    "/members/{pk}/roles",
    response=MemberOut,
    operation_id="set_member_roles",
    summary="Replace a member's roles",
)
def set_member_roles(request: HttpRequest, pk: int, payload: RolesIn) -> Member:
    actor = api_actor(request)
    member = selectors.access_member(actor, pk, for_write=True)
    services.set_member_roles(actor=actor, member=member, roles=list(payload.roles))
    return selectors.access_member(actor, pk)


@router.post(
    "/members/{pk}/deactivate",
    response=MemberOut,
    operation_id="deactivate_member",
    summary="Deactivate a member",
)
def deactivate_member(request: HttpRequest, pk: int, payload: ReasonIn) -> Member:
    """The member can no longer log in; their sessions and API tokens end now."""
    actor = api_actor(request)
    member = selectors.access_member(actor, pk, for_write=True)
    services.deactivate_member(actor=actor, member=member, reason=payload.reason)
    return selectors.access_member(actor, pk)


@router.post(
    "/members/{pk}/reactivate",
    response=MemberOut,
    operation_id="reactivate_member",
    summary="Reactivate a member",
)
def reactivate_member(request: HttpRequest, pk: int) -> Member:
    actor = api_actor(request)
    member = selectors.access_member(actor, pk, for_write=True)
    services.reactivate_member(actor=actor, member=member)
    return selectors.access_member(actor, pk)


@router.post(
    "/members/{pk}/reveal-phone",
    response=RevealedOut,
    operation_id="reveal_member_phone",
    summary="Reveal a member's phone number",
)
def reveal_member_phone(request: HttpRequest, pk: int, payload: ReasonIn) -> dict[str, str]:
    """The full number, given a reason (at least 4 characters); the reveal is audited."""
    actor = api_actor(request)
    member = selectors.access_member(actor, pk)
    phone = services.reveal_personal_data(
        actor=actor, obj=member, kind="member", field="phone", reason=payload.reason
    )
    return {"phone": phone}


# --- Teams -----------------------------------------------------------------------------------


def _team_members(actor: Member, items: list[TeamMemberIn]) -> list[tuple[Member, str]]:
    ids = [item.member for item in items]
    found = {m.pk: m for m in selectors.members_visible_to(actor).filter(pk__in=ids)}
    missing = sorted({i for i in ids if i not in found})
    if missing:
        raise ValidationError(
            {
                "members": [
                    _("There is no member %(id)s in your jurisdiction.") % {"id": i}
                    for i in missing
                ]
            }
        )
    return [(found[item.member], item.position) for item in items]


@router.get("/teams", response=list[TeamOut], operation_id="list_teams", summary="Teams")
@paginate(Pagination)
def list_teams(request: HttpRequest, filters: Query[TeamListQuery]) -> QuerySet[Team]:
    actor = api_actor(request)
    return selectors.teams_visible_to(
        actor, unit=unit_in_scope(actor, filters.unit, "unit"), q=filters.q
    )


@router.get("/teams/{pk}", response=TeamOut, operation_id="get_team", summary="One team")
def get_team(request: HttpRequest, pk: int) -> Team:
    return selectors.access_team(api_actor(request), pk)


@router.post("/teams", response={201: TeamOut}, operation_id="create_team", summary="Create a team")
def create_team(request: HttpRequest, payload: TeamCreateIn) -> Team:
    """One officer, up to three auxiliary officers, any number of grid workers."""
    actor = api_actor(request)
    unit = unit_in_scope(actor, payload.unit, "unit")
    assert unit is not None
    team = services.create_team(
        actor=actor, unit=unit, name=payload.name, members=_team_members(actor, payload.members)
    )
    return selectors.access_team(actor, team.pk)


@router.put(
    "/teams/{pk}/members",
    response=TeamOut,
    operation_id="set_team_members",
    summary="Replace a team's members",
)
def set_team_members(request: HttpRequest, pk: int, payload: TeamMembersIn) -> Team:
    actor = api_actor(request)
    team = selectors.access_team(actor, pk, for_write=True)
    services.set_team_members(actor=actor, team=team, members=_team_members(actor, payload.members))
    return selectors.access_team(actor, pk)


@router.delete(
    "/teams/{pk}", response={204: None}, operation_id="delete_team", summary="Delete a team"
)
def delete_team(request: HttpRequest, pk: int) -> None:
    actor = api_actor(request)
    services.delete_team(actor=actor, team=selectors.access_team(actor, pk, for_write=True))


# --- Audit log -------------------------------------------------------------------------------


@router.get(
    "/audit/events",
    response=list[AuditEventOut],
    operation_id="list_audit_events",
    summary="Audit events",
)
@paginate(Pagination)
def list_audit_events(request: HttpRequest, filters: Query[AuditQuery]) -> QuerySet[AuditEvent]:
    """Events of your unit subtree, newest first (auditors and chiefs). Reading the log is
    itself recorded, as ``audit.view``."""
    actor = api_actor(request)
    wanted = selectors.AuditFilters(
        date_from=filters.date_from,
        date_to=filters.date_to,
        username=filters.username.strip(),
        action=filters.action.strip(),
        outcome=filters.outcome or "",
        object_type=filters.object_type.strip(),
        object_id=filters.object_id.strip(),
    )
    events = selectors.audit_events_visible_to(actor, wanted)
    services.record_audit_read(
        actor=actor,
        action="audit.view",
        filters={**wanted.as_dict(), "offset": request.GET.get("offset", "0")[:12]},
    )
    return events
