"""The demo data set: the Ili detachment at scale 1, built into the test database."""

from __future__ import annotations

import csv
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from liuqing.core import audit, demo, pii, services
from liuqing.core.models import (
    AuditEvent,
    Member,
    Place,
    PlaceKind,
    Role,
    Team,
    TeamPosition,
    Unit,
    UnitKind,
)

pytestmark = pytest.mark.django_db

ILI_VALLEY = {
    "伊宁市", "伊宁县", "察布查尔锡伯自治县", "霍城县", "霍尔果斯市", "巩留县", "新源县",
    "昭苏县", "特克斯县", "尼勒克县",
}  # fmt: skip


@pytest.fixture
def built() -> demo.DemoContext:
    # The core's data alone: the modules' steps have their own tests, and the whole demo is
    # built by the command-line tests (test_cli).
    return demo.build_demo(seed=demo.DEFAULT_SEED, scale=1, steps=demo.core_and())


def data_file_rows() -> dict[str, dict[str, str]]:
    lines = [
        line
        for line in demo.DATA_FILE.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    ]
    return {row["adcode"][:6]: row for row in csv.DictReader(lines)}


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    return {
        "units": list(
            Unit.objects.order_by("code").values_list(
                "code", "name", "kind", "parent__code", "latitude", "longitude", "depth"
            )
        ),
        "members": list(
            Member.objects.order_by("username").values_list(
                "username", "full_name", "unit__code", "badge_number"
            )
        ),
        "roles": sorted((m.username, r) for m in Member.objects.all() for r in m.role_set),
        "places": list(
            Place.objects.order_by("unit__code", "name").values_list(
                "unit__code", "name", "kind", "latitude", "longitude"
            )
        ),
        "teams": sorted(
            (t.unit.code, t.name, tuple(sorted(m.member.username for m in t.memberships.all())))
            for t in Team.objects.select_related("unit").prefetch_related("memberships__member")
        ),
    }


def test_the_data_file_holds_the_prefecture_and_the_ten_valley_divisions_only() -> None:
    rows = data_file_rows()
    names = {row["name"] for code, row in rows.items() if code != "654000"}
    assert names == ILI_VALLEY
    assert "654003" not in rows  # Kuytun lies outside the valley
    assert rows["654000"]["name"] == "伊犁哈萨克自治州"
    header = demo.DATA_FILE.read_text(encoding="utf-8")
    assert "cpca 0.5.5" in header
    assert "MIT" in header
    assert (demo.DATA_FILE.parent / "LICENSE-cpca.txt").exists()


def test_every_role_has_a_member(built: demo.DemoContext) -> None:
    held = set(Member.objects.values_list("role_grants__role", flat=True))
    assert held == set(Role.values)
    assert set(built.accounts) == set(demo.ACCOUNT_NAMES)


def test_every_brigade_sits_at_its_real_county_seat_with_stations_nearby(
    built: demo.DemoContext,
) -> None:
    rows = data_file_rows()
    root = Unit.objects.get(kind=UnitKind.DETACHMENT)
    assert root.name == "伊犁边境管理支队"
    assert (root.longitude, root.latitude) == (
        Decimal(rows["654000"]["longitude"]),
        Decimal(rows["654000"]["latitude"]),
    )
    brigades = Unit.objects.filter(kind=UnitKind.BRIGADE)
    assert brigades.count() == 10
    for brigade in brigades:
        seat = rows[brigade.code]
        assert (brigade.longitude, brigade.latitude) == (
            Decimal(seat["longitude"]),
            Decimal(seat["latitude"]),
        )
        stations = list(brigade.children.all())
        assert 2 <= len(stations) <= 4
        for station in stations:
            assert station.kind == UnitKind.STATION
            assert station.name.endswith("派出所")
            # "a few km" from the seat: within 10 km on both axes
            assert abs(station.latitude - brigade.latitude) < Decimal("0.1")
            assert abs(station.longitude - brigade.longitude) < Decimal("0.13")
            offices = list(station.children.all())
            assert 2 <= len(offices) <= 3
            for office in offices:
                assert 2 <= office.children.count() <= 3
    assert not Unit.objects.filter(name__contains="奎屯").exists()


def test_unit_paths_follow_the_tree(built: demo.DemoContext) -> None:
    for unit in Unit.objects.select_related("parent"):
        expected = (unit.parent.path if unit.parent else "") + f"{unit.pk:08d}."
        assert unit.path == expected
        assert unit.depth == unit.level


def test_the_demo_has_every_kind_of_place_with_coordinates(built: demo.DemoContext) -> None:
    kinds = set(Place.objects.values_list("kind", flat=True))
    assert kinds >= {
        PlaceKind.VILLAGE,
        PlaceKind.COMMUNITY,
        PlaceKind.ENTERPRISE,
        PlaceKind.SCHOOL,
        PlaceKind.SCENIC,
        PlaceKind.MARKET,
    }
    assert Place.objects.filter(name="那拉提景区", unit__parent__code="654025").exists()
    assert Place.objects.filter(name="喀拉峻景区").exists()
    assert not Place.objects.filter(latitude__isnull=True).exists()


def test_the_demo_teams_pass_the_team_rules(built: demo.DemoContext) -> None:
    teams = Team.objects.select_related("unit").prefetch_related(
        "memberships__member__unit", "memberships__member__role_grants"
    )
    assert teams.count() == Unit.objects.filter(kind=UnitKind.COMMUNITY).count()
    for team in teams:
        line_up = [(m.member, m.position) for m in team.memberships.all()]
        services.validate_team(team.unit, line_up, team=team)
        positions = [p for _m, p in line_up]
        assert positions.count(TeamPosition.OFFICER) == 1
        assert 1 <= positions.count(TeamPosition.AUXILIARY) <= 3
        assert positions.count(TeamPosition.GRID_WORKER) >= 2


def test_the_named_officer_auxiliary_and_grid_worker_serve_in_one_team(
    built: demo.DemoContext,
) -> None:
    team = Team.objects.get(memberships__member__username="officer")
    usernames = set(team.memberships.values_list("member__username", flat=True))
    assert {"officer", "auxiliary", "grid"} <= usernames


def test_demo_phones_are_encrypted_in_the_raw_database(built: demo.DemoContext) -> None:
    table = connection.ops.quote_name(Member._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone, phone_index FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
    assert len(rows) == Member.objects.count()
    for phone, index in rows:
        assert phone.startswith(pii.CIPHER_PREFIX + "$")
        assert "1990" not in phone
        assert len(index) == 40
    # Through the ORM they are valid mobile numbers; the blind index finds them exactly.
    member = Member.objects.get(username="u654002-01-sergeant2")
    number = member.phone.reveal()
    assert pii.normalise_phone(number) == number
    field = Member._meta.get_field("phone")
    assert isinstance(field, pii.EncryptedField)
    found = Member.objects.get(phone_index=pii.lookup_index(field, number[3:]))
    assert found == member
    assert len({m.phone.reveal() for m in Member.objects.all()}) == Member.objects.count()


def test_the_demo_accounts_share_the_password_and_have_a_confirmed_authenticator(
    built: demo.DemoContext,
) -> None:
    for username in demo.ACCOUNT_NAMES:
        member = Member.objects.get(username=username)
        assert member.check_password(demo.DEMO_PASSWORD)
        assert TOTPDevice.objects.filter(user=member, confirmed=True).count() == 1
    services.validate_new_password(demo.DEMO_PASSWORD)
    assert Member.objects.get(username="chief").has_role(Role.STATION_CHIEF)
    assert Member.objects.get(username="admin").unit.kind == UnitKind.DETACHMENT


def test_each_bulk_operation_leaves_one_summary_audit_event_and_the_chain_holds(
    built: demo.DemoContext,
) -> None:
    for action in ("demo.units", "demo.places", "demo.members", "demo.teams", "demo.devices"):
        assert AuditEvent.objects.filter(action=action).count() == 1
    members_event = AuditEvent.objects.get(action="demo.members")
    assert '"station_chief":' in members_event.details
    assert AuditEvent.objects.filter(action="member.create").count() == len(demo.ACCOUNTS)
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)  # flush cannot run inside PostgreSQL's test transaction
def test_building_twice_with_the_same_seed_gives_the_same_data() -> None:
    core = demo.core_and()  # the snapshot holds the core's tables
    demo.build_demo(seed=7, scale=1, steps=core)
    first = snapshot()
    call_command("flush", interactive=False, verbosity=0)
    demo.build_demo(seed=7, scale=1, steps=core)
    assert snapshot() == first
    call_command("flush", interactive=False, verbosity=0)
    demo.build_demo(seed=8, scale=1, steps=core)
    assert snapshot()["members"] != first["members"]


def test_the_demo_refuses_a_database_that_already_has_units(built: demo.DemoContext) -> None:
    with pytest.raises(ValueError, match="already holds units"):
        demo.build_demo(scale=1, steps=demo.core_and())


def test_scale_multiplies_the_stations_of_every_brigade() -> None:
    ctx = demo.build_demo(scale=3, steps=["core.units"])
    per_brigade = [len(ctx.children[b.pk]) for b in ctx.brigades]
    assert all(6 <= n <= 12 and n % 3 == 0 for n in per_brigade)
    assert len({s.code for s in ctx.stations}) == len(ctx.stations)


def test_a_later_module_can_add_a_step_that_runs_after_the_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[int, int, float]] = []

    def build_extra(ctx: demo.DemoContext, rng: random.Random, scale: int) -> None:
        seen.append((len(ctx.stations), scale, rng.random()))

    monkeypatch.setitem(demo.STEPS, "test.extra", demo.Step("test.extra", build_extra, 500))
    demo.build_demo(seed=11, scale=1, steps=demo.core_and("test.extra"))
    assert len(seen) == 1
    stations, scale, draw = seen[0]
    assert stations == Unit.objects.filter(kind=UnitKind.STATION).count()
    assert scale == 1
    assert draw == random.Random("11:test.extra").random()
