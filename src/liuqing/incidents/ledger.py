"""The incident ledger as a kind of the import engine, and the batch writer behind both the
file import and the JSON push (one validation, one write path).

Every row is checked on its own; each problem is a reason in the error report and the row is
refused, the others go in:

* required fields (source id, time, category, latitude, longitude);
* the time: parseable (ISO 8601, "2025/03/01 08:05", or the mapping's own format) and not in
  the future; a time without a zone is local time (settings.TIME_ZONE);
* the category: an active one of ours (code or name; a built-in one also by its name in any
  of the site's languages) or mapped from the source's text (`CategoryMapping`) onto an
  active one; a disabled category is refused as such, anything else as unknown;
* coordinates: possible (`cells.valid_coordinates`) and inside the detachment's area,
  converted from GCJ-02 first when the mapping says so;
* the unit: the code given, in the jurisdiction, or derived from the point (`locate`).

Idempotent by (source system, source id): a row already stored with the same content is
unchanged, with other content it is updated, and a row recorded by a unit outside the
importer's jurisdiction is refused rather than overwritten.

Rows go in with one multi-row INSERT / UPDATE per batch through the database cursor rather
than model instances: building a million model objects would cost more than the whole import
budget (50,000 rows/s). Everything `full_clean` would check is checked above, field by field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import zoneinfo
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liuqing.analytics import cells
from liuqing.core.models import Member, Unit
from liuqing.imports import registry
from liuqing.imports.registry import (
    CREATED,
    REJECTED,
    UNCHANGED,
    UPDATED,
    Batch,
    BatchResult,
    BatchWriter,
    FieldSpec,
    OptionSpec,
    RowError,
)
from liuqing.incidents import counts, vectors
from liuqing.incidents.defaults import category_texts
from liuqing.incidents.locate import Locator, resolutions
from liuqing.incidents.models import CategoryMapping, Incident, IncidentCategory
from liuqing.incidents.policies import INCIDENT

WGS84 = "wgs84"
GCJ02 = "gcj02"
TEXT_MAX = 64
DESCRIPTION_MAX = 500
# The optional texts and their limits, checked a column at a time (`_check`) and, for a row
# that fails, field by field (`_examine`).
TEXT_LIMITS = (("sub_category", TEXT_MAX), ("outcome", TEXT_MAX), ("description", DESCRIPTION_MAX))
SOURCE_MAX = 32
CLOCK_SKEW = dt.timedelta(minutes=5)  # a dispatch server's clock a little ahead is not "future"
LOOKUP_CHUNK = 500  # well under every database's bound-parameter limit
ANALYZE_FIRST = 10_000  # rows inserted by one import before its first ANALYZE
FALLBACK_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M",
    "%Y%m%d%H%M%S",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
)

FIELDS = (
    FieldSpec("source_id", gettext_lazy("source id"), required=True),
    FieldSpec("occurred_at", gettext_lazy("time"), required=True),
    FieldSpec("category", gettext_lazy("category"), required=True),
    FieldSpec("sub_category", gettext_lazy("sub-category")),
    FieldSpec("latitude", gettext_lazy("latitude"), required=True),
    FieldSpec("longitude", gettext_lazy("longitude"), required=True),
    FieldSpec(
        "unit",
        gettext_lazy("unit code"),
        help=gettext_lazy("Optional: without it the unit is found from the location."),
    ),
    FieldSpec("outcome", gettext_lazy("outcome")),
    FieldSpec(
        "description",
        gettext_lazy("short description"),
        help=gettext_lazy("Staff only, never public. Leave names and numbers of people out."),
    ),
)
OPTIONS = (
    OptionSpec(
        "source_system",
        gettext_lazy("source system"),
        required=True,
        default="dispatch",
        help=gettext_lazy("The system the file comes from; with the source id it names a row."),
    ),
    OptionSpec(
        "coordinates",
        gettext_lazy("coordinate system"),
        choices=(
            (WGS84, gettext_lazy("WGS 84 (GPS)")),
            (GCJ02, gettext_lazy("GCJ-02 (Amap, Tencent)")),
        ),
        default=WGS84,
    ),
    OptionSpec(
        "time_format",
        gettext_lazy("time format"),
        help=gettext_lazy("Optional, e.g. %Y/%m/%d %H:%M; empty reads ISO 8601 and common forms."),
    ),
)


def clean_options(options: dict[str, str]) -> dict[str, str]:
    source = str(options.get("source_system") or "").strip()
    coordinates = str(options.get("coordinates") or WGS84).strip()
    time_format = str(options.get("time_format") or "").strip()
    errors: dict[str, str] = {}
    if not source or len(source) > SOURCE_MAX or not source.isprintable():
        errors["opt_source_system"] = _("Name the source system (at most 32 characters).")
    if coordinates not in (WGS84, GCJ02):
        errors["opt_coordinates"] = _("Choose WGS 84 or GCJ-02.")
    if time_format and "%" not in time_format:
        errors["opt_time_format"] = _("A time format uses codes such as %Y, %m, %d, %H and %M.")
    if errors:
        raise ValidationError(errors)
    return {"source_system": source, "coordinates": coordinates, "time_format": time_format}


def parse_time(text: str, time_format: str, zone: dt.tzinfo) -> dt.datetime | None:
    """The instant `text` names (aware), or None when it cannot be read."""
    value: dt.datetime | None = None
    if time_format:
        try:
            value = dt.datetime.strptime(text, time_format)
        except ValueError:
            return None
    else:
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            for candidate in FALLBACK_FORMATS:
                try:
                    value = dt.datetime.strptime(text, candidate)
                    break
                except ValueError:
                    continue
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def category_lookup(source_system: str) -> tuple[dict[str, int], frozenset[str]]:
    """(lower-cased text → id of an active category, the texts of the disabled ones), from
    one read of the categories. The first: our codes and names (a built-in category by its
    name in any of the site's languages too), then this source's mappings (which win). A
    disabled category is in none of them; its texts, the second, let its rows be refused
    with that reason rather than as unknown."""
    table: dict[str, int] = {}
    disabled: set[str] = set()
    for pk, code, name, active in IncidentCategory.objects.values_list(
        "pk", "code", "name", "is_active"
    ):
        texts = category_texts(code, name)
        if active:
            table.update(dict.fromkeys(texts, pk))
        else:
            disabled.update(texts)
    for text, pk in CategoryMapping.objects.filter(
        source_system=source_system, category__is_active=True
    ).values_list("source_text", "category_id"):
        table[text.strip().lower()] = pk
    return table, frozenset(disabled)


class ParentGone(RuntimeError):
    """A category or unit named by a batch's rows no longer exists."""


@dataclass
class _Checked:
    """The rows of a batch that passed the field checks, by column."""

    numbers: list[int]
    source_ids: list[str]
    times: list[str]  # UTC, as `_utc_text` writes it
    categories: list[int]
    subs: list[str]
    lats: list[float]
    lngs: list[float]
    units: list[int]
    outcomes: list[str]
    descriptions: list[str]


@dataclass
class _Prepared:
    """A batch ready to be written (`IncidentWriter.prepare`): the errors found so far and the
    kept rows by column, plain lists (they may cross to another process)."""

    result: BatchResult
    batch: Batch | None = None  # kept only when the caller wants ids back
    numbers: list[int] = field(default_factory=list)
    source_ids: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)
    categories: list[int] = field(default_factory=list)
    subs: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    lats: list[float] = field(default_factory=list)
    lngs: list[float] = field(default_factory=list)
    coarse: list[int] = field(default_factory=list)
    fine: list[int] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    row_status: dict[int, str] = field(default_factory=dict)
    first: dict[str, int] = field(default_factory=dict)
    last: dict[str, int] = field(default_factory=dict)
    repeated: dict[str, list[int]] = field(default_factory=dict)
    # The rows' monthly counts, summed by key (`counts.group`): what the batch adds when every
    # row is new, the usual case of a first import. Worked out here, in the process that may
    # run ahead of the one writing, rather than in `store`.
    count_rows: list[list[int]] | None = None


class IncidentWriter(BatchWriter):
    """Validates and writes batches of incident rows into `unit`'s jurisdiction."""

    def __init__(
        self, *, actor: Member, unit: Unit, options: dict[str, str], run_id: int | None = None
    ) -> None:
        self.actor = actor
        self.root = unit
        self.options = clean_options(options)
        self.source_system = self.options["source_system"]
        self.gcj = self.options["coordinates"] == GCJ02
        self.time_format = self.options["time_format"]
        self.zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.run_id = run_id
        self.categories, self.disabled = category_lookup(self.source_system)
        self.locator = Locator(unit)
        self.coarse, self.fine = resolutions()
        self.want_ids = False
        self.hour_offsets: dict[int, tuple[int, bool]] = {}  # see vectors.local_to_utc
        self.inserted = 0
        self.analyze_at = ANALYZE_FIRST
        if connection.vendor == "sqlite":
            # 64 MB of page cache for this connection (SQLite's default is 2 MB): index pages
            # of a large table stay in memory across the batches instead of being re-read.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -65536")
        meta = Incident._meta
        self.table = connection.ops.quote_name(meta.db_table)
        self.columns = [
            "source_system",
            "source_id",
            "occurred_at",
            "category_id",
            "sub_category",
            "latitude",
            "longitude",
            "cell_coarse",
            "cell_fine",
            "unit_id",
            "outcome",
            "description",
            "fingerprint",
            "import_run_id",
            "created_at",
            "updated_at",
        ]

    # --- validation ---------------------------------------------------------------------------

    def _check(self, batch: Batch, errors: list[RowError]) -> _Checked:
        """Every row checked, a column at a time (`vectors`, C-level maps); a row that fails
        any fast check goes through `_examine`, which says what is wrong with it (or finds
        it fine after all, e.g. a time in one of the other accepted forms)."""
        n = len(batch)
        numbers, columns = batch.numbers, batch.columns
        blank = [""] * n
        source_ids = columns.get("source_id", blank)
        labels = columns.get("category", blank)
        subs = columns.get("sub_category", blank)
        outcomes = columns.get("outcome", blank)
        descriptions = columns.get("description", blank)
        now = timezone.now() + CLOCK_SKEW
        flagged: set[int] = set()

        times = self._times(columns.get("occurred_at", blank), now, flagged)
        categories = list(map(self.categories.get, map(str.lower, labels)))
        if None in categories:
            flagged.update(i for i, c in enumerate(categories) if c is None)
        lengths = list(map(len, source_ids))
        if min(lengths) == 0 or max(lengths) > TEXT_MAX:
            flagged.update(i for i, k in enumerate(lengths) if k == 0 or k > TEXT_MAX)
        lats = _floats(columns.get("latitude", blank), flagged)
        lngs = _floats(columns.get("longitude", blank), flagged)
        codes = columns.get("unit")
        units = [0] * n
        if codes is not None and any(codes):
            by_code = self.locator.by_code
            units = [by_code.get(code, 0) if code else 0 for code in codes]
            flagged.update(i for i, code in enumerate(codes) if code and not units[i])
        for name, limit in TEXT_LIMITS:
            texts = columns.get(name, blank)
            if max(map(len, texts)) > limit or "\x00" in "".join(texts):
                flagged.update(i for i, t in enumerate(texts) if len(t) > limit or "\x00" in t)

        refused: set[int] = set()
        for i in sorted(flagged):
            raw = {name: values[i] for name, values in columns.items()}
            parsed = self._examine(numbers[i], raw, now)
            if isinstance(parsed, list):
                errors.extend(parsed)
                refused.add(i)
                continue
            _sid, when, category, _sub, lat, lng, unit_id, _out, _desc = parsed
            times[i] = _utc_text(when)
            categories[i], lats[i], lngs[i], units[i] = category, lat, lng, unit_id
        keep = [i for i in range(n) if i not in refused] if refused else None
        return _Checked(
            numbers=_take(numbers, keep),
            source_ids=_take(source_ids, keep),
            times=_take(times, keep),
            categories=_take(categories, keep),
            subs=_take(subs, keep),
            lats=_take(lats, keep),
            lngs=_take(lngs, keep),
            units=_take(units, keep),
            outcomes=_take(outcomes, keep),
            descriptions=_take(descriptions, keep),
        )

    def _times(self, texts: list[str], now: dt.datetime, flagged: set[int]) -> list[Any]:
        """Each row's time as UTC text (see `_utc_text`); None, and the row flagged, when it
        cannot be read or is in the future. The common ISO shapes are converted a column at
        a time (`vectors.iso_utc`); any other readable form row by row."""
        n = len(texts)
        zone = self.zone
        if self.time_format:
            parsed = [parse_time(text, self.time_format, zone) for text in texts]
            missing = [i for i, when in enumerate(parsed) if when is None]
            fast = np.zeros(n, dtype=bool)
            utc = np.zeros(0, dtype="datetime64[s]")
        else:
            parsed, missing = vectors.parse_iso(texts)
            readable = np.ones(n, dtype=bool)
            readable[missing] = False
            fast, utc = vectors.iso_utc(texts, zone, readable, self.hour_offsets)
        out: list[Any] = [None] * n
        flagged.update(missing)
        if fast.any():
            limit = np.datetime64(now.astimezone(dt.UTC).replace(tzinfo=None), "us")
            future = fast & (utc.astype("datetime64[us]") > limit)
            if future.any():
                flagged.update(np.flatnonzero(future).tolist())
                fast &= ~future
            where = np.flatnonzero(fast).tolist()
            for i, text in zip(where, vectors.utc_texts(utc[fast]), strict=True):
                out[i] = text
        if not fast.all():
            for i in np.flatnonzero(~fast).tolist():
                when = parsed[i]
                if when is None:
                    continue
                if when.tzinfo is None:
                    when = when.replace(tzinfo=zone)
                if when > now:
                    flagged.add(i)
                else:
                    out[i] = _utc_text(when)
        return out

    def _examine(self, number: int, raw: dict[str, str], now: dt.datetime) -> Any:
        """One row checked field by field: its errors (a list), or its parsed values."""
        categories = self.categories
        by_code = self.locator.by_code
        required = _("This field is required.")
        too_long = _("Too long: at most %(n)d characters.")
        bad: list[RowError] = []
        source_id = raw.get("source_id", "")
        if not source_id:
            bad.append(RowError(number, "source_id", "", required))
        elif len(source_id) > TEXT_MAX:
            bad.append(RowError(number, "source_id", source_id, too_long % {"n": TEXT_MAX}))
        text = raw.get("occurred_at", "")
        when = parse_time(text, self.time_format, self.zone) if text else None
        if not text:
            bad.append(RowError(number, "occurred_at", "", required))
        elif when is None:
            bad.append(RowError(number, "occurred_at", text, _("The time cannot be read.")))
        elif when > now:
            bad.append(RowError(number, "occurred_at", text, _("The time is in the future.")))
        label = raw.get("category", "")
        category = categories.get(label.lower()) if label else None
        if not label:
            bad.append(RowError(number, "category", "", required))
        elif category is None:
            reason = (
                _("This category is disabled: it takes no new incidents.")
                if label.strip().lower() in self.disabled
                else _("Unknown category: map it on the category mapping page.")
            )
            bad.append(RowError(number, "category", label, reason))
        coords: list[float] = []
        for name in ("latitude", "longitude"):
            value = raw.get(name, "")
            if not value:
                bad.append(RowError(number, name, "", required))
                continue
            try:
                coords.append(float(value))
            except ValueError:
                bad.append(RowError(number, name, value, _("Not a number.")))
        unit_code = raw.get("unit", "")
        unit_id = 0
        if unit_code:
            unit_id = by_code.get(unit_code, 0)
            if not unit_id:
                bad.append(
                    RowError(
                        number,
                        "unit",
                        unit_code,
                        _("No unit with this code in the jurisdiction of the import."),
                    )
                )
        texts = {name: raw.get(name, "") for name, _limit in TEXT_LIMITS}
        for name, limit in TEXT_LIMITS:
            value = texts[name]
            if len(value) > limit:
                bad.append(RowError(number, name, value, too_long % {"n": limit}))
            elif "\x00" in value:  # PostgreSQL cannot store NUL
                bad.append(RowError(number, name, "", _("Contains a NUL character.")))
        if bad:
            return bad
        assert when is not None
        assert category is not None
        return (
            source_id,
            when,
            category,
            texts["sub_category"],
            coords[0],
            coords[1],
            unit_id,
            texts["outcome"],
            texts["description"],
        )

    def _place(
        self, rows: _Checked, errors: list[RowError]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Vectorised: coordinates converted and checked, cells, units. Returns (keep mask,
        lat, lng, coarse cells, fine cells, unit ids)."""
        lat = np.asarray(rows.lats, dtype=np.float64)
        lng = np.asarray(rows.lngs, dtype=np.float64)
        possible = cells.valid_coordinates(lat, lng)
        if self.gcj and possible.any():
            wlat, wlng = cells.gcj02_to_wgs84(lat[possible], lng[possible])
            lat[possible], lng[possible] = wlat, wlng
        inside = possible.copy()
        if self.locator.area is not None:
            inside &= cells.valid_coordinates(lat, lng, bbox=self.locator.area)
        if inside.all():
            coarse = cells.points_to_cells(lat, lng, self.coarse)
            fine = cells.points_to_cells(lat, lng, self.fine)
        else:
            zero_lat, zero_lng = np.where(inside, lat, 0.0), np.where(inside, lng, 0.0)
            coarse = cells.points_to_cells(zero_lat, zero_lng, self.coarse)
            fine = cells.points_to_cells(zero_lat, zero_lng, self.fine)
        units = np.asarray(rows.units, dtype=np.int64)
        derive = inside & (units == 0)
        if derive.any():
            units[derive] = self.locator.locate(fine[derive], lat[derive], lng[derive])
        keep = inside & (units != 0)
        for i in np.flatnonzero(~keep).tolist():
            value = f"{rows.lats[i]}, {rows.lngs[i]}"
            if not possible[i]:
                reason = _("Impossible coordinates.")
            elif not inside[i]:
                reason = _("The location is outside the detachment's area.")
            else:
                reason = _("No unit's jurisdiction contains this location.")
            errors.append(RowError(rows.numbers[i], "latitude", value, reason))
        return keep, lat, lng, coarse, fine, units

    # --- writing ------------------------------------------------------------------------------

    def write(self, rows: list[tuple[int, dict[str, str]]]) -> BatchResult:
        return self.write_batch(Batch.from_rows(rows))

    def write_batch(self, batch: Batch) -> BatchResult:
        return self.store(self.prepare(batch))

    # The import engine may run `prepare` in another process, a batch or two ahead of
    # `store` (`imports.services`): it reads no database and changes nothing but this
    # writer's caches.
    pipelined = True

    def prepare(self, batch: Batch) -> _Prepared:
        """The batch checked, placed and digested, and which row is written for each source
        id: everything but the database."""
        result = BatchResult()
        checked = self._check(batch, result.errors) if len(batch) else None
        ids_for = batch if self.want_ids else None
        if checked is None or not checked.numbers:
            return _Prepared(result=result, batch=ids_for)
        keep, lat, lng, coarse, fine, units = self._place(checked, result.errors)
        # Only the rows that stay, as plain lists: indexing numpy arrays row by row costs
        # more than the row.
        kept = None if keep.all() else np.flatnonzero(keep).tolist()
        numbers = _take(checked.numbers, kept)
        source_ids = _take(checked.source_ids, kept)
        times = _take(checked.times, kept)
        categories = _take(checked.categories, kept)
        subs = _take(checked.subs, kept)
        outcomes = _take(checked.outcomes, kept)
        descriptions = _take(checked.descriptions, kept)
        lat, lng = lat[keep].round(7), lng[keep].round(7)
        coarse, fine, units = (
            coarse[keep].astype(np.int64),
            fine[keep].astype(np.int64),
            units[keep],
        )
        digests = vectors.digests(
            times,
            (subs, outcomes, descriptions),
            (np.asarray(categories, dtype=np.int64), lat, lng, coarse, fine, units),
        )
        # Which row is written for each source id: the last of the batch. The same id twice
        # in a batch behaves as it would in two batches: the later row wins, and reports
        # "updated" (or "unchanged" when it repeats the earlier one).
        row_status: dict[int, str] = {}
        first: dict[str, int] = {}  # source id → its first row (insertion order: first seen)
        last: dict[str, int] = {}  # source id → its last row
        repeated: dict[str, list[int]] = {}  # source id → its row numbers, when more than one
        if len(set(source_ids)) == len(source_ids):
            first = last = dict(zip(source_ids, range(len(source_ids)), strict=True))
        else:
            for i, source_id in enumerate(source_ids):
                j = last.get(source_id)
                if j is None:
                    first[source_id] = i
                else:
                    repeated.setdefault(source_id, [numbers[j]]).append(numbers[i])
                    row_status[numbers[i]] = UNCHANGED if digests[j] == digests[i] else UPDATED
                last[source_id] = i
        counted = counts.Delta()
        counted.add(
            units=units,
            categories=categories,
            coarse=coarse,
            fine=fine,
            instants=counts.text_micros(times),
        )
        return _Prepared(
            result=result,
            batch=ids_for,
            numbers=numbers,
            source_ids=source_ids,
            times=times,
            categories=categories,
            subs=subs,
            outcomes=outcomes,
            descriptions=descriptions,
            lats=lat.tolist(),
            lngs=lng.tolist(),
            coarse=coarse.tolist(),
            fine=fine.tolist(),
            units=units.tolist(),
            digests=digests,
            row_status=row_status,
            first=first,
            last=last,
            repeated=repeated,
            count_rows=counted.rows(),
        )

    def store(self, prepared: _Prepared) -> BatchResult:
        """Write a prepared batch: look up the stored rows, insert, update, count."""
        p = prepared
        result = p.result
        if not p.numbers:
            if self.want_ids and p.batch is not None:
                self._statuses(result, p.batch, {})
            return result
        numbers, source_ids, times, categories = p.numbers, p.source_ids, p.times, p.categories
        subs, outcomes, descriptions, digests = p.subs, p.outcomes, p.descriptions, p.digests
        lat_list, lng_list = p.lats, p.lngs
        coarse_list, fine_list, unit_list = p.coarse, p.fine, p.units
        row_status, first, last, repeated = p.row_status, p.first, p.last, p.repeated
        when_list = times if connection.vendor == "sqlite" else [t + "+00:00" for t in times]

        def values(i: int) -> tuple[Any, ...]:
            return (
                self.source_system,
                source_ids[i],
                when_list[i],
                categories[i],
                subs[i],
                lat_list[i],
                lng_list[i],
                coarse_list[i],
                fine_list[i],
                unit_list[i],
                outcomes[i],
                descriptions[i],
                digests[i],
            )

        existing = self._existing(list(first))
        now_dt = timezone.now()
        now: Any = _utc_text(now_dt) if connection.vendor == "sqlite" else now_dt
        tail = (self.run_id, now, now)
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        every_row_new = not existing and not repeated
        if every_row_new:
            # The usual case of a first import: every row new and once in the batch.
            inserts = list(
                zip(
                    repeat(self.source_system),
                    source_ids,
                    when_list,
                    categories,
                    subs,
                    lat_list,
                    lng_list,
                    coarse_list,
                    fine_list,
                    unit_list,
                    outcomes,
                    descriptions,
                    digests,
                    repeat(self.run_id),
                    repeat(now),
                    repeat(now),
                    strict=False,
                )
            )
            result.created = len(inserts)
            row_status = dict.fromkeys(numbers, CREATED) if self.want_ids else {}
        else:
            scope = self.root.path
            for source_id, i in first.items():
                j = last[source_id]
                number = numbers[i]
                found = existing.get(source_id)
                if found is None:
                    inserts.append((*values(j), *tail))
                    row_status[number] = CREATED
                elif not found[2].startswith(scope):
                    for refused in repeated.get(source_id, [number]):
                        result.errors.append(
                            RowError(
                                refused,
                                "source_id",
                                source_id,
                                _("Recorded by a unit outside the jurisdiction of this import."),
                            )
                        )
                        row_status[refused] = REJECTED
                elif found[1] == digests[j] or found[1] == _legacy_fingerprint(
                    times[j], values(j)[3:12]
                ):
                    row_status[number] = UNCHANGED
                else:
                    updates.append((*values(j)[2:], *tail[:1], now, found[0]))
                    row_status[number] = UPDATED
            for status in row_status.values():
                if status == CREATED:
                    result.created += 1
                elif status == UPDATED:
                    result.updated += 1
                elif status == UNCHANGED:
                    result.unchanged += 1
        # The monthly counts, in the same transaction: what the updated rows held goes out
        # (read before the update), what was inserted and updated comes in.
        delta = counts.stored([row[-1] for row in updates], sign=-1) if updates else counts.Delta()
        if every_row_new:
            self._hold_parents(categories, unit_list)
        else:
            self._hold_parents(
                [r[3] for r in inserts] + [r[1] for r in updates],
                [r[9] for r in inserts] + [r[7] for r in updates],
            )
        self._insert(inserts)
        self._update(updates)
        if every_row_new and p.count_rows is not None:
            counts.write_rows(p.count_rows)  # counted by `prepare`
        else:
            self._count(delta, inserts, 2, 3, 9, 7, 8)
            self._count(delta, updates, 0, 1, 7, 5, 6)
            delta.write()
        self._keep_statistics(len(inserts))
        if self.want_ids and p.batch is not None:
            self._statuses(result, p.batch, row_status, self._existing(list(first)))
        return result

    @staticmethod
    def _count(
        delta: counts.Delta,
        rows: list[tuple[Any, ...]],
        when: int,
        category: int,
        unit: int,
        coarse: int,
        fine: int,
    ) -> None:
        """Count written rows (tuples, the columns at these positions) into `delta`."""
        if rows:
            delta.add(
                units=[row[unit] for row in rows],
                categories=[row[category] for row in rows],
                coarse=[row[coarse] for row in rows],
                fine=[row[fine] for row in rows],
                instants=counts.text_micros([row[when] for row in rows]),
            )

    def _hold_parents(self, category_ids: list[int], unit_ids: list[int]) -> None:
        """Check that the categories and units the batch's rows name exist, and keep them from
        being deleted until this transaction ends: what the database's foreign-key checks
        would do row by row (`models.Incident`), done once per distinct parent. On PostgreSQL
        the rows are held FOR KEY SHARE, as those checks hold them; on SQLite this
        transaction already has the only write lock. Raises ParentGone (the batch is rolled
        back and the import stops, saying why) when one is gone."""
        if not connection.in_atomic_block:
            raise TransactionManagementError("The ledger writes in a transaction.")
        lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
        with connection.cursor() as cursor:
            for model, wanted, label in (
                (IncidentCategory, set(category_ids), _("category")),
                (Unit, set(unit_ids), _("unit")),
            ):
                if not wanted:
                    continue
                table = connection.ops.quote_name(model._meta.db_table)
                ids = sorted(wanted)
                marks = ", ".join(["%s"] * len(ids))
                cursor.execute(
                    f"SELECT id FROM {table} WHERE id IN ({marks}) ORDER BY id{lock}",  # noqa: S608
                    ids,
                )
                missing = wanted - {row[0] for row in cursor.fetchall()}
                if missing:
                    raise ParentGone(
                        _("A %(what)s this import uses was deleted while it ran (id %(id)s).")
                        % {"what": label, "id": min(missing)}
                    )

    def _keep_statistics(self, inserted: int) -> None:
        """PostgreSQL: refresh the planner's statistics of the table when this import has
        inserted 10,000 rows, then each time that count doubles (a handful of ANALYZEs for a
        million). A planner that still believes the table empty answers the source-id lookups
        of later batches with sequential scans, and the import slows down as the table grows.
        (SQLite always walks the unique index for them.)"""
        if not inserted or connection.vendor != "postgresql":
            return
        self.inserted += inserted
        if self.inserted < self.analyze_at:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {self.table}")
        self.analyze_at = max(2 * self.analyze_at, self.inserted + ANALYZE_FIRST)

    def _statuses(
        self,
        result: BatchResult,
        batch: Batch,
        row_status: dict[int, str],
        ids: dict[str, tuple[int, str, str]] | None = None,
    ) -> None:
        refused = {e.row for e in result.errors}
        source_ids = batch.columns.get("source_id") or [""] * len(batch)
        for number, source_id in zip(batch.numbers, source_ids, strict=True):
            status = REJECTED if number in refused else row_status.get(number, REJECTED)
            found = (ids or {}).get(source_id)
            result.statuses[number] = (status, found[0] if found and status != REJECTED else None)

    def _existing(self, source_ids: list[str]) -> dict[str, tuple[int, str, str]]:
        """source id → (id, fingerprint, owning unit's path) of rows already stored.

        Raw SQL: the ORM prepares every value of an IN list one by one, which for a million
        rows costs seconds; these are plain strings."""
        found: dict[str, tuple[int, str, str]] = {}
        unit_table = connection.ops.quote_name(Unit._meta.db_table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One array parameter for the whole batch: no bound-parameter limit to
                # respect, one round trip.
                cursor.execute(
                    f"SELECT i.id, i.source_id, i.fingerprint, u.path FROM {self.table} i"  # noqa: S608
                    f" JOIN {unit_table} u ON u.id = i.unit_id"
                    f" WHERE i.source_system = %s AND i.source_id = ANY(%s)",
                    [self.source_system, source_ids],
                )
                for pk, source_id, digest, path in cursor.fetchall():
                    found[source_id] = (pk, digest, path)
                return found
            for start in range(0, len(source_ids), LOOKUP_CHUNK):
                chunk = source_ids[start : start + LOOKUP_CHUNK]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT i.id, i.source_id, i.fingerprint, u.path FROM {self.table} i"  # noqa: S608
                    f" JOIN {unit_table} u ON u.id = i.unit_id"
                    f" WHERE i.source_system = %s AND i.source_id IN ({marks})",
                    [self.source_system, *chunk],
                )
                for pk, source_id, digest, path in cursor.fetchall():
                    found[source_id] = (pk, digest, path)
        return found

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        """New rows in one statement stream: COPY on PostgreSQL (an INSERT per row, even
        pipelined, runs at a few thousand rows a second there), executemany on SQLite (whose
        prepared statement loop is already in C)."""
        if not rows:
            return
        names = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            marks = ", ".join(["%s"] * len(self.columns))
            cursor.executemany(f"INSERT INTO {self.table} ({names}) VALUES ({marks})", rows)  # noqa: S608

    def _update(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if connection.vendor == "postgresql":  # the time as a datetime, not as text
            fromiso = dt.datetime.fromisoformat
            rows = [(fromiso(row[0]), *row[1:]) for row in rows]
        changed = [c for c in self.columns[2:] if c != "created_at"]
        assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in changed)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {self.table} SET {assignments} WHERE id = %s",  # noqa: S608
                rows,
            )


def _floats(texts: list[str], flagged: set[int]) -> list[float]:
    """float() of each text; NaN, and the row flagged, where it is not a number."""
    try:
        return list(map(float, texts))
    except ValueError:
        pass
    out: list[float] = []
    for i, text in enumerate(texts):
        try:
            out.append(float(text))
        except ValueError:
            out.append(math.nan)
            flagged.add(i)
    return out


def _take(values: list[Any], keep: list[int] | None) -> list[Any]:
    """The items of `values` at the positions `keep` (all of them when None)."""
    if keep is None:
        return values
    if len(keep) < 2:
        return [values[i] for i in keep]
    return list(itemgetter(*keep)(values))


def _utc_text(when: dt.datetime) -> str:
    """An aware time as naive UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]" (what Django stores
    on SQLite, and what the digest of a row reads)."""
    return when.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


def _legacy_fingerprint(when_text: str, values: tuple[Any, ...]) -> str:
    """The digest rows stored before `vectors.digests` carry (blake2b of the values' repr):
    a row stored then and unchanged since still counts as unchanged on re-import."""
    return hashlib.blake2b(repr((when_text, values)).encode(), digest_size=8).hexdigest()


class IncidentLedger(registry.LedgerKind):
    key = "incidents"
    label = gettext_lazy("incident ledger")
    policy_kind = INCIDENT
    fields = FIELDS
    options = OPTIONS

    def clean_options(self, options: dict[str, str]) -> dict[str, str]:
        return clean_options(options)

    def writer(
        self, *, actor: Member, unit: Unit, options: dict[str, str], run_id: int | None = None
    ) -> IncidentWriter:
        return IncidentWriter(actor=actor, unit=unit, options=options, run_id=run_id)


LEDGER = registry.register(IncidentLedger())
