"""Long lists: counts that stop at the cap, pages loaded by key, and unit filters that drill
down the tree instead of listing every unit of a detachment."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from liuqing.core import paging, selectors, services
from liuqing.core.forms import MemberFilterForm
from liuqing.core.models import Member, Role, Unit, UnitKind
from liuqing.core.testing import World

from .structure_helpers import client_for, member

pytestmark = pytest.mark.django_db


def many_members(world: World, n: int) -> None:
    for i in range(n):
        member(world, "C1", f"many{i:02d}")


def test_the_count_stops_at_the_cap(world: World, settings: Any) -> None:
    many_members(world, 12)
    members = Member.objects.filter(username__startswith="many")
    assert paging.capped_count(members) == (12, False)
    settings.LIST_COUNT_CAP = 12
    assert paging.capped_count(members) == (12, False)
    settings.LIST_COUNT_CAP = 11
    assert paging.capped_count(members) == (11, True)
    assert paging.capped_count(list(members), cap=5) == (5, True)


def test_pages_load_by_key_in_the_queryset_order(world: World, settings: Any) -> None:
    many_members(world, 12)
    members = Member.objects.filter(username__startswith="many").order_by("-username")
    settings.LIST_COUNT_CAP = 10
    pager = paging.CappedPaginator(members.select_related("unit"), 4)
    assert (pager.count, pager.capped, pager.num_pages) == (10, True, 3)
    first, last = pager.page(1), pager.page(3)
    assert [m.username for m in first.object_list] == ["many11", "many10", "many09", "many08"]
    assert [m.username for m in last.object_list] == ["many03", "many02"]  # up to the cap
    assert first.object_list[0].unit.code == world.units["C1"].code
    assert paging.page_rows(members, 20, 30) == []


def test_a_capped_list_says_more_than_and_drops_the_page_total(world: World, settings: Any) -> None:
    many_members(world, 30)
    settings.LIST_COUNT_CAP = 26
    chief = client_for(world.persona(Role.STATION_CHIEF))
    page = chief.get(reverse("core:member_list"), {"unit": world.units["C1"].pk}).content
    text = page.decode()
    assert "More than 26 results" in text
    assert "Page 1" in text
    assert "Page 1 of" not in text
    settings.LIST_COUNT_CAP = 10_000
    text = chief.get(reverse("core:member_list"), {"unit": world.units["C1"].pk}).content.decode()
    assert "30 results" in text
    assert "Page 1 of 2" in text


def test_the_api_says_when_its_count_is_capped(world: World, settings: Any) -> None:
    many_members(world, 12)
    _row, secret = services.create_api_token(
        actor=world.persona(Role.STATION_CHIEF), name="test", days=1
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = "/api/v1/members"
    body = api.get(url, {"unit": world.units["C1"].pk, "limit": 5}).json()
    assert (body["count"], body["count_capped"], len(body["items"])) == (12, False, 5)
    settings.LIST_COUNT_CAP = 7
    body = api.get(url, {"unit": world.units["C1"].pk, "limit": 5, "offset": 5}).json()
    assert (body["count"], body["count_capped"]) == (7, True)
    assert [m["username"] for m in body["items"]] == [f"many{i:02d}" for i in range(5, 10)]


def unit_options(form: MemberFilterForm) -> list[str]:
    html = str(form["unit"])
    return re.findall(r'<option value="(\d*)"', html)


def deep_tree(world: World) -> dict[str, Unit]:
    """Two more stations under B1, each with a community and a grid."""
    made = {}
    for i in (4, 5):
        station = services.create_unit(
            actor=None,
            code=f"T654002-0{i}",
            name=f"站{i}",
            kind=UnitKind.STATION,
            parent=world.units["B1"],
        )
        community = services.create_unit(
            actor=None, code=f"T654002-0{i}-01", name=f"社{i}", kind=UnitKind.COMMUNITY,
            parent=station,
        )  # fmt: skip
        grid = services.create_unit(
            actor=None, code=f"T654002-0{i}-01-01", name=f"格{i}", kind=UnitKind.GRID,
            parent=community,
        )  # fmt: skip
        made.update({f"S{i}": station, f"C{i}": community, f"G{i}": grid})
    return made


def test_a_unit_filter_offers_two_levels_then_the_way_down(world: World) -> None:
    extra = deep_tree(world)
    staff = member(world, "D", "det_staff", roles=[Role.DETACHMENT_STAFF])
    offered = unit_options(MemberFilterForm({}, actor=staff))
    u = {**world.units, **extra}
    expected = ["D", "B1", "B2", "S1", "S2", "S3", "S4", "S5"]
    assert len(offered) == 1 + len(expected)
    assert set(offered) == {"", *(str(u[k].pk) for k in expected)}
    assert str(u["C1"].pk) not in offered  # communities and grids only once a station is picked
    picked = unit_options(MemberFilterForm({"unit": str(u["C4"].pk)}, actor=staff))
    for key in ("D", "B1", "S4", "C4", "G4", "S1"):
        assert str(u[key].pk) in picked
    assert str(u["G1"].pk) not in picked
    # Any unit of the jurisdiction is accepted, offered or not.
    form = MemberFilterForm({"unit": str(u["G5"].pk)}, actor=staff)
    assert form.is_valid()
    assert form.cleaned_data["unit"] == u["G5"]


def test_a_unit_filter_keeps_to_one_level_when_two_would_be_too_many(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep_tree(world)
    staff = member(world, "D", "det_staff", roles=[Role.DETACHMENT_STAFF])
    assert selectors.unit_filter_options(staff).count() == 8
    monkeypatch.setattr(selectors, "FILTER_OPTIONS", 5)
    assert sorted(selectors.unit_filter_options(staff).values_list("kind", flat=True)) == [
        UnitKind.BRIGADE,
        UnitKind.BRIGADE,
        UnitKind.DETACHMENT,
    ]
