"""The dispute API: the lifecycle through its operations, bad input → 422 with field errors
and nothing written, and scope."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from liuqing.casework.models import Case
from liuqing.casework.testing import member_at
from liuqing.core import services as core_services
from liuqing.core.models import Member, Role
from liuqing.core.testing import World
from liuqing.mediation.models import (
    Agreement,
    Confirmation,
    Dispute,
    Extension,
    Party,
    PartyRole,
)
from liuqing.mediation.testing import (
    APPLICANT,
    RESPONDENT,
    accepted,
    agreed,
    committee,
    dispute_type,
    handler,
    in_mediation,
)


class Api:
    def __init__(self, member: Member) -> None:
        _token, self.secret = core_services.create_api_token(actor=member, name="test")
        self.client = Client()

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(
            f"/api/v1/disputes{path}", params, HTTP_AUTHORIZATION=f"Bearer {self.secret}"
        )

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            f"/api/v1/disputes{path}",
            json.dumps(body or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.secret}",
        )


@pytest.fixture
def officer_api(world: World) -> Api:
    return Api(handler(world.units["S1"]))


def _create_body(world: World, **changes: Any) -> dict[str, Any]:
    unit = world.units["S1"]
    return {
        "unit": unit.pk,
        "committee": committee(unit).pk,
        "dispute_type": dispute_type("land_grassland").pk,
        "source": "referral",
        "referrer": "police_110",
        "title": "草场边界纠纷",
        "facts": "两户牧民因草场边界放牧发生争执。",
        "amount": "5000.00",
        "parties": [APPLICANT, RESPONDENT],
        **changes,
    }


def test_the_lifecycle_through_the_api(world: World, officer_api: Api) -> None:
    created = officer_api.post("", _create_body(world))
    assert created.status_code == 201, created.content
    data = created.json()
    pk = data["id"]
    assert data["parties"][0]["name"] == "王**"
    assert data["parties"][0]["phone"] == "139****5678"
    assert officer_api.post(f"/{pk}/accept").status_code == 200
    r = officer_api.post(f"/{pk}/mediators", {"name": "巴合提别克", "kind": "elder"})
    assert r.status_code == 200
    r = officer_api.post(
        f"/{pk}/sessions",
        {
            "held_at": timezone.now().isoformat(),
            "location": "牧业村调解室",
            "attendees": "双方、调解员",
            "minutes": "实地查看界桩。",
            "private": True,
        },
    )
    assert r.status_code == 200, r.content
    parties = {p["role"]: p["id"] for p in r.json()["parties"]}
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    r = officer_api.post(
        f"/{pk}/agreements",
        {
            "written": True,
            "facts": "界桩移位。",
            "matters": "草场边界。",
            "responsibilities": "双方均有责任。",
            "content": "按原界桩放牧，赔偿草料损失。",
            "obligations": [
                {
                    "obligor": parties["respondent"],
                    "obligee": parties["applicant"],
                    "action": "赔偿草料损失",
                    "amount": "1200.00",
                    "method": "转账",
                    "due_date": due,
                }
            ],
            "parties_signed": True,
            "mediator_signed": True,
            "sealed": True,
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "agreed"
    agreement = body["agreements"][0]
    pdf = officer_api.get(f"/{pk}/agreements/{agreement['id']}/document.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    r = officer_api.post(
        f"/{pk}/obligations/{agreement['obligations'][0]['id']}/performance",
        {"performed_on": timezone.localdate().isoformat(), "amount": "1200"},
    )
    assert r.json()["status"] == "closed"
    figures = officer_api.get(
        "/figures",
        start=timezone.localdate().isoformat(),
        end=(timezone.localdate() + dt.timedelta(days=1)).isoformat(),
    )
    assert figures.status_code == 200
    rows = {row["key"]: row for row in figures.json()["readings"]}
    assert rows["accepted"]["value"] == "1"
    assert rows["resolution"]["numerator"] == 1
    assert rows["recovered"]["value"] == "1200.00"


def test_lists_are_scoped(world: World, officer_api: Api) -> None:
    accepted(world.units["S1"], title="ours")
    accepted(world.units["S2"], title="theirs")
    titles = [row["title"] for row in officer_api.get("").json()["items"]]
    assert titles == ["ours"]


def test_a_client_cannot_set_the_status(world: World, officer_api: Api) -> None:
    r = officer_api.post("", _create_body(world, status="closed"))
    assert r.status_code == 422
    assert Case.objects.count() == 0


def test_bad_create_input_is_field_errors_and_nothing_written(
    world: World, officer_api: Api
) -> None:
    body = _create_body(world, referrer=None, parties=[{**APPLICANT, "phone": "123"}])
    r = officer_api.post("", body)
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert {"referrer", "parties.0.phone", "parties"} <= set(fields)
    assert Case.objects.count() == 0
    assert Party.objects.count() == 0


def test_an_agreement_without_obligations_is_422(world: World, officer_api: Api) -> None:
    case = in_mediation(world.units["S1"])
    r = officer_api.post(
        f"/{case.pk}/agreements",
        {
            "written": True,
            "facts": "f",
            "matters": "m",
            "content": "c",
            "obligations": [],
            "parties_signed": True,
            "mediator_signed": True,
            "sealed": True,
        },
    )
    assert r.status_code == 422
    assert "obligations" in r.json()["error"]["fields"]
    assert Agreement.objects.count() == 0


def test_an_unsigned_written_agreement_is_422(world: World, officer_api: Api) -> None:
    case = in_mediation(world.units["S1"])
    parties = {p.role: p.pk for p in case.dispute.parties.all()}
    r = officer_api.post(
        f"/{case.pk}/agreements",
        {
            "written": True,
            "facts": "f",
            "matters": "m",
            "responsibilities": "r",
            "content": "c",
            "obligations": [
                {
                    "obligor": parties[PartyRole.RESPONDENT],
                    "obligee": parties[PartyRole.APPLICANT],
                    "action": "a",
                    "due_date": timezone.localdate().isoformat(),
                }
            ],
        },
    )
    assert r.status_code == 422
    assert {"parties_signed", "mediator_signed", "sealed"} <= set(r.json()["error"]["fields"])
    assert Agreement.objects.count() == 0


def test_a_late_confirmation_application_is_422(world: World, officer_api: Api) -> None:
    case, agreement = agreed(world.units["S1"])
    Agreement.objects.filter(pk=agreement.pk).update(
        effective_at=timezone.now() - dt.timedelta(days=40)
    )
    before = Confirmation.objects.count()
    r = officer_api.post(
        f"/{case.pk}/agreements/{agreement.pk}/confirmation",
        {"applied_on": timezone.localdate().isoformat(), "court": "伊宁市人民法院"},
    )
    assert r.status_code == 422
    assert "applied_on" in r.json()["error"]["fields"]
    assert Confirmation.objects.count() == before
    assert not Confirmation.objects.filter(agreement=agreement).exists()


def test_an_extension_without_consent_is_422(world: World, officer_api: Api) -> None:
    case = accepted(world.units["S1"])
    r = officer_api.post(f"/{case.pk}/extensions", {"days": 10, "reason": "鉴定"})
    assert r.status_code == 422
    assert {"applicant_consent", "respondent_consent"} == set(r.json()["error"]["fields"])
    assert Extension.objects.count() == 0


def test_outside_the_jurisdiction_is_404(world: World) -> None:
    case = accepted(world.units["S1"])
    outsider = Api(member_at(world.units["S2"], Role.OFFICER))
    assert outsider.get(f"/{case.pk}").status_code == 404
    assert outsider.post(f"/{case.pk}/risk", {"note": "x"}).status_code == 404
    assert Dispute.objects.get(pk=case.pk).risk_flag is False


def test_the_list_filters_by_unit_subtree(world: World) -> None:
    from liuqing.mediation import selectors

    accepted(world.units["S1"], title="station")
    accepted(world.units["C1"], title="community")
    accepted(world.units["S2"], title="sibling")
    chief = world.persona(Role.STATION_CHIEF)

    def titles(**filters: Any) -> set[str]:
        qs = selectors.disputes_visible_to(chief, selectors.DisputeFilters(**filters))
        return {case.title for case in qs}

    assert titles() == {"station", "community"}
    assert titles(unit=world.units["C1"]) == {"community"}
    assert titles(unit=world.units["S2"]) == set()
    assert titles(status="accepted", q="comm") == {"community"}
    api = Api(chief)
    assert api.get("", unit=world.units["S2"].pk).status_code == 422
