"""The Open311 GeoReport v2 server against the spec, as a client sees it: the ten scenarios of
shared/reference/appeals-open311.md §7, each in XML and in JSON, through the real test client
(CSRF enforced, as for a real client without cookies)."""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liuqing.appeals import services as staff_services
from liuqing.appeals.defaults import ensure_default_categories
from liuqing.appeals.models import Appeal
from liuqing.appeals.public.testing import open311_client, reset_rate_limits, village
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework import services as casework
from liuqing.casework.models import Case, Category, Entry
from liuqing.casework.testing import member_at
from liuqing.core import services as core_services
from liuqing.core.models import Place, Role, UnitKind
from liuqing.core.testing import login_verified

pytestmark = pytest.mark.django_db

FORMATS = ["xml", "json"]
LIVESTOCK = "farm.lost_livestock"
NOISE = "neighbourhood.noise"
HOUSEHOLD = "livelihood.household"  # a batch service
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


@pytest.fixture(autouse=True)
def categories_and_counters(db: None) -> Iterator[None]:
    ensure_default_categories(Category)
    reset_rate_limits()
    yield
    reset_rate_limits()


@pytest.fixture
def api() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def key(db: None) -> str:
    return open311_client("city-app")[1]


@pytest.fixture
def home(cast: Cast) -> Place:
    return village(cast.child, "红星村", lat=43.80, long=87.60)


def url(name: str, fmt: str, **kwargs: str) -> str:
    return reverse(f"open311:{name}", kwargs={"fmt": fmt, **kwargs})


# --- Reading documents the way a client does -------------------------------------------------


def parse(response: Any, fmt: str) -> Any:
    content_type = XML_TYPE if fmt == "xml" else JSON_TYPE
    assert response["Content-Type"] == content_type
    if fmt == "xml":
        assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        root = ET.fromstring(response.content)  # noqa: S314  (our own server's answer)
        assert "}" not in root.tag  # no namespace
        return root
    return json.loads(response.content)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def items(response: Any, fmt: str, root: str = "", item: str = "") -> list[dict[str, str]]:
    """A list document as a list of {field: text}, the same in both formats."""
    doc = parse(response, fmt)
    if fmt == "xml":
        if root:
            assert doc.tag == root
        return [
            {child.tag: (child.text or "") for child in element}
            for element in doc
            if not item or element.tag == item
        ]
    assert isinstance(doc, list)
    return [{k: _text(v) for k, v in entry.items() if not isinstance(v, list)} for entry in doc]


def errors(response: Any, fmt: str, status: int) -> list[dict[str, str]]:
    assert response.status_code == status, response.content
    found = items(response, fmt, "errors", "error")
    assert found, "an error response lists its errors"
    return found


def create(api: Client, fmt: str, key: str, **fields: Any) -> Any:
    data: dict[str, Any] = {
        "api_key": key,
        "service_code": NOISE,
        "lat": "43.8012",
        "long": "87.6031",
        "description": "邻居家每晚唱歌到凌晨两点。",
    }
    data.update(fields)
    return api.post(url("requests", fmt), {k: v for k, v in data.items() if v is not None})


def created_id(response: Any, fmt: str) -> str:
    assert response.status_code == 201, response.content
    (reply,) = items(response, fmt, "service_requests", "request")
    return reply["service_request_id"]


def publish(cast: Cast, case: Case, summary: str, result: str = "") -> None:
    staff_services.set_public_notice(
        actor=member_at(case.unit, Role.SERGEANT),
        case=case,
        summary=summary,
        result=result,
        show=True,
    )


def case_of(request_id: str) -> Case:
    number, _sep, code = request_id.rpartition("@")
    return Case.objects.get(number=number, number_unit__code=code)


# --- 1. Discovery and services ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_this_endpoint_and_both_formats(api: Client, fmt: str) -> None:
    response = api.get(url("discovery", fmt))
    assert response.status_code == 200
    doc = parse(response, fmt)
    if fmt == "xml":
        endpoint = doc.find("endpoints/endpoint")
        assert endpoint is not None
        assert doc.findtext("changeset", "").endswith("+00:00")
        found = {
            "url": endpoint.findtext("url"),
            "specification": endpoint.findtext("specification"),
            "type": endpoint.findtext("type"),
            "formats": [f.text for f in endpoint.findall("formats/format")],
        }
    else:
        found = doc["endpoints"][0]
        assert doc["contact"]
        assert doc["key_service"]
    assert found["url"] == "http://testserver/open311/v2"
    assert found["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert found["type"] in ("production", "test")
    assert set(found["formats"]) == {"text/xml", "application/json"}


def test_services_agree_in_xml_and_json(api: Client) -> None:
    as_xml = items(api.get(url("services", "xml")), "xml", "services", "service")
    as_json = items(api.get(url("services", "json")), "json")
    assert as_xml == as_json
    codes = [s["service_code"] for s in as_xml]
    assert LIVESTOCK in codes
    assert NOISE in codes
    assert HOUSEHOLD in codes
    for service in as_xml:
        assert service["metadata"] in ("true", "false")
        assert service["type"] in ("realtime", "batch", "blackbox")
    by_code = {s["service_code"]: s for s in as_xml}
    assert by_code[LIVESTOCK]["metadata"] == "true"
    assert by_code[LIVESTOCK]["service_name"] == "牲畜走失"
    assert by_code[LIVESTOCK]["group"] == "农牧生产"
    assert by_code[HOUSEHOLD]["type"] == "batch"
    assert by_code["livelihood.wages"]["metadata"] == "false"
    assert "farm" not in codes or by_code["farm"]  # parents are services too (staff choose)


def test_a_private_or_retired_category_is_not_a_service(api: Client) -> None:
    Category.objects.filter(kind="appeal", code="livelihood.wages").update(is_public=False)
    Category.objects.filter(kind="appeal", code="infra.roads").update(is_active=False)
    codes = [s["service_code"] for s in items(api.get(url("services", "json")), "json")]
    assert "livelihood.wages" not in codes
    assert "infra.roads" not in codes


# --- 2. Service definitions ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_definition_lists_its_attributes_in_order_with_datatypes(api: Client, fmt: str) -> None:
    response = api.get(url("service_definition", fmt, code=LIVESTOCK))
    assert response.status_code == 200
    doc = parse(response, fmt)
    if fmt == "xml":
        assert doc.tag == "service_definition"
        assert doc.findtext("service_code") == LIVESTOCK
        attributes = [
            {
                "code": a.findtext("code"),
                "datatype": a.findtext("datatype"),
                "required": a.findtext("required"),
                "order": a.findtext("order"),
                "values": [v.findtext("key") for v in a.findall("values/value")],
            }
            for a in doc.findall("attributes/attribute")
        ]
    else:
        assert doc["service_code"] == LIVESTOCK
        attributes = [
            {
                "code": a["code"],
                "datatype": a["datatype"],
                "required": _text(a["required"]),
                "order": str(a["order"]),
                "values": [v["key"] for v in a["values"]],
            }
            for a in doc["attributes"]
        ]
    assert [a["code"] for a in attributes] == [
        "livestock_count",
        "livestock_kind",
        "last_seen",
        "tags",
    ]
    assert [int(a["order"]) for a in attributes] == sorted(int(a["order"]) for a in attributes)
    assert [a["datatype"] for a in attributes] == [
        "number",
        "singlevaluelist",
        "datetime",
        "multivaluelist",
    ]
    assert attributes[0]["required"] == "true"
    assert "sheep" in attributes[1]["values"]
    assert "urgent" in attributes[3]["values"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_is_a_404_in_the_errors_format(api: Client, fmt: str) -> None:
    (error,) = errors(api.get(url("service_definition", fmt, code="nope")), fmt, 404)
    assert error["code"] == "404"
    assert "nope" in error["description"]


# --- 3. Create and read back -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_client_creates_a_request_and_reads_it_back(
    api: Client, cast: Cast, home: Place, key: str, fmt: str
) -> None:
    response = api.post(
        url("requests", fmt),
        {
            "api_key": key,
            "service_code": LIVESTOCK,
            "lat": "43.8012",
            "long": "87.6031",
            "description": "我家的羊昨晚从圈里跑丢了，共十二只。",
            "attribute[livestock_count]": "12",
            "attribute[livestock_kind]": "sheep",
            "attribute[tags][]": ["urgent", "night"],
        },
    )
    assert response.status_code == 201, response.content
    (reply,) = items(response, fmt, "service_requests", "request")
    request_id = reply["service_request_id"]
    assert "Expected to be resolved by" in reply["service_notice"]
    assert "token" not in reply or not reply["token"]
    case = case_of(request_id)
    assert case.place == home
    assert case.unit == cast.child
    assert case.channel == "open311"
    first = Entry.objects.filter(case=case).order_by("at", "id").first()
    assert first is not None
    assert first.data["attributes"]["tags"] == ["urgent", "night"]
    assert first.data["attributes"]["livestock_count"] == "12"

    # Not public yet: the client that made it sees it with its key; nobody else does.
    anonymous = api.get(url("request", fmt, request_id=request_id))
    errors(anonymous, fmt, 404)
    mine = api.get(url("request", fmt, request_id=request_id), {"api_key": key})
    assert mine.status_code == 200
    (seen,) = items(mine, fmt, "service_requests", "request")
    assert seen["service_request_id"] == request_id
    assert seen["status"] == "open"
    assert seen["service_code"] == LIVESTOCK
    assert seen["requested_datetime"].endswith("+08:00")
    assert case.resolve_due is not None
    assert seen["expected_datetime"] == timezone.localtime(case.resolve_due).isoformat(
        timespec="seconds"
    )
    assert seen["lat"] == "43.801"
    assert seen["long"] == "87.603"
    assert seen["address"] == "红星村"
    assert seen["agency_responsible"] == cast.child.name
    assert seen["description"] == ""  # no officer-approved summary yet


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_address_id_or_string_places_the_request(
    api: Client, cast: Cast, home: Place, key: str, fmt: str, world: Any
) -> None:
    far = village(world.units["S2"], "远方村", lat=45.0, long=85.0)
    by_id = created_id(create(api, fmt, key, lat=None, long=None, address_id=str(far.pk)), fmt)
    assert case_of(by_id).place == far
    by_name = created_id(create(api, fmt, key, lat=None, long=None, address_string="红星村"), fmt)
    assert case_of(by_name).place == home


# --- 4. Validation ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_requests_are_refused_with_the_right_status_and_nothing_written(
    api: Client, home: Place, key: str, fmt: str
) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "nope"}, 404, "nope"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"lat": "43.8", "long": None}, 400, "long"),
        ({"service_code": LIVESTOCK}, 400, "attribute[livestock_count]"),
        ({"service_code": LIVESTOCK, "attribute[livestock_count]": "many"}, 400, "number"),
        (
            {
                "service_code": LIVESTOCK,
                "attribute[livestock_count]": "3",
                "attribute[tags][]": ["urgent", "bogus"],
            },
            400,
            "bogus",
        ),
        ({"description": "长" * 4001}, 400, "4000"),
        ({"description": "<b>bold</b>"}, 400, "HTML"),
        ({"phone": "not a phone"}, 400, "phone"),
        ({"lat": "10", "long": "10"}, 400, "not in the area"),
        ({"api_key": "o311_wrong_key"}, 403, "api_key"),
        ({"api_key": None}, 403, "api_key"),
        ({"jurisdiction_id": "NOWHERE"}, 404, "NOWHERE"),
    ]
    for fields, status, mentions in cases:
        response = create(api, fmt, key, **fields)
        found = errors(response, fmt, status)
        assert any(mentions in e["description"] for e in found), (fields, found)
        assert all(e["code"].isdigit() for e in found)
    assert Case.objects.count() == 0
    # Several problems come back together.
    found = errors(create(api, fmt, key, service_code="", lat=None, long=None), fmt, 400)
    assert len(found) >= 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_methods_paths_and_formats_answer_in_the_errors_format(
    api: Client, db: None, fmt: str
) -> None:
    errors(api.post(url("services", fmt)), fmt, 405)
    errors(api.get(f"/open311/v2/nothing.{fmt}"), fmt, 404)
    errors(api.get("/open311/v2/services.html"), "xml", 404)
    errors(api.get("/open311/v2/"), "xml", 404)


# --- 5. Filters ------------------------------------------------------------------------------


@pytest.fixture
def published(cast: Cast, home: Place, api: Client, key: str) -> dict[str, str]:
    """Public requests: noise (open), livestock (closed), household (open, 120 days old)."""
    ids: dict[str, str] = {}
    ids["noise"] = created_id(create(api, "json", key), "json")
    ids["livestock"] = created_id(
        create(api, "json", key, service_code=LIVESTOCK, **{"attribute[livestock_count]": "2"}),
        "json",
    )
    ids["old"] = created_id(create(api, "json", key, service_code="livelihood.wages"), "json")
    for name, request_id in ids.items():
        publish(cast, case_of(request_id), f"公示：{name}")
    close(cast, case_of(ids["livestock"]), "已找回全部羊只。")
    Case.objects.filter(pk=case_of(ids["old"]).pk).update(
        received_at=timezone.now() - dt.timedelta(days=120)
    )
    return ids


def close(cast: Cast, case: Case, result: str) -> None:
    sergeant = member_at(case.unit, Role.SERGEANT)
    officer = member_at(case.unit, Role.OFFICER)
    casework.act_on_case(actor=sergeant, case=case, action="accept")
    casework.assign_case(actor=sergeant, case=case, owner=officer)
    casework.act_on_case(actor=officer, case=case, action="start")
    casework.act_on_case(actor=officer, case=case, action="resolve", note=result, public=True)
    casework.act_on_case(actor=cast.sam, case=case, action="verify")


def listed(api: Client, fmt: str, **query: Any) -> list[str]:
    response = api.get(url("requests", fmt), query)
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in items(response, fmt, "service_requests", "request")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_filter_of_the_spec(api: Client, fmt: str, published: dict[str, str]) -> None:
    noise, livestock, old = published["noise"], published["livestock"], published["old"]
    # The last 90 days by default, newest first.
    assert listed(api, fmt) == [livestock, noise]
    # Ids override every other filter, the old one included.
    assert set(
        listed(
            api, fmt, service_request_id=f"{old},{noise}", status="closed", service_code=LIVESTOCK
        )
    ) == {old, noise}
    assert listed(api, fmt, status="open") == [noise]
    assert listed(api, fmt, status="closed") == [livestock]
    assert listed(api, fmt, status="open,closed") == [livestock, noise]
    assert listed(api, fmt, service_code=f"{NOISE},{LIVESTOCK}") == [livestock, noise]
    assert listed(api, fmt, service_code=NOISE) == [noise]
    start = (timezone.localdate() - dt.timedelta(days=125)).isoformat()
    end = (timezone.localdate() - dt.timedelta(days=40)).isoformat()
    assert listed(api, fmt, start_date=start, end_date=end) == [old]
    assert listed(api, fmt, page_size="1") == [livestock]
    assert listed(api, fmt, page_size="1", page="2") == [noise]
    assert listed(api, fmt, page_size="1", page="3") == []
    # A window over 90 days, a bad status, an unknown service: refused.
    errors(
        api.get(url("requests", fmt), {"start_date": "2026-01-01", "end_date": "2026-06-01"}),
        fmt,
        400,
    )
    errors(api.get(url("requests", fmt), {"status": "pending"}), fmt, 400)
    errors(api.get(url("requests", fmt), {"service_code": "nope"}), fmt, 404)
    errors(api.get(url("requests", fmt), {"page_size": "5000"}), fmt, 400)


# --- 6. Lifecycle ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_staff_close_and_reopen_show_through(
    api: Client, cast: Cast, home: Place, key: str, fmt: str
) -> None:
    request_id = created_id(create(api, fmt, key), fmt)
    case = case_of(request_id)
    publish(cast, case, "邻里噪音纠纷")

    def seen() -> dict[str, str]:
        response = api.get(url("request", fmt, request_id=request_id))
        (one,) = items(response, fmt, "service_requests", "request")
        return one

    assert seen()["status"] == "open"
    close(cast, case, "已调解，双方签订协议。")
    case.refresh_from_db()
    closed = seen()
    assert closed["status"] == "closed"
    assert case.closed_at is not None
    assert closed["updated_datetime"] == timezone.localtime(case.closed_at).isoformat(
        timespec="seconds"
    )
    assert closed["status_notes"] == "已调解，双方签订协议。"
    casework.act_on_case(actor=cast.sam, case=case, action="reopen", note="居民不满意")
    reopened = seen()
    assert reopened["status"] == "open"
    assert reopened["status_notes"] == ""


# --- 7. Redaction ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_nothing_personal_leaves_and_private_requests_stay_private(
    api: Client, cast: Cast, home: Place, key: str, fmt: str
) -> None:
    request_id = created_id(
        create(
            api,
            fmt,
            key,
            first_name="艾力",
            last_name="买买提",
            email="aili.mmt@example.cn",
            phone="13987654321",
            account_id="acct-77321",
            device_id="dev-99812",
            description="我是艾力·买买提，身份证650102198001011234，电话13987654321。",
        ),
        fmt,
    )
    private = created_id(create(api, fmt, key, description="另一件私事"), fmt)
    case = case_of(request_id)
    appeal = Appeal.objects.get(case=case)
    assert appeal.resident_name == "艾力 买买提"  # kept (encrypted) for the call back
    publish(cast, case, "艾力反映邻居噪音，电话13987654321，身份证650102198001011234")
    bodies = [
        api.get(url("requests", fmt)).content.decode(),
        api.get(url("request", fmt, request_id=request_id)).content.decode(),
        api.get(url("requests", fmt), {"api_key": key}).content.decode(),
        api.get(url("updates", fmt)).content.decode(),
    ]
    for body in bodies:
        for secret in (
            "艾力",
            "买买提",
            "aili.mmt",
            "13987654321",
            "650102198001011234",
            "acct-77321",
            "dev-99812",
            "身份证650102",
        ):
            assert secret not in body, secret
    public_list = listed(api, fmt)
    assert public_list == [request_id]
    assert private not in public_list
    (one,) = items(
        api.get(url("request", fmt, request_id=request_id)), fmt, "service_requests", "request"
    )
    assert "139****4321" in one["description"]
    assert "6501**********1234" in one["description"]


# --- 8. Jurisdictions ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdictions_are_unit_codes_required_once_there_are_two_tops(
    api: Client, cast: Cast, home: Place, key: str, fmt: str, world: Any
) -> None:
    far = village(world.units["S2"], "远方村", lat=45.0, long=85.0)
    here = created_id(create(api, fmt, key), fmt)
    there = created_id(create(api, fmt, key, lat="45.001", long="85.001"), fmt)
    assert case_of(there).place == far
    for request_id in (here, there):
        publish(cast, case_of(request_id), "公示")
    # One top unit: optional; a code limits the answer to its subtree.
    assert set(listed(api, fmt)) == {here, there}
    assert listed(api, fmt, jurisdiction_id=cast.unit.code) == [here]
    assert listed(api, fmt, jurisdiction_id=world.units["S2"].code) == [there]
    errors(
        api.get(url("request", fmt, request_id=there), {"jurisdiction_id": cast.unit.code}),
        fmt,
        404,
    )
    errors(api.get(url("requests", fmt), {"jurisdiction_id": "NOWHERE"}), fmt, 404)
    # A POST whose location lies outside the jurisdiction named is refused.
    errors(create(api, fmt, key, jurisdiction_id=cast.unit.code, lat="45.0", long="85.0"), fmt, 400)

    core_services.create_unit(
        actor=None, code="T999000", name="另一支队", kind=UnitKind.DETACHMENT, parent=None
    )
    for name, kwargs in (
        ("services", {}),
        ("requests", {}),
        ("updates", {}),
        ("service_definition", {"code": NOISE}),
        ("request", {"request_id": here}),
    ):
        found = errors(api.get(url(name, fmt, **kwargs)), fmt, 400)
        assert any("jurisdiction_id" in e["description"] for e in found), name
    errors(create(api, fmt, key), fmt, 400)
    assert listed(api, fmt, jurisdiction_id=world.units["D"].code) != []


# --- 9. Batch services -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_batch_service_answers_a_token_that_resolves_once_accepted(
    api: Client, cast: Cast, home: Place, key: str, fmt: str
) -> None:
    response = create(api, fmt, key, service_code=HOUSEHOLD)
    assert response.status_code == 201
    (reply,) = items(response, fmt, "service_requests", "request")
    token = reply["token"]
    assert token
    assert not reply.get("service_request_id")

    def poll() -> dict[str, str]:
        (one,) = items(api.get(url("token", fmt, token=token)), fmt, "service_requests", "request")
        return one

    assert poll()["token"] == token
    assert poll()["service_request_id"] == ""
    case = Case.objects.get()
    casework.act_on_case(actor=cast.sam, case=case, action="accept")
    resolved = poll()
    assert resolved["service_request_id"] == f"{case.number}@{case.number_unit.code}"
    errors(api.get(url("token", fmt, token="unknown-token")), fmt, 404)


# --- 10. mySociety's request updates ---------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_fms_updates_list_public_notes_and_client_updates_ask_staff(
    api: Client, cast: Cast, home: Place, key: str, fmt: str
) -> None:
    request_id = created_id(create(api, fmt, key), fmt)
    case = case_of(request_id)
    publish(cast, case, "邻里噪音")
    casework.act_on_case(actor=cast.sam, case=case, action="accept", public=True)
    casework.add_note(actor=cast.sam, case=case, text="内部：先别联系", public=False)
    casework.add_note(actor=cast.sam, case=case, text="民警已上门了解情况。", public=True)

    response = api.get(url("updates", fmt))
    assert response.status_code == 200
    updates = items(response, fmt, "service_request_updates", "request_update")
    assert [u["description"] for u in updates] == ["", "民警已上门了解情况。"]
    assert {u["service_request_id"] for u in updates} == {request_id}
    assert updates[0]["status"] == "open"
    assert all(u["updated_datetime"].endswith("+08:00") for u in updates)

    post = {
        "api_key": key,
        "service_request_id": request_id,
        "update_id": "fms-501",
        "status": "FIXED",
        "updated_datetime": timezone.localtime().isoformat(timespec="seconds"),
        "description": "居民反馈问题已解决。",
    }
    reply = api.post(url("updates", fmt), post)
    assert reply.status_code == 200, reply.content
    (answer,) = items(reply, fmt, "service_request_updates", "request_update")
    update_id = answer["update_id"]
    again = api.post(url("updates", fmt), post)
    assert items(again, fmt)[0]["update_id"] == update_id  # same update_id: same update
    listed_updates = items(api.get(url("updates", fmt)), fmt)
    assert listed_updates[-1]["update_id"] == update_id
    assert listed_updates[-1]["description"] == "居民反馈问题已解决。"
    # Closure is verified by staff: the request stays open until they do.
    (still,) = items(api.get(url("request", fmt, request_id=request_id)), fmt)
    assert still["status"] == "open"
    entry = Entry.objects.get(pk=int(update_id))
    assert entry.data["needs_staff"] is True
    assert entry.is_public

    errors(api.post(url("updates", fmt), {**post, "api_key": "o311_bad"}), fmt, 403)
    errors(api.post(url("updates", fmt), {**post, "service_request_id": "SQ-1@X"}), fmt, 404)
    errors(api.post(url("updates", fmt), {**post, "status": "MAYBE"}), fmt, 400)
    errors(api.get(url("updates", fmt), {"api_key": "o311_bad"}), fmt, 403)


# --- Client keys from the command line -------------------------------------------------------


# A management command closes its database connections when it ends (run_from_argv); on
# PostgreSQL that ends the test's wrapping transaction, so this test commits for real.
@pytest.mark.django_db(transaction=True)
def test_the_command_creates_a_client_whose_key_works_once_shown(
    api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    from liuqing.cli import main

    assert main(["open311-client", "wechat-mini"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("o311_")
    found = errors(
        api.post(url("requests", "xml"), {"api_key": key, "service_code": "x"}), "xml", 404
    )
    assert "service_code" in found[0]["description"]  # past the key check
    assert main(["open311-client", "wechat-mini"]) == 1  # the name is taken
    assert main(["open311-client", "wechat-mini", "--deactivate"]) == 0
    errors(api.post(url("requests", "xml"), {"api_key": key, "service_code": "x"}), "xml", 403)
    assert main(["open311-client", "--list"]) == 0
    assert "wechat-mini" in capsys.readouterr().out


# --- Extensions (extensions=true) and media_url ------------------------------------------------


def jpeg_with_gps() -> bytes:
    """A photo whose EXIF holds an author and the GPS position of where it was taken."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x013B] = "Photographer Name"  # Artist
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (43.0, 48.0, 44.44), 3: "E", 4: (87.0, 36.0, 44.44)})
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 10)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def attach(case: Case, *, public: bool, name: str = "photo.jpg", data: bytes = b"") -> Entry:
    return casework.attach_file(
        actor=member_at(case.unit, Role.SERGEANT),
        case=case,
        upload=SimpleUploadedFile(name, data or jpeg_with_gps()),
        note="羊圈现场照片",
        public=public,
    )


def _xml_rows(element: Any, path: str) -> list[dict[str, str]] | None:
    if element.find(path.split("/")[0]) is None:
        return None
    return [{c.tag: c.text or "" for c in item} for item in element.findall(path)]


def extended(response: Any, fmt: str) -> list[dict[str, Any]]:
    """Each request of a list document with its extension elements, the same in both
    formats: {"fields": {...}, "attributes": [...], "extended_attributes": {...} or None,
    "notes": [...] or None} (None when the element is absent)."""
    doc = parse(response, fmt)
    out: list[dict[str, Any]] = []
    if fmt == "json":
        for entry in doc:
            ext = entry.get("extended_attributes")
            out.append(
                {
                    "fields": {
                        k: _text(v) for k, v in entry.items() if not isinstance(v, list | dict)
                    },
                    "attributes": [{k: _text(v) for k, v in a.items()} for a in entry["attributes"]]
                    if "attributes" in entry
                    else None,
                    "extended_attributes": (
                        {
                            "channel": _text(ext["channel"]),
                            "detailed_status": _text(ext["detailed_status"]),
                            "photos": [{k: _text(v) for k, v in p.items()} for p in ext["photos"]],
                        }
                        if ext is not None
                        else None
                    ),
                    "notes": [{k: _text(v) for k, v in n.items()} for n in entry["notes"]]
                    if "notes" in entry
                    else None,
                }
            )
        return out
    assert doc.tag == "service_requests"
    for element in doc:
        ext = element.find("extended_attributes")
        out.append(
            {
                "fields": {c.tag: c.text or "" for c in element if len(c) == 0},
                "attributes": _xml_rows(element, "attributes/attribute"),
                "extended_attributes": (
                    {
                        "channel": ext.findtext("channel") or "",
                        "detailed_status": ext.findtext("detailed_status") or "",
                        "photos": [
                            {c.tag: c.text or "" for c in p} for p in ext.findall("photos/photo")
                        ],
                    }
                    if ext is not None
                    else None
                ),
                "notes": _xml_rows(element, "notes/note"),
            }
        )
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_attributes_extended_attributes_and_the_history(
    api: Client, cast: Cast, home: Place, key: str, fmt: str
) -> None:
    request_id = created_id(
        create(
            api,
            fmt,
            key,
            service_code=LIVESTOCK,
            **{
                "attribute[livestock_count]": "7",
                "attribute[livestock_kind]": "sheep",
                "attribute[tags][]": ["night", "urgent"],
            },
        ),
        fmt,
    )
    case = case_of(request_id)
    publish(cast, case, "红星村羊只走失，正在寻找。")
    casework.add_note(actor=cast.sam, case=case, text="已组织村民搜寻。", public=True)
    casework.add_note(actor=cast.sam, case=case, text="内部：线索待核实", public=False)
    detail = url("request", fmt, request_id=request_id)

    # Without the parameter (or with false) the answer is the plain spec's.
    for query in ({}, {"extensions": "false"}):
        (plain_answer,) = extended(api.get(detail, query), fmt)
        assert plain_answer["attributes"] is None
        assert plain_answer["extended_attributes"] is None
        assert plain_answer["notes"] is None

    # The client that sent the answers gets them back, in the definition's order.
    (mine,) = extended(api.get(detail, {"extensions": "true", "api_key": key}), fmt)
    assert [(a["name"], a["code"], a["value"]) for a in mine["attributes"]] == [
        ("livestock_count", "", "7"),
        ("livestock_kind", "sheep", "Sheep"),
        ("tags", "night", "Happens at night"),  # as sent
        ("tags", "urgent", "Getting worse quickly"),
    ]
    assert mine["attributes"][0]["label"] == "How many animals are missing"
    assert mine["extended_attributes"] == {
        "channel": "open311",
        "detailed_status": "open",
        "photos": [],
    }
    notes = mine["notes"]
    assert [n["type"] for n in notes] == ["submitted", "note"]
    assert notes[1]["description"] == "已组织村民搜寻。"
    assert notes[0]["datetime"].endswith("+08:00")
    assert "内部" not in json.dumps(notes, ensure_ascii=False)

    # Anyone else: the same public request, without the answers (a tag may be personal).
    (public,) = extended(api.get(detail, {"extensions": "true"}), fmt)
    assert public["attributes"] == []
    assert public["notes"] == notes
    listed_ext = extended(api.get(url("requests", fmt), {"extensions": "true"}), fmt)
    assert [r["fields"]["service_request_id"] for r in listed_ext] == [request_id]
    assert listed_ext[0]["notes"] == notes
    assert listed_ext[0]["attributes"] == []

    # Closed: the history says so, and the detailed status is mySociety's "fixed".
    close(cast, case, "已找回全部羊只。")
    (after,) = extended(api.get(detail, {"extensions": "true"}), fmt)
    assert after["extended_attributes"]["detailed_status"] == "fixed"
    assert after["fields"]["status"] == "closed"
    assert [n["type"] for n in after["notes"]] == ["submitted", "note", "resolved"]
    assert after["notes"][-1]["description"] == "已找回全部羊只。"

    # A value that is neither true nor false is a 400 in the errors format.
    for target in (detail, url("requests", fmt)):
        (problem,) = errors(api.get(target, {"extensions": "yes"}), fmt, 400)
        assert problem["description"].startswith("extensions:")


@pytest.mark.parametrize("fmt", FORMATS)
def test_media_url_on_post_is_checked_and_kept_for_staff_only(
    api: Client, cast: Cast, home: Place, key: str, fmt: str
) -> None:
    before = Case.objects.count()
    bad = [
        "ftp://example.com/photo.jpg",
        "javascript:alert(1)",
        "https://",
        "https://user:secret@example.com/photo.jpg",
        "https://example.com/" + "a" * 2000,
        "photo.jpg",
    ]
    for value in bad:
        (problem,) = errors(create(api, fmt, key, media_url=value), fmt, 400)
        assert problem["description"].startswith("media_url:"), problem
    assert Case.objects.count() == before, "nothing written"

    given = "https://img.example.cn/u/2026/photo-1.jpg?size=large"
    request_id = created_id(create(api, fmt, key, media_url=given), fmt)
    case = case_of(request_id)
    first = Entry.objects.filter(case=case).order_by("at", "id").first()
    assert first is not None
    assert first.data["media_urls"] == [given]
    # The officers see it on the case's timeline, as a link that leaks nothing back.
    staff = login_verified(Client(), member_at(case.unit, Role.SERGEANT))
    page = staff.get(reverse("appeals:detail", kwargs={"pk": case.pk})).content.decode()
    assert f'href="{given}" rel="noopener noreferrer nofollow"' in page
    publish(cast, case, "邻里噪音。")
    # The client's own URL is not given out: nobody has checked what that photo shows.
    for query in ({}, {"api_key": key}, {"extensions": "true"}):
        (seen,) = extended(api.get(url("request", fmt, request_id=request_id), query), fmt)
        assert seen["fields"].get("media_url", "") == ""
        assert given not in json.dumps(seen)


@pytest.mark.parametrize("fmt", FORMATS)
def test_media_url_points_at_a_public_photo_stripped_of_its_metadata(
    api: Client, cast: Cast, home: Place, key: str, fmt: str
) -> None:
    from PIL import Image

    request_id = created_id(create(api, fmt, key), fmt)
    case = case_of(request_id)
    publish(cast, case, "邻里噪音。")
    detail = url("request", fmt, request_id=request_id)
    attach(case, public=False)  # an internal photo: never
    attach(case, public=True, name="report.pdf", data=b"%PDF-1.4\n%%EOF\n")  # a PDF: never
    (seen,) = items(api.get(detail), fmt, "service_requests", "request")
    assert seen.get("media_url", "") == ""

    photo = attach(case, public=True)
    assert photo.data["public_file"].startswith("public/")
    staff = login_verified(Client(), member_at(case.unit, Role.SERGEANT))
    page = staff.get(reverse("appeals:detail", kwargs={"pk": case.pk})).content.decode()
    assert page.count("published as a copy without metadata") == 1
    (seen,) = items(api.get(detail), fmt, "service_requests", "request")
    media = seen["media_url"]
    assert media.startswith("http://testserver/open311/v2/media/")
    assert media.endswith(".jpg")
    (ext,) = extended(api.get(detail, {"extensions": "true"}), fmt)
    assert [p["media_url"] for p in ext["extended_attributes"]["photos"]] == [media]
    assert [r["media_url"] for r in items(api.get(url("requests", fmt)), fmt)] == [media]

    response = api.get(media)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    body = b"".join(response.streaming_content)
    with Image.open(io.BytesIO(body)) as served:
        assert served.size == (64, 48)
        assert not served.getexif()
    assert b"Photographer" not in body
    assert b"Exif" not in body

    # A forged or altered name, and the photo once the request leaves the public record.
    token = media.rsplit("/", 1)[1].removesuffix(".jpg")
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert api.get(media.replace(token, forged)).status_code == 404
    assert api.get(media.replace(".jpg", ".png")).status_code == 404
    assert api.post(media).status_code == 405
    staff_services.set_public_notice(
        actor=cast.sam, case=case, summary="邻里噪音。", result="", show=False
    )
    missing = api.get(media)
    assert missing.status_code == 404
    assert parse(missing, "xml").tag == "errors"
