"""An incident's short description is staff-only: it never appears on a public page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from liuqing.core.matrix import collect
from liuqing.core.testing import World
from liuqing.incidents.testing import record_incident

pytestmark = pytest.mark.django_db
CANARY = "金丝雀警情描述-7731"


def test_an_incident_description_never_appears_on_public_pages(world: World) -> None:
    incident = record_incident(world.units["S1"], source_id="CANARY-1", description=CANARY)
    _routes, public, _targets = collect()
    walked = 0
    client = Client()
    for name in sorted(public):
        urls = []
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            for kwargs in (
                {"scope": "unit", "pk": incident.unit_id},
                {"pk": incident.pk},
                {"code": "CANARY-1"},
            ):
                try:
                    urls.append(reverse(name, kwargs=kwargs))
                except NoReverseMatch:
                    continue
        for url in urls:
            response = client.get(url)
            walked += 1
            assert response.status_code < 500, url
            body = b"".join(response) if response.streaming else response.content
            assert CANARY.encode() not in body, f"{url} shows the incident description"
    assert walked >= 5
