"""The casework services: the whole lifecycle, the refusals, the controlled exceptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from liuqing.casework import services
from liuqing.casework.calendar import get_calendar
from liuqing.casework.models import (
    Case,
    CaseCounter,
    CaseException,
    CaseLink,
    Entry,
    EntryType,
    ExceptionStatus,
    FollowUp,
    Satisfaction,
)
from liuqing.casework.testing import (
    TEST_KIND,
    case_in_progress,
    closed_case,
    make_category,
    member_at,
    open_test_case,
    png_upload,
    root_staff,
)
from liuqing.casework.tests.conftest import Cast
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World
from liuqing.notify.models import Delivery

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "cases": Case.objects.count(),
        "entries": Entry.objects.count(),
        "exceptions": CaseException.objects.count(),
        "followups": FollowUp.objects.count(),
        "links": CaseLink.objects.count(),
        "audit": AuditEvent.objects.count(),
        "deliveries": Delivery.objects.count(),
    }


def open_case(cast: Cast, **overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "actor": cast.alice,
        "kind": TEST_KIND,
        "unit": cast.unit,
        "category": cast.category,
        "title": "Neighbour's dog barks all night",
        "description": "Since March, every night.",
        **overrides,
    }
    return services.open_case(**fields)


def statuses(case: Case) -> list[tuple[str, str]]:
    return list(
        case.entries.filter(type=EntryType.STATUS)
        .order_by("at", "pk")
        .values_list("from_status", "to_status")
    )


# --- Opening ---------------------------------------------------------------------------------


def test_opening_numbers_the_case_and_starts_its_clocks(cast: Cast) -> None:
    received = timezone.now() - dt.timedelta(hours=1)
    case = open_case(cast, received_at=received)
    year = timezone.localtime(received).year
    assert case.number == f"TS-{year}-000001"
    assert case.status == "received"
    assert len(case.public_code or "") == 10
    assert not set(case.public_code or "") & set("01ILO")
    calendar = get_calendar()
    assert case.accept_due == calendar.add_working_time(received, 8 * 3600)
    assert case.contact_due == calendar.add_working_time(received, 16 * 3600)
    assert case.resolve_due == calendar.add_working_days(received, 10)
    assert case.allowed_days == 10
    assert statuses(case) == [("", "received")]
    assert AuditEvent.objects.filter(action="case.open", object_id=str(case.pk)).exists()


def test_the_sla_is_inherited_from_the_parent_category_then_the_workflow(cast: Cast) -> None:
    parent = make_category("animals", resolve_days=5, accept_hours=2)
    child = make_category("dogs", parent=parent, accept_hours=1)
    received = timezone.now()
    case = open_case(cast, category=child, received_at=received)
    calendar = get_calendar()
    assert case.accept_due == calendar.add_working_time(received, 3600)  # its own
    assert case.resolve_due == calendar.add_working_days(received, 5)  # the parent's
    assert case.contact_due == calendar.add_working_time(received, 16 * 3600)  # workflow's


def test_numbers_count_per_unit_and_year(world: World, cast: Cast) -> None:
    other = world.units["S2"]
    chief = member_at(world.units["B1"], Role.BRIGADE_STAFF, "brigade")
    year = timezone.localdate().year
    numbers = [
        services.open_case(
            actor=chief,
            kind=TEST_KIND,
            unit=unit,
            category=cast.category,
            title=f"matter {i}",
            description="d",
        ).number
        for i, unit in enumerate([cast.unit, other, cast.unit, other, cast.unit])
    ]
    assert numbers == [
        f"TS-{year}-000001",
        f"TS-{year}-000001",
        f"TS-{year}-000002",
        f"TS-{year}-000002",
        f"TS-{year}-000003",
    ]
    last_year = timezone.now() - dt.timedelta(days=400)
    old = open_case(cast, received_at=last_year)
    assert old.number == f"TS-{timezone.localtime(last_year).year}-000001"
    assert CaseCounter.objects.get(unit=cast.unit, year=year).last == 3


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"description": "x" * 4001}, "description"),
        ({"latitude": 95, "longitude": 87}, "latitude"),
        ({"latitude": 43.8}, "latitude"),
        ({"received_at": timezone.now() + dt.timedelta(days=1)}, "received_at"),
        ({"kind": "nonsense"}, "kind"),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(
    cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    before = counts()
    with pytest.raises(ValidationError) as info:
        open_case(cast, **overrides)
    assert field in info.value.message_dict
    assert counts() == before


def test_a_category_of_another_kind_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError) as info:
        open_case(cast, category=make_category("x", kind="other"))
    assert "category" in info.value.message_dict


def test_a_category_that_needs_a_location_needs_one(cast: Cast) -> None:
    pinned = make_category("lights", needs_location=True)
    with pytest.raises(ValidationError) as info:
        open_case(cast, category=pinned)
    assert "place" in info.value.message_dict
    assert open_case(cast, category=pinned, latitude="43.8", longitude="87.6").latitude


def test_opening_outside_the_jurisdiction_is_not_found(world: World, cast: Cast) -> None:
    with pytest.raises(NotFound):
        open_case(cast, unit=world.units["S3"])
    with pytest.raises(AccessDenied):
        open_case(cast, actor=cast.ann)


def test_a_resident_can_submit_without_an_actor(cast: Cast) -> None:
    case = open_case(cast, actor=None, channel="online")
    assert case.created_by is None
    assert case.status == "received"


# --- The lifecycle ---------------------------------------------------------------------------


def test_the_whole_lifecycle(cast: Cast) -> None:
    case = open_case(cast, received_at=timezone.now() - dt.timedelta(hours=2))
    services.act_on_case(actor=cast.sam, case=case, action="accept")
    assert case.accepted_at is not None
    services.assign_case(actor=cast.sam, case=case, owner=cast.alice)
    assert Delivery.objects.filter(member=cast.alice, kind="case.assigned").count() == 1
    services.act_on_case(actor=cast.alice, case=case, action="start")
    services.record_contact(actor=cast.alice, case=case, text="Called", method="phone")
    contact = case.first_contact_at
    services.record_contact(actor=cast.alice, case=case, text="Called again")
    case.refresh_from_db()
    assert case.first_contact_at == contact  # only the first counts

    # Waiting on the resident pauses the clocks; resuming pushes the deadline.
    services.act_on_case(actor=cast.alice, case=case, action="wait", note="Resident away")
    assert case.paused_since is not None
    paused_since = timezone.now() - dt.timedelta(days=3)
    Case.objects.filter(pk=case.pk).update(paused_since=paused_since)
    case.refresh_from_db()
    due_before = case.resolve_due
    assert due_before is not None
    services.act_on_case(actor=cast.alice, case=case, action="resume")
    calendar = get_calendar()
    paused = calendar.working_seconds_between(paused_since, case.updated_at)
    assert paused > 0
    assert case.paused_since is None
    assert case.paused_seconds == paused
    assert case.resolve_due == calendar.add_working_time(due_before, paused)

    # Resolving needs a resolution; the resolver cannot verify.
    with pytest.raises(ValidationError) as info:
        services.act_on_case(actor=cast.alice, case=case, action="resolve")
    assert "note" in info.value.message_dict
    services.act_on_case(actor=cast.alice, case=case, action="resolve", note="Talked it out.")
    assert case.resolved_by == cast.alice
    supervising_owner = member_at(cast.unit, Role.SERGEANT, "second")
    services.act_on_case(actor=cast.carla, case=case, action="reject", note="Not yet.")
    services.act_on_case(actor=cast.alice, case=case, action="resolve", note="Really done.")
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.act_on_case(actor=cast.alice, case=case, action="verify")
    assert "action" in info.value.message_dict
    assert counts() == before
    services.act_on_case(actor=supervising_owner, case=case, action="verify")
    assert case.status == "closed"
    assert case.closed_at is not None
    assert case.closed_on_time is True
    expected = calendar.working_seconds_between(case.received_at, case.closed_at) - paused
    assert case.handling_seconds == max(0, expected)
    followup = FollowUp.objects.get(case=case)
    assert followup.due_at == calendar.add_working_days(case.closed_at, 3)

    # The resident is not satisfied: 重办.
    services.record_followup(
        actor=cast.grid,
        followup=followup,
        satisfaction=Satisfaction.DISSATISFIED,
        resolved=False,
        note="Still barking",
        reopen=True,
        reopen_reason="The dog still barks.",
    )
    case.refresh_from_db()
    followup.refresh_from_db()
    assert followup.done_by == cast.grid
    assert followup.led_to_reopen
    assert case.status == "in_progress"
    assert case.reopened_count == 1
    assert case.closed_at is None
    assert case.closed_on_time is None
    assert case.owner == cast.alice
    assert Delivery.objects.filter(member=cast.alice, kind="case.reopen").count() == 1
    assert list(statuses(case)) == [
        ("", "received"),
        ("received", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "waiting"),
        ("waiting", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
        ("closed", "in_progress"),
    ]
    assert set(case.entries.values_list("type", flat=True)) >= {
        EntryType.STATUS,
        EntryType.ASSIGNMENT,
        EntryType.CONTACT,
        EntryType.FOLLOWUP,
    }
    actions = set(
        AuditEvent.objects.filter(object_id=str(case.pk), object_type="casework.case").values_list(
            "action", flat=True
        )
    )
    assert actions >= {
        "case.open",
        "case.accept",
        "case.assign",
        "case.start",
        "case.wait",
        "case.resume",
        "case.resolve",
        "case.verify",
        "case.followup",
        "case.reopen",
    }


def test_reopening_starts_a_fresh_resolution_clock(cast: Cast) -> None:
    case, followup = closed_case(cast.unit)
    services.act_on_case(actor=cast.carla, case=case, action="reopen", note="Complaint again")
    assert case.resolve_due == get_calendar().add_working_days(case.updated_at, 10)
    followup.refresh_from_db()
    assert followup.cancelled_at is not None  # the old follow-up is no longer due
    with pytest.raises(ValidationError):
        services.record_followup(
            actor=cast.alice, followup=followup, satisfaction="satisfied", resolved=True
        )


def test_a_satisfied_answer_cannot_reopen(cast: Cast) -> None:
    case, followup = closed_case(cast.unit)
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.record_followup(
            actor=cast.alice,
            followup=followup,
            satisfaction=Satisfaction.SATISFIED,
            resolved=True,
            reopen=True,
            reopen_reason="why not",
        )
    assert "reopen" in info.value.message_dict
    assert counts() == before
    with pytest.raises(ValidationError) as info:
        services.record_followup(
            actor=cast.alice,
            followup=followup,
            satisfaction=Satisfaction.DISSATISFIED,
            resolved=True,
            reopen=True,
        )
    assert "reopen_reason" in info.value.message_dict
    services.record_followup(
        actor=cast.alice, followup=followup, satisfaction=Satisfaction.BASICALLY, resolved=True
    )
    case.refresh_from_db()
    assert case.status == "closed"


@pytest.mark.parametrize(
    ("action", "status"),
    [("verify", "received"), ("resolve", "received"), ("reopen", "accepted"), ("fly", "received")],
)
def test_a_transition_not_allowed_is_refused_and_writes_nothing(
    cast: Cast, action: str, status: str
) -> None:
    case = open_case(cast)
    if status == "accepted":
        services.act_on_case(actor=cast.sam, case=case, action="accept")
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.act_on_case(actor=cast.sam, case=case, action=action, note="note")
    assert "action" in info.value.message_dict
    assert counts() == before
    case.refresh_from_db()
    assert case.status == status


def test_roles_decide_who_may_make_a_transition(cast: Cast) -> None:
    case = case_in_progress(cast.unit, owner=cast.alice)
    with pytest.raises(ValidationError) as info:
        services.park_case(actor=cast.alice, case=case, reason="later")  # supervisors only
    assert "action" in info.value.message_dict
    with pytest.raises(AccessDenied):
        services.act_on_case(actor=cast.ann, case=case, action="wait")  # the auditor only reads
    with pytest.raises(NotFound):
        services.act_on_case(actor=cast.olga, case=case, action="wait")  # another station


def test_assignment_needs_a_handler_below_the_case(world: World, cast: Cast) -> None:
    case = open_case(cast)
    for owner in (cast.olga, cast.sam, member_at(world.units["B1"], Role.OFFICER, "up")):
        with pytest.raises(ValidationError) as info:
            services.assign_case(actor=cast.sam, case=case, owner=owner)
        assert "owner" in info.value.message_dict
    with pytest.raises(AccessDenied):
        services.assign_case(actor=cast.alice, case=case, owner=cast.bob)  # not a supervisor
    services.assign_case(actor=cast.sam, case=case, owner=cast.bob)  # C1 lies below S1
    assert case.owner == cast.bob


def test_starting_without_an_owner_takes_the_case(cast: Cast) -> None:
    case = open_case(cast)
    services.act_on_case(actor=cast.sam, case=case, action="accept")
    with pytest.raises(ValidationError):
        services.act_on_case(actor=cast.sam, case=case, action="start")  # a sergeant, no owner
    services.act_on_case(actor=cast.alice, case=case, action="start")
    assert case.owner == cast.alice


# --- Controlled exceptions -------------------------------------------------------------------


def test_extension_rules(cast: Cast) -> None:
    case = case_in_progress(cast.unit, owner=cast.alice)
    with pytest.raises(ValidationError) as info:
        services.request_extension(actor=cast.alice, case=case, days=0, reason="x")
    assert "days" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.request_extension(actor=cast.alice, case=case, days=3, reason="")
    assert "reason" in info.value.message_dict
    exception = services.request_extension(
        actor=cast.alice, case=case, days=3, reason="Waiting for the survey."
    )
    assert Delivery.objects.filter(kind="case.extension", member=cast.sam).exists()
    with pytest.raises(ValidationError):  # one at a time
        services.request_extension(actor=cast.alice, case=case, days=1, reason="more")
    with pytest.raises(AccessDenied):  # a handler cannot decide
        services.decide_extension(actor=cast.grid, exception=exception, approve=True)
    due = case.resolve_due
    assert due is not None
    services.decide_extension(actor=cast.sam, exception=exception, approve=True)
    case.refresh_from_db()
    assert case.resolve_due == get_calendar().add_working_days(due, 3)
    assert case.extended_days == 3
    assert case.allowed_days == 13
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.APPROVED
    assert Delivery.objects.filter(kind="case.extension_decided", member=cast.alice).exists()
    with pytest.raises(ValidationError):  # already decided
        services.decide_extension(actor=cast.carla, exception=exception, approve=False, note="no")

    # The requester cannot decide their own; refusing needs a note.
    own = services.request_extension(actor=cast.sam, case=case, days=2, reason="Sergeant asks.")
    with pytest.raises(ValidationError):
        services.decide_extension(actor=cast.sam, exception=own, approve=True)
    with pytest.raises(ValidationError) as info:
        services.decide_extension(actor=cast.carla, exception=own, approve=False)
    assert "note" in info.value.message_dict
    services.decide_extension(actor=cast.carla, exception=own, approve=False, note="Hurry up.")
    case.refresh_from_db()
    assert case.extended_days == 3


def test_an_extension_must_be_asked_before_the_deadline(cast: Cast) -> None:
    case = case_in_progress(cast.unit, owner=cast.alice)
    Case.objects.filter(pk=case.pk).update(resolve_due=timezone.now() - dt.timedelta(minutes=1))
    case.refresh_from_db()
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.request_extension(actor=cast.alice, case=case, days=2, reason="late")
    assert "__all__" in info.value.message_dict
    assert counts() == before


def test_return_goes_back_to_dispatch(cast: Cast) -> None:
    case = case_in_progress(cast.unit, owner=cast.alice)
    with pytest.raises(ValidationError):
        services.return_case(actor=cast.alice, case=case, reason="")
    services.return_case(actor=cast.alice, case=case, reason="Not ours: a road matter.")
    assert case.status == "returned"
    assert case.owner is None
    assert case.exceptions.get().kind == "return"
    services.act_on_case(actor=cast.sam, case=case, action="accept")
    assert case.status == "accepted"


def test_parking_stops_the_clocks_until_a_supervisor_unparks(cast: Cast) -> None:
    case = case_in_progress(cast.unit, owner=cast.alice)
    services.park_case(actor=cast.sam, case=case, reason="Needs the county's budget.")
    assert case.status == "parked"
    assert case.paused_since is not None
    parked_at = timezone.now() - dt.timedelta(days=7)
    Case.objects.filter(pk=case.pk).update(paused_since=parked_at)
    case.refresh_from_db()
    due = case.resolve_due
    assert due is not None
    with pytest.raises(ValidationError):
        services.act_on_case(actor=cast.alice, case=case, action="resume")  # resume ≠ unpark
    with pytest.raises(ValidationError):
        services.unpark_case(actor=cast.alice, case=case)
    services.unpark_case(actor=cast.sam, case=case)
    assert case.status == "in_progress"
    calendar = get_calendar()
    paused = calendar.working_seconds_between(parked_at, case.updated_at)
    assert case.resolve_due == calendar.add_working_time(due, paused)
    assert case.exceptions.get(kind="parking").status == ExceptionStatus.ENDED


def test_merge_leaves_the_duplicate_out_of_the_figures(world: World, cast: Cast) -> None:
    kept = open_case(cast, title="Street light out")
    duplicate = open_case(cast, title="Street light broken")
    with pytest.raises(AccessDenied):
        services.merge_case(actor=cast.alice, duplicate=duplicate, into=kept)
    with pytest.raises(ValidationError) as info:
        services.merge_case(actor=cast.sam, duplicate=duplicate, into=duplicate)
    assert "into" in info.value.message_dict
    elsewhere = services.open_case(
        actor=member_at(world.units["D"], Role.DETACHMENT_STAFF, "root"),
        kind=TEST_KIND,
        unit=world.units["S3"],
        category=cast.category,
        title="far away",
        description="d",
    )
    with pytest.raises(ValidationError) as info:
        services.merge_case(actor=cast.sam, duplicate=duplicate, into=elsewhere)
    assert "into" in info.value.message_dict
    services.merge_case(actor=cast.sam, duplicate=duplicate, into=kept, note="Same lamp.")
    duplicate.refresh_from_db()
    assert duplicate.status == "merged"
    assert duplicate.merged_into == kept
    assert CaseLink.objects.filter(source=duplicate, target=kept).exists()
    assert kept.entries.filter(type=EntryType.LINK).exists()
    with pytest.raises(ValidationError):  # once merged, never again
        services.merge_case(actor=cast.sam, duplicate=duplicate, into=kept)


def test_links_are_made_once(cast: Cast) -> None:
    one, two = open_case(cast), open_case(cast)
    services.link_cases(actor=cast.alice, case=one, other=two)
    with pytest.raises(ValidationError):
        services.link_cases(actor=cast.alice, case=two, other=one)
    with pytest.raises(ValidationError):
        services.link_cases(actor=cast.alice, case=one, other=one)


def test_transfer_keeps_the_clocks_running(world: World, cast: Cast) -> None:
    case = case_in_progress(cast.unit, owner=cast.alice)
    due = case.resolve_due
    with pytest.raises(ValidationError) as info:
        services.transfer_case(actor=cast.sam, case=case, to_unit=world.units["S3"], reason="x")
    assert "to_unit" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.transfer_case(actor=cast.sam, case=case, to_unit=world.units["C1"], reason="")
    assert "reason" in info.value.message_dict
    services.transfer_case(actor=cast.sam, case=case, to_unit=world.units["C1"], reason="Theirs")
    assert case.unit == world.units["C1"]
    assert case.status == "received"
    assert case.owner is None
    assert case.resolve_due == due
    # A parent's dispatch desk is a valid destination; the case then leaves the sergeant's sight.
    services.transfer_case(actor=cast.sam, case=case, to_unit=world.units["B1"], reason="Up")
    with pytest.raises(NotFound):
        services.add_note(actor=cast.sam, case=case, text="gone")


# --- Attachments -----------------------------------------------------------------------------


def test_a_real_png_is_attached_under_a_random_name(cast: Cast) -> None:
    case = open_case(cast)
    entry = services.attach_file(
        actor=cast.alice, case=case, upload=png_upload("我的照片.png"), note="The pen"
    )
    assert entry.attachment_type == "image/png"
    assert entry.attachment_name == "我的照片.png"
    assert "我的照片" not in entry.attachment.name
    assert entry.attachment.name.endswith(".png")
    with entry.attachment.open("rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("evil.png", b"<!doctype html><script>alert(1)</script>"),
        ("run.pdf", b"#!/bin/sh\nrm -rf /\n"),
        ("empty.jpg", b""),
    ],
)
def test_a_file_that_is_not_an_image_or_pdf_is_refused(
    cast: Cast, name: str, content: bytes
) -> None:
    case = open_case(cast)
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.attach_file(
            actor=cast.alice,
            case=case,
            upload=SimpleUploadedFile(name, content, content_type="image/png"),
        )
    assert "file" in info.value.message_dict
    assert counts() == before


def test_an_oversize_file_is_refused(cast: Cast, settings: Any) -> None:
    settings.CASEWORK_UPLOAD_MAX_BYTES = 1024
    case = open_case(cast)
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * 2048)
    with pytest.raises(ValidationError) as info:
        services.attach_file(actor=cast.alice, case=case, upload=big)
    assert "too large" in str(info.value)


def test_an_attachment_whose_transaction_fails_leaves_no_file(cast: Cast) -> None:
    from django.core.files.storage import default_storage
    from django.db import DatabaseError

    from liuqing.core.tests.structure_helpers import audit_writes_fail

    case = open_case(cast)
    before = counts()
    with audit_writes_fail(), pytest.raises(DatabaseError):
        services.attach_file(actor=cast.alice, case=case, upload=png_upload())
    assert counts() == before
    stored = [f for _dirs, files in _walk(default_storage, "cases") for f in files]
    assert stored == []


def _walk(storage: Any, top: str) -> list[tuple[list[str], list[str]]]:
    if not storage.exists(top):
        return []
    dirs, files = storage.listdir(top)
    result = [(dirs, files)]
    for d in dirs:
        result += _walk(storage, f"{top}/{d}")
    return result


def _concurrent_openings_get_distinct_numbers() -> None:
    """Eight threads open cases at once at one unit: the counter's row lock hands out each
    number once. Defined as a test on PostgreSQL only (the CI runs the suite on both):
    SQLite has a single writer and its in-memory test database cannot be shared between
    threads, so there is nothing concurrent to test there."""
    import threading

    from django.db import connections

    from liuqing.core.testing import build_world

    world = build_world()
    unit = world.units["S1"]
    make_category()
    root_staff(unit)  # made once, before the threads race
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _i in range(5):
                open_test_case(unit)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = list(Case.objects.filter(unit=unit).values_list("number", flat=True))
    assert len(numbers) == 40
    assert len(set(numbers)) == 40
    year = timezone.localdate().year
    assert sorted(numbers) == [f"TS-{year}-{n:06d}" for n in range(1, 41)]


if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
    test_concurrent_openings_get_distinct_numbers = pytest.mark.django_db(transaction=True)(
        _concurrent_openings_get_distinct_numbers
    )
