from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

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
