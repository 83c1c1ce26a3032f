"""A supervisor of the queue takes over a complaint another supervisor is handling: recorded
(a handover with the reason), audited, and the previous handler told through the notify
outbox, in one transaction, on the page and through the API; refused, with nothing written,
when it cannot be."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from liuqing.casework.testing import member_at
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World, login_verified
from liuqing.notify.models import Delivery
from liuqing.reception import services
from liuqing.reception.models import ComplaintHandover, ConductComplaint
from liuqing.reception.testing import complaint_at
from liuqing.reception.tests.test_reveal import _api

TEXT = "民警执法过程中推搡群众。"


def _taken(world: World) -> tuple[ConductComplaint, Member]:
    first = member_at(world.units["B1"], Role.BRIGADE_STAFF, "first")
    complaint = complaint_at(world.units["B1"], TEXT)
    services.take_complaint(actor=first, complaint=complaint)
    return ConductComplaint.objects.get(pk=complaint.pk), first


def _written() -> tuple[int, int, int]:
    return (
        ComplaintHandover.objects.count(),
        AuditEvent.objects.filter(action="reception.complaint_take_over").count(),
        Delivery.objects.filter(kind="reception.complaint_taken_over").count(),
    )


def test_a_supervisor_takes_over_and_the_previous_handler_is_told(world: World) -> None:
    complaint, first = _taken(world)
    second = member_at(world.units["D"], Role.DETACHMENT_STAFF, "second")
    result = services.take_over_complaint(
        actor=second, complaint=complaint, reason="原承办人外出学习一个月"
    )
    assert (result.owner, result.status) == (second, "in_hand")
    handover = ComplaintHandover.objects.get()
    assert (handover.complaint, handover.from_member, handover.to_member) == (
        complaint,
        first,
        second,
    )
    assert handover.reason == "原承办人外出学习一个月"
    event = AuditEvent.objects.get(action="reception.complaint_take_over")
    assert event.reason == "原承办人外出学习一个月"
    details = json.loads(event.details)
    assert (details["from"], details["to"]) == (first.pk, second.pk)
    message = Delivery.objects.get(kind="reception.complaint_taken_over")
    assert message.member == first
    assert second.full_name in message.subject
    assert message.body == "原承办人外出学习一个月"
    assert message.link == reverse("reception:complaint", kwargs={"pk": complaint.pk})
    # The message never says what the complaint is about.
    assert TEXT not in message.subject + message.body
    # The new handler now records the outcome; the previous one no longer may.
    with pytest.raises(ValidationError):
        services.record_complaint_outcome(
            actor=first, complaint=complaint, outcome="upheld", note="原承办人的意见"
        )
    services.record_complaint_outcome(
        actor=second, complaint=complaint, outcome="upheld", note="已核实并处理"
    )
    # And the first takes it back: a second handover, a second message.
    services.take_over_complaint(actor=first, complaint=complaint, reason="学习结束，收回办理")
    assert list(ComplaintHandover.objects.values_list("to_member", flat=True)) == [
        second.pk,
        first.pk,
    ]
    assert Delivery.objects.filter(member=second).count() == 1


def test_refusals_write_nothing(world: World) -> None:
    complaint, first = _taken(world)
    second = member_at(world.units["D"], Role.DETACHMENT_STAFF, "second")
    with pytest.raises(ValidationError) as exc:
        services.take_over_complaint(actor=second, complaint=complaint, reason=" 急 ")
    assert set(exc.value.message_dict) == {"reason"}
    with pytest.raises(ValidationError) as exc:
        services.take_over_complaint(actor=second, complaint=complaint, reason="长" * 501)
    assert set(exc.value.message_dict) == {"reason"}
    with pytest.raises(ValidationError):
        services.take_over_complaint(actor=first, complaint=complaint, reason="我自己接手")
    fresh = complaint_at(world.units["B1"], "无人办理的投诉。")
    with pytest.raises(ValidationError) as exc:
        services.take_over_complaint(actor=second, complaint=fresh, reason="无人办理的投诉")
    assert "take it" in " ".join(exc.value.messages)
    services.record_complaint_outcome(
        actor=first, complaint=complaint, outcome="not_upheld", note="查无实据"
    )
    services.close_complaint(actor=first, complaint=complaint)
    with pytest.raises(ValidationError):
        services.take_over_complaint(actor=second, complaint=complaint, reason="结案后接手")
    # Outside the queue, or the station concerned: 404; a role without supervision: 403.
    other = member_at(world.units["B2"], Role.BRIGADE_STAFF)
    with pytest.raises(NotFound):
        services.take_over_complaint(actor=other, complaint=fresh, reason="跨大队接手")
    officer = member_at(world.units["B1"], Role.OFFICER)
    with pytest.raises(AccessDenied):
        services.take_over_complaint(actor=officer, complaint=fresh, reason="民警接手投诉")
    assert _written() == (0, 0, 0)
    assert ConductComplaint.objects.get(pk=complaint.pk).owner == first


def test_the_page_offers_the_take_over_and_shows_the_handovers(world: World) -> None:
    complaint, first = _taken(world)
    second = member_at(world.units["D"], Role.DETACHMENT_STAFF, "second")
    url = reverse("reception:complaint", kwargs={"pk": complaint.pk})
    own = login_verified(Client(), first).get(url).content.decode()
    assert 'id="take-over"' not in own
    client = login_verified(Client(), second)
    assert 'id="take-over"' in client.get(url).content.decode()
    refused = client.post(url, {"action": "take_over", "reason": ""})
    assert refused.status_code == 200
    assert "errorlist" in refused.content.decode()
    assert _written() == (0, 0, 0)
    done = client.post(url, {"action": "take_over", "reason": "原承办人病休"}, follow=True)
    assert done.redirect_chain[-1][0] == url
    body = done.content.decode()
    assert 'id="handovers"' in body
    assert "原承办人病休" in body
    assert 'id="take-over"' not in body
    assert _written() == (1, 1, 1)


def test_the_api_takes_over(world: World) -> None:
    complaint, first = _taken(world)
    second = member_at(world.units["D"], Role.DETACHMENT_STAFF, "second")
    path = f"/complaints/{complaint.pk}/take-over"
    assert _api(second, "post", path, {"reason": "x"}).status_code == 422
    answer = _api(second, "post", path, {"reason": "原承办人调岗"})
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["owner_id"] == second.pk
    assert [(h["from_member_id"], h["to_member_id"], h["reason"]) for h in data["handovers"]] == [
        (first.pk, second.pk, "原承办人调岗")
    ]
    assert _api(second, "post", path, {"reason": "再次接手"}).status_code == 422
    listed = _api(second, "get", "/complaints").json()["items"]
    assert listed[0]["handovers"][0]["reason"] == "原承办人调岗"
    assert _written() == (1, 1, 1)
