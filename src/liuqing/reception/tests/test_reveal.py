"""Complaints and restricted reports: lists and API answers show the text masked; the full
text needs a reason, comes one item at a time and is audited once; out of scope, or a report
without its label's grant, is 404 and reveals nothing."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from django.urls import reverse

from liuqing.casework.testing import member_at
from liuqing.core import services as core_services
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World, login_verified
from liuqing.reception.testing import complaint_at, grant, report_at

COMPLAINT = "民警态度粗暴，拒绝出具回执。"
REPORT = "邻居家每晚传出打骂声，孩子身上有伤。"


def _api(member: Member, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    _token, secret = core_services.create_api_token(actor=member, name="t")
    client = Client()
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    url = f"/api/v1/reception{path}"
    if method == "get":
        return client.get(url, **headers)
    return client.post(url, json.dumps(body or {}), content_type="application/json", **headers)


def _reveals() -> Any:
    return AuditEvent.objects.filter(action="pii.reveal")


def test_the_lists_and_the_api_show_no_clear_text(world: World) -> None:
    supervisor = member_at(world.units["B1"], Role.BRIGADE_STAFF)
    complaint_at(world.units["B1"], COMPLAINT)
    report_at(world.units["B1"], REPORT)
    grant(supervisor, "domestic_violence")
    client = login_verified(Client(), supervisor)
    for url in ("/reception/complaints/", "/reception/reports/"):
        body = client.get(url).content.decode()
        assert COMPLAINT not in body
        assert REPORT not in body
        assert "••••" in body
    complaints = _api(supervisor, "get", "/complaints").json()["items"]
    reports = _api(supervisor, "get", "/reports").json()["items"]
    assert [c["text"] for c in complaints] == ["••••"]
    assert [r["text"] for r in reports] == ["••••"]
    assert not _reveals().exists()


def test_a_reveal_without_a_reason_is_refused_on_the_field(world: World) -> None:
    supervisor = member_at(world.units["B1"], Role.BRIGADE_STAFF)
    complaint = complaint_at(world.units["B1"], COMPLAINT)
    client = login_verified(Client(), supervisor)
    url = reverse("reception:complaint_reveal", kwargs={"pk": complaint.pk})
    for reason in ("", "   ", "为何"):
        response = client.post(url, {"reason": reason})
        assert response.status_code == 200
        assert COMPLAINT not in response.content.decode()
        row = next(r for r in response.context["rows"] if r["item"].pk == complaint.pk)
        assert "reason" in row["form"].errors
    answer = _api(supervisor, "post", f"/complaints/{complaint.pk}/reveal", {"reason": ""})
    assert answer.status_code == 422
    assert "reason" in answer.json()["error"]["fields"]
    assert COMPLAINT not in answer.content.decode()
    assert not _reveals().exists()


def test_a_reveal_with_a_reason_shows_the_text_and_is_audited_once(world: World) -> None:
    supervisor = member_at(world.units["B1"], Role.BRIGADE_STAFF)
    complaint = complaint_at(world.units["B1"], COMPLAINT)
    other = complaint_at(world.units["B1"], "另一条投诉的内容。")
    client = login_verified(Client(), supervisor)
    response = client.post(
        reverse("reception:complaint_reveal", kwargs={"pk": complaint.pk}),
        {"reason": "核实投诉内容"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert COMPLAINT in body
    assert "另一条投诉的内容" not in body  # only the one asked for
    events = list(_reveals())
    assert len(events) == 1
    assert events[0].reason == "核实投诉内容"
    assert events[0].object_id == str(complaint.pk)
    assert events[0].member_id_value == supervisor.pk

    answer = _api(supervisor, "post", f"/complaints/{other.pk}/reveal", {"reason": "回复投诉人"})
    assert answer.status_code == 200
    assert answer.json() == {"id": other.pk, "text": "另一条投诉的内容。"}
    assert _reveals().count() == 2
    assert _reveals().filter(object_id=str(other.pk), reason="回复投诉人").count() == 1


def test_a_complaint_out_of_scope_is_404_and_nothing_is_recorded(world: World) -> None:
    complaint = complaint_at(world.units["B1"], COMPLAINT)
    outsider = member_at(world.units["B2"], Role.BRIGADE_STAFF)
    client = login_verified(Client(), outsider)
    url = reverse("reception:complaint_reveal", kwargs={"pk": complaint.pk})
    assert client.post(url, {"reason": "核实投诉内容"}).status_code == 404
    path = f"/complaints/{complaint.pk}/reveal"
    assert _api(outsider, "post", path, {"reason": "核实投诉内容"}).status_code == 404
    # The station concerned never sees the complaints about it.
    chief = world.persona(Role.STATION_CHIEF)
    assert _api(chief, "post", path, {"reason": "核实投诉内容"}).status_code == 404
    assert not _reveals().exists()


def test_a_report_needs_its_label_grant_to_be_revealed(world: World) -> None:
    report = report_at(world.units["S1"], REPORT)
    chief = world.persona(Role.STATION_CHIEF)
    client = login_verified(Client(), chief)
    url = reverse("reception:report_reveal", kwargs={"pk": report.pk})
    path = f"/reports/{report.pk}/reveal"
    assert client.post(url, {"reason": "安排上门核实"}).status_code == 404
    assert _api(chief, "post", path, {"reason": "安排上门核实"}).status_code == 404
    grant(chief, "minor")  # another label's grant does not help
    assert _api(chief, "post", path, {"reason": "安排上门核实"}).status_code == 404
    assert not _reveals().exists()

    grant(chief, "domestic_violence")
    response = client.post(url, {"reason": "安排上门核实"})
    assert response.status_code == 200
    assert REPORT in response.content.decode()
    answer = _api(chief, "post", path, {"reason": "联系妇联"})
    assert answer.json() == {"id": report.pk, "text": REPORT}
    assert list(_reveals().values_list("reason", flat=True).order_by("seq")) == [
        "安排上门核实",
        "联系妇联",
    ]
    outsider = grant(member_at(world.units["S2"], Role.STATION_CHIEF), "domestic_violence")
    assert _api(outsider, "post", path, {"reason": "安排上门核实"}).status_code == 404
    assert _reveals().count() == 2
