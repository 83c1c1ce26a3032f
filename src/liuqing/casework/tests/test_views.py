"""The case pages: queues, the case page and its forms, attachment downloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from liuqing.casework import services
from liuqing.casework.models import Case, Entry, EntryType, FollowUp
from liuqing.casework.testing import (
    case_in_progress,
    closed_case,
    make_overdue,
    open_test_case,
    png_bytes,
)
from liuqing.casework.tests.conftest import Cast
from liuqing.core.models import Member
from liuqing.core.testing import World, login_verified

pytestmark = pytest.mark.django_db


def client_for(member: Member) -> Client:
    return login_verified(Client(), member)


def detail(case: Case) -> str:
    return reverse("casework:case_detail", kwargs={"pk": case.pk})


def post(client: Client, name: str, case_or_pk: Case | int, data: dict[str, Any]) -> Any:
    pk = case_or_pk.pk if isinstance(case_or_pk, Case) else case_or_pk
    return client.post(reverse(name, kwargs={"pk": pk}), data)


def test_the_whole_lifecycle_through_the_pages(cast: Cast) -> None:
    sam, alice, carla = client_for(cast.sam), client_for(cast.alice), client_for(cast.carla)
    case = open_test_case(cast.unit, title="Sheep pen needs reinforcing")
    page = sam.get(detail(case)).content.decode()
    assert "Sheep pen needs reinforcing" in page
    assert 'id="form-assign"' in page

    assert post(sam, "casework:case_act", case, {"action": "accept"}).status_code == 302
    response = post(sam, "casework:case_assign", case, {"owner": cast.alice.pk})
    assert response.status_code == 302
    assert post(alice, "casework:case_act", case, {"action": "start"}).status_code == 302
    post(alice, "casework:case_contact", case, {"method": "phone", "text": "Called the owner"})
    post(alice, "casework:case_note", case, {"text": "Bought wire", "public": "on"})
    upload = SimpleUploadedFile("pen.png", png_bytes(), content_type="image/png")
    assert post(alice, "casework:case_attach", case, {"file": upload}).status_code == 302

    # A refusal shows the page again with the error on the form, and changes nothing.
    refused = post(alice, "casework:case_act", case, {"action": "resolve", "note": ""})
    assert refused.status_code == 200
    assert "This field is required." in refused.content.decode()
    case.refresh_from_db()
    assert case.status == "in_progress"

    post(alice, "casework:case_act", case, {"action": "resolve", "note": "Pen reinforced."})
    own = post(alice, "casework:case_act", case, {"action": "verify"})
    assert own.status_code == 200  # the resolver may not verify (not even offered)
    post(carla, "casework:case_act", case, {"action": "verify"})
    case.refresh_from_db()
    assert case.status == "closed"
    followup = FollowUp.objects.get(case=case)
    page = alice.get(detail(case)).content.decode()
    assert 'id="form-followup"' in page
    response = post(
        alice,
        "casework:followup_record",
        followup.pk,
        {"method": "phone", "satisfaction": "satisfied", "resolved": "yes", "note": "Happy"},
    )
    assert response.status_code == 302
    timeline = alice.get(detail(case)).content.decode()
    for text in ["Called the owner", "Bought wire", "pen.png", "Pen reinforced.", "Happy"]:
        assert text in timeline


def test_extension_request_and_decision_pages(cast: Cast) -> None:
    case = case_in_progress(cast.unit, owner=cast.alice)
    alice, sam = client_for(cast.alice), client_for(cast.sam)
    post(alice, "casework:case_extension", case, {"days": "2", "reason": "Survey pending"})
    exception = case.exceptions.get()
    page = sam.get(detail(case)).content.decode()
    assert 'id="form-decide"' in page
    # The requester is not offered the decision, and a handler cannot post one.
    assert 'id="form-decide"' not in alice.get(detail(case)).content.decode()
    assert (
        post(alice, "casework:extension_decide", exception.pk, {"decision": "approve"}).status_code
        == 403
    )
    assert (
        post(sam, "casework:extension_decide", exception.pk, {"decision": "approve"}).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.extended_days == 2


def test_link_merge_and_transfer_pages(world: World, cast: Cast) -> None:
    sam = client_for(cast.sam)
    kept, duplicate, other = (open_test_case(cast.unit) for _i in range(3))
    assert post(sam, "casework:case_link", kept, {"other": other.number}).status_code == 302
    assert post(sam, "casework:case_merge", duplicate, {"other": str(kept.pk)}).status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == "merged"
    missing = post(sam, "casework:case_link", kept, {"other": "TS-1999-999999"})
    assert "no such case" in missing.content.decode()
    response = post(
        sam, "casework:case_transfer", other, {"to_unit": world.units["C1"].pk, "reason": "Theirs"}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.unit == world.units["C1"]
    far = post(
        sam, "casework:case_transfer", kept, {"to_unit": world.units["S3"].pk, "reason": "No"}
    )
    assert far.status_code == 200  # not a choice: the form refuses it


def test_attachments_download_as_files_within_scope_only(cast: Cast) -> None:
    case = open_test_case(cast.unit)
    entry = services.attach_file(
        actor=cast.alice,
        case=case,
        upload=SimpleUploadedFile("证据.png", png_bytes(), content_type="image/png"),
    )
    url = reverse("casework:attachment", kwargs={"pk": entry.pk})
    response = client_for(cast.alice).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]
    assert client_for(cast.olga).get(url).status_code == 404
    note = Entry.objects.filter(type=EntryType.NOTE).first()
    assert note is None


def test_refused_uploads_say_why(cast: Cast) -> None:
    case = open_test_case(cast.unit)
    fake = SimpleUploadedFile("x.png", b"<html><script>alert(1)</script></html>")
    response = post(client_for(cast.alice), "casework:case_attach", case, {"file": fake})
    assert response.status_code == 200
    assert "Only photos" in response.content.decode()
    assert not case.entries.filter(type=EntryType.ATTACHMENT).exists()


def test_my_work_lists_what_each_member_owes(cast: Cast) -> None:
    mine = case_in_progress(cast.unit, title="Alice's case", owner=cast.alice)
    waiting = open_test_case(cast.unit, title="Waiting for dispatch")
    resolved = case_in_progress(cast.unit, title="Awaiting check", owner=cast.alice)
    services.act_on_case(actor=cast.alice, case=resolved, action="resolve", note="done")
    closed, followup = closed_case(cast.unit, title="Follow me up")
    FollowUp.objects.filter(pk=followup.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    services.request_extension(actor=cast.alice, case=mine, days=2, reason="Please")

    alice_page = client_for(cast.alice).get(reverse("casework:my_work")).content.decode()
    assert "Alice&#x27;s case" in alice_page
    assert "Waiting for dispatch" not in alice_page
    assert "Awaiting check" not in alice_page  # resolved: no longer hers to work on

    sam_page = client_for(cast.sam).get(reverse("casework:my_work")).content.decode()
    assert "Waiting for dispatch" in sam_page
    assert "Awaiting check" in sam_page
    assert "Please" not in sam_page
    assert mine.number in sam_page
    assert 'id="extensions"' in sam_page

    owner = closed.owner
    assert owner is not None
    owner_page = client_for(owner).get(reverse("casework:my_work")).content.decode()
    assert 'id="followups"' in owner_page
    assert closed.number in owner_page
    assert waiting.pk


def test_supervision_queue_for_sergeants_and_chiefs(cast: Cast) -> None:
    late = case_in_progress(cast.unit, title="Very late")
    make_overdue(late, escalation=2)
    slightly = case_in_progress(cast.unit, title="Slightly late")
    make_overdue(slightly)
    case_in_progress(cast.unit, title="On time")
    sam = client_for(cast.sam).get(reverse("casework:supervision")).content.decode()
    carla = client_for(cast.carla).get(reverse("casework:supervision")).content.decode()
    for page in (sam, carla):
        assert "Very late" in page
        assert "Slightly late" in page
        assert "On time" not in page
    assert client_for(cast.alice).get(reverse("casework:supervision")).status_code == 403


def test_pages_are_not_found_outside_the_jurisdiction(world: World, cast: Cast) -> None:
    case = open_test_case(world.units["S3"])
    assert client_for(cast.sam).get(detail(case)).status_code == 404
    assert client_for(cast.ann).get(detail(case)).status_code == 404
    own = open_test_case(cast.unit)
    page = client_for(cast.ann).get(detail(own))
    assert page.status_code == 200
    assert 'id="form-' not in page.content.decode()


def test_queue_pages_cost_the_same_queries_at_any_size(cast: Cast) -> None:
    for i in range(12):
        case_in_progress(cast.unit, title=f"Case {i}", owner=cast.alice)
        open_test_case(cast.unit, title=f"New {i}")
    make_overdue(Case.objects.all())
    for who, name in [
        (cast.alice, "casework:my_work"),
        (cast.sam, "casework:my_work"),
        (cast.sam, "casework:supervision"),
    ]:
        client = client_for(who)
        client.get(reverse(name))
        counts = []
        for size in (5, 50):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse(name), {"per_page": size}).status_code == 200
            counts.append(len(ctx.captured_queries))
        assert counts[0] == counts[1], (who, name, counts)


def test_the_pages_fit_a_phone_and_read_right_to_left(cast: Cast) -> None:
    case = case_in_progress(cast.unit, owner=cast.alice)
    client = client_for(cast.alice)
    client.cookies["django_language"] = "ug"
    page = client.get(detail(case), HTTP_ACCEPT_LANGUAGE="ug").content.decode()
    assert 'dir="rtl"' in page
    assert 'name="viewport"' in page
    css = (
        __import__("pathlib").Path(__file__).resolve().parents[1] / "static/casework/casework.css"
    ).read_text()
    for physical in (
        "margin-left",
        "margin-right",
        "padding-left",
        "padding-right",
        "left:",
        "right:",
        "text-align: left",
    ):
        assert physical not in css
