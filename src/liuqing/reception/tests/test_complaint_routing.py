"""Where a conduct complaint goes (liuqing.reception.supervision): one test per routing case,
each through the desk's real service, checking who sees the complaint and who does not. A
complaint is never left with no one able to see it, a complaint about the detachment itself
included."""

from __future__ import annotations

import pytest
from django.core import checks
from django.test import Client, override_settings

from liuqing.casework.testing import member_at
from liuqing.core.access import NotFound
from liuqing.core.models import Member, Role, Unit
from liuqing.core.testing import World, login_verified
from liuqing.reception import selectors, services, supervision
from liuqing.reception.models import ConductComplaint
from liuqing.reception.tests.test_walk_ins import Api


def _complain(
    world: World, desk: Unit, about: Unit, text: str = "民警态度恶劣。"
) -> ConductComplaint:
    clerk = member_at(desk, Role.OFFICER, "desk")
    item = services.check_in(actor=clerk, unit=desk)
    services.route_walk_in(
        actor=clerk, walk_in=item, route="complaint", about_unit=about, text=text
    )
    return ConductComplaint.objects.get(walk_in=item)


def _sees(member: Member, complaint: ConductComplaint) -> bool:
    listed = selectors.complaints_visible_to(member).filter(pk=complaint.pk).exists()
    try:
        selectors.access_complaint(member, complaint.pk)
        opened = True
    except NotFound:
        opened = False
    assert listed == opened
    return listed


def _who_sees(world: World, complaint: ConductComplaint) -> set[str]:
    everyone = {
        "D staff": member_at(world.units["D"], Role.DETACHMENT_STAFF),
        "B1 staff": member_at(world.units["B1"], Role.BRIGADE_STAFF),
        "B2 staff": member_at(world.units["B2"], Role.BRIGADE_STAFF),
        "S1 chief": member_at(world.units["S1"], Role.STATION_CHIEF),
        "S2 chief": member_at(world.units["S2"], Role.STATION_CHIEF),
    }
    return {name for name, member in everyone.items() if _sees(member, complaint)}


def test_a_complaint_about_a_grid_goes_above_its_station(world: World) -> None:
    complaint = _complain(world, world.units["G1"], world.units["G1"])
    assert complaint.unit == world.units["B1"]
    assert _who_sees(world, complaint) == {"D staff", "B1 staff"}


def test_a_complaint_about_a_community_office_goes_above_its_station(world: World) -> None:
    complaint = _complain(world, world.units["S1"], world.units["C1"])
    assert complaint.unit == world.units["B1"]
    assert _who_sees(world, complaint) == {"D staff", "B1 staff"}


def test_a_complaint_about_a_station_goes_to_its_brigade(world: World) -> None:
    complaint = _complain(world, world.units["S2"], world.units["S1"])
    assert complaint.unit == world.units["B1"]
    # The sibling station S2 is outside the brigade's queue; S1 is the station concerned.
    assert _who_sees(world, complaint) == {"D staff", "B1 staff"}


def test_a_complaint_about_a_brigade_goes_to_the_detachment(world: World) -> None:
    complaint = _complain(world, world.units["S1"], world.units["B1"])
    assert complaint.unit == world.units["D"]
    assert _who_sees(world, complaint) == {"D staff"}


@override_settings(RECEPTION_TOP_SUPERVISORS=("inspector",))
def test_a_complaint_about_the_detachment_goes_to_its_designated_supervisors(
    world: World,
) -> None:
    inspector = Member.objects.get(pk=member_at(world.units["D"], Role.DETACHMENT_STAFF, "x").pk)
    inspector.username = "inspector"
    inspector.save(update_fields=["username"])
    complaint = _complain(world, world.units["S1"], world.units["D"])
    assert complaint.unit == world.units["D"]
    # Nobody else at the detachment, and nobody below it, sees it.
    assert _who_sees(world, complaint) == set()
    inspector = Member.objects.get(pk=inspector.pk)
    assert _sees(inspector, complaint)
    assert services.take_complaint(actor=inspector, complaint=complaint).owner == inspector
    other = member_at(world.units["D"], Role.DETACHMENT_STAFF)
    with pytest.raises(NotFound):
        services.take_complaint(actor=other, complaint=complaint)
    # A complaint about a brigade reaches the designated supervisor as any detachment staff.
    about_brigade = _complain(world, world.units["S1"], world.units["B1"])
    assert _sees(inspector, about_brigade)
    assert supervision.check_top_supervisors(databases=["default"]) == []
    client = Client()
    login_verified(client, inspector)
    page = client.get(f"/reception/complaints/{complaint.pk}/")
    assert page.status_code == 200
    assert "only its designated supervisors" in page.content.decode()


@override_settings(RECEPTION_TOP_SUPERVISORS=("nobody", "officer_s1"))
def test_without_a_designated_supervisor_the_detachment_sees_it_and_deploy_check_warns(
    world: World,
) -> None:
    """Names that are no supervising member of the detachment (unknown, or at a station)
    designate no one: the complaint is not left unseen, and the deploy check says so."""
    complaint = _complain(world, world.units["D"], world.units["D"])
    assert complaint.unit == world.units["D"]
    assert _who_sees(world, complaint) == {"D staff"}
    warnings = supervision.check_top_supervisors(databases=["default"])
    assert [w.id for w in warnings] == ["reception.W001"]
    assert world.units["D"].name in warnings[0].msg
    assert supervision.check_top_supervisors(databases=None) == []
    staff = member_at(world.units["D"], Role.DETACHMENT_STAFF)
    client = Client()
    login_verified(client, staff)
    page = client.get(f"/reception/complaints/{complaint.pk}/")
    assert "No designated supervisor is set" in page.content.decode()
    assert isinstance(warnings[0], checks.Warning)


def test_the_desk_offers_the_units_above_it(world: World) -> None:
    """A visitor at a station's desk may complain about its brigade or the detachment: the
    API accepts the desk's own line above it, and refuses a unit outside it."""
    officer = world.persona(Role.OFFICER)
    api = Api(officer)
    for about, code in ((world.units["D"], 200), (world.units["B2"], 422)):
        item = services.check_in(actor=officer, unit=world.units["S1"])
        answer = api.post(
            f"/walk-ins/{item.pk}/route",
            {"route": "complaint", "about_unit": about.pk, "description": "出警太慢。"},
        )
        assert answer.status_code == code, answer.content
        if code == 422:
            assert "about_unit" in answer.content.decode()
    assert ConductComplaint.objects.get().about_unit == world.units["D"]
