"""The Open311 wire layer: every document in XML and JSON, and every rule of the parameters.

No database and no appeals models: the documents are built from the wire dataclasses, and
the parameters come as a MultiValueDict (what Django's QueryDict is made of) or a plain dict.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from django.utils.datastructures import MultiValueDict

from liuqing.appeals.open311 import params, wire
from liuqing.appeals.open311.errors import ErrorItem, ErrorKind, Open311Error, status_for

CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=CST)


def form(query: str | list[tuple[str, str]]) -> MultiValueDict[str, str]:
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else query
    data: MultiValueDict[str, str] = MultiValueDict()
    for key, value in pairs:
        data.appendlist(key, value)
    return data


def parse_xml(body: bytes) -> ET.Element:
    return ET.fromstring(body)  # noqa: S314  (our own output, not untrusted input)


def xml_of(kind: str, payload: Any) -> ET.Element:
    body, content_type = wire.render("xml", kind, payload)
    assert content_type == "text/xml; charset=utf-8"
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n')
    root = parse_xml(body)
    assert "}" not in root.tag  # no namespace
    return root


def json_of(kind: str, payload: Any) -> Any:
    body, content_type = wire.render("json", kind, payload)
    assert content_type == "application/json; charset=utf-8"
    return json.loads(body.decode("utf-8"))


def children(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


# --- Documents -------------------------------------------------------------------------------

DISCOVERY = wire.Discovery(
    changeset=dt.datetime(2026, 2, 1, 8, 0, tzinfo=dt.UTC),
    contact="请致电 0999-8123456 或发邮件至 open311@liuqing.example",
    key_service="向所在派出所申请 api_key",
    endpoints=[
        wire.Endpoint(
            url="https://liuqing.example/open311/v2",
            changeset=dt.datetime(2026, 2, 1, 8, 0, tzinfo=dt.UTC),
            type="production",
        )
    ],
)


def test_discovery_in_xml_is_exactly_the_spec_shape() -> None:
    body, _ = wire.render("xml", "discovery", DISCOVERY)
    assert body.decode("utf-8") == (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        "<discovery>\n"
        "  <changeset>2026-02-01T08:00:00+00:00</changeset>\n"
        "  <contact>请致电 0999-8123456 或发邮件至 open311@liuqing.example</contact>\n"
        "  <key_service>向所在派出所申请 api_key</key_service>\n"
        "  <endpoints>\n"
        "    <endpoint>\n"
        "      <specification>http://wiki.open311.org/GeoReport_v2</specification>\n"
        "      <url>https://liuqing.example/open311/v2</url>\n"
        "      <changeset>2026-02-01T08:00:00+00:00</changeset>\n"
        "      <type>production</type>\n"
        "      <formats>\n"
        "        <format>text/xml</format>\n"
        "        <format>application/json</format>\n"
        "      </formats>\n"
        "    </endpoint>\n"
        "  </endpoints>\n"
        "</discovery>\n"
    )


def test_discovery_in_json_is_an_object() -> None:
    assert json_of("discovery", DISCOVERY) == {
        "changeset": "2026-02-01T08:00:00+00:00",
        "contact": "请致电 0999-8123456 或发邮件至 open311@liuqing.example",
        "key_service": "向所在派出所申请 api_key",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": "https://liuqing.example/open311/v2",
                "changeset": "2026-02-01T08:00:00+00:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


SERVICES = [
    wire.Service(
        service_code="pen",
        service_name="羊圈加固",
        description="牲畜圈舍破损、需要加固",
        metadata=True,
        type="realtime",
        keywords=["羊圈", "牲畜"],
        group="农牧",
    ),
    wire.Service(service_code="wages", service_name="拖欠工资", type="batch"),
]


def test_services_agree_in_xml_and_json() -> None:
    root = xml_of("services", SERVICES)
    assert root.tag == "services"
    assert children(root) == ["service", "service"]
    first = root[0]
    assert children(first) == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first.findtext("metadata") == "true"
    assert first.findtext("keywords") == "羊圈, 牲畜"
    assert root[1].findtext("metadata") == "false"
    assert root[1].findtext("type") == "batch"
    assert root[1].findtext("group") == ""

    listed = json_of("services", SERVICES)
    assert isinstance(listed, list)
    assert listed[0] == {
        "service_code": "pen",
        "service_name": "羊圈加固",
        "description": "牲畜圈舍破损、需要加固",
        "metadata": True,
        "type": "realtime",
        "keywords": "羊圈, 牲畜",
        "group": "农牧",
    }
    for item, element in zip(listed, root, strict=True):
        assert item["service_code"] == element.findtext("service_code")
        assert item["type"] in ("realtime", "batch", "blackbox")


def test_a_service_type_outside_the_spec_is_refused() -> None:
    with pytest.raises(ValueError, match="service type"):
        wire.Service(service_code="x", service_name="x", type="later")  # type: ignore[arg-type]


DEFINITION = wire.ServiceDefinition(
    service_code="pen",
    attributes=[
        wire.ServiceAttribute(
            code="tags",
            datatype="multivaluelist",
            description="涉及哪些牲畜？",
            order=3,
            values=[wire.AttributeValue("sheep", "羊"), wire.AttributeValue("cattle", "牛")],
        ),
        wire.ServiceAttribute(
            code="size", datatype="singlevaluelist", description="圈舍大小", order=1,
            required=True,
            values=[wire.AttributeValue("small", "小"), wire.AttributeValue("large", "大")],
        ),
        wire.ServiceAttribute(code="count", datatype="number", description="牲畜数量", order=2),
        wire.ServiceAttribute(code="since", datatype="datetime", description="何时发现", order=4),
        wire.ServiceAttribute(
            code="note", datatype="string", description="注意", order=5, variable=False,
            datatype_description="仅供说明",
        ),
        wire.ServiceAttribute(code="detail", datatype="text", description="详细情况", order=6),
    ],
)  # fmt: skip


def test_a_service_definition_lists_attributes_in_order_with_values() -> None:
    root = xml_of("service_definition", DEFINITION)
    assert root.tag == "service_definition"
    assert children(root) == ["service_code", "attributes"]
    attributes = root.find("attributes")
    assert attributes is not None
    assert [a.findtext("code") for a in attributes] == [
        "size",
        "count",
        "tags",
        "since",
        "note",
        "detail",
    ]
    size = attributes[0]
    assert children(size) == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert size.findtext("required") == "true"
    assert size.findtext("variable") == "true"
    assert size.findtext("order") == "1"
    assert [(v.findtext("key"), v.findtext("name")) for v in size.iter("value")] == [
        ("small", "小"),
        ("large", "大"),
    ]
    assert attributes[4].findtext("variable") == "false"
    assert attributes[1].find("values") is not None
    assert list(attributes[1].find("values") or []) == []

    as_json = json_of("service_definition", DEFINITION)
    assert isinstance(as_json, dict)
    assert as_json["service_code"] == "pen"
    assert [a["code"] for a in as_json["attributes"]] == [
        "size",
        "count",
        "tags",
        "since",
        "note",
        "detail",
    ]
    assert as_json["attributes"][0] == {
        "variable": True,
        "code": "size",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "圈舍大小",
        "values": [{"key": "small", "name": "小"}, {"key": "large", "name": "大"}],
    }
    assert as_json["attributes"][4]["datatype_description"] == "仅供说明"
    assert {a["datatype"] for a in as_json["attributes"]} <= set(wire.DATATYPES)


def test_an_unknown_datatype_is_refused() -> None:
    with pytest.raises(ValueError, match="datatype"):
        wire.ServiceAttribute(code="x", datatype="boolean", description="", order=1)


OPEN = wire.ServiceRequest(
    service_request_id="SQ-2026-000123",
    status="open",
    service_name="羊圈加固",
    service_code="pen",
    requested_datetime=dt.datetime(2026, 2, 27, 9, 30, tzinfo=CST),
    updated_datetime=dt.datetime(2026, 2, 27, 10, 0, tzinfo=CST),
    expected_datetime=dt.datetime(2026, 3, 6, 18, 0, tzinfo=CST),
    description="羊圈围栏倒塌，联系人电话13812345678",
    agency_responsible="测试一所",
    address="幸福村三组",
    lat=Decimal("43.792812"),
    long=87.617733,
)
CLOSED = wire.ServiceRequest(
    service_request_id="SQ-2026-000124",
    status="closed",
    status_notes="已协调村委会加固。",
    service_name="路灯维修",
    service_code="light",
    requested_datetime=dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC),
    updated_datetime=dt.datetime(2026, 2, 3, 16, 45, tzinfo=dt.UTC),
    media_url="https://liuqing.example/media/a.jpg",
)
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def test_a_request_list_has_every_field_with_zoned_datetimes() -> None:
    root = xml_of("requests", [OPEN, CLOSED])
    assert root.tag == "service_requests"
    assert children(root) == ["request", "request"]
    first, second = root
    assert children(first) == REQUEST_FIELDS
    assert first.findtext("requested_datetime") == "2026-02-27T09:30:00+08:00"
    assert first.findtext("expected_datetime") == "2026-03-06T18:00:00+08:00"
    assert first.findtext("lat") == "43.792812"
    assert first.findtext("long") == "87.617733"
    assert first.findtext("status_notes") == ""
    assert second.findtext("status") == "closed"
    assert second.findtext("updated_datetime") == "2026-02-03T16:45:00+00:00"
    assert second.findtext("status_notes") == "已协调村委会加固。"

    listed = json_of("requests", [OPEN, CLOSED])
    assert [r["service_request_id"] for r in listed] == ["SQ-2026-000123", "SQ-2026-000124"]
    assert list(listed[0]) == REQUEST_FIELDS
    assert listed[0]["lat"] == pytest.approx(43.792812)
    assert listed[0]["long"] == pytest.approx(87.617733)
    assert listed[0]["status_notes"] is None
    assert listed[1]["expected_datetime"] is None


def test_the_description_is_masked_again_on_the_way_out() -> None:
    root = xml_of("request", OPEN)
    assert root[0].findtext("description") == "羊圈围栏倒塌，联系人电话138****5678"
    (one,) = json_of("request", OPEN)
    assert one["description"] == "羊圈围栏倒塌，联系人电话138****5678"
    assert b"13812345678" not in wire.render("json", "requests", [OPEN])[0]


def test_a_single_request_is_a_list_of_one() -> None:
    root = xml_of("request", CLOSED)
    assert root.tag == "service_requests"
    assert children(root) == ["request"]
    assert len(json_of("request", CLOSED)) == 1


def test_a_naive_datetime_is_a_programming_error() -> None:
    naive = wire.ServiceRequest(
        service_request_id="1",
        status="open",
        service_name="x",
        service_code="x",
        requested_datetime=dt.datetime(2026, 1, 1),  # naive on purpose
    )
    with pytest.raises(ValueError, match="time zone"):
        wire.render("xml", "request", naive)


def test_tokens_and_create_replies() -> None:
    root = xml_of("tokens", wire.TokenResult(token="T-42", service_request_id="SQ-2026-000125"))
    assert root.tag == "service_requests"
    assert children(root[0]) == ["service_request_id", "token"]
    assert root[0].findtext("token") == "T-42"
    pending = json_of("tokens", [wire.TokenResult(token="T-43")])
    assert pending == [{"service_request_id": None, "token": "T-43"}]

    created = wire.CreateReply(
        service_request_id="SQ-2026-000126", service_notice="3个工作日内联系"
    )
    root = xml_of("create_reply", created)
    assert children(root[0]) == ["service_request_id", "service_notice", "account_id"]
    assert root[0].findtext("service_notice") == "3个工作日内联系"
    batch = json_of("create_reply", wire.CreateReply(token="T-44"))
    assert batch == [{"token": "T-44", "service_notice": None, "account_id": None}]


def test_a_create_reply_has_an_id_or_a_token_never_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        wire.CreateReply(service_request_id="1", token="T")
    with pytest.raises(ValueError, match="not both"):
        wire.CreateReply()


UPDATE = wire.RequestUpdate(
    update_id="U-7",
    service_request_id="SQ-2026-000123",
    status="IN_PROGRESS",
    updated_datetime=dt.datetime(2026, 2, 28, 11, 0, tzinfo=CST),
    description="民警已到现场，联系电话0999-8123456",
)


def test_service_request_updates_follow_the_mysociety_extension() -> None:
    root = xml_of("updates", [UPDATE])
    assert root.tag == "service_request_updates"
    assert children(root) == ["request_update"]
    assert children(root[0]) == [
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
        "media_url",
    ]
    assert root[0].findtext("status") == "in_progress"
    assert root[0].findtext("description") == "民警已到现场，联系电话0999-****456"
    assert json_of("updates", [UPDATE]) == [
        {
            "update_id": "U-7",
            "service_request_id": "SQ-2026-000123",
            "status": "in_progress",
            "updated_datetime": "2026-02-28T11:00:00+08:00",
            "description": "民警已到现场，联系电话0999-****456",
            "media_url": "",
        }
    ]
    reply = xml_of("update_reply", wire.UpdateReply(update_id="U-8"))
    assert reply.tag == "service_request_updates"
    assert [e.tag for e in reply.iter()] == [
        "service_request_updates",
        "request_update",
        "update_id",
    ]
    assert json_of("update_reply", wire.UpdateReply(update_id="U-8")) == [{"update_id": "U-8"}]


def test_errors_in_both_formats_with_the_http_status() -> None:
    error = Open311Error.combine(
        [
            Open311Error.of(ErrorKind.BAD_REQUEST, "service_code: is required.", field="x"),
            Open311Error.unknown_service("牛棚"),
        ]
    )
    body, content_type, status = wire.render_error("xml", error)
    assert status == 404
    assert content_type == "text/xml; charset=utf-8"
    root = parse_xml(body)
    assert root.tag == "errors"
    assert [(e.findtext("code"), e.findtext("description")) for e in root] == [
        ("400", "service_code: is required."),
        ("404", "service_code '牛棚' is not known."),
    ]
    assert json_of("errors", error) == [
        {"code": 400, "description": "service_code: is required."},
        {"code": 404, "description": "service_code '牛棚' is not known."},
    ]
    items = [ErrorItem(400, "E_SPECIFIC", "more specific than the status")]
    assert json_of("errors", items) == [
        {"code": "E_SPECIFIC", "description": "more specific than the status"}
    ]
    assert wire.render_error("csv", error)[1] == "text/xml; charset=utf-8"


def test_the_status_mapping() -> None:
    assert status_for(ErrorKind.UNKNOWN_RESOURCE) == 404
    assert status_for(ErrorKind.UNKNOWN_JURISDICTION) == 404
    assert status_for(ErrorKind.MISSING_API_KEY) == 403
    assert status_for(ErrorKind.BAD_API_KEY) == 403
    assert status_for(ErrorKind.BAD_REQUEST) == 400
    assert Open311Error.bad_api_key().status == 403
    assert Open311Error.unknown_jurisdiction("X").status == 404
    assert Open311Error.unknown_token("T").status == 404
    assert Open311Error.unknown_request("1").status == 404
    assert Open311Error.unknown_resource().status == 404
    # a refused key outranks everything else in a combined answer
    both = Open311Error.combine([Open311Error.unknown_service("x"), Open311Error.bad_api_key()])
    assert both.status == 403
    assert "api_key" in both.fields
    with pytest.raises(ValueError, match="at least one"):
        Open311Error.combine([])


def test_chinese_and_uyghur_text_round_trips_in_utf8() -> None:
    text = "羊圈倒塌 — قويلار قوتىنى ئوڭشاش <&> “引号”"
    service = wire.Service(service_code="pen", service_name=text, description=text)
    body, _ = wire.render("xml", "services", [service])
    assert text.encode("utf-8") not in body  # the XML escapes < and &
    assert "羊圈倒塌".encode() in body
    assert parse_xml(body)[0].findtext("service_name") == text
    as_json, _ = wire.render("json", "services", [service])
    assert "羊圈倒塌".encode() in as_json  # not \\u-escaped
    assert json.loads(as_json)[0]["description"] == text


def test_characters_xml_cannot_carry_are_dropped() -> None:
    service = wire.Service(service_code="pen", service_name="a\x00b\x1fc\ufffe")
    body, _ = wire.render("xml", "services", [service])
    assert parse_xml(body)[0].findtext("service_name") == "abc"


def test_unknown_formats_and_kinds_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="format"):
        wire.render("yaml", "services", [])
    with pytest.raises(ValueError, match="kind"):
        wire.render("xml", "everything", [])
    assert xml_of("services", []).tag == "services"
    assert json_of("requests", []) == []


# --- Parameters: paths -----------------------------------------------------------------------


def test_the_format_suffix() -> None:
    assert params.parse_format("xml") == "xml"
    assert params.parse_format(".JSON") == "json"
    with pytest.raises(Open311Error) as caught:
        params.parse_format("html")
    assert caught.value.status == 404


def test_identifiers_from_the_path() -> None:
    assert params.parse_identifier(" SQ-2026-000123 ") == "SQ-2026-000123"
    for bad in ("", "a b", "a,b", "x" * 101):
        with pytest.raises(Open311Error) as caught:
            params.parse_identifier(bad)
        assert caught.value.status == 400


# --- Parameters: GET requests (scenario 5) ---------------------------------------------------


def test_the_default_window_is_the_last_90_days_and_1000_requests() -> None:
    query = params.parse_requests_query(form(""), now=NOW)
    assert query.end == NOW
    assert query.start == NOW - dt.timedelta(days=90)
    assert query.page_size == 1000
    assert query.offset == 0
    assert query.statuses == ()
    assert not query.by_id


def test_service_request_id_overrides_every_other_filter() -> None:
    query = params.parse_requests_query(
        form(
            "service_request_id=SQ-2026-000123,SQ-2026-000124,,SQ-2026-000123"
            "&status=bogus&start_date=nonsense&service_code=pen&page_size=0"
        ),
        now=NOW,
    )
    assert query.by_id
    assert query.service_request_ids == ("SQ-2026-000123", "SQ-2026-000124")
    assert query.service_codes == ()
    assert query.start is None
    assert query.statuses == ()


def test_service_code_and_status_lists() -> None:
    query = params.parse_requests_query(
        form("service_code=pen,light&service_code=wages&status=open"), now=NOW
    )
    assert query.service_codes == ("pen", "light", "wages")
    assert query.statuses == ("open",)
    both = params.parse_requests_query(form("status=open,closed"), now=NOW)
    assert both.statuses == ()  # open and closed is everything
    closed = params.parse_requests_query(form("status=CLOSED"), now=NOW)
    assert closed.statuses == ("closed",)


def test_a_status_outside_open_and_closed_is_refused() -> None:
    with pytest.raises(Open311Error) as caught:
        params.parse_requests_query(form("status=open,fixed"), now=NOW)
    assert caught.value.status == 400
    assert caught.value.fields == ("status",)


@pytest.mark.parametrize(
    ("start", "end", "expected_start", "expected_end"),
    [
        (
            "2026-01-01T00:00:00+08:00",
            "2026-01-31T23:59:59+08:00",
            dt.datetime(2026, 1, 1, tzinfo=CST),
            dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=CST),
        ),
        (
            "2026-01-01T00:00:00Z",
            None,
            dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
        ),
        (
            None,
            "2026-02-01T00:00:00Z",
            dt.datetime(2025, 11, 3, tzinfo=dt.UTC),
            dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        ),
        # dates alone are whole days in the default zone, inclusive; this is exactly 90 days
        (
            "2026-01-01",
            "2026-03-31",
            dt.datetime(2026, 1, 1, tzinfo=params.DEFAULT_TZ),
            dt.datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=params.DEFAULT_TZ),
        ),
        # a "+" that was not URL-encoded arrives as a space
        (
            "2026-01-01T08:00:00 08:00",
            None,
            dt.datetime(2026, 1, 1, 8, tzinfo=CST),
            dt.datetime(2026, 4, 1, 8, tzinfo=CST),
        ),
    ],
)
def test_start_and_end_dates(
    start: str | None, end: str | None, expected_start: dt.datetime, expected_end: dt.datetime
) -> None:
    given = {k: v for k, v in (("start_date", start), ("end_date", end)) if v is not None}
    query = params.parse_requests_query(given, now=NOW)
    assert query.start == expected_start
    assert query.end == expected_end
    assert query.start is not None
    assert query.start.utcoffset() is not None


@pytest.mark.parametrize(
    "given",
    [
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-01T00:00:01Z"},  # > 90 days
        {"start_date": "2026-01-01", "end_date": "2026-04-01"},
        {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},  # reversed
        {"start_date": "yesterday"},
        {"start_date": "2026-02-30"},
        {"end_date": "2026-01-01T25:00:00Z"},
        {"start_date": "01/02/2026"},
    ],
)
def test_bad_or_too_wide_windows_are_refused(given: dict[str, str]) -> None:
    with pytest.raises(Open311Error) as caught:
        params.parse_requests_query(given, now=NOW)
    assert caught.value.status == 400


def test_paging_extension() -> None:
    query = params.parse_requests_query(form("page=3&page_size=50"), now=NOW)
    assert (query.page, query.page_size, query.offset) == (3, 50, 100)
    for bad in ("page=0", "page=-1", "page=x", "page_size=1001", "page_size=0", "page_size=1.5"):
        with pytest.raises(Open311Error) as caught:
            params.parse_requests_query(form(bad), now=NOW)
        assert caught.value.status == 400, bad


def test_empty_parameters_count_as_absent() -> None:
    query = params.parse_requests_query(
        form("service_request_id=&service_code=&status=&start_date=&page_size="), now=NOW
    )
    assert not query.by_id
    assert query.page_size == 1000
    assert query.end == NOW


def test_jurisdiction_id_required_on_multi_jurisdiction_endpoints() -> None:
    with pytest.raises(Open311Error) as caught:
        params.parse_requests_query(form(""), now=NOW, jurisdiction_required=True)
    assert caught.value.status == 400
    assert caught.value.fields == ("jurisdiction_id",)
    query = params.parse_requests_query(
        form("jurisdiction_id=T654002-01"), now=NOW, jurisdiction_required=True
    )
    assert query.jurisdiction_id == "T654002-01"


def test_too_many_ids_are_refused() -> None:
    ids = ",".join(f"SQ-{k}" for k in range(1001))
    with pytest.raises(Open311Error) as caught:
        params.parse_requests_query({"service_request_id": ids}, now=NOW)
    assert caught.value.status == 400


# --- Parameters: POST requests (scenarios 3 and 4) -------------------------------------------

GOOD = [
    ("api_key", "k-123"),
    ("service_code", "pen"),
    ("lat", "43.7928"),
    ("long", "87.6177"),
    ("description", "羊圈围栏倒塌，需要加固。"),
    ("attribute[size]", "large"),
    ("attribute[count]", "35"),
    ("attribute[tags][]", "sheep"),
    ("attribute[tags][]", "cattle"),
    ("attribute[since]", "2026-02-27T08:00:00+08:00"),
    ("attribute[fixmystreet_id]", "1001"),
]


def post(pairs: list[tuple[str, str]], **kwargs: Any) -> params.CreateRequest:
    kwargs.setdefault("definition", DEFINITION)
    return params.parse_create_request(form(pairs), **kwargs)


def without(*names: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in GOOD if k not in names]


def with_(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    names = {k for k, _ in extra}
    return [(k, v) for k, v in GOOD if k not in names] + list(extra)


def errors_of(pairs: list[tuple[str, str]], **kwargs: Any) -> Open311Error:
    with pytest.raises(Open311Error) as caught:
        post(pairs, **kwargs)
    return caught.value


def test_a_good_request_parses_with_typed_and_multi_value_attributes() -> None:
    created = post(GOOD)
    assert created.api_key == "k-123"
    assert created.service_code == "pen"
    assert (created.lat, created.long) == (43.7928, 87.6177)
    assert created.location_kind == "lat_long"
    assert created.description == "羊圈围栏倒塌，需要加固。"
    assert created.attributes["tags"] == ("sheep", "cattle")
    assert created.attributes["size"] == ("large",)
    assert created.attribute_values == {
        "size": "large",
        "count": Decimal("35"),
        "tags": ("sheep", "cattle"),
        "since": dt.datetime(2026, 2, 27, 8, tzinfo=CST),
    }
    assert created.unknown_attributes == ("fixmystreet_id",)
    assert created.media_url is None


def test_the_same_form_from_an_encoded_body() -> None:
    body = urlencode(GOOD)
    assert "attribute%5Btags%5D%5B%5D=sheep" in body
    assert post(parse_qsl(body)).attribute_values["tags"] == ("sheep", "cattle")


def test_without_a_definition_the_attributes_are_passed_through() -> None:
    created = params.parse_create_request(form(GOOD))
    assert created.attribute_values == {}
    assert created.attributes["tags"] == ("sheep", "cattle")


def test_a_missing_service_code_is_400() -> None:
    error = errors_of(without("service_code"), definition=None)
    assert error.status == 400
    assert error.fields == ("service_code",)


def test_a_missing_api_key_is_403() -> None:
    error = errors_of(without("api_key"))
    assert error.status == 403
    assert error.fields == ("api_key",)
    assert errors_of(with_(("api_key", "has space"))).status == 403


def test_no_location_is_400() -> None:
    error = errors_of(without("lat", "long"))
    assert error.status == 400
    assert "a location is required" in str(error)


@pytest.mark.parametrize(
    "location",
    [
        [("address_string", "幸福村三组")],
        [("address_id", "A-1001")],
        [("lat", "43.7928"), ("long", "87.6177"), ("address_string", "幸福村三组")],
    ],
)
def test_any_location_will_do(location: list[tuple[str, str]]) -> None:
    created = post(without("lat", "long") + location)
    assert created.location_kind in ("lat_long", "address_id", "address_string")


def test_strict_location_wants_exactly_one() -> None:
    both = with_(("address_string", "幸福村三组"))
    assert errors_of(both, strict_location=True).status == 400
    assert post([*without("lat", "long"), ("address_id", "A-1")], strict_location=True)


@pytest.mark.parametrize(
    ("pairs", "field"),
    [
        (without("long"), "long"),
        (without("lat"), "lat"),
        (with_(("lat", "91")), "lat"),
        (with_(("long", "-180.5")), "long"),
        (with_(("lat", "north")), "lat"),
        (with_(("lat", "NaN")), "lat"),
    ],
)
def test_bad_coordinates_are_400(pairs: list[tuple[str, str]], field: str) -> None:
    error = errors_of(pairs)
    assert error.status == 400
    assert field in error.fields


def test_a_missing_required_attribute_is_400() -> None:
    error = errors_of(without("attribute[size]"))
    assert error.status == 400
    assert error.fields == ("attribute[size]",)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (("attribute[size]", "huge"), "attribute[size]"),
        (("attribute[count]", "many"), "attribute[count]"),
        (("attribute[count]", "Infinity"), "attribute[count]"),
        (("attribute[since]", "last week"), "attribute[since]"),
        (("attribute[tags][]", "goats"), "attribute[tags][]"),
        (("attribute[detail]", "x" * 4001), "attribute[detail]"),
    ],
)
def test_attribute_values_are_checked_against_the_definition(
    extra: tuple[str, str], field: str
) -> None:
    pairs = [(k, v) for k, v in GOOD if k != extra[0]] + [extra]
    error = errors_of(pairs)
    assert error.status == 400
    assert field in error.fields


def test_a_single_value_attribute_takes_one_value() -> None:
    error = errors_of([*GOOD, ("attribute[size]", "small")])
    assert error.fields == ("attribute[size]",)


def test_a_multi_value_attribute_also_accepts_repeated_plain_keys() -> None:
    pairs = [
        *without("attribute[tags][]"),
        ("attribute[tags]", "sheep"),
        ("attribute[tags]", "cattle"),
    ]
    assert post(pairs).attribute_values["tags"] == ("sheep", "cattle")


def test_a_description_over_4000_characters_is_400() -> None:
    assert post(with_(("description", "羊" * 4000))).description == "羊" * 4000
    error = errors_of(with_(("description", "羊" * 4001)))
    assert error.status == 400
    assert error.fields == ("description",)
    assert "4001" in str(error)


@pytest.mark.parametrize(
    "text", ["<b>羊圈</b>", "羊圈<script>alert(1)</script>", "a<br/>b", "&lt;b&gt;", "<!-- x -->"]
)
def test_a_description_with_html_is_400(text: str) -> None:
    error = errors_of(with_(("description", text)))
    assert error.fields == ("description",)


def test_plain_text_with_angle_brackets_and_ampersands_is_fine() -> None:
    text = "气温<5度时羊圈漏风 & 需加固，数量>30只"
    assert post(with_(("description", text))).description == text


def test_control_characters_are_400() -> None:
    assert errors_of(with_(("description", "a\x00b"))).fields == ("description",)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (("email", "not-an-address"), "email"),
        (("phone", "call me"), "phone"),
        (("first_name", "x" * 101), "first_name"),
        (("media_url", "javascript:alert(1)"), "media_url"),
        (("media_url", "ftp://example.com/a.jpg"), "media_url"),
        (("device_id", "d" * 201), "device_id"),
    ],
)
def test_optional_fields_are_checked(extra: tuple[str, str], field: str) -> None:
    error = errors_of([*GOOD, extra])
    assert error.status == 400
    assert error.fields == (field,)


def test_optional_fields_are_kept() -> None:
    created = post(
        [
            *GOOD,
            ("email", "gulnar@example.com"),
            ("phone", "+86 138 1234 5678"),
            ("first_name", "Gulnar"),
            ("last_name", "Tursun"),
            ("device_id", "dev-1"),
            ("account_id", "acc-1"),
            ("media_url", "https://example.com/a.jpg"),
            ("media_url", "https://example.com/b.jpg"),
        ]
    )
    assert created.email == "gulnar@example.com"
    assert created.phone == "+86 138 1234 5678"
    assert created.media_urls == ("https://example.com/a.jpg", "https://example.com/b.jpg")
    assert created.media_url == "https://example.com/a.jpg"


def test_several_errors_come_back_together() -> None:
    error = errors_of(
        [("service_code", "pen"), ("api_key", "k"), ("description", "<b>x</b>"), ("email", "x")]
    )
    assert set(error.fields) == {"lat", "attribute[size]", "description", "email"}
    assert error.status == 400
    body, _, status = wire.render_error("json", error)
    assert status == 400
    assert len(json.loads(body)) == 4


def test_a_definition_for_another_service_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="definition"):
        params.parse_create_request(form(with_(("service_code", "wages"))), definition=DEFINITION)


def test_the_validation_errors_render_in_the_requested_format() -> None:
    error = errors_of(without("service_code", "api_key"), definition=None)
    body, content_type, status = wire.render_error("xml", error)
    assert status == 403
    assert content_type.startswith("text/xml")
    root = parse_xml(body)
    assert sorted(e.findtext("code") or "" for e in root) == ["400", "403"]
    body, content_type, _ = wire.render_error("json", error)
    assert content_type.startswith("application/json")
    assert sorted(e["code"] for e in json.loads(body)) == [400, 403]


# --- Parameters: mySociety updates (scenario 10) ---------------------------------------------


def test_a_posted_update() -> None:
    update = params.parse_update_post(
        form(
            "api_key=k&service_request_id=SQ-2026-000123&update_id=FMS-9&status=FIXED"
            "&updated_datetime=2026-02-28T11:00:00%2B08:00&description=已修好"
            "&media_url=https://example.com/c.jpg"
        )
    )
    assert update.status == "fixed"
    assert update.updated_datetime == dt.datetime(2026, 2, 28, 11, tzinfo=CST)
    assert update.description == "已修好"
    assert update.media_urls == ("https://example.com/c.jpg",)


def test_a_posted_update_may_have_an_empty_description() -> None:
    update = params.parse_update_post(
        form(
            "api_key=k&service_request_id=1&update_id=2&status=REOPEN"
            "&updated_datetime=2026-02-28T11:00:00Z&description="
        )
    )
    assert update.description == ""
    assert update.status == "reopen"


def test_a_posted_update_needs_every_required_field() -> None:
    with pytest.raises(Open311Error) as caught:
        params.parse_update_post(form("status=DONE"))
    error = caught.value
    assert error.status == 403
    assert set(error.fields) == {
        "api_key",
        "service_request_id",
        "update_id",
        "status",
        "updated_datetime",
        "description",
    }


def test_an_updates_query_defaults_to_90_days() -> None:
    query = params.parse_updates_query(form("api_key=k"), now=NOW)
    assert (query.start, query.end) == (NOW - dt.timedelta(days=90), NOW)
    assert query.api_key == "k"
    window = params.parse_updates_query(
        form("start_date=2026-02-01T00:00:00Z&end_date=2026-02-02T00:00:00Z"), now=NOW
    )
    assert window.end - window.start == dt.timedelta(days=1)
