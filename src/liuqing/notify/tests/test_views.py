"""The inbox page, the unread count in the header, and the notification API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liuqing.core import services as core_services
from liuqing.core.models import Role
from liuqing.core.testing import World, login_verified
from liuqing.notify.models import Delivery
from liuqing.notify.services import deliver_due, publish

pytestmark = pytest.mark.django_db


def notify_many(world: World, n: int) -> None:
    alice = world.persona(Role.OFFICER)
    for i in range(n):
        publish(
            kind="x", subject=f"Message {i}", link="/work/", members=[alice], dedupe_key=f"m{i}"
        )
    deliver_due()


def test_the_header_shows_the_unread_count_and_the_inbox_lists_them(world: World) -> None:
    notify_many(world, 3)
    client = login_verified(Client(), world.persona(Role.OFFICER))
    page = client.get(reverse("core:home")).content.decode()
    assert 'class="count-badge"' in page
    assert ">3<" in page
    inbox = client.get(reverse("notify:inbox")).content.decode()
    assert "Message 0" in inbox
    assert "Message 2" in inbox
    other = login_verified(Client(), world.persona(Role.SERGEANT))
    assert "Message 0" not in other.get(reverse("notify:inbox")).content.decode()


def test_opening_a_notification_marks_it_read_and_follows_its_link(world: World) -> None:
    notify_many(world, 2)
    client = login_verified(Client(), world.persona(Role.OFFICER))
    first = Delivery.objects.order_by("pk").first()
    assert first is not None
    response = client.post(reverse("notify:mark_read", kwargs={"pk": first.pk}), {"follow": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/work/"
    first.refresh_from_db()
    assert first.read_at is not None
    client.post(reverse("notify:mark_all_read"))
    assert not Delivery.objects.filter(read_at__isnull=True).exists()
    assert client.get(reverse("notify:mark_read", kwargs={"pk": first.pk})).status_code == 405


def test_someone_elses_notification_is_not_found(world: World) -> None:
    notify_many(world, 1)
    delivery = Delivery.objects.get()
    client = login_verified(Client(), world.persona(Role.SERGEANT))
    assert client.post(reverse("notify:mark_read", kwargs={"pk": delivery.pk})).status_code == 404


def test_the_inbox_costs_the_same_queries_at_any_page_size(world: World) -> None:
    notify_many(world, 60)
    client = login_verified(Client(), world.persona(Role.OFFICER))
    client.get(reverse("notify:inbox"))
    counts = []
    for per_page in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("notify:inbox"), {"per_page": per_page}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_the_api_lists_and_marks_read(world: World) -> None:
    notify_many(world, 3)
    alice = world.persona(Role.OFFICER)
    _token, secret = core_services.create_api_token(actor=alice, name="t")
    auth = {"Authorization": f"Bearer {secret}"}
    client = Client()
    listed = client.get("/api/v1/notifications", {"unread": "true"}, headers=auth).json()
    assert listed["count"] == 3
    pk = listed["items"][0]["id"]
    read = client.post(f"/api/v1/notifications/{pk}/read", headers=auth)
    assert read.status_code == 200
    assert read.json()["read_at"]
    assert (
        client.get("/api/v1/notifications", {"unread": "true"}, headers=auth).json()["count"] == 2
    )
    counts = []
    for limit in (1, 3):
        with CaptureQueriesContext(connection) as ctx:
            client.get("/api/v1/notifications", {"limit": limit}, headers=auth)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
