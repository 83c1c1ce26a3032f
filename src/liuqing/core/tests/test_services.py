"""Structure services: what they write, what they refuse, and that a refusal writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils import timezone, translation

from liuqing.core import services
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import (
    AuditEvent,
    Member,
    Place,
    PlaceKind,
    Role,
    SensitiveGrant,
    SensitiveLabel,
    Team,
    TeamMembership,
    TeamPosition,
    Unit,
    UnitKind,
)
from liuqing.core.testing import PASSWORD, World, make_member

from .structure_helpers import audit_writes_fail, member, place, root

OPEN_RING = '{"type": "Polygon", "coordinates": [[[87, 43], [88, 43], [88, 44], [87, 44]]]}'
OUT_OF_RANGE = '{"type": "Polygon", "coordinates": [[[187, 43], [88, 43], [88, 44], [187, 43]]]}'
SQUARE = (
    '{"type": "Polygon", "coordinates": [[[87.6, 43.8], [87.7, 43.8], [87.7, 43.9], [87.6, 43.8]]]}'
)


@pytest.fixture(autouse=True)
def _english() -> object:
    # Messages are compared in English whatever translations are compiled.
    with translation.override("en"):
        yield


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- Units -----------------------------------------------------------------------------------


def test_a_station_chief_creates_a_community_under_their_station(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    unit = services.create_unit(
        actor=chief,
        parent=world.units["S1"],
        kind=UnitKind.COMMUNITY,
        code="X-1",
        name="新社区",
        latitude="43.8",
        longitude=87.6,
    )
    assert unit.path.startswith(world.units["S1"].path)
    assert unit.depth == 3
    assert float(unit.latitude) == pytest.approx(43.8)
    assert events("unit.create") == 8 + 1  # the world's units, then this one


def test_creating_a_unit_outside_the_jurisdiction_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        services.create_unit(
            actor=world.persona(Role.STATION_CHIEF),
            parent=world.units["S2"],
            kind=UnitKind.COMMUNITY,
            code="X-2",
            name="x",
        )
    assert not Unit.objects.filter(code="X-2").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"latitude": "north"}, "latitude"),
        ({"latitude": 91}, "latitude"),
        ({"longitude": "Infinity"}, "longitude"),
        ({"longitude": "NaN"}, "longitude"),
        ({"kind": "castle"}, "kind"),
        ({"code": "T654000"}, "code"),  # already the detachment's
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_unit_is_refused_on_its_field_and_writes_nothing(
    world: World, changes: dict[str, object], field: str
) -> None:
    before = (Unit.objects.count(), AuditEvent.objects.count())
    fields: dict[str, object] = {"kind": UnitKind.COMMUNITY, "code": "X-3", "name": "x", **changes}
    with pytest.raises(ValidationError) as err:
        services.create_unit(
            actor=world.persona(Role.STATION_CHIEF),
            parent=world.units["S1"],
            **fields,  # type: ignore[arg-type]
        )
    assert field in err.value.message_dict
    assert (Unit.objects.count(), AuditEvent.objects.count()) == before


def test_updating_a_unit_records_only_what_changed(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    services.update_unit(actor=chief, unit=world.units["C1"], name="改名社区", latitude=43.5)
    event = AuditEvent.objects.filter(action="unit.update").get()
    assert '"name":["测试社区","改名社区"]' in event.details
    assert "code" not in event.details


def test_an_unknown_unit_field_cannot_be_changed(world: World) -> None:
    with pytest.raises(ValidationError) as err:
        services.update_unit(
            actor=world.persona(Role.STATION_CHIEF), unit=world.units["C1"], parent=None
        )
    assert "parent" in err.value.message_dict


def test_an_auditor_cannot_change_a_unit(world: World) -> None:
    with pytest.raises(AccessDenied):
        services.update_unit(actor=world.persona(Role.AUDITOR), unit=world.units["C1"], name="x")
    assert Unit.objects.get(pk=world.units["C1"].pk).name == "测试社区"


def test_brigade_staff_move_a_station_and_its_subtree_to_a_sibling_brigade_only_in_scope(
    world: World,
) -> None:
    staff = make_member(world.units["B1"], [Role.BRIGADE_STAFF], "b1_staff")
    with pytest.raises(NotFound):  # B2 is outside B1
        services.move_unit(actor=staff, unit=world.units["C1"], new_parent=world.units["S3"])
    services.move_unit(actor=staff, unit=world.units["C1"], new_parent=world.units["S2"])
    grid = Unit.objects.get(code="T654002-01-01-01")
    assert grid.path.startswith(world.units["S2"].path)


def test_a_unit_cannot_move_below_itself(world: World) -> None:
    chief = root(world)
    with pytest.raises(ValidationError) as err:
        services.move_unit(actor=chief, unit=world.units["B1"], new_parent=world.units["S1"])
    assert err.value.message_dict  # a brigade cannot sit under a station, nor under itself
    assert Unit.objects.get(pk=world.units["B1"].pk).path == world.units["B1"].path


# --- Places ----------------------------------------------------------------------------------


def test_a_sergeant_registers_a_place_with_a_boundary(world: World) -> None:
    created = services.create_place(
        actor=world.persona(Role.SERGEANT),
        unit=world.units["C1"],
        name="幸福村",
        kind=PlaceKind.VILLAGE,
        latitude=43.85,
        longitude=87.65,
        boundary=SQUARE,
    )
    assert created.unit == world.units["C1"]
    event = AuditEvent.objects.get(action="place.create")
    assert "sha256:" in event.details
    assert "87.6" not in event.details.split("boundary")[1][:40]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"latitude": 95}, "latitude"),
        ({"longitude": -181}, "longitude"),
        ({"latitude": "forty"}, "latitude"),
        ({"boundary": "{not json"}, "boundary"),
        ({"boundary": '{"type": "Point", "coordinates": [87.6, 43.8]}'}, "boundary"),
        ({"boundary": OPEN_RING}, "boundary"),
        ({"boundary": OUT_OF_RANGE}, "boundary"),
    ],
)
def test_bad_coordinates_or_geojson_are_field_errors_and_write_nothing(
    world: World, extra: dict[str, object], field: str
) -> None:
    before = (Place.objects.count(), AuditEvent.objects.count())
    fields: dict[str, object] = {
        "kind": PlaceKind.VILLAGE,
        "latitude": 43.8,
        "longitude": 87.6,
        **extra,
    }
    with pytest.raises(ValidationError) as err:
        services.create_place(
            actor=world.persona(Role.SERGEANT),
            unit=world.units["S1"],
            name="x",
            **fields,  # type: ignore[arg-type]
        )
    assert field in err.value.message_dict
    assert (Place.objects.count(), AuditEvent.objects.count()) == before


def test_a_second_place_of_the_same_name_in_a_unit_is_refused_on_the_name(world: World) -> None:
    place(world, "S1", "同名村")
    with pytest.raises(ValidationError) as err:
        place(world, "S1", "同名村")
    assert list(err.value.message_dict) == ["name"]
    place(world, "S2", "同名村")  # another unit may use the name


def test_an_officer_cannot_register_a_place(world: World) -> None:
    with pytest.raises(AccessDenied):
        services.create_place(
            actor=world.persona(Role.OFFICER),
            unit=world.units["S1"],
            name="x",
            kind=PlaceKind.VILLAGE,
            latitude=43.8,
            longitude=87.6,
        )


# --- Members ---------------------------------------------------------------------------------


def test_creating_a_member_reports_every_problem_at_once_and_writes_nothing(world: World) -> None:
    before = (Member.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as err:
        services.create_member(
            actor=world.persona(Role.STATION_CHIEF),
            username="officer_s1",
            full_name="",
            unit=world.units["S1"],
            roles=[Role.BRIGADE_STAFF],
            password="short",
            phone="12345",
        )
    assert set(err.value.message_dict) == {"username", "full_name", "roles", "password", "phone"}
    assert (Member.objects.count(), AuditEvent.objects.count()) == before


def test_a_station_chief_cannot_make_an_administrator_or_an_auditor(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    for role in (Role.SYSADMIN, Role.AUDITOR):
        with pytest.raises(ValidationError) as err:
            services.create_member(
                actor=chief,
                username=f"new_{role}",
                full_name="x",
                unit=world.units["S1"],
                roles=[role],
                password=PASSWORD,
            )
        assert "roles" in err.value.message_dict


def test_the_administrator_makes_an_auditor(world: World) -> None:
    made = services.create_member(
        actor=world.persona(Role.SYSADMIN),
        username="new_auditor",
        full_name="x",
        unit=world.units["S1"],
        roles=[Role.AUDITOR],
        password=PASSWORD,
    )
    assert made.has_role(Role.AUDITOR)


def test_a_station_chief_cannot_touch_a_member_above_their_standing(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    staff = world.persona(Role.BRIGADE_STAFF)  # placed at S1, in the chief's scope
    with pytest.raises(AccessDenied):
        services.reset_password(actor=chief, member=staff, new_password="a brand new passphrase 42")
    with pytest.raises(AccessDenied):
        services.deactivate_member(actor=chief, member=staff, reason="test")
    with pytest.raises(AccessDenied):
        services.set_member_roles(actor=chief, member=staff, roles=[Role.OFFICER])
    assert Member.objects.get(pk=staff.pk).check_password(PASSWORD)


def test_roles_the_actor_could_not_grant_cannot_be_taken_away_either(world: World) -> None:
    sysadmin = world.persona(Role.SYSADMIN)
    target = member(world, "S1", "two_hats", [Role.OFFICER, Role.AUDITOR])
    chief = world.persona(Role.STATION_CHIEF)
    with pytest.raises(AccessDenied):  # the auditor role is above a chief's standing
        services.set_member_roles(actor=chief, member=target, roles=[Role.OFFICER])
    services.set_member_roles(actor=sysadmin, member=target, roles=[Role.OFFICER])
    assert Member.objects.get(pk=target.pk).role_set == {Role.OFFICER}


def test_setting_roles_is_audited_with_before_and_after(world: World) -> None:
    target = member(world, "S1", "promoted")
    services.set_member_roles(
        actor=world.persona(Role.STATION_CHIEF), member=target, roles=[Role.OFFICER, Role.SERGEANT]
    )
    event = AuditEvent.objects.get(action="member.roles")
    assert '"roles":[["officer"],["officer","sergeant"]]' in event.details


def test_deactivating_yourself_is_refused_with_a_field_error(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    with pytest.raises(ValidationError) as err:
        services.deactivate_member(actor=chief, member=chief, reason="leaving")
    assert "member" in err.value.message_dict
    assert Member.objects.get(pk=chief.pk).is_active


def test_deactivation_needs_a_reason_and_revokes_tokens(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    target = member(world, "C1", "leaver")
    token, _secret = services.create_api_token(actor=target, name="script")
    with pytest.raises(ValidationError):
        services.deactivate_member(actor=chief, member=target, reason="  ")
    services.deactivate_member(actor=chief, member=target, reason="transferred")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.get(action="member.deactivate").reason == "transferred"
    services.reactivate_member(actor=chief, member=target)
    assert Member.objects.get(pk=target.pk).is_active


def test_a_member_cannot_be_moved_to_a_unit_outside_the_jurisdiction(world: World) -> None:
    target = member(world, "S1", "stay_put")
    with pytest.raises(NotFound):
        services.update_member(
            actor=world.persona(Role.STATION_CHIEF), member=target, unit=world.units["S3"]
        )
    assert Member.objects.get(pk=target.pk).unit == world.units["S1"]


def test_resetting_your_own_password_goes_through_the_profile(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    with pytest.raises(ValidationError):
        services.reset_password(actor=chief, member=chief, new_password="a brand new passphrase 42")


# --- Teams -----------------------------------------------------------------------------------


def _team_people(world: World) -> dict[str, Member]:
    return {
        "officer": member(world, "S1", "t_officer", [Role.OFFICER]),
        "aux": [member(world, "S1", f"t_aux{i}", [Role.AUXILIARY]) for i in range(4)],  # type: ignore[dict-item]
        "grid": member(world, "G1", "t_grid", [Role.GRID_WORKER]),
    }


def test_a_sergeant_forms_a_team_of_one_officer_three_auxiliaries_and_grid_workers(
    world: World,
) -> None:
    people = _team_people(world)
    aux: list[Member] = people["aux"]  # type: ignore[assignment]
    team = services.create_team(
        actor=world.persona(Role.SERGEANT),
        unit=world.units["S1"],
        name="一组",
        members=[(people["officer"], TeamPosition.OFFICER)]
        + [(m, TeamPosition.AUXILIARY) for m in aux[:3]]
        + [(people["grid"], TeamPosition.GRID_WORKER)],
    )
    assert team.memberships.count() == 5


def test_an_invalid_team_lists_every_problem_and_writes_nothing(world: World) -> None:
    people = _team_people(world)
    aux: list[Member] = people["aux"]  # type: ignore[assignment]
    outsider = member(world, "S2", "t_outsider", [Role.AUXILIARY])
    before = (Team.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as err:
        services.create_team(
            actor=world.persona(Role.SERGEANT),
            unit=world.units["S1"],
            name="",
            members=[(m, TeamPosition.AUXILIARY) for m in aux]  # four auxiliaries, no officer
            + [(outsider, TeamPosition.AUXILIARY), (people["grid"], TeamPosition.OFFICER)],
        )
    problems = err.value.message_dict
    assert "name" in problems
    text = " ".join(problems["members"])
    assert "at most three" in text
    assert "does not serve in this unit's area" in text
    assert "does not hold the role" in text
    assert (Team.objects.count(), AuditEvent.objects.count()) == before


def test_a_member_serves_in_one_team_at_a_time(world: World) -> None:
    people = _team_people(world)
    sergeant = world.persona(Role.SERGEANT)
    services.create_team(
        actor=sergeant,
        unit=world.units["S1"],
        name="一组",
        members=[(people["officer"], TeamPosition.OFFICER)],
    )
    with pytest.raises(ValidationError) as err:
        services.create_team(
            actor=sergeant,
            unit=world.units["S1"],
            name="二组",
            members=[(people["officer"], TeamPosition.OFFICER)],
        )
    assert "already in another team" in " ".join(err.value.message_dict["members"])


def test_changing_and_deleting_a_team(world: World) -> None:
    people = _team_people(world)
    sergeant = world.persona(Role.SERGEANT)
    team = services.create_team(
        actor=sergeant,
        unit=world.units["S1"],
        name="一组",
        members=[(people["officer"], TeamPosition.OFFICER)],
    )
    services.set_team_members(
        actor=sergeant,
        team=team,
        members=[
            (people["officer"], TeamPosition.OFFICER),
            (people["grid"], TeamPosition.GRID_WORKER),
        ],
    )
    assert team.memberships.count() == 2
    services.delete_team(actor=sergeant, team=team)
    assert not TeamMembership.objects.exists()
    assert events("team.delete") == 1


# --- Sensitive grants ------------------------------------------------------------------------


def test_a_chief_grants_and_revokes_a_sensitive_label(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    officer = world.persona(Role.OFFICER)
    grant = services.grant_sensitive(actor=chief, member=officer, label=SensitiveLabel.CARE)
    with pytest.raises(ValidationError):  # already held
        services.grant_sensitive(actor=chief, member=officer, label=SensitiveLabel.CARE)
    services.revoke_sensitive(actor=chief, grant=grant)
    with pytest.raises(ValidationError):  # already revoked
        services.revoke_sensitive(actor=chief, grant=grant)
    assert events("grant.create") == 1
    assert events("grant.revoke") == 1


def test_the_administrator_cannot_grant_sensitive_labels(world: World) -> None:
    with pytest.raises(AccessDenied):
        services.grant_sensitive(
            actor=world.persona(Role.SYSADMIN),
            member=world.persona(Role.OFFICER),
            label=SensitiveLabel.MINOR,
        )
    assert not SensitiveGrant.objects.exists()


def test_nobody_grants_a_sensitive_label_to_themselves(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    with pytest.raises(ValidationError):
        services.grant_sensitive(actor=chief, member=chief, label=SensitiveLabel.HEALTH)


def test_a_grant_cannot_expire_in_the_past(world: World) -> None:
    with pytest.raises(ValidationError) as err:
        services.grant_sensitive(
            actor=world.persona(Role.STATION_CHIEF),
            member=world.persona(Role.OFFICER),
            label=SensitiveLabel.HEALTH,
            expires_at=timezone.now() - dt.timedelta(days=1),
        )
    assert "expires_at" in err.value.message_dict


# --- Audit failure rolls the change back -----------------------------------------------------


def test_when_the_audit_write_fails_the_change_is_rolled_back(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    target = world.persona(Role.OFFICER)
    with audit_writes_fail():
        with pytest.raises(DatabaseError):
            services.create_unit(
                actor=chief,
                parent=world.units["S1"],
                kind=UnitKind.COMMUNITY,
                code="X-9",
                name="x",
            )
        with pytest.raises(DatabaseError):
            services.deactivate_member(actor=chief, member=target, reason="test")
        with pytest.raises(DatabaseError):
            services.set_member_roles(actor=chief, member=target, roles=[Role.MEDIATOR])
    assert not Unit.objects.filter(code="X-9").exists()
    target = Member.objects.get(pk=target.pk)
    assert target.is_active
    assert target.role_set == {Role.OFFICER}
    # and the chain is still whole
    services.create_unit(
        actor=chief, parent=world.units["S1"], kind=UnitKind.COMMUNITY, code="X-9", name="x"
    )
