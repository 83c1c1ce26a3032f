"""Rate limits of the public surfaces: the request form, status lookups, the printable board
and Open311 POSTs answer 429 over the limit (a translated page, or an Open311 `errors`
document), per client address, and never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache.backends.base import BaseCache
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from liuqing.appeals.public import ratelimit
from liuqing.appeals.public.testing import (
    open311_client,
    public_category,
    reset_rate_limits,
    submit,
    village,
)
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework.models import Case
from liuqing.core.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    reset_rate_limits()
    yield
    reset_rate_limits()


@pytest.fixture
def place(cast: Cast) -> Place:
    return village(cast.child, "红星村")


def form(place: Place) -> dict[str, Any]:
    return {
        "category": public_category().pk,
        "place": place.pk,
        "description": "路灯坏了",
        "consent": "on",
    }


def test_the_eleventh_submission_in_an_hour_is_refused(client: Client, place: Place) -> None:
    url = reverse("appeals:public_submit")
    limit, _window = ratelimit.limits()["submit"]
    assert limit == 10
    for k in range(limit):
        data = form(place) if k % 2 else {**form(place), "consent": ""}  # refused ones count too
        assert client.post(url, data).status_code in (302, 400)
    refused = client.post(url, form(place))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.content.decode()
    assert Case.objects.count() == limit // 2
    # Another address is counted on its own; a GET of the form is never limited.
    assert client.get(url).status_code == 200
    other = client.post(url, form(place), REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302


def test_status_lookups_are_limited_per_address(client: Client, place: Place) -> None:
    case = submit(place)
    status = reverse("appeals:public_status", kwargs={"code": case.public_code})
    limit, _window = ratelimit.limits()["lookup"]
    assert limit == 60
    for k in range(limit):
        url = status if k % 3 else reverse("appeals:public_track") + "?code=ZZZZZZZZZZ"
        assert client.get(url).status_code in (200, 404)
    assert client.get(status).status_code == 429
    assert client.get(reverse("appeals:public_track"), {"code": "x"}).status_code == 429
    assert (
        client.get(reverse("appeals:public_receipt", kwargs={"code": case.public_code})).status_code
        == 429
    )
    assert client.get(status, REMOTE_ADDR="192.0.2.8").status_code == 200


def test_the_limit_page_is_translated_and_right_to_left(client: Client, place: Place) -> None:
    url = reverse("appeals:public_submit")
    for _k in range(10):
        client.post(url, {})
    page = client.post(url, {}, HTTP_ACCEPT_LANGUAGE="ug")
    assert page.status_code == 429
    html = page.content.decode()
    assert '<html lang="ug" dir="rtl">' in html
    assert "Too many requests" not in html


@override_settings(LIUQING_RATE_LIMITS={"board_pdf": (3, 600)})
def test_the_printable_board_is_limited(client: Client, place: Place) -> None:
    url = reverse("appeals:public_board_pdf", kwargs={"scope": "place", "pk": place.pk})
    for _k in range(3):
        assert client.get(url).status_code == 200
    assert client.get(url).status_code == 429
    # The HTML board is not: reading it costs little.
    board = reverse("appeals:public_board", kwargs={"scope": "place", "pk": place.pk})
    assert client.get(board).status_code == 200


@pytest.mark.parametrize("fmt", ["xml", "json"])
@override_settings(LIUQING_RATE_LIMITS={"open311_post": (2, 3600)})
def test_open311_posts_over_the_limit_get_an_errors_document(
    client: Client, place: Place, fmt: str
) -> None:
    _client, key = open311_client()
    url = reverse("open311:requests", kwargs={"fmt": fmt})
    data = {"api_key": key, "service_code": "nope", "lat": "43.8", "long": "87.6"}
    for _k in range(2):
        assert client.post(url, data).status_code == 404
    refused = client.post(url, data)
    assert refused.status_code == 429
    if fmt == "json":
        assert json.loads(refused.content)[0]["code"] == 429
    else:
        assert b"<code>429</code>" in refused.content
    updates = reverse("open311:updates", kwargs={"fmt": fmt})
    assert client.post(updates, {"api_key": key}).status_code == 429
    assert client.get(url).status_code == 200  # reading is not limited


def test_a_new_window_starts_a_new_count(db: None) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.1")
    limit, window = ratelimit.limits()["submit"]
    start = 1_800_000_000.0 - (1_800_000_000.0 % window)
    for _k in range(limit):
        assert ratelimit.hit(request, "submit", now=start + 1).allowed
    over = ratelimit.hit(request, "submit", now=start + 10)
    assert not over.allowed
    assert over.retry_after == window - 10
    assert ratelimit.hit(request, "submit", now=start + window + 1).allowed


class BrokenCache(BaseCache):
    """A cache whose server is down."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def add(self, *args: Any, **kwargs: Any) -> bool:
        raise ConnectionError("cache down")

    def incr(self, *args: Any, **kwargs: Any) -> int:
        raise ConnectionError("cache down")

    def clear(self) -> None:
        pass


@override_settings(
    CACHES={"default": {"BACKEND": "liuqing.appeals.tests.test_ratelimit.BrokenCache"}}
)
def test_a_broken_counter_lets_residents_through(client: Client, place: Place) -> None:
    response = client.post(reverse("appeals:public_submit"), form(place))
    assert response.status_code == 302
