"""An incident reported at the desk: the officers and sergeants who staff it record it in the
incident ledger at their own unit (`incidents.services.report_incident`), while the bulk push
stays with the importers; bad input is a field error writing nothing; out of the
jurisdiction is refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from liuqing.core import services as core_services
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World, login_verified
from liuqing.incidents import services as incident_services
from liuqing.incidents.models import Incident
from liuqing.reception import services
from liuqing.reception.models import WalkIn
from liuqing.reception.testing import village, walk_in


def _route(world: World, role: str, **fields: object) -> WalkIn:
    actor = world.persona(role)
    item = services.check_in(actor=actor, unit=world.units["S1"])
    values = {
        "category": "criminal",
        "occurred_at": timezone.now() - dt.timedelta(hours=10),
        "place": village(world.units["S1"]),
        "description": "昨晚电动车被盗。",
        **fields,
    }
    return services.route_walk_in(actor=actor, walk_in=item, route="incident", **values)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SERGEANT])
def test_a_desk_officer_or_sergeant_routes_an_incident_into_the_ledger(
    world: World, role: str
) -> None:
    item = _route(world, role)
    assert item.finished_at is not None
    assert item.route == "incident"
    incident = Incident.objects.get(source_system="reception", source_id=f"walk-in-{item.pk}")
    assert incident.unit == world.units["S1"]
    assert incident.category.code == "criminal"
    assert incident.description == "昨晚电动车被盗。"
    event = AuditEvent.objects.get(action="incident.report")
    assert event.object_id == str(incident.pk)
    assert event.member_id_value == world.persona(role).pk
    assert event.unit_path == world.units["S1"].path
    assert AuditEvent.objects.filter(action="reception.route", object_id=str(item.pk)).exists()


def test_the_bulk_push_stays_closed_to_officers(world: World) -> None:
    with pytest.raises(AccessDenied):
        incident_services.push_incidents(
            actor=world.persona(Role.OFFICER), source_system="x", coordinates="wgs84", items=[]
        )


def test_roles_outside_the_ledger_may_not_report(world: World) -> None:
    with pytest.raises(AccessDenied):
        _route(world, Role.AUXILIARY)
    assert Incident.objects.count() == 0
    assert WalkIn.objects.get().finished_at is None


def test_bad_input_is_a_field_error_and_writes_nothing(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        _route(
            world,
            Role.OFFICER,
            category="no-such-kind",
            occurred_at=timezone.now() + dt.timedelta(days=2),
            place=None,
        )
    assert {"incident_category", "occurred_at", "place"} <= set(exc.value.message_dict)
    assert Incident.objects.count() == 0
    assert not AuditEvent.objects.filter(action__in=["incident.report", "reception.route"]).exists()
    assert WalkIn.objects.get().finished_at is None


def test_out_of_the_jurisdiction_is_refused(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    # A place of another station is a field error on the desk.
    with pytest.raises(ValidationError) as exc:
        _route(world, Role.OFFICER, place=village(world.units["S3"]))
    assert set(exc.value.message_dict) == {"place"}
    # Another station's unit: not found, nothing written.
    with pytest.raises(NotFound):
        incident_services.report_incident(
            actor=officer,
            unit=world.units["S3"],
            source_system="reception",
            source_id="elsewhere-1",
            category="criminal",
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            place=village(world.units["S3"]),
        )
    # A walk-in at a sibling station's desk is not found either.
    other = walk_in(world.units["S2"])
    with pytest.raises(NotFound):
        services.route_walk_in(
            actor=officer,
            walk_in=WalkIn.objects.get(pk=other.pk),
            route="incident",
            category="criminal",
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            place=village(world.units["S1"]),
        )
    assert Incident.objects.count() == 0


def test_the_same_source_id_is_never_overwritten(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    values = {
        "actor": officer,
        "unit": world.units["S1"],
        "source_system": "reception",
        "source_id": "walk-in-x",
        "category": "criminal",
        "occurred_at": timezone.now() - dt.timedelta(hours=1),
        "place": village(world.units["S1"]),
    }
    incident_services.report_incident(**values)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        incident_services.report_incident(**{**values, "category": "traffic"})  # type: ignore[arg-type]
    assert Incident.objects.get().category.code == "criminal"


def test_the_desk_page_and_the_api_route_an_incident_for_an_officer(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    client = login_verified(Client(), officer)
    client.post("/reception/check-in/")
    item = WalkIn.objects.get()
    when = (timezone.localtime() - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "route": "incident",
        "incident_category": "",
        "occurred_at": when,
        "place": village(world.units["S1"]).pk,
        "description": "打架",
    }
    bad = client.post(f"/reception/{item.pk}/", form)
    assert bad.status_code == 200
    assert set(bad.context["form"].errors) == {"incident_category"}
    assert "Choose the kind of incident." in bad.content.decode()
    assert Incident.objects.count() == 0
    good = client.post(f"/reception/{item.pk}/", {**form, "incident_category": "public_order"})
    assert good.status_code == 302
    assert Incident.objects.get().unit == world.units["S1"]

    _token, secret = core_services.create_api_token(actor=officer, name="t")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    pk = client.post(
        "/api/v1/reception/walk-ins", "{}", content_type="application/json", **headers
    ).json()["id"]
    body = {
        "route": "incident",
        "incident_category": "criminal",
        "occurred_at": (timezone.now() - dt.timedelta(hours=5)).isoformat(),
        "place": village(world.units["S1"]).pk,
    }
    refused = client.post(
        f"/api/v1/reception/walk-ins/{pk}/route",
        json.dumps({**body, "incident_category": "nope"}),
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 422
    assert "incident_category" in refused.json()["error"]["fields"]
    done = client.post(
        f"/api/v1/reception/walk-ins/{pk}/route",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )
    assert done.status_code == 200, done.content
    assert Incident.objects.filter(source_id=f"walk-in-{pk}").exists()
