"""The case API: the lifecycle, filters, field errors, scope and query counts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from liuqing.casework.models import Case, FollowUp
from liuqing.casework.testing import case_in_progress, make_overdue, open_test_case
from liuqing.casework.tests.conftest import Cast
from liuqing.core import services as core_services
from liuqing.core.models import Member
from liuqing.core.testing import World

pytestmark = pytest.mark.django_db
API = "/api/v1"


class Api:
    def __init__(self, member: Member) -> None:
        _token, secret = core_services.create_api_token(actor=member, name="test")
        self.headers = {"Authorization": f"Bearer {secret}"}
        self.client = Client()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(f"{API}{path}", params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            f"{API}{path}",
            json.dumps(body or {}),
            content_type="application/json",
            headers=self.headers,
        )


def test_the_lifecycle_through_the_api(cast: Cast) -> None:
    sam, alice, carla = Api(cast.sam), Api(cast.alice), Api(cast.carla)
    case = open_test_case(cast.unit, title="Wages owed at the brick kiln")
    assert sam.post(f"/cases/{case.pk}/actions", {"action": "accept"}).status_code == 200
    assigned = sam.post(f"/cases/{case.pk}/assign", {"owner": cast.alice.pk})
    assert assigned.json()["owner"]["id"] == cast.alice.pk
    alice.post(f"/cases/{case.pk}/actions", {"action": "start"})
    assert alice.post(f"/cases/{case.pk}/notes", {"text": "Met the boss"}).status_code == 201
    assert (
        alice.post(f"/cases/{case.pk}/contacts", {"text": "Phoned", "method": "phone"}).status_code
        == 201
    )
    extension = alice.post(f"/cases/{case.pk}/extensions", {"days": 2, "reason": "Payroll"})
    assert extension.status_code == 201
    decided = sam.post(f"/cases/extensions/{extension.json()['id']}/decision", {"approve": True})
    assert decided.json()["status"] == "approved"
    alice.post(f"/cases/{case.pk}/actions", {"action": "resolve", "note": "Paid in full"})
    refused = alice.post(f"/cases/{case.pk}/actions", {"action": "verify"})
    assert refused.status_code == 422
    assert "action" in refused.json()["error"]["fields"]
    closed = carla.post(f"/cases/{case.pk}/actions", {"action": "verify"}).json()
    assert closed["status"] == "closed"
    assert closed["closed_on_time"] is True
    followup = FollowUp.objects.get(case=case)
    reopened = alice.post(
        f"/cases/{case.pk}/followups/{followup.pk}",
        {
            "satisfaction": "dissatisfied",
            "resolved": False,
            "reopen": True,
            "reopen_reason": "Half paid",
        },
    ).json()
    assert reopened["status"] == "in_progress"
    assert reopened["reopened_count"] == 1
    detail = alice.get(f"/cases/{case.pk}").json()
    kinds = [e["type"] for e in detail["timeline"]]
    assert {"status", "assignment", "note", "contact", "exception", "followup"} <= set(kinds)
    assert detail["extended_days"] == 2
    assert len(detail["followups"]) == 1


def test_mass_assignment_is_refused(cast: Cast) -> None:
    case = case_in_progress(cast.unit, owner=cast.alice)
    api = Api(cast.alice)
    for body in (
        {"text": "x", "unit": 1},
        {"text": "x", "owner": cast.sam.pk},
        {"text": "x", "status": "closed"},
    ):
        response = api.post(f"/cases/{case.pk}/notes", body)
        assert response.status_code == 422
        assert set(response.json()["error"]["fields"]) & {"unit", "owner", "status"}
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert case.owner == cast.alice


def test_field_errors_and_scope(world: World, cast: Cast) -> None:
    api = Api(cast.sam)
    case = open_test_case(cast.unit)
    far = open_test_case(world.units["S3"])
    assert api.get(f"/cases/{far.pk}").status_code == 404
    assert api.post(f"/cases/{far.pk}/notes", {"text": "x"}).status_code == 404
    assert api.get("/cases/99999999").status_code == 404
    bad = api.post(f"/cases/{case.pk}/merge", {"into": far.pk})
    assert bad.status_code == 422
    assert "into" in bad.json()["error"]["fields"]
    bad = api.post(f"/cases/{case.pk}/assign", {"owner": cast.olga.pk})
    assert bad.status_code == 422
    assert "owner" in bad.json()["error"]["fields"]
    bad = api.post(f"/cases/{case.pk}/transfer", {"to_unit": world.units["S3"].pk, "reason": "x"})
    assert bad.status_code == 422
    assert "to_unit" in bad.json()["error"]["fields"]
    bad = api.post(f"/cases/{case.pk}/actions", {"action": "resolve"})
    assert bad.status_code == 422
    assert api.get("/cases", {"unit": world.units["S3"].pk}).status_code == 422
    assert (
        Api(cast.alice).post(f"/cases/{case.pk}/assign", {"owner": cast.alice.pk}).status_code
        == 403
    )


def test_list_filters(world: World, cast: Cast) -> None:
    mine = case_in_progress(cast.unit, title="Mine", owner=cast.alice)
    below = open_test_case(world.units["C1"], title="Below")
    make_overdue(below)
    open_test_case(world.units["S3"], title="Far away")
    api = Api(cast.alice)

    def titles(params: dict[str, Any]) -> set[str]:
        return {c["title"] for c in api.get("/cases", params).json()["items"]}

    assert titles({}) == {"Mine", "Below"}
    assert titles({"owner": "me"}) == {"Mine"}
    assert titles({"warning": "red"}) == {"Below"}
    assert titles({"status": "received"}) == {"Below"}
    assert titles({"unit": world.units["C1"].pk}) == {"Below"}
    assert titles({"kind": "other"}) == set()
    assert titles({"q": "min"}) == {"Mine"}
    # Numbers count per unit: the same number may name one case at each unit.
    assert titles({"q": mine.number}) == {"Mine", "Below"}


def test_queues(cast: Cast) -> None:
    case_in_progress(cast.unit, title="Hers", owner=cast.alice)
    late = open_test_case(cast.unit, title="Late")
    make_overdue(late)
    work = Api(cast.alice).get("/queue/my-work").json()
    assert [c["title"] for c in work["owned"]] == ["Hers"]
    assert work["counts"]["owned"] == 1
    sergeant = Api(cast.sam).get("/queue/my-work").json()
    assert [c["title"] for c in sergeant["to_dispatch"]] == ["Late"]
    supervision = Api(cast.sam).get("/queue/supervision").json()
    assert [c["title"] for c in supervision["items"]] == ["Late"]
    assert Api(cast.alice).get("/queue/supervision").status_code == 403


@pytest.mark.parametrize("path", ["/cases", "/queue/supervision"])
def test_lists_cost_the_same_queries_for_5_or_50_items(cast: Cast, path: str) -> None:
    for i in range(55):
        open_test_case(cast.unit, title=f"Case {i}")
    Case.objects.update(owner=cast.alice)
    make_overdue(Case.objects.all())
    api = Api(cast.sam)
    api.get(path)
    counts = []
    for limit in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(path, {"limit": limit})
        assert response.status_code == 200
        assert len(response.json()["items"]) == limit
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_my_work_costs_the_same_queries_at_any_size(cast: Cast) -> None:
    for i in range(12):
        case_in_progress(cast.unit, title=f"Case {i}", owner=cast.alice)
    api = Api(cast.alice)
    api.get("/queue/my-work")
    counts = []
    for limit in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/queue/my-work", {"limit": limit}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- Attachments ------------------------------------------------------------------------------


def test_a_photo_is_attached_and_downloaded_through_the_api(cast: Cast) -> None:
    from liuqing.casework.models import Entry
    from liuqing.casework.testing import png_bytes, png_upload
    from liuqing.core.models import AuditEvent

    case = case_in_progress(cast.unit, owner=cast.alice)
    api = Api(cast.alice)
    response = api.client.post(
        f"{API}/cases/{case.pk}/attachments",
        {"file": png_upload("羊圈.png"), "note": "倒塌的羊圈", "public": "false"},
        headers=api.headers,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["type"], body["attachment_name"], body["attachment_type"]) == (
        "attachment",
        "羊圈.png",
        "image/png",
    )
    assert body["text"] == "倒塌的羊圈"
    assert body["attachment_url"] == f"{API}/cases/attachments/{body['id']}"
    download = api.client.get(body["attachment_url"], headers=api.headers)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == png_bytes()
    assert download["Content-Disposition"].startswith("attachment;")
    assert AuditEvent.objects.filter(action="case.attachment.download").count() == 1
    detail = api.get(f"/cases/{case.pk}").json()
    assert any(e["attachment_url"] == body["attachment_url"] for e in detail["timeline"])
    notes = [e for e in detail["timeline"] if e["type"] == "note"]
    assert all(e["attachment_url"] == "" for e in notes)
    assert Entry.objects.filter(case=case, type="attachment").count() == 1


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_on_its_field(cast: Cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from liuqing.casework.models import Entry

    case = case_in_progress(cast.unit, owner=cast.alice)
    api = Api(cast.alice)
    fake = SimpleUploadedFile("photo.png", b"<script>alert(1)</script>", "image/png")
    response = api.client.post(
        f"{API}/cases/{case.pk}/attachments", {"file": fake}, headers=api.headers
    )
    assert response.status_code == 422
    assert "file" in json.dumps(response.json())
    missing = api.client.post(f"{API}/cases/{case.pk}/attachments", {}, headers=api.headers)
    assert missing.status_code == 422
    assert not Entry.objects.filter(case=case, type="attachment").exists()


def test_attachments_outside_the_jurisdiction_are_404(cast: Cast) -> None:
    from liuqing.casework.testing import png_upload

    case = case_in_progress(cast.unit, owner=cast.alice)
    entry = Api(cast.alice).client.post(
        f"{API}/cases/{case.pk}/attachments",
        {"file": png_upload()},
        headers=Api(cast.alice).headers,
    )
    assert entry.status_code == 201
    outsider = Api(cast.olga)
    assert outsider.get(f"/cases/attachments/{entry.json()['id']}").status_code == 404
    upload = outsider.client.post(
        f"{API}/cases/{case.pk}/attachments", {"file": png_upload()}, headers=outsider.headers
    )
    assert upload.status_code == 404
