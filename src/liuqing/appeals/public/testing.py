"""Test helpers of the residents' pages and Open311, for this app's tests: villages, a
resident's submission through the real service, an Open311 client, the rate-limit counters and
the text of a (compressed) PDF."""

from __future__ import annotations

import base64
import re
import zlib
from typing import Any

from django.core.cache import cache

from liuqing.appeals import public_services
from liuqing.appeals.models import Open311Client
from liuqing.appeals.testing import appeal_category
from liuqing.casework.models import Case, Category
from liuqing.casework.testing import root_staff
from liuqing.core import services as core_services
from liuqing.core.models import Place, PlaceKind, Unit

CATEGORY_CODE = "test.public"


def village(unit: Unit, name: str, *, lat: float = 43.8, long: float = 87.6, **kw: Any) -> Place:
    """A village owned by `unit`, made through the core service."""
    return core_services.create_place(
        actor=root_staff(unit),
        unit=unit,
        name=name,
        kind=kw.pop("kind", PlaceKind.VILLAGE),
        latitude=lat,
        longitude=long,
    )


def public_category(code: str = CATEGORY_CODE, **fields: Any) -> Category:
    return appeal_category(code, **{"resolve_days": 5, "is_public": True, **fields})


def submit(place: Place, description: str = "村里路灯坏了，晚上很黑。", **fields: Any) -> Case:
    """A resident's request through `submit_public_appeal` (consent given)."""
    return public_services.submit_public_appeal(
        category=fields.pop("category", None) or public_category(),
        description=description,
        place=place,
        consent=True,
        **fields,
    )


def open311_client(name: str = "city-app") -> tuple[Open311Client, str]:
    return public_services.create_open311_client(actor=None, name=name)


def reset_rate_limits() -> None:
    cache.clear()


_STREAM = re.compile(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", re.S)
_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        ch = raw[i]
        if ch != 0x5C:
            out.append(ch)
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            nxt = raw[i + 1 : i + 2]
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(nxt, nxt)
            i += 2
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    """Every string a reportlab PDF draws (compressed or not), decoded: the CID font writes
    UTF-16BE, the standard fonts Latin-1. Also the raw document, for metadata."""
    texts = []
    for header, body in _STREAM.findall(pdf):
        data = body
        try:
            if b"ASCII85Decode" in header:
                data = base64.a85decode(data.strip(), adobe=True)
            if b"FlateDecode" in header:
                data = zlib.decompress(data)
        except (ValueError, zlib.error):
            continue
        for raw in _STRING.findall(data):
            text = _unescape(raw)
            try:
                texts.append(text.decode("utf-16-be"))
            except UnicodeDecodeError:
                texts.append(text.decode("latin-1"))
    return "\n".join(texts) + "\n" + pdf.decode("latin-1")
