"""Open311 GeoReport v2 documents in XML and JSON, from plain dataclasses.

`render(fmt, kind, payload) -> (body, content_type)` writes one document:

| kind | payload | XML root / item | JSON |
|---|---|---|---|
| "discovery" | Discovery | discovery | object |
| "services" | Sequence[Service] | services / service | array |
| "service_definition" | ServiceDefinition | service_definition | object |
| "requests" | Sequence[ServiceRequest] | service_requests / request | array |
| "request" | ServiceRequest | service_requests / request (one) | array of one |
| "tokens" | TokenResult or a sequence | service_requests / request | array |
| "create_reply" | CreateReply or a sequence | service_requests / request | array |
| "updates" | Sequence[RequestUpdate] | service_request_updates / request_update | array |
| "update_reply" | UpdateReply | service_request_updates / request_update | array |
| "errors" | Open311Error or Sequence[ErrorItem] | errors / error | array |

A `ServiceRequest` with `attributes`, `extended_attributes` or `notes` (the `extensions=true`
answer) writes them after the spec's fields: in XML as `attributes/attribute`,
`extended_attributes/{channel, detailed_status, photos/photo}` and `notes/note`, in JSON as
arrays and an object.

XML starts with a declaration, has no namespace and uses the spec's element names; JSON
follows the spec's "Spark" mapping (a list document is a root array). Datetimes are W3C with
their zone (a naive datetime is a programming error and raises ValueError). Characters that
XML 1.0 cannot carry are dropped.

The free-text fields of requests and updates (description, status_notes, service_notice)
pass through `core.redact.redact` once more as a last guard: the caller sends the officer-
approved public text, and nothing personal leaves even when that text slips.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from liuqing.core.redact import redact

from .errors import ErrorItem, Open311Error

__all__ = [
    "CONTENT_TYPES",
    "DATATYPES",
    "MIME_TYPES",
    "SPECIFICATION",
    "AttributeValue",
    "CreateReply",
    "Discovery",
    "Endpoint",
    "ExtendedAttributes",
    "Note",
    "Photo",
    "RequestAttribute",
    "RequestUpdate",
    "Service",
    "ServiceAttribute",
    "ServiceDefinition",
    "ServiceRequest",
    "TokenResult",
    "UpdateReply",
    "render",
    "render_error",
    "w3c",
]

Format = Literal["xml", "json"]
Kind = Literal[
    "discovery",
    "services",
    "service_definition",
    "requests",
    "request",
    "tokens",
    "create_reply",
    "updates",
    "update_reply",
    "errors",
]

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MIME_TYPES: dict[str, str] = {"xml": "text/xml", "json": "application/json"}
CONTENT_TYPES: dict[str, str] = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
SERVICE_TYPES = ("realtime", "batch", "blackbox")
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


# --- Payloads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    url: str
    changeset: dt.datetime
    type: Literal["production", "test"] = "production"
    formats: Sequence[str] = ("text/xml", "application/json")
    specification: str = SPECIFICATION


@dataclass(frozen=True)
class Discovery:
    changeset: dt.datetime
    contact: str
    key_service: str
    endpoints: Sequence[Endpoint]


@dataclass(frozen=True)
class Service:
    service_code: str
    service_name: str
    description: str = ""
    metadata: bool = False  # True when the service has a definition with attributes
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: Sequence[str] = ()
    group: str = ""

    def __post_init__(self) -> None:
        if self.type not in SERVICE_TYPES:
            raise ValueError(f"Open311 service type must be one of {SERVICE_TYPES}")


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: str


@dataclass(frozen=True)
class ServiceAttribute:
    """One question of a service definition. `values` are for the two list datatypes."""

    code: str
    datatype: str
    description: str
    order: int
    required: bool = False
    variable: bool = True  # False: informational only, the client sends nothing
    datatype_description: str = ""
    values: Sequence[AttributeValue] = ()

    def __post_init__(self) -> None:
        if self.datatype not in DATATYPES:
            raise ValueError(f"Open311 datatype must be one of {DATATYPES}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(str(v.key) for v in self.values)


@dataclass(frozen=True)
class ServiceDefinition:
    service_code: str
    attributes: Sequence[ServiceAttribute] = ()


@dataclass(frozen=True)
class ServiceRequest:
    """One request as the public sees it. `updated_datetime` is the close time when closed."""

    service_request_id: str
    status: str  # "open" | "closed" (or a mySociety extended status, lower case)
    service_name: str
    service_code: str
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime | None = None
    status_notes: str = ""
    description: str = ""
    agency_responsible: str = ""
    service_notice: str = ""
    expected_datetime: dt.datetime | None = None
    address: str = ""
    address_id: str = ""
    zipcode: str = ""
    lat: float | Decimal | None = None
    long: float | Decimal | None = None
    media_url: str = ""
    # The extensions (`extensions=true`); None when not asked for, and then left out.
    attributes: Sequence[RequestAttribute] | None = None
    extended_attributes: ExtendedAttributes | None = None
    notes: Sequence[Note] | None = None


@dataclass(frozen=True)
class RequestAttribute:
    """One answer to a service definition's question (the extension's `attributes`): `name`
    is the attribute's code, `label` its description, `code` the key of a listed value and
    `value` its name (or the value itself for numbers and datetimes)."""

    name: str
    label: str
    value: str
    code: str = ""


@dataclass(frozen=True)
class Photo:
    """A public photo of a request (`extended_attributes/photos`)."""

    media_url: str
    created_at: dt.datetime
    title: str = ""


@dataclass(frozen=True)
class ExtendedAttributes:
    """The extension's `extended_attributes`: how the request came in, its status in
    mySociety's extended vocabulary, and its public photos."""

    channel: str = ""
    detailed_status: str = ""
    photos: Sequence[Photo] = ()


@dataclass(frozen=True)
class Note:
    """One line of the history extension (`notes`)."""

    datetime: dt.datetime
    description: str
    type: str


@dataclass(frozen=True)
class TokenResult:
    """A batch token and, once processed, the request it became."""

    token: str
    service_request_id: str | None = None


@dataclass(frozen=True)
class CreateReply:
    """The answer to POST requests: a `service_request_id` or (batch services) a `token`."""

    service_request_id: str | None = None
    token: str | None = None
    service_notice: str = ""
    account_id: str | None = None

    def __post_init__(self) -> None:
        if (self.service_request_id is None) == (self.token is None):
            raise ValueError("A create reply carries a service_request_id or a token, not both.")


@dataclass(frozen=True)
class RequestUpdate:
    """One progress note (mySociety extension); `status` in lower case on GET."""

    update_id: str
    service_request_id: str
    status: str
    updated_datetime: dt.datetime
    description: str = ""
    media_url: str = ""
    external_status_code: str | None = None


@dataclass(frozen=True)
class UpdateReply:
    update_id: str
    account_id: str | None = None


# --- A small document model both formats are written from -----------------------------------


@dataclass(frozen=True)
class _List:
    """A nested list: JSON writes an array, XML one `item` element per entry."""

    item: str
    entries: Sequence[Any] = field(default_factory=tuple)


@dataclass(frozen=True)
class _Document:
    root: str
    item: str | None  # None: the root is an object, not a list
    body: Any  # a dict for an object, a list of dicts for a list


_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def w3c(value: dt.datetime) -> str:
    """A W3C (ISO 8601) datetime with its zone: 2026-03-01T09:30:00+08:00."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Open311 datetimes need a time zone; got a naive datetime.")
    return value.isoformat(timespec="seconds")


def _clean(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _public(text: str) -> str:
    return redact(text) if text else text


def _discovery(d: Discovery) -> _Document:
    return _Document(
        "discovery",
        None,
        {
            "changeset": d.changeset,
            "contact": d.contact,
            "key_service": d.key_service,
            "endpoints": _List(
                "endpoint",
                [
                    {
                        "specification": e.specification,
                        "url": e.url,
                        "changeset": e.changeset,
                        "type": e.type,
                        "formats": _List("format", list(e.formats)),
                    }
                    for e in d.endpoints
                ],
            ),
        },
    )


def _services(services: Sequence[Service]) -> _Document:
    return _Document(
        "services",
        "service",
        [
            {
                "service_code": s.service_code,
                "service_name": s.service_name,
                "description": s.description,
                "metadata": s.metadata,
                "type": s.type,
                "keywords": ", ".join(s.keywords),
                "group": s.group,
            }
            for s in services
        ],
    )


def _definition(d: ServiceDefinition) -> _Document:
    attributes = sorted(d.attributes, key=lambda a: a.order)
    return _Document(
        "service_definition",
        None,
        {
            "service_code": d.service_code,
            "attributes": _List(
                "attribute",
                [
                    {
                        "variable": a.variable,
                        "code": a.code,
                        "datatype": a.datatype,
                        "required": a.required,
                        "datatype_description": a.datatype_description or None,
                        "order": a.order,
                        "description": a.description,
                        "values": _List(
                            "value", [{"key": v.key, "name": v.name} for v in a.values]
                        ),
                    }
                    for a in attributes
                ],
            ),
        },
    )


def _request(r: ServiceRequest) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "service_request_id": r.service_request_id,
        "status": r.status,
        "status_notes": _public(r.status_notes) or None,
        "service_name": r.service_name,
        "service_code": r.service_code,
        "description": _public(r.description) or None,
        "agency_responsible": r.agency_responsible or None,
        "service_notice": _public(r.service_notice) or None,
        "requested_datetime": r.requested_datetime,
        "updated_datetime": r.updated_datetime,
        "expected_datetime": r.expected_datetime,
        "address": r.address or None,
        "address_id": r.address_id or None,
        "zipcode": r.zipcode or None,
        "lat": r.lat,
        "long": r.long,
        "media_url": r.media_url or None,
    }
    if r.attributes is not None:
        entry["attributes"] = _List(
            "attribute",
            [
                {"label": a.label, "name": a.name, "value": a.value, "code": a.code or None}
                for a in r.attributes
            ],
        )
    if r.extended_attributes is not None:
        x = r.extended_attributes
        entry["extended_attributes"] = {
            "channel": x.channel or None,
            "detailed_status": x.detailed_status or None,
            "photos": _List(
                "photo",
                [
                    {"media_url": p.media_url, "title": p.title or None, "created_at": p.created_at}
                    for p in x.photos
                ],
            ),
        }
    if r.notes is not None:
        entry["notes"] = _List(
            "note",
            [
                {"datetime": n.datetime, "description": _public(n.description), "type": n.type}
                for n in r.notes
            ],
        )
    return entry


def _many(payload: Any, kind: type) -> list[Any]:
    if isinstance(payload, kind):
        return [payload]
    return list(payload)


def _token(t: TokenResult) -> dict[str, Any]:
    return {"service_request_id": t.service_request_id, "token": t.token}


def _create_reply(c: CreateReply) -> dict[str, Any]:
    entry: dict[str, Any] = (
        {"service_request_id": c.service_request_id}
        if c.service_request_id is not None
        else {"token": c.token}
    )
    entry["service_notice"] = _public(c.service_notice) or None
    entry["account_id"] = c.account_id
    return entry


def _update(u: RequestUpdate) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "update_id": u.update_id,
        "service_request_id": u.service_request_id,
        "status": u.status.lower(),
        "updated_datetime": u.updated_datetime,
        "description": _public(u.description),
        "media_url": u.media_url,
    }
    if u.external_status_code:
        entry["external_status_code"] = u.external_status_code
    return entry


def _update_reply(u: UpdateReply) -> dict[str, Any]:
    entry: dict[str, Any] = {"update_id": u.update_id}
    if u.account_id:
        entry["account_id"] = u.account_id
    return entry


def _errors(payload: Open311Error | Sequence[ErrorItem]) -> _Document:
    items = payload.errors if isinstance(payload, Open311Error) else tuple(payload)
    return _Document(
        "errors", "error", [{"code": e.code, "description": e.description} for e in items]
    )


def _document(kind: str, payload: Any) -> _Document:
    if kind == "discovery":
        return _discovery(payload)
    if kind == "services":
        return _services(payload)
    if kind == "service_definition":
        return _definition(payload)
    if kind in ("requests", "request"):
        return _Document(
            "service_requests", "request", [_request(r) for r in _many(payload, ServiceRequest)]
        )
    if kind == "tokens":
        return _Document(
            "service_requests", "request", [_token(t) for t in _many(payload, TokenResult)]
        )
    if kind == "create_reply":
        return _Document(
            "service_requests", "request", [_create_reply(c) for c in _many(payload, CreateReply)]
        )
    if kind == "updates":
        return _Document("service_request_updates", "request_update", [_update(u) for u in payload])
    if kind == "update_reply":
        return _Document(
            "service_request_updates",
            "request_update",
            [_update_reply(u) for u in _many(payload, UpdateReply)],
        )
    if kind == "errors":
        return _errors(payload)
    raise ValueError(f"Unknown Open311 document kind: {kind!r}")


# --- Writers ---------------------------------------------------------------------------------


def _number(value: float | Decimal | int) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _xml_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return w3c(value)
    if isinstance(value, int | float | Decimal):
        return _number(value)
    return _clean(str(value))


def _xml_fill(parent: ET.Element, mapping: Mapping[str, Any]) -> None:
    for name, value in mapping.items():
        child = ET.SubElement(parent, name)
        if isinstance(value, Mapping):
            _xml_fill(child, value)
        elif isinstance(value, _List):
            for entry in value.entries:
                item = ET.SubElement(child, value.item)
                if isinstance(entry, Mapping):
                    _xml_fill(item, entry)
                else:
                    item.text = _xml_text(entry)
        else:
            child.text = _xml_text(value)


def _to_xml(doc: _Document) -> bytes:
    root = ET.Element(doc.root)
    if doc.item is None:
        _xml_fill(root, doc.body)
    else:
        for entry in doc.body:
            _xml_fill(ET.SubElement(root, doc.item), entry)
    ET.indent(root, space="  ")
    text = ET.tostring(root, encoding="unicode", short_empty_elements=False)
    return (XML_DECLARATION + text + "\n").encode("utf-8")


def _json_value(value: Any) -> Any:
    if isinstance(value, _List):
        return [_json_value(v) for v in value.entries]
    if isinstance(value, Mapping):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dt.datetime):
        return w3c(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return _clean(value)
    return value


def _to_json(doc: _Document, kind: str) -> bytes:
    body = _json_value(doc.body)
    if kind == "errors":
        # The spec's JSON errors carry the code as a number when it is one.
        for entry in body:
            if entry["code"].isdigit():
                entry["code"] = int(entry["code"])
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(fmt: str, kind: str, payload: Any) -> tuple[bytes, str]:
    """One Open311 document as (body, content type). `fmt` is "xml" or "json"."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"Open311 format must be xml or json, not {fmt!r}")
    doc = _document(kind, payload)
    body = _to_xml(doc) if fmt == "xml" else _to_json(doc, kind)
    return body, CONTENT_TYPES[fmt]


def render_error(fmt: str, error: Open311Error) -> tuple[bytes, str, int]:
    """An error document as (body, content type, HTTP status); unknown formats get XML."""
    body, content_type = render(fmt if fmt in CONTENT_TYPES else "xml", "errors", error)
    return body, content_type, error.status
