"""Structure selectors: jurisdiction, filters, and query counts that do not grow with the page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liuqing.core import audit, selectors, services
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import AuditOutcome, Member, Role, TeamPosition, UnitKind
from liuqing.core.testing import World, make_member

from .structure_helpers import PHONE, member, place, root


def usernames(qs: object) -> set[str]:
    return {m.username for m in qs}  # type: ignore[attr-defined]


def test_a_station_chief_does_not_see_the_sibling_stations_members(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    member(world, "S2", "s2_officer")
    member(world, "C1", "c1_officer")
    visible = usernames(selectors.members_visible_to(chief))
    assert "c1_officer" in visible
    assert "s2_officer" not in visible
    s2_officer = Member.objects.get(username="s2_officer")
    with pytest.raises(NotFound):
        selectors.access_member(chief, s2_officer.pk)


def test_brigade_staff_placed_at_the_brigade_see_both_stations(world: World) -> None:
    staff = make_member(world.units["B1"], [Role.BRIGADE_STAFF], "b1_staff")
    member(world, "S2", "s2_officer")
    member(world, "S3", "s3_officer")
    visible = usernames(selectors.members_visible_to(staff))
    assert {"s2_officer", "officer_s1"} <= visible
    assert "s3_officer" not in visible


def test_member_filters_by_subtree_role_status_and_text(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    member(world, "G1", "grid_one", [Role.GRID_WORKER])
    gone = member(world, "C1", "gone_one")
    services.deactivate_member(actor=chief, member=gone, reason="left")
    assert usernames(selectors.members_visible_to(chief, unit=world.units["C1"])) == {
        "grid_one",
        "gone_one",
    }
    assert usernames(selectors.members_visible_to(chief, role=Role.GRID_WORKER)) == {
        "grid_one",
        "grid_worker_s1",
    }
    assert usernames(selectors.members_visible_to(chief, active=False)) == {"gone_one"}
    assert usernames(selectors.members_visible_to(chief, q="D_ON")) == {"grid_one"}


def test_a_whole_phone_number_finds_the_member_through_the_blind_index(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    member(world, "S1", "has_phone", phone=PHONE)
    member(world, "S2", "other_phone", phone="13900001111")
    for typed in (PHONE, "+86 138 1234 5678", "138-1234-5678"):
        assert usernames(selectors.members_visible_to(chief, q=typed)) == {"has_phone"}
    assert not selectors.members_visible_to(chief, q="5678").exists()  # no fragment search
    assert not selectors.members_visible_to(chief, q="13900001111").exists()  # out of scope


def test_a_malformed_or_huge_id_is_not_found(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    for pk in ("abc", None, 0, -1, 2**70):
        with pytest.raises(NotFound):
            selectors.access_member(chief, pk)


def test_the_unit_tree_counts_members_and_sub_units(world: World) -> None:
    units = {u.code: u for u in selectors.units_visible_to(world.persona(Role.OFFICER))}
    assert list(units) == ["T654002-01", "T654002-01-01", "T654002-01-01-01"]
    s1 = units["T654002-01"]
    assert (s1.member_count, s1.child_count) == (len(Role.values), 1)  # type: ignore[attr-defined]


def test_the_unit_overview_shows_only_what_the_unit_owns_directly(world: World) -> None:
    place(world, "S1", "own place")
    place(world, "C1", "child place")
    overview = selectors.unit_overview(world.persona(Role.OFFICER), world.units["S1"].pk)
    assert [p.name for p in overview.places] == ["own place"]
    assert [c.code for c in overview.children] == ["T654002-01-01"]
    assert [c.visible for c in overview.crumbs] == [False, False, True]
    assert not overview.can_change


def test_places_filter_by_unit_kind_and_name(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    place(world, "S1", "东村")
    place(world, "G1", "西校", kind="school")
    place(world, "S2", "北村")
    names = {p.name for p in selectors.places_visible_to(officer)}
    assert names == {"东村", "西校"}
    assert [p.name for p in selectors.places_visible_to(officer, unit=world.units["C1"])] == [
        "西校"
    ]
    assert [p.name for p in selectors.places_visible_to(officer, kind="school")] == ["西校"]
    assert [p.name for p in selectors.places_visible_to(officer, q="东")] == ["东村"]


def test_only_chiefs_and_auditors_read_the_audit_log(world: World) -> None:
    for role in (Role.OFFICER, Role.SYSADMIN, Role.SERGEANT):
        with pytest.raises(AccessDenied):
            selectors.audit_events_visible_to(world.persona(role))
    assert selectors.audit_events_visible_to(world.persona(Role.AUDITOR)).exists()


def test_the_audit_log_is_scoped_by_unit_path(world: World) -> None:
    audit.record("test.s2", unit=world.units["S2"])
    audit.record("test.c1", unit=world.units["C1"])
    audit.record("login.failed", username="nobody", outcome=AuditOutcome.DENIED)
    station = {e.action for e in selectors.audit_events_visible_to(world.persona(Role.AUDITOR))}
    assert "test.c1" in station
    assert "test.s2" not in station
    assert "login.failed" not in station
    detachment_auditor = make_member(world.units["D"], [Role.AUDITOR], "d_auditor")
    everything = {e.action for e in selectors.audit_events_visible_to(detachment_auditor)}
    assert {"test.c1", "test.s2", "login.failed"} <= everything


def test_audit_filters_narrow_by_user_action_prefix_outcome_and_object(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    target = member(world, "S1", "filtered")
    services.update_member(actor=chief, member=target, full_name="新名")
    f = selectors.AuditFilters
    auditor = world.persona(Role.AUDITOR)
    by_user = selectors.audit_events_visible_to(auditor, f(username=chief.username))
    assert {e.action for e in by_user} == {"member.update"}
    by_prefix = selectors.audit_events_visible_to(auditor, f(action="member."))
    assert {e.action for e in by_prefix} == {"member.create", "member.update"}
    by_object = selectors.audit_events_visible_to(
        auditor, f(object_type="core.member", object_id=str(target.pk))
    )
    assert by_object.count() == 2
    assert not selectors.audit_events_visible_to(auditor, f(outcome=AuditOutcome.DENIED)).exists()


# --- Query counts ------------------------------------------------------------------------------


def _many(world: World) -> None:
    chief = root(world)
    for i in range(55):
        services.create_unit(
            actor=chief,
            parent=world.units["S1"],
            kind=UnitKind.COMMUNITY,
            code=f"Q{i}",
            name=f"社区{i}",
        )
        officer = member(world, "S1", f"q_officer{i}", [Role.OFFICER, Role.SERGEANT])
        place(world, "S1", f"村{i}")
        services.create_team(
            actor=chief,
            unit=world.units["S1"],
            name=f"组{i}",
            members=[(officer, TeamPosition.OFFICER)],
        )


def _queries(fn: object) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()  # type: ignore[operator]
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("name", "render"),
    [
        (
            "units",
            lambda a, n: [
                (u.name, u.member_count, u.parent) for u in selectors.units_visible_to(a)[:n]
            ],
        ),
        (
            "members",
            lambda a, n: [
                (m.unit.name, sorted(m.role_set), selectors.team_of(m), str(m.phone))
                for m in selectors.members_visible_to(a)[:n]
            ],
        ),
        (
            "places",
            lambda a, n: [(p.unit.name, p.name) for p in selectors.places_visible_to(a)[:n]],
        ),
        (
            "teams",
            lambda a, n: [
                (t.unit.name, [(x.member.full_name, x.position) for x in t.memberships.all()])
                for t in selectors.teams_visible_to(a)[:n]
            ],
        ),
    ],
)
def test_lists_cost_the_same_queries_for_5_or_50_rows(
    world: World, name: str, render: object
) -> None:
    _many(world)
    actor = Member.objects.get(pk=world.persona(Role.STATION_CHIEF).pk)
    actor.role_set  # noqa: B018  (warm the per-request caches)
    _ = actor.unit
    small = _queries(lambda: render(actor, 5))  # type: ignore[operator]
    large = _queries(lambda: render(actor, 50))  # type: ignore[operator]
    assert small == large, name
