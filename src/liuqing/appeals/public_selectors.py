"""Reads of the residents' surfaces (public pages, the notice board, Open311): public data only.

Every query here names its columns (`values()` of a fixed list) so that a field added to a
model later cannot leak by accident, and runs a fixed number of queries whatever the page
size. Free text leaves only through `core.redact.redact` with the resident's name as a guard:
the resident's name is the one non-public value read here, decrypted inside this module for
that purpose alone, and never returned.

What "public" means for a case:

* the resident who holds the tracking code sees its status, category, dates, the public
  timeline entries and, once closed, the public result;
* the notice board and Open311 list the cases staff marked `is_public`, with the officer-
  approved summary and result; an Open311 client also sees the requests it submitted itself
  (when it sends its api_key), still only through their public fields.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from liuqing.appeals.models import BatchToken, Open311Client
from liuqing.appeals.public_services import (
    CARD_ROLES,
    OPEN311_KEY_PREFIX,
    PUBLIC_PLACE_KINDS,
    card_is_valid,
    key_digest,
)
from liuqing.appeals.workflow import APPEAL
from liuqing.casework.models import Case, Category, Entry, EntryType
from liuqing.casework.services import PUBLIC_CODE_ALPHABET, PUBLIC_CODE_LENGTH
from liuqing.casework.workflows import (
    ACCEPTED,
    CLOSED,
    IN_PROGRESS,
    MERGED,
    PARKED,
    RECEIVED,
    RESOLVED,
    RETURNED,
    WAITING,
    WITHDRAWN,
)
from liuqing.core import access
from liuqing.core.models import Member, Place, Unit, UnitKind
from liuqing.core.pii import plain
from liuqing.core.redact import redact

__all__ = [
    "BOARD_DAYS",
    "PUBLIC_STATUS",
    "BoardRow",
    "BoardScope",
    "PublicStatus",
    "board_page",
    "board_scope",
    "card_from_link",
    "normalise_code",
    "open311_client_for_key",
    "public_categories",
    "public_places",
    "public_status",
]

# Statuses in words residents understand; the staff's finer states fold into fewer.
PUBLIC_STATUS: dict[str, Any] = {
    RECEIVED: _("Received"),
    ACCEPTED: _("Accepted"),
    IN_PROGRESS: _("Being handled"),
    WAITING: _("Waiting for more information"),
    PARKED: _("Being handled"),
    RETURNED: _("Being handled"),
    RESOLVED: _("Resolved, being checked"),
    CLOSED: _("Completed"),
    WITHDRAWN: _("Withdrawn"),
    MERGED: _("Merged with another request"),
}
FINISHED = frozenset({CLOSED, WITHDRAWN, MERGED})
PAUSED = frozenset({WAITING, PARKED})
# Timeline entries a resident may see when staff marked them public. Attachments (no public
# file serving), assignments, warnings and exceptions stay internal whatever their flag.
PUBLIC_ENTRY_TYPES: dict[str, Any] = {
    EntryType.NOTE: _("Update"),
    EntryType.STATUS: _("Status"),
    EntryType.CONTACT: _("We contacted the resident"),
    EntryType.VISIT: _("Visit"),
    EntryType.TRANSFER: _("Passed to another unit"),
    EntryType.FOLLOWUP: _("Follow-up"),
}
TIMELINE_MAX = 200
BOARD_DAYS = 90
BOARD_PER_PAGE = 20
COORDINATE_PLACES = Decimal("0.001")  # about 100 m: never a house


def _names(value: Any) -> tuple[str, ...]:
    name = plain(value).strip()
    return (name,) if name else ()


def _guard(text: str, names: Iterable[str]) -> str:
    return redact(text or "", names=names)


def normalise_code(raw: Any) -> str | None:
    """A tracking code as typed (any case, spaces or dashes between groups) in its stored
    form, or None when it cannot be one."""
    text = "".join(ch for ch in str(raw or "") if not ch.isspace() and ch not in "-_").upper()
    if len(text) != PUBLIC_CODE_LENGTH or any(ch not in PUBLIC_CODE_ALPHABET for ch in text):
        return None
    return text


# --- The request form ------------------------------------------------------------------------


def public_categories() -> list[dict[str, Any]]:
    """Categories residents may choose: (id, name, group, needs_location), leaves of the
    tree under their top-level parent's name. One query."""
    rows = list(
        Category.objects.filter(kind=APPEAL, is_active=True, is_public=True)
        .order_by("order", "code")
        .values("pk", "name", "parent_id", "needs_location")
    )
    by_pk = {row["pk"]: row for row in rows}
    parents = {row["parent_id"] for row in rows if row["parent_id"]}
    result = []
    for row in rows:
        if row["pk"] in parents:
            continue  # a heading, not a choice
        parent = by_pk.get(row["parent_id"])
        result.append(
            {
                "pk": row["pk"],
                "name": row["name"],
                "group": parent["name"] if parent else "",
                "needs_location": row["needs_location"],
            }
        )
    return result


def _ancestor_paths(path: str) -> list[str]:
    parts = path.split(".")[:-1]
    return [".".join(parts[: i + 1]) + "." for i in range(len(parts))]


def public_places(within: Unit | None = None) -> list[dict[str, Any]]:
    """Villages and communities residents may choose, grouped under "brigade · station"
    (the units above the place's own unit), optionally only those in `within`'s subtree.
    Each group: {"label", "unit_pk" (the station, or the nearest unit named), "places":
    [(pk, name), ...]}. Two queries."""
    qs = Place.objects.filter(
        kind__in=PUBLIC_PLACE_KINDS, is_active=True, unit__is_active=True
    ).order_by("unit__path", "name")
    if within is not None:
        qs = qs.filter(access.subtree_q(within, "unit__path"))
    rows = list(qs.values("pk", "name", "unit_id", "unit__path", "unit__name"))
    wanted = {p for row in rows for p in _ancestor_paths(row["unit__path"])}
    units = {
        u["path"]: u
        for u in Unit.objects.filter(
            path__in=sorted(wanted), kind__in=(UnitKind.BRIGADE, UnitKind.STATION)
        ).values("pk", "path", "name")
    }
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        above = [units[p] for p in _ancestor_paths(row["unit__path"]) if p in units]
        label = " · ".join(u["name"] for u in above) or row["unit__name"]
        group = groups.setdefault(
            label,
            {"label": label, "unit_pk": above[-1]["pk"] if above else row["unit_id"], "places": []},
        )
        group["places"].append((row["pk"], row["name"]))
    return list(groups.values())


@dataclass(frozen=True)
class CardLink:
    """A contact card's link, checked: the officer and the unit it names."""

    officer: Member
    unit: Unit

    @property
    def officer_name(self) -> str:
        return self.officer.full_name


def card_from_link(officer_id: Any, unit_id: Any) -> CardLink | None:
    """The card named by a QR link's `officer` and `unit` parameters, or None unless both name
    active records and the officer serves in the unit's subtree. Two queries at most."""
    try:
        officer_pk, unit_pk = int(str(officer_id)), int(str(unit_id))
    except (TypeError, ValueError):
        return None
    unit = Unit.objects.filter(pk=unit_pk, is_active=True).first()
    officer = (
        Member.objects.filter(pk=officer_pk, is_active=True, role_grants__role__in=CARD_ROLES)
        .select_related("unit")
        .prefetch_related("role_grants")
        .first()
    )
    if unit is None or officer is None or not card_is_valid(officer, unit):
        return None
    return CardLink(officer=officer, unit=unit)


# --- Status by tracking code ---------------------------------------------------------------


@dataclass(frozen=True)
class TimelineLine:
    at: dt.datetime
    label: Any
    text: str


@dataclass(frozen=True)
class PublicStatus:
    """What the holder of a tracking code may see of their request."""

    code: str
    number: str
    category: str
    status: str
    status_label: Any
    is_finished: bool
    received_at: dt.datetime
    due_at: dt.datetime | None  # while the clock runs
    closed_at: dt.datetime | None
    result: str  # the public result, once closed
    place_name: str
    unit_name: str
    timeline: Sequence[TimelineLine]


_STATUS_FIELDS = (
    "pk",
    "number",
    "category__name",
    "status",
    "received_at",
    "resolve_due",
    "closed_at",
    "public_result",
    "place__name",
    "unit__name",
    "appeal__resident_name",
)


def public_status(code: str) -> PublicStatus | None:
    """The request with this tracking code (already normalised), or None. Two queries."""
    row = Case.objects.filter(public_code=code, kind=APPEAL).values(*_STATUS_FIELDS).first()
    if row is None:
        return None
    names = _names(row["appeal__resident_name"])
    entries = (
        Entry.objects.filter(case_id=row["pk"], is_public=True, type__in=list(PUBLIC_ENTRY_TYPES))
        .order_by("at", "id")
        .values("at", "type", "text", "to_status")[:TIMELINE_MAX]
    )
    timeline = [TimelineLine(row["received_at"], PUBLIC_STATUS[RECEIVED], "")]
    for entry in entries:
        label = PUBLIC_ENTRY_TYPES[entry["type"]]
        if entry["type"] == EntryType.STATUS and entry["to_status"]:
            label = PUBLIC_STATUS.get(entry["to_status"], label)
        timeline.append(TimelineLine(entry["at"], label, _guard(entry["text"], names)))
    status = row["status"]
    finished = status in FINISHED
    return PublicStatus(
        code=code,
        number=row["number"],
        category=row["category__name"],
        status=status,
        status_label=PUBLIC_STATUS.get(status, status),
        is_finished=finished,
        received_at=row["received_at"],
        due_at=None if finished or status in PAUSED else row["resolve_due"],
        closed_at=row["closed_at"] if status == CLOSED else None,
        result=_guard(row["public_result"], names) if status == CLOSED else "",
        place_name=row["place__name"] or "",
        unit_name=row["unit__name"],
        timeline=timeline,
    )


# --- Notice board ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardScope:
    """Whose board: one village or community (`kind` "place"), or a unit and its subtree."""

    kind: str
    pk: int
    name: str
    unit_name: str
    unit_path: str
    duty_phone: str


def _duty_phone(path: str, own: str) -> str:
    """The unit's duty phone, or the nearest unit above with one."""
    if own:
        return own
    above = (
        Unit.objects.filter(path__in=_ancestor_paths(path)[:-1])
        .exclude(duty_phone="")
        .order_by("-depth")
        .values_list("duty_phone", flat=True)
        .first()
    )
    return above or ""


def board_scope(kind: str, pk: Any) -> BoardScope | None:
    """The board's owner, or None (unknown, inactive, not a village or community). Two
    queries at most."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if kind == "place":
        row = (
            Place.objects.filter(
                pk=pk, kind__in=PUBLIC_PLACE_KINDS, is_active=True, unit__is_active=True
            )
            .values("pk", "name", "unit__name", "unit__path", "unit__duty_phone")
            .first()
        )
        if row is None:
            return None
        return BoardScope(
            "place",
            row["pk"],
            row["name"],
            row["unit__name"],
            row["unit__path"],
            _duty_phone(row["unit__path"], row["unit__duty_phone"]),
        )
    if kind == "unit":
        unit = (
            Unit.objects.filter(pk=pk, is_active=True)
            .values("pk", "name", "path", "duty_phone")
            .first()
        )
        if unit is None:
            return None
        return BoardScope(
            "unit",
            unit["pk"],
            unit["name"],
            unit["name"],
            unit["path"],
            _duty_phone(unit["path"], unit["duty_phone"]),
        )
    return None


@dataclass(frozen=True)
class BoardRow:
    number: str
    category: str
    summary: str
    status: str
    status_label: Any
    result: str
    closed_on: dt.date | None
    received_on: dt.date


_BOARD_FIELDS = (
    "number",
    "category__name",
    "public_summary",
    "status",
    "public_result",
    "closed_at",
    "received_at",
    "appeal__resident_name",
)


def board_cases(scope: BoardScope, start: dt.datetime, end: dt.datetime) -> QuerySet[Case]:
    """The board's cases: appeals marked public, received or closed in [start, end), newest
    first; merged duplicates leave the board. No query (one more first for the root unit's
    board: access.covers_everything)."""
    qs = Case.objects.filter(kind=APPEAL, is_public=True).exclude(status=MERGED)
    if scope.kind == "place":
        qs = qs.filter(place_id=scope.pk)
    else:
        # No condition for the only root (its subtree is every unit); below it the units by
        # a subquery on the path index, not a join on the units' path range: with the join
        # SQLite read every public appeal of the window in the whole tree and looked each
        # one's unit up (1.2 s of CPU for a station's board at a million appeals, 18 ms with
        # the subquery). With the ids as constants instead (access.Subtree) SQLite planned
        # a brigade's board four times slower, and with the subquery for the root too the
        # detachment's board six times slower.
        unit = Unit(pk=scope.pk, path=scope.unit_path, depth=scope.unit_path.count(".") - 1)
        if not access.covers_everything(unit):
            low, high = unit.subtree_range()
            units = Unit.objects.filter(path__gte=low, path__lt=high).values("id")
            qs = qs.filter(unit_id__in=units)
    window = Q(received_at__gte=start, received_at__lt=end) | Q(
        closed_at__gte=start, closed_at__lt=end
    )
    return qs.filter(window).order_by("-received_at", "-id")


def _board_row(row: dict[str, Any]) -> BoardRow:
    names = _names(row["appeal__resident_name"])
    closed = row["status"] == CLOSED
    return BoardRow(
        number=row["number"],
        category=row["category__name"],
        summary=_guard(row["public_summary"], names),
        status=row["status"],
        status_label=PUBLIC_STATUS.get(row["status"], row["status"]),
        result=_guard(row["public_result"], names) if closed else "",
        closed_on=timezone.localdate(row["closed_at"]) if closed and row["closed_at"] else None,
        received_on=timezone.localdate(row["received_at"]),
    )


def board_page(
    scope: BoardScope,
    start: dt.datetime,
    end: dt.datetime,
    page: Any = 1,
    per_page: int = BOARD_PER_PAGE,
) -> tuple[Page[Any], list[BoardRow]]:
    """One page of the board and its rows. Two queries (the count and the page), after the
    root's check in `board_cases` for the root unit's board."""
    values = board_cases(scope, start, end).values(*_BOARD_FIELDS)
    current = Paginator(values, per_page).get_page(page)
    return current, [_board_row(row) for row in current.object_list]


def board_rows(
    scope: BoardScope, start: dt.datetime, end: dt.datetime, limit: int = 500
) -> list[BoardRow]:
    """Every row of the board for print, up to `limit` (newest first). One query, after the
    root's check in `board_cases` for the root unit's board."""
    return [_board_row(r) for r in board_cases(scope, start, end).values(*_BOARD_FIELDS)[:limit]]


def board_places(within: Unit | None = None) -> list[dict[str, Any]]:
    """The villages and communities that have a board (all that residents may choose)."""
    return public_places(within)


# --- Open311 ---------------------------------------------------------------------------------


def jurisdiction_required() -> bool:
    """Whether the deployment serves more than one top unit (then each Open311 call names
    its jurisdiction). One query."""
    return Unit.objects.filter(parent__isnull=True, is_active=True).count() > 1


def jurisdiction(code: str) -> Unit | None:
    """The active unit whose code is `code` (any level: a detachment, a station, a village's
    community office)."""
    return Unit.objects.filter(code=code, is_active=True).first()


def open311_categories() -> list[Category]:
    """The services: appeal categories residents may choose, in order, with their parent."""
    return list(
        Category.objects.filter(kind=APPEAL, is_active=True, is_public=True)
        .select_related("parent")
        .order_by("order", "code")
    )


def open311_category(code: str) -> Category | None:
    return (
        Category.objects.filter(kind=APPEAL, is_active=True, is_public=True, code=code)
        .select_related("parent")
        .first()
    )


def request_id(number: str, unit_code: str) -> str:
    """The Open311 `service_request_id` of a case: its number and the code of the unit that
    issued it (numbers are unique per issuing unit and year, not across units)."""
    return f"{number}@{unit_code}"


def _split_id(value: str) -> tuple[str, str] | None:
    number, sep, code = value.rpartition("@")
    return (number, code) if sep and number and code else None


def _visible(client: Open311Client | None) -> Q:
    mine = Q(appeal__client_name=client.name) if client is not None else Q(pk__in=[])
    return Q(kind=APPEAL) & ~Q(status=MERGED) & (Q(is_public=True) | mine)


def _within(qs: QuerySet[Case], unit: Unit | None) -> QuerySet[Case]:
    return qs if unit is None else qs.filter(access.subtree_q(unit, "unit__path"))


_OPEN311_FIELDS = (
    "pk",
    "number",
    "number_unit__code",
    "status",
    "category__code",
    "category__name",
    "public_summary",
    "public_result",
    "received_at",
    "updated_at",
    "closed_at",
    "resolve_due",
    "latitude",
    "longitude",
    "place__name",
    "place__latitude",
    "place__longitude",
    "unit__name",
    "is_public",
    "appeal__channel",
    "appeal__client_name",
    "appeal__resident_name",
)


def _rounded(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(COORDINATE_PLACES)


def _open311_row(row: dict[str, Any]) -> dict[str, Any]:
    """A case as Open311 shows it: public fields only, redacted, coordinates rounded."""
    names = _names(row.pop("appeal__resident_name"))
    client_name = row.pop("appeal__client_name")
    status = row["status"]
    closed = status in FINISHED
    lat, long = row["latitude"], row["longitude"]
    if lat is None:
        lat, long = row["place__latitude"], row["place__longitude"]
    return {
        "pk": row["pk"],
        "service_request_id": request_id(row["number"], row["number_unit__code"]),
        "status": status,
        "open311_status": "closed" if closed else "open",
        "service_code": row["category__code"],
        "service_name": row["category__name"],
        "description": _guard(row["public_summary"], names),
        "status_notes": _guard(row["public_result"], names) if status == CLOSED else "",
        "agency_responsible": row["unit__name"],
        "requested_datetime": row["received_at"],
        "updated_datetime": (
            row["closed_at"] if closed and row["closed_at"] else row["updated_at"]
        ),
        "expected_datetime": row["resolve_due"],
        "address": row["place__name"] or "",
        "lat": _rounded(lat),
        "long": _rounded(long),
        # For the extensions (views.py); never rendered as they are.
        "is_public": row["is_public"],
        "channel": row["appeal__channel"] or "",
        "client_name": client_name,
        "names": names,
    }


def open311_requests(
    *,
    within: Unit | None,
    client: Open311Client | None,
    ids: Sequence[str] = (),
    codes: Sequence[str] = (),
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: Sequence[str] = (),
    offset: int = 0,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """GET requests: by explicit ids (which override every other filter), or received in
    [start, end] with optional service codes and open/closed, newest first. One query."""
    qs = _within(Case.objects.filter(_visible(client)), within)
    if ids:
        wanted = [pair for pair in (_split_id(v) for v in ids) if pair is not None]
        if not wanted:
            return []
        match = Q()
        for number, code in wanted:
            match |= Q(number=number, number_unit__code=code)
        qs = qs.filter(match)
    else:
        if codes:
            qs = qs.filter(category__code__in=list(codes))
        if start is not None:
            qs = qs.filter(received_at__gte=start)
        if end is not None:
            qs = qs.filter(received_at__lte=end)
        if statuses and set(statuses) != {"open", "closed"}:
            finished = Q(status__in=sorted(FINISHED))
            qs = qs.filter(finished) if "closed" in statuses else qs.exclude(finished)
    rows = qs.order_by("-received_at", "-id").values(*_OPEN311_FIELDS)[offset : offset + limit]
    return [_open311_row(dict(row)) for row in rows]


def open311_request(
    value: str, *, within: Unit | None, client: Open311Client | None
) -> dict[str, Any] | None:
    """One request by its service_request_id, if visible (None otherwise). One query."""
    pair = _split_id(value)
    if pair is None:
        return None
    qs = _within(Case.objects.filter(_visible(client)), within)
    row = qs.filter(number=pair[0], number_unit__code=pair[1]).values(*_OPEN311_FIELDS).first()
    return _open311_row(dict(row)) if row is not None else None


# --- Open311 extensions (extensions=true) and public photos -----------------------------------

MEDIA_SALT = "liuqing.appeals.open311.media"


def media_token(entry_pk: int, path: str) -> str:
    """The unguessable name of a public photo in its URL: the entry id and a keyed digest of
    the entry and its public file (so ids cannot be walked, and a replaced file gets a new
    name)."""
    digest = salted_hmac(MEDIA_SALT, f"{entry_pk}:{path}", algorithm="sha256").hexdigest()
    return f"{entry_pk}-{digest[:32]}"


@dataclass(frozen=True)
class PublicPhoto:
    """A photo staff attached and marked public, in its metadata-free public copy."""

    token: str
    extension: str  # "jpg" or "png"
    at: dt.datetime


def _public_photos(case_pks: Sequence[int]) -> QuerySet[Entry]:
    return Entry.objects.filter(
        case_id__in=list(case_pks),
        type=EntryType.ATTACHMENT,
        is_public=True,
        data__has_key="public_file",
    )


def open311_photos(rows: Sequence[dict[str, Any]]) -> dict[int, list[PublicPhoto]]:
    """The public photos of the listed requests that are on the public record (`is_public`;
    a client's own unpublished request shows none, since the file is served to anyone), by
    case, oldest first. One query (none without such requests)."""
    pks = [row["pk"] for row in rows if row["is_public"]]
    photos: dict[int, list[PublicPhoto]] = {}
    if not pks:
        return photos
    for entry in _public_photos(pks).order_by("at", "id").values("pk", "case_id", "at", "data"):
        path = (entry["data"] or {}).get("public_file") or ""
        if not path:
            continue
        photos.setdefault(entry["case_id"], []).append(
            PublicPhoto(
                token=media_token(entry["pk"], path),
                extension="png" if path.endswith(".png") else "jpg",
                at=entry["at"],
            )
        )
    return photos


def open311_photo_file(token: str) -> str | None:
    """The stored path of the public photo named `token`, if it is still public: the entry
    marked public, its appeal on the public record and not merged away. One query."""
    pk_text, sep, _digest = token.partition("-")
    if not sep or not pk_text.isdigit() or len(pk_text) > 18:
        return None
    row = (
        Entry.objects.filter(
            pk=int(pk_text),
            type=EntryType.ATTACHMENT,
            is_public=True,
            case__kind=APPEAL,
            case__is_public=True,
        )
        .exclude(case__status=MERGED)
        .values("pk", "data")
        .first()
    )
    if row is None:
        return None
    path = (row["data"] or {}).get("public_file") or ""
    if not path or not hmac.compare_digest(media_token(row["pk"], path), token):
        return None
    return str(path)


# Note types of the history extension, by timeline entry type (status entries by status).
NOTE_TYPES = {
    EntryType.NOTE: "note",
    EntryType.CONTACT: "contact",
    EntryType.VISIT: "visit",
    EntryType.TRANSFER: "transferred",
    EntryType.FOLLOWUP: "follow_up",
}
STATUS_NOTE_TYPES = {
    RECEIVED: "submitted",
    ACCEPTED: "opened",
    RESOLVED: "resolved",
    CLOSED: "closed",
}


def open311_notes(rows: Sequence[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """The history extension: each listed request's public timeline (the entries a resident
    sees with the tracking code), redacted with the resident's name as guard, oldest first,
    at most TIMELINE_MAX per request. One query."""
    names = {row["pk"]: row["names"] for row in rows}
    # Every history starts with its receipt, as the tracking-code page's does.
    notes: dict[int, list[dict[str, Any]]] = {
        row["pk"]: [
            {
                "datetime": row["requested_datetime"],
                "type": "submitted",
                "description": str(PUBLIC_STATUS[RECEIVED]),
            }
        ]
        for row in rows
    }
    if not names:
        return notes
    entries = (
        Entry.objects.filter(
            case_id__in=list(names), is_public=True, type__in=list(PUBLIC_ENTRY_TYPES)
        )
        .order_by("at", "id")
        .values("case_id", "at", "type", "text", "to_status", "data")
    )
    for entry in entries:
        listed = notes[entry["case_id"]]
        if len(listed) >= TIMELINE_MAX or (
            entry["type"] == EntryType.STATUS and entry["to_status"] == RECEIVED
        ):
            continue
        kind = NOTE_TYPES.get(entry["type"], "note")
        label = PUBLIC_ENTRY_TYPES[entry["type"]]
        if entry["type"] == EntryType.STATUS:
            data = entry["data"] if isinstance(entry["data"], dict) else {}
            reopened = data.get("action") == "reopen"
            kind = "reopened" if reopened else STATUS_NOTE_TYPES.get(entry["to_status"], "status")
            label = PUBLIC_STATUS.get(entry["to_status"], label)
        text = _guard(entry["text"], names[entry["case_id"]])
        listed.append({"datetime": entry["at"], "type": kind, "description": text or str(label)})
    return notes


def open311_own_attributes(
    rows: Sequence[dict[str, Any]], client: Open311Client | None
) -> dict[int, dict[str, Any]]:
    """The attribute answers of the listed requests that `client` itself submitted (they
    come back to the client that sent them, never to anyone else: a "vulnerable resident"
    tag is not for the public). One query (none without such requests)."""
    if client is None:
        return {}
    pks = [row["pk"] for row in rows if row["client_name"] == client.name]
    if not pks:
        return {}
    answers: dict[int, dict[str, Any]] = {}
    found = (
        Entry.objects.filter(case_id__in=pks, data__has_key="attributes")
        .order_by("at", "id")
        .values("case_id", "data")
    )
    for entry in found:
        data = entry["data"] if isinstance(entry["data"], dict) else {}
        if isinstance(data.get("attributes"), dict):
            answers.setdefault(entry["case_id"], data["attributes"])
    return answers


def open311_case_for_update(
    value: str, *, within: Unit | None, client: Open311Client
) -> Case | None:
    pair = _split_id(value)
    if pair is None:
        return None
    qs = _within(Case.objects.filter(_visible(client)), within)
    return qs.filter(number=pair[0], number_unit__code=pair[1]).select_related("unit").first()


def open311_updates(
    *,
    within: Unit | None,
    client: Open311Client | None,
    start: dt.datetime,
    end: dt.datetime,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """mySociety's GET servicerequestupdates: public timeline entries in [start, end] of the
    requests visible to the caller, oldest first. One query."""
    cases = _within(Case.objects.filter(_visible(client)), within)
    rows = (
        Entry.objects.filter(
            case__in=cases.values("pk"),
            is_public=True,
            type__in=list(PUBLIC_ENTRY_TYPES),
            at__gte=start,
            at__lte=end,
        )
        .order_by("at", "id")
        .values(
            "pk",
            "at",
            "type",
            "text",
            "to_status",
            "data",
            "case__number",
            "case__number_unit__code",
            "case__status",
            "case__appeal__resident_name",
        )[:limit]
    )
    result = []
    for row in rows:
        names = _names(row["case__appeal__resident_name"])
        data = row["data"] if isinstance(row["data"], dict) else {}
        result.append(
            {
                "update_id": str(row["pk"]),
                "service_request_id": request_id(
                    row["case__number"], row["case__number_unit__code"]
                ),
                "status": _update_status(row["type"], row["to_status"], data, row["case__status"]),
                "updated_datetime": row["at"],
                "description": _guard(row["text"], names),
            }
        )
    return result


# mySociety's extended statuses (lower case on GET) for the engine's states.
FMS_STATUS = {
    RECEIVED: "open",
    ACCEPTED: "open",
    IN_PROGRESS: "in_progress",
    WAITING: "in_progress",
    PARKED: "in_progress",
    RETURNED: "in_progress",
    RESOLVED: "in_progress",  # the handler's word; closure still needs verifying
    CLOSED: "fixed",
    WITHDRAWN: "closed",
    MERGED: "duplicate",
}


def _update_status(kind: str, to_status: str, data: dict[str, Any], current: str) -> str:
    if kind == EntryType.STATUS and to_status:
        if data.get("action") == "reopen":
            return "reopen"
        return FMS_STATUS.get(to_status, "open")
    return FMS_STATUS.get(current, "open")


def batch_token(token: str) -> tuple[str, str | None] | None:
    """A batch token and the request id it resolved to (None until staff accept the case),
    or None for an unknown token. One query."""
    row = (
        BatchToken.objects.filter(token=token)
        .values("token", "case__number", "case__number_unit__code", "case__accepted_at")
        .first()
    )
    if row is None:
        return None
    if row["case__number"] is None or row["case__accepted_at"] is None:
        return row["token"], None
    return row["token"], request_id(row["case__number"], row["case__number_unit__code"])


def nearest_place(within: Unit | None, lat: float, long: float, radius_km: float) -> Place | None:
    """The village or community of `within`'s subtree nearest to the point, within
    `radius_km`. Reads the candidates' coordinates (one query; a station has tens of villages,
    a detachment a few thousand) and measures great-circle distance."""
    qs = Place.objects.filter(kind__in=PUBLIC_PLACE_KINDS, is_active=True, unit__is_active=True)
    if within is not None:
        qs = qs.filter(access.subtree_q(within, "unit__path"))
    best, best_km = None, radius_km
    for pk, plat, plong in qs.values_list("pk", "latitude", "longitude"):
        km = _haversine_km(lat, long, float(plat), float(plong))
        if km <= best_km:
            best, best_km = pk, km
    if best is None:
        return None
    return Place.objects.select_related("unit").get(pk=best)


def place_by_address(
    within: Unit | None, *, address_id: str | None, address_string: str | None
) -> Place | None:
    """A village or community named by Open311's `address_id` (our place id) or, failing
    that, whose name is the `address_string` exactly."""
    qs = Place.objects.filter(
        kind__in=PUBLIC_PLACE_KINDS, is_active=True, unit__is_active=True
    ).select_related("unit")
    if within is not None:
        qs = qs.filter(access.subtree_q(within, "unit__path"))
    if address_id is not None and address_id.isdigit():
        found = qs.filter(pk=int(address_id)).first()
        if found is not None:
            return found
    if address_string:
        return qs.filter(name=address_string.strip()).order_by("pk").first()
    return None


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


def open311_client_for_key(key: str) -> Open311Client | None:
    """The active client whose api_key this is, or None (a constant-time digest check)."""
    if not key.startswith(OPEN311_KEY_PREFIX):
        return None
    prefix = key[len(OPEN311_KEY_PREFIX) :].split("_", 1)[0]
    client = Open311Client.objects.filter(key_prefix=prefix, is_active=True).first()
    if client is None or not hmac.compare_digest(client.key_digest, key_digest(key)):
        return None
    return client
