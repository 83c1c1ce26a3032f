"""A partner in a group of another unit than the one they registered at: group alerts reach
them wherever they registered, they may answer what reached them, and place targets still go
by where they live, inside the alert's own jurisdiction. Staff of the group's unit see no more
of them than the group page and the alert's own records show."""

from __future__ import annotations

import pytest

from liuqing.core.access import NotFound
from liuqing.core.models import Role
from liuqing.core.testing import World, make_member
from liuqing.notify.models import Channel, Delivery
from liuqing.partners import selectors, services
from liuqing.partners.models import Reply, ReplyKind
from liuqing.partners.testing import (
    deliver_all,
    issued_alert,
    make_group,
    make_partner,
    make_place,
)

pytestmark = pytest.mark.django_db


def test_a_member_of_another_units_group_gets_its_alerts_and_may_answer(world: World) -> None:
    s1, s2 = world.units["S1"], world.units["S2"]
    home = make_place(s1, "一所村", 43.90, 81.30)
    partner = make_partner(make_group(s1), place=home)  # registered at S1
    bazaar = make_group(s2, "二所巴扎商户群")
    services.join_with_code(partner=partner, invite_code=bazaar.invite_code)
    local = make_partner(bazaar)  # registered at S2

    alert = issued_alert(s2, groups=[bazaar])
    assert {p[0] for p in services.recipients(alert).partners} == {partner.pk, local.pk}
    assert set(
        Delivery.objects.filter(topic=alert.topic, channel=Channel.INAPP).values_list(
            "recipient", flat=True
        )
    ) == {partner.recipient, local.recipient}
    assert alert.versions.get().recipients == 2

    deliver_all()
    assert [a.pk for a in selectors.alerts_for_partner(partner)] == [alert.pk]
    services.acknowledge(partner=partner, alert=alert)
    services.report_sighting(partner=partner, alert=alert, text="在巴扎东门看到了")
    assert Reply.objects.filter(partner=partner, alert=alert).count() == 2
    chief2 = make_member(s2, [Role.STATION_CHIEF], "chief_s2_cross")
    assert [r.partner_id for r in selectors.sightings(alert)] == [partner.pk]
    assert partner in selectors.group_members(bazaar)
    # The group's station sees the member on its group and the alert's records, not in its
    # register of partners, and cannot pause them (their registering station does that).
    assert partner not in selectors.partners_visible_to(chief2)
    with pytest.raises(NotFound):
        selectors.access_partner(chief2, partner.pk)


def test_after_leaving_the_other_units_group_its_alerts_stop(world: World) -> None:
    s1, s2 = world.units["S1"], world.units["S2"]
    partner = make_partner(make_group(s1))
    other = make_group(s2)
    services.join_with_code(partner=partner, invite_code=other.invite_code)
    services.leave_group(partner=partner, group=other)
    make_partner(other)
    assert partner.pk not in {
        p[0] for p in services.recipients(issued_alert(s2, groups=[other])).partners
    }


def test_place_targets_go_by_where_the_partner_lives_within_the_alerts_unit(
    world: World,
) -> None:
    s1, s2, b1 = world.units["S1"], world.units["S2"], world.units["B1"]
    s1_village = make_place(s1, "一所村", 43.90, 81.30)
    s2_village = make_place(s2, "二所村", 43.95, 81.40)
    # Registered through the brigade's group, living in a village of station S1.
    brigade_partner = make_partner(make_group(b1, "大队志愿者群"), place=s1_village)
    # Registered at S1, also in a group of S2, living in S1.
    s1_partner = make_partner(make_group(s1), place=s1_village)
    services.join_with_code(partner=s1_partner, invite_code=make_group(s2).invite_code)
    s2_partner = make_partner(make_group(s2, "二所群"), place=s2_village)

    by_place = services.recipients(issued_alert(s1, places=[s1_village]))
    assert {p[0] for p in by_place.partners} == {brigade_partner.pk, s1_partner.pk}
    # S2's circle covering both villages reaches only who lives in S2's villages: group
    # membership does not make S1's villages S2's to target.
    by_circle = services.recipients(issued_alert(s2, circle="43.92,81.35 20"))
    assert {p[0] for p in by_circle.partners} == {s2_partner.pk}


def test_a_partners_tips_may_name_the_villages_of_their_groups_units(world: World) -> None:
    s1, s2, s3 = world.units["S1"], world.units["S2"], world.units["S3"]
    own = make_place(s1, "一所村")
    theirs = make_place(s2, "二所村")
    elsewhere = make_place(s3, "三所村")
    partner = make_partner(make_group(s1), place=own)
    services.join_with_code(partner=partner, invite_code=make_group(s2).invite_code)
    assert set(selectors.tip_places(partner)) == {own, theirs}

    from django.core.exceptions import ValidationError

    from liuqing.appeals.defaults import ensure_default_categories
    from liuqing.appeals.public_selectors import public_categories
    from liuqing.casework.models import Category

    ensure_default_categories(Category)
    category = next(c for c in public_categories() if not c["needs_location"])
    reply = services.send_tip(
        partner=partner, category=category["pk"], place=theirs.pk, text="二所村路灯坏了"
    )
    assert reply.case_code
    with pytest.raises(ValidationError) as caught:
        services.send_tip(
            partner=partner, category=category["pk"], place=elsewhere.pk, text="三所村路灯坏了"
        )
    assert set(caught.value.message_dict) == {"place"}
    assert Reply.objects.filter(kind=ReplyKind.TIP).count() == 1
