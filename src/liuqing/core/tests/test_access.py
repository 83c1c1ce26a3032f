"""The scoping mechanism itself: jurisdiction ranges, role rights, residents' data and
sensitive labels, on real queries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db.models import Q

from liuqing.core import access, services
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound, Policy
from liuqing.core.models import Place, PlaceKind, Role, SensitiveLabel, Unit
from liuqing.core.testing import World, make_member

# A stand-in for a module's labelled records: school places carry the "minor" label.
LABELLED = "test_labelled_place"


@pytest.fixture
def labelled_policy() -> Iterator[Policy]:
    policy = access.register(
        Policy(
            kind=LABELLED,
            model=Place,
            view=access.ALL_STAFF,
            change=access.SUPERVISORS,
            resident_data=True,
            sensitive_q=lambda labels: (
                Q() if SensitiveLabel.MINOR in labels else Q(kind=PlaceKind.SCHOOL)
            ),
            labels_of=lambda p: [SensitiveLabel.MINOR] if p.kind == PlaceKind.SCHOOL else [],
        )
    )
    yield policy
    del access.POLICIES[LABELLED]


def _place(world: World, unit_key: str, name: str, kind: str = PlaceKind.VILLAGE) -> Place:
    # Detachment staff can place rows anywhere in the test tree.
    actor = world.personas.get("_root") or make_member(
        world.units["D"], [Role.DETACHMENT_STAFF], "root_staff"
    )
    world.personas["_root"] = actor
    return services.create_place(
        actor=actor,
        unit=world.units[unit_key],
        name=name,
        kind=kind,
        latitude=43.9,
        longitude=81.3,
    )


def test_scope_keeps_only_the_members_subtree(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    visible = set(access.scope(Unit.objects.all(), officer, "unit").values_list("code", flat=True))
    assert visible == {"T654002-01", "T654002-01-01", "T654002-01-01-01"}


def test_a_grid_worker_placed_at_a_grid_sees_only_the_grid(world: World) -> None:
    grid_worker = make_member(world.units["G1"], [Role.GRID_WORKER], "gw_g1")
    visible = list(access.scope(Unit.objects.all(), grid_worker, "unit"))
    assert [u.code for u in visible] == ["T654002-01-01-01"]


def test_out_of_scope_is_not_found_and_read_only_is_denied(world: World) -> None:
    _place(world, "S2", "sibling village")
    own = _place(world, "C1", "own village")
    sibling = Place.objects.get(name="sibling village")
    with pytest.raises(NotFound):
        access.check(world.persona(Role.STATION_CHIEF), sibling, "place")
    access.check(world.persona(Role.AUDITOR), own, "place", VIEW)
    with pytest.raises(AccessDenied):
        access.check(world.persona(Role.AUDITOR), own, "place", CHANGE)
    with pytest.raises(AccessDenied):
        access.check(world.persona(Role.OFFICER), own, "place", CHANGE)
    access.check(world.persona(Role.SERGEANT), own, "place", CHANGE)


def test_access_with_a_malformed_key_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        access.access(world.persona(Role.OFFICER), Unit.objects.all(), "unit", "not-a-number")
    with pytest.raises(NotFound):
        access.access(world.persona(Role.OFFICER), Unit.objects.all(), "unit", 10**9)


def test_the_administrator_never_reads_residents_data(
    world: World, labelled_policy: Policy
) -> None:
    own = _place(world, "S1", "village with residents")
    admin = world.persona(Role.SYSADMIN)
    assert not access.scope(Place.objects.all(), admin, LABELLED).exists()
    with pytest.raises(AccessDenied):
        access.check(admin, own, LABELLED)
    # ...while the same rows as structure (kind "place") are the administrator's to manage.
    assert access.scope(Place.objects.all(), admin, "place").filter(pk=own.pk).exists()


def test_labelled_rows_need_an_active_grant(world: World, labelled_policy: Policy) -> None:
    school = _place(world, "S1", "village school", PlaceKind.SCHOOL)
    village = _place(world, "S1", "plain village")
    officer = world.persona(Role.OFFICER)
    chief = world.persona(Role.STATION_CHIEF)

    seen = set(access.scope(Place.objects.all(), officer, LABELLED).values_list("name", flat=True))
    assert seen == {"plain village"}
    with pytest.raises(NotFound):
        access.check(officer, school, LABELLED)
    access.check(officer, village, LABELLED)

    grant = services.grant_sensitive(actor=chief, member=officer, label=SensitiveLabel.MINOR)
    officer = type(officer).objects.get(pk=officer.pk)  # fresh: grants are cached per instance
    seen = set(access.scope(Place.objects.all(), officer, LABELLED).values_list("name", flat=True))
    assert seen == {"plain village", "village school"}
    access.check(officer, school, LABELLED)

    services.revoke_sensitive(actor=chief, grant=grant)
    officer = type(officer).objects.get(pk=officer.pk)
    with pytest.raises(NotFound):
        access.check(officer, school, LABELLED)


def test_an_expired_grant_no_longer_opens_labelled_rows(
    world: World, labelled_policy: Policy
) -> None:
    import datetime as dt

    from django.utils import timezone

    from liuqing.core.models import SensitiveGrant

    school = _place(world, "S1", "school two", PlaceKind.SCHOOL)
    officer = world.persona(Role.OFFICER)
    SensitiveGrant.objects.create(
        member=officer,
        label=SensitiveLabel.MINOR,
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    with pytest.raises(NotFound):
        access.check(officer, school, LABELLED)


def test_an_inactive_member_sees_nothing(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    officer.is_active = False
    assert not access.scope(Unit.objects.all(), officer, "unit").exists()
    with pytest.raises(NotFound):
        access.check(officer, world.units["S1"], "unit")
