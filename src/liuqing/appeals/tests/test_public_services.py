"""The residents' service and selectors: a request from the public form, a contact card or an
Open311 client; every refusal writes nothing; what the public selectors give out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from liuqing.appeals import public_selectors as selectors
from liuqing.appeals import public_services as services
from liuqing.appeals import services as staff_services
from liuqing.appeals.models import Appeal, AppealChannel, BatchToken, Open311Client
from liuqing.appeals.public.testing import open311_client, public_category, submit, village
from liuqing.appeals.testing import appeal_category
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework import services as casework
from liuqing.casework.models import Case, Entry
from liuqing.casework.testing import member_at
from liuqing.core.models import AuditEvent, PlaceKind, Role
from liuqing.notify.models import Delivery

pytestmark = pytest.mark.django_db

PHONE = "13987654321"


def counts() -> tuple[int, int, int, int]:
    return (
        Case.objects.count(),
        Appeal.objects.count(),
        Entry.objects.count(),
        AuditEvent.objects.count(),
    )


def refused(**fields: Any) -> dict[str, list[str]]:
    before = counts()
    with pytest.raises(ValidationError) as caught:
        services.submit_public_appeal(**fields)
    assert counts() == before, "a refused submission wrote something"
    return caught.value.message_dict


# --- Submitting ------------------------------------------------------------------------------


def test_a_resident_request_opens_an_appeal_at_the_village_unit(cast: Cast) -> None:
    place = village(cast.child, "红星村")
    case = submit(
        place,
        "羊圈的围栏倒了。",
        resident_name="王建军",
        resident_phone=PHONE,
        anonymous=True,
        latitude="43.91",
        longitude="81.32",
    )
    assert case.kind == "appeal"
    assert case.unit == cast.child
    assert case.place == place
    assert case.status == "received"
    assert case.owner is None
    assert case.is_public is False
    assert case.channel == AppealChannel.ONLINE
    assert case.public_code
    assert len(case.public_code) == 10
    assert case.resolve_due is not None
    appeal = Appeal.objects.get(case=case)
    assert appeal.resident_name == "王建军"
    assert appeal.resident_phone == "+86" + PHONE
    assert appeal.anonymous is True
    assert appeal.consent_version == services.CONSENT_VERSION
    assert appeal.consent_at is not None
    event = AuditEvent.objects.filter(action="appeal.submit_public").get()
    assert event.object_id == str(case.pk)
    assert PHONE not in event.details
    assert "王建军" not in event.details


def test_it_refuses_without_consent_and_says_so_on_the_field(cast: Cast) -> None:
    errors = refused(
        category=public_category(),
        description="路灯坏了",
        place=village(cast.child, "红星村"),
        consent=False,
    )
    assert list(errors) == ["consent"]


@pytest.mark.parametrize("problem", ["unknown", "inactive", "not_public", "other_kind"])
def test_it_refuses_a_category_residents_may_not_choose(cast: Cast, problem: str) -> None:
    from liuqing.casework.testing import make_category

    category: Any = {
        "unknown": 999999,
        "inactive": appeal_category("test.retired", is_active=False),
        "not_public": appeal_category("test.internal", is_public=False),
        "other_kind": make_category("test.other"),
    }[problem]
    errors = refused(
        category=category, description="x", place=village(cast.child, "红星村"), consent=True
    )
    assert "category" in errors


def test_every_problem_is_reported_at_once_and_nothing_is_written(cast: Cast) -> None:
    errors = refused(
        category=None,
        description="长" * 4001,
        place=None,
        resident_name="名" * 65,
        resident_phone="12345",
        latitude="91",
        consent=False,
    )
    assert {
        "consent",
        "category",
        "place",
        "description",
        "resident_name",
        "resident_phone",
    } <= set(errors)
    assert "latitude" in errors


def test_one_coordinate_alone_is_refused(cast: Cast) -> None:
    errors = refused(
        category=public_category(),
        description="x",
        place=village(cast.child, "红星村"),
        latitude="43.9",
        consent=True,
    )
    assert list(errors) == ["latitude"]


def test_a_place_that_is_not_a_village_or_community_is_refused(cast: Cast) -> None:
    school = village(cast.child, "第一小学", kind=PlaceKind.SCHOOL)
    errors = refused(category=public_category(), description="x", place=school, consent=True)
    assert list(errors) == ["place"]


def test_a_category_that_needs_a_location_takes_the_card_unit_only_with_a_pin(cast: Cast) -> None:
    located = public_category("test.located", needs_location=True)
    officer = cast.alice
    errors = refused(
        category=located, description="x", unit=cast.unit, officer=officer, consent=True
    )
    assert list(errors) == ["place"]
    case = services.submit_public_appeal(
        category=located,
        description="x",
        unit=cast.unit,
        officer=officer,
        latitude="43.9",
        longitude="81.3",
        consent=True,
        channel=AppealChannel.QR_CARD,
    )
    assert case.unit == cast.unit
    assert case.appeal.contact_officer == officer


def test_a_contact_card_sends_the_request_to_its_unit(cast: Cast) -> None:
    case = services.submit_public_appeal(
        category=public_category(),
        description="邻居晚上太吵",
        unit=cast.unit,
        officer=cast.alice,
        consent=True,
        channel=AppealChannel.QR_CARD,
    )
    assert case.unit == cast.unit
    assert case.place is None
    assert case.channel == AppealChannel.QR_CARD


def test_a_card_whose_officer_serves_elsewhere_is_refused(cast: Cast) -> None:
    errors = refused(
        category=public_category(),
        description="x",
        unit=cast.child,  # alice works at S1, above C1: not in C1's subtree
        officer=cast.alice,
        consent=True,
    )
    assert list(errors) == [NON_FIELD_ERRORS]
    errors = refused(
        category=public_category(),
        description="x",
        unit=cast.unit,
        officer=cast.sam,  # a sergeant carries no contact card
        consent=True,
    )
    assert list(errors) == [NON_FIELD_ERRORS]


def test_with_a_card_the_village_must_be_the_card_units(cast: Cast, world: Any) -> None:
    elsewhere = village(world.units["S2"], "远方村")
    errors = refused(
        category=public_category(),
        description="x",
        place=elsewhere,
        unit=cast.unit,
        officer=cast.alice,
        consent=True,
    )
    assert list(errors) == ["place"]


def test_open311_attributes_are_kept_in_the_first_timeline_entry(cast: Cast) -> None:
    client, _key = open311_client()
    case, token = services.submit_open311_request(
        client=client,
        category=public_category(),
        place=village(cast.child, "红星村"),
        description="丢了羊",
        attributes={"livestock_count": 12, "tags": ("urgent", "night")},
        batch=True,
    )
    first = Entry.objects.filter(case=case).order_by("at", "id").first()
    assert first is not None
    assert first.data["attributes"] == {"livestock_count": 12, "tags": ["urgent", "night"]}
    assert case.appeal.client_name == "city-app"
    assert case.appeal.consent_version == services.OPEN311_CONSENT
    assert token is not None
    assert BatchToken.objects.get(token=token.token).case == case


# --- Open311 clients and their updates -------------------------------------------------------


def test_a_client_key_is_shown_once_and_stored_as_a_digest(cast: Cast) -> None:
    client, key = open311_client("wechat")
    assert key.startswith(services.OPEN311_KEY_PREFIX)
    assert key not in client.key_digest
    assert selectors.open311_client_for_key(key) == client
    assert selectors.open311_client_for_key(key + "x") is None
    assert selectors.open311_client_for_key("o311_nothing_here") is None
    with pytest.raises(ValidationError):
        services.create_open311_client(actor=None, name="wechat")
    services.deactivate_open311_client(actor=None, client=client)
    assert selectors.open311_client_for_key(key) is None
    assert Open311Client.objects.count() == 1


def test_a_client_update_is_a_public_note_and_closure_is_left_to_staff(cast: Cast) -> None:
    client, _key = open311_client()
    case = submit(village(cast.child, "红星村"))
    now = timezone.now()
    entry, new = services.add_client_update(
        client=client,
        case=case,
        update_id="u-1",
        status="fixed",
        description="居民说已经修好了",
        updated_datetime=now,
    )
    assert new
    assert entry.is_public
    assert entry.data["needs_staff"] is True
    case.refresh_from_db()
    assert case.status == "received"  # nothing closes by itself
    # Without an owner, the unit's supervisors are asked to check.
    assert Delivery.objects.filter(kind="appeal.client_status").exists()
    again, new = services.add_client_update(
        client=client,
        case=case,
        update_id="u-1",
        status="fixed",
        description="居民说已经修好了",
        updated_datetime=now,
    )
    assert not new
    assert again.pk == entry.pk


# --- Selectors -------------------------------------------------------------------------------


def test_the_status_shows_public_entries_redacted_and_the_result_only_when_closed(
    cast: Cast,
) -> None:
    case = submit(village(cast.child, "红星村"), resident_name="王建军", resident_phone=PHONE)
    sam = cast.sam
    officer = member_at(cast.child, Role.OFFICER)
    casework.act_on_case(actor=sam, case=case, action="accept")
    casework.assign_case(actor=sam, case=case, owner=officer)
    casework.add_note(actor=officer, case=case, text="内部：王建军 电话 " + PHONE)
    casework.add_note(
        actor=officer, case=case, text=f"已联系王建军（{PHONE}），明天上门。", public=True
    )
    status = selectors.public_status(case.public_code or "")
    assert status is not None
    texts = " ".join(line.text for line in status.timeline)
    assert "明天上门" in texts
    assert "王建军" not in texts
    assert PHONE not in texts
    assert "内部" not in texts
    assert status.result == ""
    casework.act_on_case(actor=officer, case=case, action="start")
    casework.act_on_case(actor=officer, case=case, action="resolve", note="修好了", public=True)
    assert selectors.public_status(case.public_code or "").result == ""  # type: ignore[union-attr]
    casework.act_on_case(actor=sam, case=case, action="verify")
    closed = selectors.public_status(case.public_code or "")
    assert closed is not None
    assert closed.result == "修好了"
    assert closed.is_finished
    assert closed.due_at is None
    assert closed.closed_at is not None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abcde-fghjk", "ABCDEFGHJK"),
        (" ABCDE FGHJK ", "ABCDEFGHJK"),
        ("ABCDEFGHJ", None),
        ("ABCDEFGHJI", None),  # I is not in the alphabet
        ("", None),
        (None, None),
    ],
)
def test_tracking_codes_are_read_as_typed(raw: Any, expected: str | None) -> None:
    assert selectors.normalise_code(raw) == expected


def test_the_board_selects_public_redacted_rows_in_constant_queries(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    place = village(cast.child, "红星村")
    for k in range(12):
        case = submit(place, f"第{k}件", resident_name="王建军")
        if k % 2 == 0:
            staff_services.set_public_notice(
                actor=cast.sam,
                case=case,
                summary=f"第{k}组路灯维修",
                result="已修好",
                show=True,
            )
            # an officer's slip after approval: the guard still masks the name
            Case.objects.filter(pk=case.pk).update(public_summary=f"王建军反映第{k}组路灯")
    scope = selectors.board_scope("place", place.pk)
    assert scope is not None
    end = timezone.now() + dt.timedelta(days=1)
    start = end - dt.timedelta(days=90)
    with django_assert_num_queries(2):
        page, rows = selectors.board_page(scope, start, end, 1, per_page=2)
    with django_assert_num_queries(2):
        page, rows = selectors.board_page(scope, start, end, 1, per_page=20)
    assert page.paginator.count == 6
    assert all("王建军" not in row.summary for row in rows)
    assert all("王**" in row.summary for row in rows)
    unit_scope = selectors.board_scope("unit", cast.unit.pk)
    assert unit_scope is not None
    assert len(selectors.board_rows(unit_scope, start, end)) == 6
    assert selectors.board_scope("place", 999999) is None
    assert selectors.board_scope("street", place.pk) is None


def test_a_units_board_shows_its_subtree_only(cast: Cast) -> None:
    here = submit(village(cast.child, "红星村"), "第一组路灯坏了")
    there = submit(village(cast.other, "远方村"), "第二组路灯坏了")
    Case.objects.filter(pk__in=[here.pk, there.pk]).update(is_public=True, public_summary="路灯")
    end = timezone.now() + dt.timedelta(days=1)
    start = end - dt.timedelta(days=90)

    def numbers(unit: Any) -> set[str]:
        scope = selectors.board_scope("unit", unit.pk)
        assert scope is not None
        return {row.number for row in selectors.board_rows(scope, start, end)}

    assert numbers(cast.unit) == numbers(cast.child) == {here.number}
    assert numbers(cast.other) == {there.number}
    assert cast.unit.parent is not None
    assert numbers(cast.unit.parent) >= {here.number, there.number}


def test_places_are_grouped_under_brigade_and_station(cast: Cast, world: Any) -> None:
    village(cast.child, "红星村")
    village(world.units["G1"], "幸福社区", kind=PlaceKind.COMMUNITY)
    village(world.units["S2"], "远方村")
    village(cast.child, "第一小学", kind=PlaceKind.SCHOOL)
    groups = selectors.public_places()
    labels = {g["label"]: [name for _pk, name in g["places"]] for g in groups}
    assert labels["测试一大队 · 测试一所"] == ["红星村", "幸福社区"]
    assert labels["测试一大队 · 测试二所"] == ["远方村"]
    within = selectors.public_places(cast.child)
    assert [name for g in within for _pk, name in g["places"]] == ["红星村", "幸福社区"]


def test_a_card_link_names_an_active_officer_in_the_units_subtree(cast: Cast) -> None:
    card = selectors.card_from_link(cast.alice.pk, cast.unit.pk)
    assert card is not None
    assert card.officer == cast.alice
    assert selectors.card_from_link(cast.alice.pk, cast.child.pk) is None
    assert selectors.card_from_link("x", cast.unit.pk) is None
    assert selectors.card_from_link(cast.sam.pk, cast.unit.pk) is None
