"""The analytics API: maps, refresh, trends, patrol plans, logs and coverage; bad input is a
422 with field errors and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import h3.api.basic_int as h3int
import pytest
from django.test import Client

from liuqing.core import services as core_services
from liuqing.core.models import Role
from liuqing.core.testing import World
from liuqing.incidents import refresh
from liuqing.incidents.models import MapRun, PatrolLog, PatrolPlan
from liuqing.incidents.testing import record_incidents
from liuqing.incidents.tests.test_refresh import CENTRE, CLUSTER, MONTH, _scatter

pytestmark = pytest.mark.django_db
BASE = "/api/v1/incidents"


@pytest.fixture
def hot(mapped: World) -> World:
    record_incidents(mapped.units["S1"], _scatter(mapped))
    refresh.refresh_maps(root=mapped.units["D"], last_month=MONTH, months=6)
    return mapped


def _auth(world: World, role: str) -> dict[str, str]:
    _token, secret = core_services.create_api_token(actor=world.persona(role), name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_map_of_a_month_lists_every_cell(hot: World) -> None:
    s1 = hot.units["S1"]
    response = Client().get(
        f"{BASE}/maps/cells", {"unit": s1.pk, "month": "2026-03"}, **_auth(hot, Role.ANALYST)
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["incidents"] == 24
    assert len(body["cells"]) == refresh.boundary_cells(s1.boundary, 9).size
    centre = next(c for c in body["cells"] if c["cell"] == h3int.int_to_str(CENTRE))
    assert centre["count"] == 3
    assert centre["gi_bin"] > 0
    assert body["months"][-1] == "2026-03"
    coarse = (
        Client()
        .get(f"{BASE}/maps/cells", {"unit": s1.pk, "resolution": 8}, **_auth(hot, Role.ANALYST))
        .json()
    )
    assert coarse["not_enough_data"] == "too_few_cells"


def test_bad_map_queries_are_field_errors(hot: World) -> None:
    auth = _auth(hot, Role.ANALYST)
    for params, field in (
        ({"month": "03/2026"}, "month"),
        ({"month": "1999-01"}, "month"),
        ({"resolution": 5}, "resolution"),
        ({"category": "nope"}, "category"),
        ({"unit": hot.units["S3"].pk}, "unit"),
    ):
        response = Client().get(f"{BASE}/maps/cells", params, **auth)
        assert response.status_code == 422, (params, response.content)
        assert field in response.json()["error"]["fields"], params


def test_refresh_through_the_api(hot: World) -> None:
    before = MapRun.objects.count()
    response = Client().post(
        f"{BASE}/maps/refresh",
        json.dumps({"unit": hot.units["S1"].pk}),
        content_type="application/json",
        **_auth(hot, Role.STATION_CHIEF),
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    assert MapRun.objects.count() == before + 1
    denied = Client().post(
        f"{BASE}/maps/refresh", "{}", content_type="application/json", **_auth(hot, Role.OFFICER)
    )
    assert denied.status_code == 403


def test_trends_through_the_api(hot: World) -> None:
    response = Client().get(
        f"{BASE}/trends/monthly", {"month": "2026-03"}, **_auth(hot, Role.STATION_CHIEF)
    )
    assert response.status_code == 200, response.content
    body = response.json()
    total = body["by_category"][-1]
    assert total["now"] == 24
    assert total["month_on_month"]["before"] == 1
    assert total["month_on_month"]["note"] == "significant"
    assert body["tourist_months"] == [6, 7, 8]


def test_patrols_through_the_api(hot: World) -> None:
    s1 = hot.units["S1"]
    chief = _auth(hot, Role.STATION_CHIEF)

    def propose(hours: object) -> Any:
        return Client().post(
            f"{BASE}/patrols/plans",
            json.dumps({"unit": s1.pk, "week": "2026-04-08", "hours": hours}),
            content_type="application/json",
            **chief,
        )

    field = f"hours-{s1.pk}"
    for hours, fields in (
        ([{"unit_id": s1.pk, "hours": "-2"}], {field}),
        ([{"unit_id": s1.pk, "hours": "10.2"}], {field}),
        ([{"unit_id": s1.pk, "hours": "20000"}], {field}),
        ([{"unit_id": s1.pk, "hours": "10"}, {"unit_id": s1.pk, "hours": "2"}], {field}),
        ([{"unit_id": hot.units["S2"].pk, "hours": "10"}], {f"hours-{hot.units['S2'].pk}", field}),
        ([], {field}),
    ):
        refused = propose(hours)
        assert refused.status_code == 422, hours
        assert set(refused.json()["error"]["fields"]) == fields, hours
    not_a_number = propose([{"unit_id": s1.pk, "hours": "ten"}])
    assert not_a_number.status_code == 422
    assert "hours" in json.dumps(not_a_number.json()["error"]["fields"])
    assert not PatrolPlan.objects.exists()
    proposed = propose([{"unit_id": s1.pk, "hours": "10"}])
    assert proposed.status_code == 200, proposed.content
    plan = proposed.json()
    assert plan["week"] == "2026-04-06"
    assert sum(float(a["hours"]) for a in plan["allocations"]) == 10.0
    assert {a["cell"] for a in plan["allocations"]} == {
        h3int.int_to_str(c) for c in refresh_hot(hot)
    }
    video = next(a for a in plan["allocations"] if a["mode"] == "video")
    edited = Client().put(
        f"{BASE}/patrols/plans/{plan['id']}",
        json.dumps({"allocations": [{"id": video["id"], "hours": str(float(video["hours"]) + 3)}]}),
        content_type="application/json",
        **chief,
    )
    assert edited.status_code == 200, edited.content
    assert float(edited.json()["hours"]) == 13.0
    half = Client().put(
        f"{BASE}/patrols/plans/{plan['id']}",
        json.dumps({"allocations": [{"id": video["id"], "hours": "0.3"}]}),
        content_type="application/json",
        **chief,
    )
    assert half.status_code == 422
    assert set(half.json()["error"]["fields"]) == {f"alloc-{video['id']}"}
    bad = Client().put(
        f"{BASE}/patrols/plans/{plan['id']}",
        json.dumps({"allocations": [{"id": 999999, "hours": "5"}]}),
        content_type="application/json",
        **chief,
    )
    assert bad.status_code == 422
    assert PatrolPlan.objects.get().hours == 13
    officer = hot.persona(Role.OFFICER)
    auth = _auth(hot, Role.OFFICER)
    cell = h3int.int_to_str(CLUSTER[0])
    body = {
        "unit": s1.pk,
        "officer": officer.pk,
        "mode": "foot",
        "started_at": "2026-04-07T09:00:00+08:00",
        "ended_at": "2026-04-07T10:00:00+08:00",
        "cells": [cell],
    }
    wrong = Client().post(
        f"{BASE}/patrols/logs",
        json.dumps({**body, "mode": "boat", "cells": ["zzz"]}),
        content_type="application/json",
        **auth,
    )
    assert wrong.status_code == 422
    assert set(wrong.json()["error"]["fields"]) == {"mode", "cells"}
    assert PatrolLog.objects.count() == 0
    logged = Client().post(
        f"{BASE}/patrols/logs", json.dumps(body), content_type="application/json", **auth
    )
    assert logged.status_code == 200, logged.content
    listed = Client().get(f"{BASE}/patrols/logs", **auth).json()
    assert listed["items"][0]["cells"] == [cell]
    coverage = (
        Client()
        .get(f"{BASE}/patrols/coverage", {"unit": s1.pk, "week": "2026-04-09"}, **chief)
        .json()
    )
    assert coverage["patrolled"] == (1 if CLUSTER[0] in refresh_hot(hot) else 0)
    assert coverage["week"] == "2026-04-06"


def refresh_hot(world: World) -> set[int]:
    import datetime as dt

    from liuqing.incidents import patrols

    return {int(c) for c in patrols.hot_cells(world.units["S1"], dt.date(2026, 4, 6))}
