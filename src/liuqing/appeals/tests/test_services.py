"""Appeals through the services: recording, bad input, the lifecycle with the engine, the
public notice, bulk actions, scope, and the category tree."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liuqing.appeals import selectors, services
from liuqing.appeals.defaults import DEFAULT_CATEGORIES
from liuqing.appeals.models import Appeal, AppealChannel
from liuqing.appeals.selectors import AppealFilters
from liuqing.appeals.testing import appeal_category, submit
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework import services as casework
from liuqing.casework.models import Case, CaseCounter, Category, Entry, FollowUp, Satisfaction
from liuqing.casework.testing import TEST_KIND, make_category, member_at
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import AuditEvent, Place, PlaceKind, Role

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Appeal.objects.count(),
        AuditEvent.objects.count(),
        sum(CaseCounter.objects.values_list("last", flat=True)),
        Entry.objects.count(),
    )


def place_at(cast: Cast, name: str = "红星村") -> Place:
    return Place.objects.create(
        unit=cast.child, name=name, kind=PlaceKind.VILLAGE, latitude=43.9, longitude=81.3
    )


def record(cast: Cast, **overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "actor": cast.alice,
        "unit": cast.unit,
        "category": cast.category,
        "title": "",
        "description": "邻居家每晚放音乐到凌晨，影响休息。",
        "channel": AppealChannel.HOME_VISIT,
        "resident_name": "王建军",
        "resident_phone": PHONE,
        "resident_address": "红星村3组12号",
    }
    fields.update(overrides)
    return services.submit_appeal(**fields)


# --- Recording -------------------------------------------------------------------------------


def test_the_default_tree_is_installed_by_the_migration() -> None:
    codes = set(Category.objects.filter(kind="appeal").values_list("code", flat=True))
    assert {d.code for d in DEFAULT_CATEGORIES} <= codes
    pens = Category.objects.get(kind="appeal", code="farm.pens")
    assert pens.name == "牲畜圈舍"
    assert pens.needs_location
    assert pens.parent.code == "farm"


def test_it_records_an_appeal_with_its_case_clocks_and_audit(cast: Cast) -> None:
    received = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))  # a Monday
    case = record(cast, received_at=received)
    assert case.kind == "appeal"
    assert case.number == "SQ-2026-000001"
    assert case.status == "received"
    assert case.title == "邻居家每晚放音乐到凌晨，影响休息。"  # short: the whole description
    assert case.channel == "home_visit"
    # The category's 5 working days from Monday 09:00: Monday the following week, 09:00.
    assert timezone.localtime(case.resolve_due) == timezone.make_aware(
        dt.datetime(2026, 3, 9, 9, 0)
    )
    appeal = Appeal.objects.get(case=case)
    assert appeal.resident_phone.reveal() == "+8613912345678"
    assert str(appeal.resident_phone) == "139****5678"
    assert str(appeal.resident_name) == "王**"
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["case.open", "appeal.submit"]


def test_personal_data_is_ciphertext_in_the_database(cast: Cast) -> None:
    case = record(cast)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT resident_name, resident_phone, resident_address FROM appeals_appeal "
            "WHERE case_id = %s",
            [case.pk],
        )
        row = cursor.fetchone()
    assert all(value.startswith("lq1$") for value in row)
    assert not any("王建军" in v or PHONE in v or "红星村" in v for v in row)


def test_a_long_description_gives_a_short_title(cast: Cast) -> None:
    case = record(cast, description="牧民反映" + "羊圈围栏倒塌" * 20)
    assert len(case.title) == services.DERIVED_TITLE + 1
    assert case.title.endswith("…")


def test_numbers_run_per_unit_and_year(cast: Cast) -> None:
    first = record(cast)
    second = record(cast)
    at_child = record(cast, unit=cast.child)
    assert [first.number, second.number, at_child.number] == [
        f"SQ-{first.received_at.year}-000001",
        f"SQ-{first.received_at.year}-000002",
        f"SQ-{first.received_at.year}-000001",
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": None}, "category"),
        ({"category": "noise"}, "category"),
        ({"description": ""}, "description"),
        ({"description": "长" * 4001}, "description"),
        ({"resident_phone": "12345"}, "resident_phone"),
        ({"resident_phone": "not a phone"}, "resident_phone"),
        ({"channel": "carrier pigeon"}, "channel"),
        ({"resident_name": "名" * 65}, "resident_name"),
        ({"latitude": "91", "longitude": "81"}, "latitude"),
        ({"received_at": timezone.now() + dt.timedelta(days=2)}, "received_at"),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(
    cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    before = counts()
    with pytest.raises(services.ValidationError) as caught:
        record(cast, **overrides)
    assert field in caught.value.message_dict
    assert counts() == before


def test_a_category_of_another_kind_or_retired_is_refused(cast: Cast) -> None:
    other_kind = make_category("noise", kind=TEST_KIND)
    retired = appeal_category("test.retired", is_active=False)
    before = counts()
    for category, message in (
        (other_kind, "This is not a category of appeals."),
        (retired, "This category is no longer in use; choose another."),
    ):
        with pytest.raises(services.ValidationError) as caught:
            record(cast, category=category)
        assert caught.value.message_dict["category"] == [message]
    assert counts() == before


def test_a_category_that_needs_a_location_needs_a_place_or_a_pin(cast: Cast) -> None:
    before = counts()
    with pytest.raises(services.ValidationError) as caught:
        record(cast, category=cast.located)
    assert caught.value.message_dict["place"] == [
        "This category needs a location: choose a place or put a pin on the map."
    ]
    with pytest.raises(services.ValidationError):
        record(cast, category=cast.located, latitude="43.9")  # half a pin
    assert counts() == before
    assert record(cast, category=cast.located, place=place_at(cast)).place is not None
    assert record(cast, category=cast.located, latitude="43.9", longitude="81.3").latitude


def test_every_problem_of_a_form_is_reported_at_once(cast: Cast) -> None:
    with pytest.raises(services.ValidationError) as caught:
        record(cast, category=cast.located, description="", resident_phone="123", channel="")
    assert set(caught.value.message_dict) == {"place", "description", "resident_phone", "channel"}


def test_a_unit_outside_the_jurisdiction_does_not_exist(cast: Cast) -> None:
    with pytest.raises(NotFound):
        record(cast, unit=cast.other)
    assert not Case.objects.exists()


@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.ANALYST, Role.AUDITOR])
def test_roles_that_may_not_act_cannot_record(world: Any, cast: Cast, role: str) -> None:
    with pytest.raises(AccessDenied):
        record(cast, actor=world.persona(role))
    assert not Case.objects.exists()


# --- The lifecycle ---------------------------------------------------------------------------


def test_the_whole_lifecycle_through_the_services(cast: Cast) -> None:
    case = record(cast, actor=cast.grid, channel=AppealChannel.GRID_REPORT)
    casework.act_on_case(actor=cast.sam, case=case, action="accept")
    casework.assign_case(actor=cast.sam, case=case, owner=cast.alice)
    casework.act_on_case(actor=cast.alice, case=case, action="start")
    casework.record_contact(actor=cast.alice, case=case, text="Called Mr Wang.", method="phone")
    casework.act_on_case(
        actor=cast.alice, case=case, action="resolve", note="Talked to the neighbour."
    )
    with pytest.raises(services.ValidationError):  # the handler cannot verify their own work
        casework.act_on_case(actor=cast.alice, case=case, action="verify")
    casework.act_on_case(actor=cast.sam, case=case, action="verify")
    case.refresh_from_db()
    assert case.status == "closed"
    assert case.closed_on_time is True
    followup = FollowUp.objects.get(case=case)
    casework.record_followup(
        actor=cast.alice,
        followup=followup,
        satisfaction=Satisfaction.DISSATISFIED,
        resolved=False,
        reopen=True,
        reopen_reason="The music goes on.",
    )
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert case.reopened_count == 1
    casework.act_on_case(actor=cast.alice, case=case, action="resolve", note="Mediated again.")
    casework.act_on_case(actor=cast.carla, case=case, action="verify")
    case.refresh_from_db()
    assert case.status == "closed"
    assert FollowUp.objects.filter(case=case).count() == 2
    statuses = list(
        Entry.objects.filter(case=case, type="status").values_list("to_status", flat=True)
    )
    assert statuses == [
        "received",
        "accepted",
        "in_progress",
        "resolved",
        "closed",
        "in_progress",
        "resolved",
        "closed",
    ]


# --- Editing ----------------------------------------------------------------------------------


def test_details_can_be_corrected_while_open(cast: Cast) -> None:
    case = record(cast)
    services.update_appeal_details(
        actor=cast.alice,
        case=case,
        title="邻里噪音",
        resident_phone="13800001111",
        channel=AppealChannel.PHONE,
    )
    case.refresh_from_db()
    appeal = Appeal.objects.get(case=case)
    assert case.title == "邻里噪音"
    assert case.channel == "phone"
    assert appeal.channel == "phone"
    assert appeal.resident_phone.reveal() == "+8613800001111"
    event = AuditEvent.objects.filter(action="appeal.update").get()
    assert "13800001111" not in event.details
    assert "138****1111" in event.details


def test_editing_validates_like_recording(cast: Cast) -> None:
    case = record(cast)
    before = counts()
    with pytest.raises(services.ValidationError) as caught:
        services.update_appeal_details(
            actor=cast.alice, case=case, category=cast.located, resident_phone="1"
        )
    assert set(caught.value.message_dict) == {"place", "resident_phone"}
    with pytest.raises(services.ValidationError) as caught:
        services.update_appeal_details(actor=cast.alice, case=case, unit=cast.other)
    assert "unit" in caught.value.message_dict
    assert counts() == before


def test_a_closed_appeal_cannot_be_edited(cast: Cast) -> None:
    case = record(cast)
    casework.act_on_case(actor=cast.sam, case=case, action="withdraw", note="Resolved itself.")
    with pytest.raises(services.ValidationError):
        services.update_appeal_details(actor=cast.sam, case=case, title="x")


# --- Public notice ----------------------------------------------------------------------------


def test_the_public_notice_is_stored_redacted(cast: Cast) -> None:
    case = record(cast)
    casework.act_on_case(actor=cast.sam, case=case, action="accept")
    casework.assign_case(actor=cast.sam, case=case, owner=cast.alice)
    services.set_public_notice(
        actor=cast.alice,
        case=case,
        summary=f"王建军反映邻居噪音，电话{PHONE}。",
        result="建军同志已满意，身份证654002199001011234。",
        show=True,
    )
    case.refresh_from_db()
    assert case.is_public
    assert "王建军" not in case.public_summary
    assert PHONE not in case.public_summary
    assert "139****5678" in case.public_summary
    assert "建军" not in case.public_result
    assert "654002199001011234" not in case.public_result
    note = Entry.objects.filter(case=case, type="note").get()
    assert not note.is_public
    assert "王建军" not in note.text
    assert AuditEvent.objects.filter(action="appeal.public_notice").exists()


def test_only_the_owner_or_a_supervisor_approves_the_notice(cast: Cast) -> None:
    case = record(cast)
    with pytest.raises(services.ValidationError) as caught:
        services.set_public_notice(actor=cast.alice, case=case, summary="s", result="", show=True)
    assert "__all__" in caught.value.message_dict
    services.set_public_notice(actor=cast.sam, case=case, summary="s", result="", show=True)
    with pytest.raises(AccessDenied):
        services.set_public_notice(actor=cast.ann, case=case, summary="s", result="", show=False)


def test_showing_needs_a_summary(cast: Cast) -> None:
    case = record(cast)
    with pytest.raises(services.ValidationError) as caught:
        services.set_public_notice(actor=cast.sam, case=case, summary=" ", result="", show=True)
    assert "summary" in caught.value.message_dict
    case.refresh_from_db()
    assert not case.is_public


# --- Bulk actions -----------------------------------------------------------------------------


def test_a_sergeant_accepts_and_assigns_in_bulk_and_sees_each_outcome(cast: Cast) -> None:
    cases = [record(cast) for _ in range(3)]
    casework.act_on_case(actor=cast.sam, case=cases[2], action="withdraw", note="Gone.")
    outcomes = services.bulk_act(actor=cast.sam, cases=cases, action="accept")
    assert [o.ok for o in outcomes] == [True, True, False]
    assert "not possible" in outcomes[2].message
    outcomes = services.bulk_assign(actor=cast.sam, cases=cases[:2], owner=cast.bob)
    assert all(o.ok for o in outcomes)
    assert set(Case.objects.filter(owner=cast.bob).values_list("pk", flat=True)) == {
        cases[0].pk,
        cases[1].pk,
    }


def test_bulk_actions_are_for_supervisors(cast: Cast) -> None:
    case = record(cast)
    with pytest.raises(AccessDenied):
        services.bulk_act(actor=cast.alice, cases=[case], action="accept")
    with pytest.raises(services.ValidationError):
        services.bulk_act(actor=cast.sam, cases=[case], action="explode")


def test_a_bulk_assignment_to_someone_out_of_reach_fails_per_case(cast: Cast) -> None:
    case = record(cast)
    outcomes = services.bulk_assign(actor=cast.sam, cases=[case], owner=cast.olga)
    assert not outcomes[0].ok
    assert "handler" in outcomes[0].message


# --- Reading ----------------------------------------------------------------------------------


def test_an_appeal_of_another_station_does_not_exist_for_its_officer(cast: Cast) -> None:
    case = record(cast)
    with pytest.raises(NotFound):
        selectors.access_appeal(cast.olga, case.pk)
    assert not selectors.appeals_visible_to(cast.olga).exists()
    assert selectors.access_appeal(cast.alice, case.pk) == case


def test_the_system_administrator_cannot_read_appeals(cast: Cast) -> None:
    case = record(cast)
    with pytest.raises(AccessDenied):
        selectors.appeals_visible_to(cast.sid)
    with pytest.raises(AccessDenied):
        selectors.access_appeal(cast.sid, case.pk)


def test_the_auditor_reads_but_does_not_write(cast: Cast) -> None:
    case = record(cast)
    assert selectors.access_appeal(cast.ann, case.pk) == case
    with pytest.raises(AccessDenied):
        selectors.access_appeal(cast.ann, case.pk, for_write=True)


def test_another_kind_of_case_is_not_an_appeal(cast: Cast) -> None:
    other = casework.open_case(
        actor=cast.sam,
        kind=TEST_KIND,
        unit=cast.unit,
        category=make_category("x"),
        title="not an appeal",
        description="d",
    )
    with pytest.raises(NotFound):
        selectors.access_appeal(cast.sam, other.pk)


def test_the_list_filters(cast: Cast) -> None:
    parent = appeal_category("test.top")
    child = appeal_category("test.top.child", parent=parent)
    a = record(cast, category=child, description="羊圈围栏倒塌了")
    b = record(cast, unit=cast.child, channel=AppealChannel.PHONE, resident_phone="13800002222")
    old = record(cast, received_at=timezone.now() - dt.timedelta(days=60))

    def ids(**filters: Any) -> set[int]:
        return set(
            selectors.appeals_visible_to(cast.sam, AppealFilters(**filters)).values_list(
                "pk", flat=True
            )
        )

    assert ids() == {a.pk, b.pk, old.pk}
    assert ids(category=parent) == {a.pk}
    assert ids(unit=cast.child) == {b.pk}
    assert ids(channel="phone") == {b.pk}
    assert ids(q="羊圈") == {a.pk}
    assert ids(q=old.number) == {old.pk}  # numbers run per unit: a and b share theirs
    assert ids(q=b.public_code.lower()) == {b.pk}
    assert ids(q="138 0000 2222") == {b.pk}
    assert ids(overdue=True) == {old.pk}
    assert ids(received_from=timezone.localdate() - dt.timedelta(days=1)) == {a.pk, b.pk}
    assert ids(received_to=timezone.localdate() - dt.timedelta(days=30)) == {old.pk}
    casework.act_on_case(actor=cast.sam, case=a, action="accept")
    casework.assign_case(actor=cast.sam, case=a, owner=cast.alice)
    assert ids(owner=cast.alice) == {a.pk}
    assert ids(unassigned=True) == {b.pk, old.pk}
    assert ids(status="accepted") == {a.pk}


def test_the_list_costs_the_same_queries_at_any_page_size(cast: Cast) -> None:
    def queries(size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            rows = list(selectors.appeals_visible_to(cast.sam)[:size])
            for case in rows:
                seen = (case.unit.name, case.category.name, case.owner, case.place)
                assert seen
                assert case.appeal.channel
        return len(ctx.captured_queries)

    for _ in range(2):
        submit(cast.unit)
    queries(1)  # the member's roles and grants are cached after the first list
    small = queries(2)
    for _ in range(8):
        submit(cast.unit)
    assert queries(10) == small


def test_bulk_selection_keeps_only_appeals_in_reach(cast: Cast) -> None:
    mine = record(cast)
    theirs = submit(cast.other)
    assert selectors.appeals_by_ids(cast.sam, [theirs.pk, mine.pk, 0, 2**70]) == [mine]


# --- Categories -------------------------------------------------------------------------------


def test_chiefs_and_the_administrator_manage_categories(cast: Cast) -> None:
    top = services.create_category(actor=cast.sid, code="test.roads", name="道路", resolve_days=20)
    sub = services.create_category(
        actor=cast.carla, code="test.roads.holes", name="坑洼", parent=top, needs_location=True
    )
    assert sub.parent == top
    assert sub.kind == "appeal"
    services.update_category(actor=cast.carla, category=sub, resolve_days=3, is_active=False)
    sub.refresh_from_db()
    assert sub.resolve_days == 3
    assert not sub.is_active
    assert AuditEvent.objects.filter(action__startswith="appeal.category.").count() == 3
    with pytest.raises(AccessDenied):
        services.create_category(actor=cast.alice, code="test.x", name="x")


def test_category_input_is_checked(cast: Cast) -> None:
    top = services.create_category(actor=cast.carla, code="test.a", name="A")
    sub = services.create_category(actor=cast.carla, code="test.a.b", name="B", parent=top)
    with pytest.raises(services.ValidationError) as caught:
        services.create_category(
            actor=cast.carla, code="test.a", name="", parent=sub, resolve_days=0
        )
    assert set(caught.value.message_dict) == {"code", "name", "parent", "resolve_days"}
    with pytest.raises(services.ValidationError):
        services.create_category(actor=cast.carla, code="中文", name="x")
    with pytest.raises(services.ValidationError):
        services.update_category(actor=cast.carla, category=top, parent=top)


def test_the_tree_is_listed_parents_first(cast: Cast) -> None:
    rows = selectors.category_rows(selectors.categories_visible_to(cast.alice))
    position = {c.code: i for i, c in enumerate(rows)}
    assert position["farm"] < position["farm.pens"] < position["infra"]


def test_members_of_another_station_get_their_own_sequence(cast: Cast) -> None:
    olga_case = record(cast, actor=member_at(cast.other, Role.SERGEANT), unit=cast.other)
    assert olga_case.number.endswith("-000001")
