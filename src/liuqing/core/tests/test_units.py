from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q

from liuqing.core import access, services
from liuqing.core.models import Role, Unit, UnitKind
from liuqing.core.testing import World


def test_subtree_is_one_range_query(world: World) -> None:
    s1 = world.units["S1"]
    qs = Unit.objects.filter(access.subtree_q(s1))
    assert set(qs.values_list("code", flat=True)) == {
        "T654002-01",
        "T654002-01-01",
        "T654002-01-01-01",
    }


def test_a_station_cannot_sit_under_a_grid(world: World) -> None:
    chief = world.units["D"]
    with pytest.raises(ValidationError) as err:
        services.create_unit(
            actor=None, code="X1", name="x", kind=UnitKind.STATION, parent=world.units["G1"]
        )
    assert "kind" in err.value.message_dict
    assert not Unit.objects.filter(code="X1").exists()
    assert chief.level == 0


def test_moving_a_unit_moves_its_subtree(world: World) -> None:
    chief = world.persona(Role.DETACHMENT_STAFF)
    chief.unit = world.units["D"]
    chief.save()
    c1 = world.units["C1"]
    services.move_unit(actor=chief, unit=c1, new_parent=world.units["S2"])
    g1 = Unit.objects.get(code="T654002-01-01-01")
    assert g1.path.startswith(world.units["S2"].path)
    assert g1.depth == 4


def test_a_subtree_is_named_by_its_unit_ids_in_tree_order(world: World) -> None:
    s1 = world.units["S1"]
    subtree = access.Subtree.of(s1)
    assert not subtree.everything
    assert subtree.unit_ids == (s1.pk, world.units["C1"].pk, world.units["G1"].pk)
    assert subtree.path_range == s1.subtree_range()
    assert subtree.q("case__") == Q(case__unit_id__in=subtree.unit_ids)


def test_a_subtree_past_the_limit_falls_back_to_the_path_range(world: World) -> None:
    b1 = world.units["B1"]
    assert access.subtree_unit_ids(b1, limit=2) is None
    subtree = access.Subtree.of(b1, limit=2)
    assert subtree.unit_ids is None
    low, high = b1.subtree_range()
    assert subtree.q("case__") == Q(case__unit__path__gte=low, case__unit__path__lt=high)
    assert access.subtree_unit_ids(b1, limit=None) == access.subtree_unit_ids(b1)


def test_only_the_one_root_covers_everything(world: World) -> None:
    root = world.units["D"]
    subtree = access.Subtree.of(root)
    assert subtree.everything
    assert subtree.q("case__") == Q()
    other = services.create_unit(
        actor=None, code="T659000", name="另一支队", kind=UnitKind.DETACHMENT, parent=None
    )
    subtree = access.Subtree.of(root)
    assert not subtree.everything
    assert subtree.unit_ids is not None
    assert other.pk not in subtree.unit_ids
    assert set(subtree.unit_ids) == set(
        Unit.objects.filter(access.subtree_q(root)).values_list("pk", flat=True)
    )
