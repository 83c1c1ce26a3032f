"""Matrix routes of the structure pages (core/views/structure.py) and API (core/api.py).

Every URL name and operationId of those modules is declared here with the object kind and
action it exercises (see liuqing.core.matrix). Target factories build their objects through
the services, acting as a detachment-staff member at the root so that they can place objects
anywhere in the test tree; each object's visible name carries the marker.
"""

from __future__ import annotations

import itertools
from typing import Any

from liuqing.core import audit, services
from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import (
    UNIT_LEVEL,
    Member,
    PlaceKind,
    Role,
    SensitiveLabel,
    TeamMembership,
    TeamPosition,
    Unit,
)
from liuqing.core.testing import PASSWORD, make_member

Kwargs = dict[str, Any]


def _root(world: Any) -> Member:
    """A detachment-staff member at the root, shared with other tests' helpers."""
    actor = world.personas.get("_root") or Member.objects.filter(username="root_staff").first()
    if actor is None:
        actor = make_member(world.units["D"], [Role.DETACHMENT_STAFF], "root_staff")
    world.personas["_root"] = actor
    return actor


def _child_kind(unit: Unit) -> str:
    level = unit.level + 1
    return next(kind for kind, lvl in UNIT_LEVEL.items() if lvl == level)


_numbers = itertools.count(1)


def _seq() -> int:
    """A number for unique usernames and codes (factories may run many times per test)."""
    return next(_numbers)


def _unit(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    child = services.create_unit(
        actor=_root(world),
        parent=unit,
        kind=_child_kind(unit),
        code=f"MX{_seq()}-{marker}"[:32],
        name=f"{marker} unit",
    )
    return {"pk": child.pk}, marker


def _place(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    place = services.create_place(
        actor=_root(world),
        unit=unit,
        name=f"{marker} place",
        kind=PlaceKind.VILLAGE,
        latitude=43.8,
        longitude=87.6,
    )
    return {"pk": place.pk}, marker


def _member(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    member = services.create_member(
        actor=None,
        username=f"mx{_seq()}_{marker}".lower()[:64],
        full_name=f"{marker} member",
        unit=unit,
        roles=[Role.OFFICER],
        password=PASSWORD,
        phone="13812345678",
    )
    return {"pk": member.pk}, marker


def _officer(unit: Unit) -> Member:
    """An officer at `unit` who is in no team yet (made on demand)."""
    free = (
        Member.objects.filter(unit=unit, role_grants__role=Role.OFFICER, is_active=True)
        .exclude(pk__in=TeamMembership.objects.values("member_id"))
        .filter(username__startswith="mxofficer")
        .first()
    )
    return free or make_member(unit, [Role.OFFICER], f"mxofficer{unit.pk}_{_seq()}")


def _team(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    team = services.create_team(
        actor=_root(world),
        unit=unit,
        name=f"{marker} team",
        members=[(_officer(unit), TeamPosition.OFFICER)],
    )
    return {"pk": team.pk}, marker


def _grant(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    kwargs, _marker = _member(world, unit, marker)
    member = Member.objects.get(pk=kwargs["pk"])
    grant = services.grant_sensitive(actor=_root(world), member=member, label=SensitiveLabel.CARE)
    return {"pk": member.pk, "grant_pk": grant.pk}, marker


def _audit_event(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    event = audit.record("matrix.marker", object_type="matrix", object_id=marker, unit=unit)
    return {"pk": event.pk}, marker


TARGETS: dict[str, TargetFactory] = {
    "unit": _unit,
    "place": _place,
    "member": _member,
    "team": _team,
    "grant": _grant,
    "audit_event": _audit_event,
}


# --- Request bodies --------------------------------------------------------------------------


def _new_unit(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"parent": unit.pk, "kind": _child_kind(unit), "code": f"MXNEW{unit.pk}", "name": "new"}


def _unit_edit(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    target = Unit.objects.get(pk=kwargs["pk"])
    return {"code": target.code, "name": f"{target.name} renamed", "is_active": "on"}


def _unit_patch(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"name": "renamed"}


def _unit_move(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"parent": unit.pk}  # the target's own parent: a move that is always valid


def _new_place(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "unit": unit.pk,
        "name": "MX new place",
        "kind": PlaceKind.VILLAGE,
        "latitude": 43.8,
        "longitude": 87.6,
    }


def _place_edit(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "name": "renamed",
        "kind": PlaceKind.VILLAGE,
        "latitude": 43.8,
        "longitude": 87.6,
        "is_active": "on",
    }


def _place_patch(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"name": "renamed"}


def _new_member(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "username": f"mxnew{unit.pk}",
        "full_name": "MX new",
        "unit": unit.pk,
        "roles": [Role.OFFICER],
        "password": PASSWORD,
    }


def _member_edit(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"full_name": "renamed", "unit": unit.pk}


def _member_patch(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"full_name": "renamed"}


def _roles(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"roles": [Role.OFFICER, Role.MEDIATOR]}


def _reason(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"reason": "matrix check"}


def _new_password(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"password": "a brand new passphrase 42", "password_again": "a brand new passphrase 42"}


def _grant_label(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"label": SensitiveLabel.HEALTH}


def _new_team_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"name": "MX new team", "unit": unit.pk, "officer": _officer(unit).pk}


def _new_team_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "name": "MX new team",
        "unit": unit.pk,
        "members": [{"member": _officer(unit).pk, "position": TeamPosition.OFFICER}],
    }


def _team_officer(kwargs: Kwargs) -> Member:
    return TeamMembership.objects.get(team_id=kwargs["pk"], position=TeamPosition.OFFICER).member


def _team_members_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"officer": _team_officer(kwargs).pk}


def _team_members_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"members": [{"member": _team_officer(kwargs).pk, "position": TeamPosition.OFFICER}]}


# --- Routes ----------------------------------------------------------------------------------

PUBLIC: set[str] = set()

POST = "POST"

ROUTES: list[Route] = [
    Route(name="core:home", kind=None),
    # Units
    Route(name="core:unit_list", kind="unit", lists="unit"),
    Route(name="core:unit_detail", kind="unit", target="unit"),
    Route(name="core:unit_create", kind="unit", action=CHANGE),
    Route(
        name="core:unit_create",
        kind="unit",
        action=CHANGE,
        method=POST,
        unit_param="parent",
        data=_new_unit,
    ),
    Route(name="core:unit_edit", kind="unit", action=CHANGE, target="unit"),
    Route(
        name="core:unit_edit",
        kind="unit",
        action=CHANGE,
        method=POST,
        target="unit",
        data=_unit_edit,
    ),
    Route(name="core:unit_move", kind="unit", action=CHANGE, target="unit"),
    Route(
        name="core:unit_move",
        kind="unit",
        action=CHANGE,
        method=POST,
        target="unit",
        data=_unit_move,
    ),
    # Places
    Route(name="core:place_list", kind="place", lists="place"),
    Route(name="core:place_detail", kind="place", target="place"),
    Route(name="core:place_create", kind="place", action=CHANGE),
    Route(
        name="core:place_create",
        kind="place",
        action=CHANGE,
        method=POST,
        unit_param="unit",
        data=_new_place,
    ),
    Route(name="core:place_edit", kind="place", action=CHANGE, target="place"),
    Route(
        name="core:place_edit",
        kind="place",
        action=CHANGE,
        method=POST,
        target="place",
        data=_place_edit,
    ),
    # Members
    Route(name="core:member_list", kind="member", lists="member"),
    Route(name="core:member_detail", kind="member", target="member"),
    Route(name="core:member_create", kind="member", action=CHANGE),
    Route(
        name="core:member_create",
        kind="member",
        action=CHANGE,
        method=POST,
        unit_param="unit",
        data=_new_member,
    ),
    Route(name="core:member_edit", kind="member", action=CHANGE, target="member"),
    Route(
        name="core:member_edit",
        kind="member",
        action=CHANGE,
        method=POST,
        target="member",
        data=_member_edit,
    ),
    Route(name="core:member_roles", kind="member", action=CHANGE, target="member"),
    Route(
        name="core:member_roles",
        kind="member",
        action=CHANGE,
        method=POST,
        target="member",
        data=_roles,
    ),
    Route(name="core:member_deactivate", kind="member", action=CHANGE, target="member"),
    Route(
        name="core:member_deactivate",
        kind="member",
        action=CHANGE,
        method=POST,
        target="member",
        data=_reason,
    ),
    Route(
        name="core:member_reactivate", kind="member", action=CHANGE, method=POST, target="member"
    ),
    Route(name="core:member_password", kind="member", action=CHANGE, target="member"),
    Route(
        name="core:member_password",
        kind="member",
        action=CHANGE,
        method=POST,
        target="member",
        data=_new_password,
    ),
    Route(name="core:member_reveal_phone", kind="member", target="member"),
    Route(
        name="core:member_reveal_phone", kind="member", method=POST, target="member", data=_reason
    ),
    Route(name="core:member_grant", kind="sensitive_grant", action=CHANGE, target="member"),
    Route(
        name="core:member_grant",
        kind="sensitive_grant",
        action=CHANGE,
        method=POST,
        target="member",
        data=_grant_label,
    ),
    Route(
        name="core:member_grant_revoke",
        kind="sensitive_grant",
        action=CHANGE,
        method=POST,
        target="grant",
    ),
    # Teams
    Route(name="core:team_list", kind="team", lists="team"),
    Route(name="core:team_detail", kind="team", target="team"),
    Route(name="core:team_create", kind="team", action=CHANGE),
    Route(
        name="core:team_create",
        kind="team",
        action=CHANGE,
        method=POST,
        unit_param="unit",
        data=_new_team_form,
    ),
    Route(name="core:team_members", kind="team", action=CHANGE, target="team"),
    Route(
        name="core:team_members",
        kind="team",
        action=CHANGE,
        method=POST,
        target="team",
        data=_team_members_form,
    ),
    Route(name="core:team_delete", kind="team", action=CHANGE, target="team"),
    Route(name="core:team_delete", kind="team", action=CHANGE, method=POST, target="team"),
    # Audit log
    Route(name="core:audit", kind="audit", lists="audit_event"),
    Route(name="core:audit_export", kind="audit"),
    # --- API ---
    Route(name="list_units", kind="unit", lists="unit", api=True),
    Route(name="get_unit", kind="unit", target="unit", api=True),
    Route(
        name="create_unit",
        kind="unit",
        action=CHANGE,
        method=POST,
        unit_param="parent",
        data=_new_unit,
        api=True,
    ),
    Route(
        name="update_unit",
        kind="unit",
        action=CHANGE,
        method="PATCH",
        target="unit",
        data=_unit_patch,
        api=True,
    ),
    Route(
        name="move_unit",
        kind="unit",
        action=CHANGE,
        method=POST,
        target="unit",
        data=_unit_move,
        api=True,
    ),
    Route(name="list_places", kind="place", lists="place", api=True),
    Route(name="get_place", kind="place", target="place", api=True),
    Route(
        name="create_place",
        kind="place",
        action=CHANGE,
        method=POST,
        unit_param="unit",
        data=_new_place,
        api=True,
    ),
    Route(
        name="update_place",
        kind="place",
        action=CHANGE,
        method="PATCH",
        target="place",
        data=_place_patch,
        api=True,
    ),
    Route(name="list_members", kind="member", lists="member", api=True),
    Route(name="get_member", kind="member", target="member", api=True),
    Route(
        name="create_member",
        kind="member",
        action=CHANGE,
        method=POST,
        unit_param="unit",
        data=_new_member,
        api=True,
    ),
    Route(
        name="update_member",
        kind="member",
        action=CHANGE,
        method="PATCH",
        target="member",
        data=_member_patch,
        api=True,
    ),
    Route(
        name="set_member_roles",
        kind="member",
        action=CHANGE,
        method="PUT",
        target="member",
        data=_roles,
        api=True,
    ),
    Route(
        name="deactivate_member",
        kind="member",
        action=CHANGE,
        method=POST,
        target="member",
        data=_reason,
        api=True,
    ),
    Route(
        name="reactivate_member",
        kind="member",
        action=CHANGE,
        method=POST,
        target="member",
        api=True,
    ),
    Route(
        name="reveal_member_phone",
        kind="member",
        method=POST,
        target="member",
        data=_reason,
        api=True,
    ),
    Route(name="list_teams", kind="team", lists="team", api=True),
    Route(name="get_team", kind="team", target="team", api=True),
    Route(
        name="create_team",
        kind="team",
        action=CHANGE,
        method=POST,
        unit_param="unit",
        data=_new_team_api,
        api=True,
    ),
    Route(
        name="set_team_members",
        kind="team",
        action=CHANGE,
        method="PUT",
        target="team",
        data=_team_members_api,
        api=True,
    ),
    Route(name="delete_team", kind="team", action=CHANGE, method="DELETE", target="team", api=True),
    Route(name="list_audit_events", kind="audit", lists="audit_event", api=True),
]
