"""The structure API: the same rules as the pages, JSON errors with field details, no 500s,
no mass assignment, and list queries that do not grow with the page size."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from liuqing.core import audit, services
from liuqing.core.models import (
    AuditEvent,
    Member,
    Place,
    Role,
    Team,
    TeamPosition,
    Unit,
    UnitKind,
)
from liuqing.core.testing import PASSWORD, World, make_member

from .structure_helpers import PHONE, PHONE_MASKED, member, place, root

API = "/api/v1"


class Api:
    """A JSON client acting with one member's bearer token."""

    def __init__(self, who: Member) -> None:
        _token, self.secret = services.create_api_token(actor=who, name="test")
        self.client = Client()

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.secret}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(API + path, params or {}, **self._headers())

    def send(self, method: str, path: str, body: Any = None, raw: str | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return getattr(self.client, method)(
            API + path, data, content_type="application/json", **self._headers()
        )

    def post(self, path: str, body: Any = None, raw: str | None = None) -> Any:
        return self.send("post", path, body, raw)

    def patch(self, path: str, body: Any) -> Any:
        return self.send("patch", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.send("put", path, body)

    def delete(self, path: str) -> Any:
        return self.client.delete(API + path, **self._headers())


def api_as(world: World, role: str) -> Api:
    return Api(world.persona(role))


def fields(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    return body["error"]["fields"]


# --- Units -------------------------------------------------------------------------------------


def test_units_are_listed_in_tree_order_with_counts(world: World) -> None:
    body = api_as(world, Role.OFFICER).get("/units").json()
    assert body["count"] == 3
    first = body["items"][0]
    assert (first["code"], first["member_count"], first["child_count"]) == ("T654002-01", 11, 1)
    only_children = api_as(world, Role.OFFICER).get("/units", {"parent": world.units["S1"].pk})
    assert [u["code"] for u in only_children.json()["items"]] == ["T654002-01-01"]
    grids = api_as(world, Role.OFFICER).get("/units", {"kind": "grid"}).json()
    assert [u["code"] for u in grids["items"]] == ["T654002-01-01-01"]


def test_a_unit_outside_the_jurisdiction_is_404(world: World) -> None:
    response = api_as(world, Role.OFFICER).get(f"/units/{world.units['S2'].pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api_as(world, Role.OFFICER).get("/units/99999999999999999999999").status_code == 404


def test_a_chief_creates_changes_and_moves_a_unit(world: World) -> None:
    api = Api(root(world))
    created = api.post(
        "/units",
        {
            "parent": world.units["S1"].pk,
            "kind": "community",
            "code": "A-1",
            "name": "新社区",
            "latitude": 43.8,
            "longitude": 87.6,
        },
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    changed = api.patch(f"/units/{pk}", {"name": "改名", "latitude": None, "duty_phone": None})
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["latitude"]) == ("改名", None)
    moved = api.post(f"/units/{pk}/move", {"parent": world.units["S2"].pk})
    assert moved.json()["parent_id"] == world.units["S2"].pk


def test_an_officer_may_not_create_a_unit(world: World) -> None:
    response = api_as(world, Role.OFFICER).post(
        "/units", {"parent": world.units["S1"].pk, "kind": "community", "code": "A-2", "name": "x"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_parent_outside_the_jurisdiction_is_a_field_error(world: World) -> None:
    response = api_as(world, Role.STATION_CHIEF).post(
        "/units", {"parent": world.units["S2"].pk, "kind": "community", "code": "A-3", "name": "x"}
    )
    assert "parent" in fields(response)
    assert not Unit.objects.filter(code="A-3").exists()


@pytest.mark.parametrize(
    ("body", "bad"),
    [
        ({"kind": "castle"}, "kind"),
        ({"latitude": 91}, "latitude"),
        ({"longitude": "far east"}, "longitude"),
        ({"parent": "S1"}, "parent"),
        ({"code": ""}, "code"),
        ({"depth": 0}, "depth"),  # no mass assignment
        ({"is_active": False}, "is_active"),
    ],
)
def test_bad_unit_input_is_a_422_naming_the_field(
    world: World, body: dict[str, Any], bad: str
) -> None:
    payload = {
        "parent": world.units["S1"].pk,
        "kind": "community",
        "code": "A-4",
        "name": "x",
        **body,
    }
    assert bad in fields(api_as(world, Role.STATION_CHIEF).post("/units", payload))
    assert not Unit.objects.filter(code="A-4").exists()


def test_a_patch_cannot_reparent_a_unit(world: World) -> None:
    response = api_as(world, Role.STATION_CHIEF).patch(
        f"/units/{world.units['C1'].pk}", {"parent": world.units["S1"].pk}
    )
    assert "parent" in fields(response)


# --- Places ------------------------------------------------------------------------------------

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[87.6, 43.8], [87.7, 43.8], [87.7, 43.9], [87.6, 43.8]]],
}


def test_places_are_created_with_geojson_and_filtered(world: World) -> None:
    api = api_as(world, Role.SERGEANT)
    created = api.post(
        "/places",
        {
            "unit": world.units["C1"].pk,
            "name": "幸福村",
            "kind": "village",
            "latitude": 43.85,
            "longitude": 87.65,
            "boundary": {"type": "Feature", "properties": {}, "geometry": SQUARE},
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["boundary"]["geometry"]["type"] == "Polygon"
    place(world, "S1", "东校", kind="school")
    listed = api.get("/places", {"kind": "village"}).json()
    assert [p["name"] for p in listed["items"]] == ["幸福村"]
    under_c1 = api.get("/places", {"unit": world.units["C1"].pk}).json()
    assert [p["name"] for p in under_c1["items"]] == ["幸福村"]
    pk = created.json()["id"]
    cleared = api.patch(f"/places/{pk}", {"boundary": None, "name": None})
    assert cleared.json()["boundary"] is None
    assert cleared.json()["name"] == "幸福村"


@pytest.mark.parametrize(
    ("body", "bad"),
    [
        ({"latitude": 90.5}, "latitude"),
        ({"longitude": -180.01}, "longitude"),
        ({"latitude": "NaN"}, "latitude"),
        ({"latitude": None}, "latitude"),
        ({"boundary": {"type": "Point", "coordinates": [87.6, 43.8]}}, "boundary"),
        (
            {"boundary": {"type": "Polygon", "coordinates": [[[87.6, 43.8], [87.7, 43.8]]]}},
            "boundary",
        ),
        (
            {
                "boundary": {
                    "type": "Polygon",
                    "coordinates": [[["a", 1], [2, 3], [4, 5], ["a", 1]]],
                }
            },
            "boundary",
        ),
        ({"boundary": "not an object"}, "boundary"),
        ({"kind": 7}, "kind"),
        ({"unit": -1}, "unit"),
        ({"owner": 1}, "owner"),
    ],
)
def test_bad_place_input_is_a_422_naming_the_field_and_writes_nothing(
    world: World, body: dict[str, Any], bad: str
) -> None:
    payload = {
        "unit": world.units["S1"].pk,
        "name": "坏村",
        "kind": "village",
        "latitude": 43.8,
        "longitude": 87.6,
        **body,
    }
    api = api_as(world, Role.SERGEANT)
    before = AuditEvent.objects.count()
    assert bad in fields(api.post("/places", payload))
    assert not Place.objects.exists()
    assert AuditEvent.objects.count() == before


def test_malformed_json_is_a_client_error_not_a_crash(world: World) -> None:
    response = api_as(world, Role.SERGEANT).post("/places", raw='{"unit": 1, "name": ')
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    not_an_object = api_as(world, Role.SERGEANT).post("/places", raw="[1, 2, 3]")
    assert not_an_object.status_code == 422


# --- Members -----------------------------------------------------------------------------------


def test_members_are_listed_with_masked_phones_and_filters(world: World) -> None:
    member(world, "C1", "has_phone", phone=PHONE)
    api = api_as(world, Role.OFFICER)
    body = api.get("/members", {"unit": world.units["C1"].pk}).json()
    assert [(m["username"], m["phone"]) for m in body["items"]] == [("has_phone", PHONE_MASKED)]
    assert PHONE not in json.dumps(body)
    assert "+86" not in json.dumps(body)
    by_phone = api.get("/members", {"q": "+86 138 1234 5678"}).json()
    assert [m["username"] for m in by_phone["items"]] == ["has_phone"]
    auditors = api.get("/members", {"role": "auditor", "active": True}).json()
    assert [m["username"] for m in auditors["items"]] == ["auditor_s1"]
    assert "role" in fields(api.get("/members", {"role": "emperor"}))
    assert "unit" in fields(api.get("/members", {"unit": world.units["S3"].pk}))


def test_a_chief_creates_a_member_and_cannot_set_fields_the_operation_does_not_take(
    world: World,
) -> None:
    api = api_as(world, Role.STATION_CHIEF)
    body = {
        "username": "api_new",
        "full_name": "新人",
        "unit": world.units["C1"].pk,
        "roles": ["officer"],
        "password": PASSWORD,
        "phone": PHONE,
    }
    for extra in ({"is_active": False}, {"is_superuser": True}, {"password_changed_at": None}):
        assert next(iter(extra)) in fields(api.post("/members", {**body, **extra}))
    created = api.post("/members", body)
    assert created.status_code == 201
    assert created.json()["phone"] == PHONE_MASKED
    assert created.json()["roles"] == ["officer"]


@pytest.mark.parametrize(
    ("body", "bad"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": 13812345678}, "phone"),
        ({"roles": []}, "roles"),
        ({"roles": ["sysadmin"]}, "roles"),
        ({"password": "short"}, "password"),
        ({"username": "officer_s1"}, "username"),
        ({"unit": "C1"}, "unit"),
    ],
)
def test_bad_member_input_is_a_422_naming_the_field(
    world: World, body: dict[str, Any], bad: str
) -> None:
    payload = {
        "username": "api_bad",
        "full_name": "x",
        "unit": world.units["S1"].pk,
        "roles": ["officer"],
        "password": PASSWORD,
        **body,
    }
    assert bad in fields(api_as(world, Role.STATION_CHIEF).post("/members", payload))
    assert not Member.objects.filter(username="api_bad").exists()


def test_updating_roles_deactivating_and_reactivating_a_member(world: World) -> None:
    target = member(world, "S1", "api_target")
    api = api_as(world, Role.STATION_CHIEF)
    renamed = api.patch(
        f"/members/{target.pk}", {"full_name": "改名", "unit": world.units["C1"].pk}
    )
    assert renamed.json()["full_name"] == "改名"
    assert renamed.json()["unit_id"] == world.units["C1"].pk
    assert "is_active" in fields(api.patch(f"/members/{target.pk}", {"is_active": False}))
    roles = api.put(f"/members/{target.pk}/roles", {"roles": ["sergeant", "officer"]})
    assert roles.json()["roles"] == ["officer", "sergeant"]
    assert "reason" in fields(api.post(f"/members/{target.pk}/deactivate", {}))
    off = api.post(f"/members/{target.pk}/deactivate", {"reason": "transferred"})
    assert off.json()["is_active"] is False
    on = api.post(f"/members/{target.pk}/reactivate")
    assert on.json()["is_active"] is True


def test_deactivating_yourself_through_the_api_is_a_field_error(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    response = Api(chief).post(f"/members/{chief.pk}/deactivate", {"reason": "bye"})
    assert "member" in fields(response)


def test_revealing_a_phone_needs_a_reason_and_is_audited(world: World) -> None:
    target = member(world, "S1", "reveal_me", phone=PHONE)
    api = api_as(world, Role.OFFICER)
    assert "reason" in fields(api.post(f"/members/{target.pk}/reveal-phone", {"reason": "x"}))
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()
    shown = api.post(f"/members/{target.pk}/reveal-phone", {"reason": "arrange a visit"})
    assert shown.json() == {"phone": "+8613812345678"}
    event = AuditEvent.objects.get(action="pii.reveal")
    assert event.reason == "arrange a visit"
    assert '"channel":"api"' in event.details


def test_the_auditor_is_read_only_through_the_api(world: World) -> None:
    target = member(world, "S1", "audited")
    api = api_as(world, Role.AUDITOR)
    assert api.get(f"/members/{target.pk}").status_code == 200
    assert api.patch(f"/members/{target.pk}", {"full_name": "x"}).status_code == 403
    assert api.post(f"/members/{target.pk}/deactivate", {"reason": "x"}).status_code == 403
    assert api.put(f"/members/{target.pk}/roles", {"roles": ["officer"]}).status_code == 403


def test_a_sibling_stations_member_is_404_through_the_api(world: World) -> None:
    other = member(world, "S2", "s2_member")
    api = api_as(world, Role.STATION_CHIEF)
    assert api.get(f"/members/{other.pk}").status_code == 404
    assert api.post(f"/members/{other.pk}/reveal-phone", {"reason": "curious"}).status_code == 404
    staff = Api(make_member(world.units["B1"], [Role.BRIGADE_STAFF], "b1_staff"))
    assert staff.get(f"/members/{other.pk}").status_code == 200


# --- Teams -------------------------------------------------------------------------------------


def test_teams_are_created_changed_and_deleted(world: World) -> None:
    officer = member(world, "S1", "t_officer", [Role.OFFICER])
    grid = member(world, "G1", "t_grid", [Role.GRID_WORKER])
    api = api_as(world, Role.SERGEANT)
    created = api.post(
        "/teams",
        {
            "name": "一组",
            "unit": world.units["S1"].pk,
            "members": [
                {"member": officer.pk, "position": "officer"},
                {"member": grid.pk, "position": "grid_worker"},
            ],
        },
    )
    assert created.status_code == 201, created.content
    team = created.json()
    assert {m["position"] for m in team["members"]} == {"officer", "grid_worker"}
    changed = api.put(
        f"/teams/{team['id']}/members", {"members": [{"member": officer.pk, "position": "officer"}]}
    )
    assert len(changed.json()["members"]) == 1
    assert api.delete(f"/teams/{team['id']}").status_code == 204
    assert not Team.objects.exists()


def test_team_rules_and_unknown_members_are_field_errors(world: World) -> None:
    outsider = member(world, "S3", "far_away", [Role.OFFICER])
    auxes = [member(world, "S1", f"aux{i}", [Role.AUXILIARY]) for i in range(4)]
    api = api_as(world, Role.SERGEANT)
    unknown = api.post(
        "/teams",
        {
            "name": "x",
            "unit": world.units["S1"].pk,
            "members": [{"member": outsider.pk, "position": "officer"}],
        },
    )
    assert "members" in fields(unknown)
    too_many = api.post(
        "/teams",
        {
            "name": "x",
            "unit": world.units["S1"].pk,
            "members": [{"member": a.pk, "position": "auxiliary"} for a in auxes],
        },
    )
    assert len(fields(too_many)["members"]) == 2  # no officer, four auxiliaries
    bad_position = api.post(
        "/teams",
        {
            "name": "x",
            "unit": world.units["S1"].pk,
            "members": [{"member": auxes[0].pk, "position": "chief"}],
        },
    )
    assert "members.0.position" in fields(bad_position)
    assert not Team.objects.exists()


# --- Audit -------------------------------------------------------------------------------------


def test_audit_events_are_listed_scoped_filtered_and_the_read_is_audited(world: World) -> None:
    audit.record("test.sibling", unit=world.units["S2"])
    api = api_as(world, Role.AUDITOR)
    body = api.get("/audit/events", {"action": "member.", "limit": 5}).json()
    assert body["count"] == 11
    assert len(body["items"]) == 5
    assert all(e["action"] == "member.create" for e in body["items"])
    assert isinstance(body["items"][0]["details"], dict)
    assert not api.get("/audit/events", {"action": "test."}).json()["items"]
    assert AuditEvent.objects.filter(action="audit.view").count() == 2
    assert api_as(world, Role.OFFICER).get("/audit/events").status_code == 403
    assert "date_from" in fields(api.get("/audit/events", {"date_from": "yesterday"}))


# --- Query counts ------------------------------------------------------------------------------


def _many(world: World) -> None:
    actor = root(world)
    for i in range(52):
        services.create_unit(
            actor=actor,
            parent=world.units["S1"],
            kind=UnitKind.COMMUNITY,
            code=f"Q{i}",
            name=f"社区{i}",
        )
        officer = member(world, "S1", f"q_officer{i}", [Role.OFFICER], phone=PHONE if i % 2 else "")
        place(world, "S1", f"村{i}", boundary=json.dumps(SQUARE))
        services.create_team(
            actor=actor,
            unit=world.units["S1"],
            name=f"组{i}",
            members=[(officer, TeamPosition.OFFICER)],
        )


@pytest.mark.parametrize("path", ["/units", "/places", "/members", "/teams", "/audit/events"])
def test_api_lists_cost_the_same_queries_for_5_or_50_items(world: World, path: str) -> None:
    _many(world)
    api = api_as(world, Role.STATION_CHIEF)
    api.get(path)  # warm up
    counts = []
    for limit in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(path, {"limit": limit})
        assert response.status_code == 200
        assert len(response.json()["items"]) == limit
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_the_openapi_schema_names_every_structure_operation(world: World) -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"list_units", "create_member", "reveal_member_phone", "list_audit_events"} <= operations
    create = schema["components"]["schemas"]["MemberCreateIn"]
    assert create["additionalProperties"] is False


@pytest.mark.parametrize(
    ("path", "params", "bad"),
    [
        ("/units", {"offset": 2**70}, "offset"),
        ("/units", {"limit": 10_000}, "limit"),
        ("/units", {"parent": 2**70}, "parent"),
        ("/members", {"q": "a\x00b"}, "q"),
        ("/audit/events", {"action": "member.\x00"}, "action"),
        ("/places", {"unit": 0}, "unit"),
    ],
)
def test_hostile_query_parameters_are_422_not_a_database_error(
    world: World, path: str, params: dict[str, Any], bad: str
) -> None:
    assert bad in fields(api_as(world, Role.STATION_CHIEF).get(path, params))


def test_control_characters_and_impossible_ids_in_a_body_are_field_errors(world: World) -> None:
    api = api_as(world, Role.SERGEANT)
    body = {
        "unit": world.units["S1"].pk,
        "name": "村\x00",
        "kind": "village",
        "latitude": 1,
        "longitude": 1,
    }
    assert "name" in fields(api.post("/places", body))
    team = {
        "name": "x",
        "unit": world.units["S1"].pk,
        "members": [{"member": 2**70, "position": "officer"}],
    }
    assert "members.0.member" in fields(api.post("/teams", team))
