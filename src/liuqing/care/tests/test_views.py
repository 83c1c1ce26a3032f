"""The care pages: the list, registering, one recipient (404 and audit without the grant),
reveal, services and a need raised as an appeal."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from liuqing.care.models import Need, Recipient, Service
from liuqing.care.testing import grant, register
from liuqing.casework.models import Category
from liuqing.core.models import AuditEvent, AuditOutcome, Role
from liuqing.core.testing import World, login_verified

pytestmark = pytest.mark.django_db


def test_without_the_grant_the_page_is_a_404_and_audited(world: World) -> None:
    recipient = register(world.units["S1"])
    client = login_verified(Client(), world.persona(Role.SERGEANT))
    assert client.get(reverse("care:detail", kwargs={"pk": recipient.pk})).status_code == 404
    assert AuditEvent.objects.filter(action="care.view", outcome=AuditOutcome.DENIED).count() == 1
    body = client.get(reverse("care:list")).content.decode()
    assert "needs the care grant" in body


def test_register_then_serve_reveal_and_raise_a_need(world: World) -> None:
    officer = grant(world.persona(Role.OFFICER))
    client = login_verified(Client(), officer)
    response = client.post(
        reverse("care:new"),
        {
            "unit": world.units["S1"].pk,
            "category": "elderly_alone",
            "name": "阿依古丽",
            "phone": "13800005678",
            "legal_basis": "consent",
            "basis_recorded_on": "2026-03-01",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    recipient = Recipient.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "阿依古丽" not in page
    assert "138****5678" in page
    revealed = client.post(
        reverse("care:reveal", kwargs={"pk": recipient.pk}),
        {"field": "phone", "reason": "打电话预约"},
    )
    assert "+8613800005678" in revealed.content.decode()
    client.post(
        reverse("care:service", kwargs={"pk": recipient.pk}),
        {"kind": "cleaning", "given_on": "2026-03-02"},
    )
    assert Service.objects.get().kind == "cleaning"
    category = Category.objects.create(kind="appeal", code="water", name="饮水")
    response = client.post(
        reverse("care:need", kwargs={"pk": recipient.pk}),
        {"category": category.pk, "description": "水管冻裂"},
    )
    assert response.status_code == 302
    assert Need.objects.get().case.kind == "appeal"
    bad = client.post(
        reverse("care:service", kwargs={"pk": recipient.pk}),
        {"kind": "cleaning", "given_on": "2099-03-02"},
    )
    assert "The date cannot be in the future." in bad.content.decode()
    assert Service.objects.count() == 1
