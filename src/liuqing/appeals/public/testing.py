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


_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_STREAM = re.compile(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", re.S)
_SHOW = re.compile(rb"/([^\s/()<>\[\]]+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)
_FONT_REF = re.compile(rb"/([A-Za-z]+\d+(?:\+\d+)?) (\d+) 0 R")
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]{2})>\s*<([0-9A-Fa-f]{4,})>")


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


def _decoded(header: bytes, body: bytes) -> bytes | None:
    try:
        if b"ASCII85Decode" in header:
            body = base64.a85decode(body.strip(), adobe=True)
        if b"FlateDecode" in header:
            body = zlib.decompress(body)
    except (ValueError, zlib.error):
        return None
    return body


def pdf_pages(pdf: bytes) -> list[str]:
    """The text each page of a reportlab PDF (compressed or not) draws, in drawing order,
    decoded: STSong-Light (CID) strings are UTF-16BE, embedded TrueType subsets (the Arabic
    font) go through their ToUnicode map (so Arabic text reads as the presentation forms in
    visual order, as drawn), the standard fonts are Latin-1."""
    objects = {int(num): body for num, body in _OBJECT.findall(pdf)}
    streams = {}
    for num, body in objects.items():
        match = _STREAM.search(body)
        if match:
            streams[num] = _decoded(match.group(1), match.group(2)) or b""
    decoders: dict[bytes, Any] = {}
    for body in objects.values():
        for name, ref in _FONT_REF.findall(body):
            font = objects.get(int(ref), b"")
            to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", font)
            if to_unicode:
                cmap = {
                    int(code, 16): bytes.fromhex(target.decode()).decode("utf-16-be")
                    for code, target in _BFCHAR.findall(streams.get(int(to_unicode.group(1)), b""))
                }
                decoders[name] = lambda raw, cmap=cmap: "".join(cmap.get(b, "\ufffd") for b in raw)
            elif b"STSong" in font or b"/Type0" in font:
                decoders[name] = lambda raw: raw.decode("utf-16-be", "replace")
    kids = re.search(rb"/Kids \[([^\]]*)\]", pdf)
    page_refs = [int(n) for n in re.findall(rb"(\d+) 0 R", kids.group(1))] if kids else []
    pages = []
    for ref in page_refs:
        contents = re.search(rb"/Contents (\d+) 0 R", objects.get(ref, b""))
        data = streams.get(int(contents.group(1)), b"") if contents else b""
        decode: Any = lambda raw: raw.decode("latin-1")  # noqa: E731
        texts = []
        for font, raw in _SHOW.findall(data):
            if font:
                decode = decoders.get(font, lambda raw: raw.decode("latin-1"))
            else:
                texts.append(decode(_unescape(raw)))
        pages.append("".join(texts))
    return pages


def pdf_text(pdf: bytes) -> str:
    """Every string a reportlab PDF draws, page by page (see pdf_pages), and the raw
    document, for metadata."""
    return "\n".join(pdf_pages(pdf)) + "\n" + pdf.decode("latin-1")
