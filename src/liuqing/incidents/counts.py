"""The monthly incident counts (`IncidentCount`): how many incidents each unit recorded per
local month, category, coarse cell and fine cell, kept exact so that the monthly refresh reads
a few hundred thousand counts instead of grouping millions of incidents.

Keeping it in step: the ledger writer (`ledger.IncidentWriter`, behind the file import, the
push and the walk-in report) adds what it inserts and, for what it updates, takes away what
the rows held before and adds what they hold now (`Delta`), in the same transaction as the
rows, with INSERT … ON CONFLICT DO UPDATE (the same SQL on SQLite and PostgreSQL, keys in a
fixed order so concurrent imports cannot deadlock on them). A key whose count falls to 0 is
deleted.

Nothing deletes incidents: there is no service for it and the Django admin is not installed;
deleting an import run only clears the incidents' `import_run` (SET_NULL), and units and
categories are protected while incidents use them. A deletion added later must take the
incidents out with `stored(ids, sign=-1)` before deleting them and `write()` the delta in the
same transaction, as the writer does for updates.

A write that goes around these (raw SQL, a bulk load such as the refresh benchmark's, a
QuerySet.update of the time, category, unit or cells) must be followed by `rebuild()`
(`liuqing incident-counts --rebuild`); `check()` compares the table with a fresh count. So
must a change of settings.TIME_ZONE, which moves month boundaries.

Why it is exact: the local month of an instant is found by comparing it with the local
midnights that `analytics.periods` starts months at in the deployment's time zone
(`periods.local_dates`), the same bounds the refresh filtered incidents with; the recount
(`recount`) groups the incidents one such month at a time in the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from liuqing.analytics import periods

# The key of a count, in the order of the table's primary key (unit first: the refresh
# reads its units' rows of a month window).
KEY = ("unit_id", "month", "category_id", "cell_coarse", "cell_fine")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)
LOOKUP_CHUNK = 500  # ids or units per statement, well under every bound-parameter limit


@dataclass(frozen=True)
class Models:
    incident: Any
    count: Any


def _models(apps: Any = None) -> Models:
    if apps is None:
        from liuqing.incidents.models import Incident, IncidentCount

        return Models(Incident, IncidentCount)
    return Models(
        apps.get_model("incidents", "Incident"), apps.get_model("incidents", "IncidentCount")
    )


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_period(index: int) -> periods.Period:
    """The local month number `index` (year × 12 + month − 1) as a period."""
    return periods.month(index // 12, index % 12 + 1, timezone.get_default_timezone())


def micros(when: dt.datetime) -> int:
    """An aware instant as microseconds since the epoch."""
    return (when - EPOCH) // MICROSECOND


def text_micros(texts: Sequence[str]) -> np.ndarray:
    """Naive UTC texts ("YYYY-MM-DD HH:MM:SS[.ffffff]", as the ledger writer stores them on
    SQLite; a trailing "+00:00" is allowed) as microseconds since the epoch."""
    clean = [t.removesuffix("+00:00") for t in texts]
    return np.array(clean, dtype="datetime64[us]").astype(np.int64)


def local_months(instants: np.ndarray) -> np.ndarray:
    """The local month number of each instant (microseconds since the epoch), in the
    deployment's time zone: the month whose start (`analytics.periods.month`, as the
    refresh's periods give it) is the last at or before the instant."""
    instants = np.asarray(instants, dtype=np.int64)
    return periods.local_dates(instants, timezone.get_default_timezone(), per_second=1_000_000)[1]


def key_rows(
    *,
    units: Sequence[int] | np.ndarray,
    categories: Sequence[int] | np.ndarray,
    coarse: Sequence[int] | np.ndarray,
    fine: Sequence[int] | np.ndarray,
    instants: np.ndarray,
) -> np.ndarray:
    """The count key (k × 5, `KEY` order) of each incident, one per position of the arrays."""
    instants = np.asarray(instants, dtype=np.int64)
    keys = np.empty((instants.size, len(KEY)), dtype=np.int64)
    if not instants.size:
        return keys
    keys[:, 0] = np.asarray(units, dtype=np.int64)
    keys[:, 1] = local_months(instants)
    keys[:, 2] = np.asarray(categories, dtype=np.int64)
    keys[:, 3] = np.asarray(coarse, dtype=np.int64)
    keys[:, 4] = np.asarray(fine, dtype=np.int64)
    return keys


def group(keys: np.ndarray, changes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct keys in ascending order, the sum of the changes of each), the keys whose sum
    is 0 left out. A lexicographic sort of the columns: several times faster than
    ``np.unique(axis=0)``, which sorts the rows as opaque records."""
    if not len(keys):
        return keys.reshape(0, len(KEY)), np.zeros(0, dtype=np.int64)
    order = np.lexsort(keys.T[::-1])
    keys, changes = keys[order], np.asarray(changes, dtype=np.int64)[order]
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    first = np.flatnonzero(starts)
    sums = np.add.reduceat(changes, first)
    keep = sums != 0
    return keys[first][keep], sums[keep]


@dataclass
class Delta:
    """Changes to the counts, summed by key before they are written."""

    parts: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def add(
        self,
        *,
        units: Sequence[int] | np.ndarray,
        categories: Sequence[int] | np.ndarray,
        coarse: Sequence[int] | np.ndarray,
        fine: Sequence[int] | np.ndarray,
        instants: np.ndarray,
        sign: int = 1,
    ) -> None:
        """Count incidents (one per position of the arrays) in (+1) or out (−1)."""
        keys = key_rows(
            units=units, categories=categories, coarse=coarse, fine=fine, instants=instants
        )
        if len(keys):
            self.parts.append((keys, np.full(len(keys), sign, dtype=np.int64)))

    def totals(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys k × 5 in ascending order, their non-zero changes)."""
        if not self.parts:
            return np.zeros((0, len(KEY)), dtype=np.int64), np.zeros(0, dtype=np.int64)
        if len(self.parts) == 1:
            return group(*self.parts[0])
        return group(
            np.concatenate([k for k, _ in self.parts]),
            np.concatenate([c for _, c in self.parts]),
        )

    def write(self, *, apps: Any = None) -> int:
        """Apply the changes in the caller's transaction; returns how many keys changed."""
        keys, sums = self.totals()
        self.parts = []
        return write_rows(np.column_stack((keys, sums)).tolist(), apps=apps)

    def rows(self) -> list[list[int]]:
        """The changes as `write_rows` takes them: [*key, change] per key, keys ascending."""
        keys, sums = self.totals()
        return np.column_stack((keys, sums)).tolist()


def write_rows(rows: list[list[int]], *, apps: Any = None) -> int:
    """Apply changes summed by key ([*key, change] per key, keys ascending, as `Delta.rows`
    gives them) in the caller's transaction; returns how many keys changed."""
    if not rows:
        return 0
    m = _models(apps)
    q = connection.ops.quote_name
    table = q(m.count._meta.db_table)
    names = ", ".join(q(c) for c in KEY)
    with connection.cursor() as cursor:
        # Identifiers from the model's metadata, values as parameters.
        if connection.vendor == "postgresql":
            # One statement per call, each column one array: a statement per key costs the
            # server a parse, plan and round trip each, tens of seconds for a million-row
            # import. The keys are distinct (summed), so no row is touched twice, and unnest
            # keeps their ascending order (the lock order).
            columns = [list(c) for c in zip(*rows, strict=True)]
            arrays = ", ".join(["%s::bigint[]"] * len(columns))
            cursor.execute(
                f"INSERT INTO {table} ({names}, n) SELECT * FROM unnest({arrays}) "  # noqa: S608
                f"ON CONFLICT ({names}) DO UPDATE SET n = {table}.n + EXCLUDED.n",
                columns,
            )
            gone = [row[:-1] for row in rows if row[-1] < 0]
            if gone:
                keys = [list(c) for c in zip(*gone, strict=True)]
                cursor.execute(
                    f"DELETE FROM {table} WHERE n = 0 AND ({names}) IN "  # noqa: S608
                    f"(SELECT * FROM unnest({', '.join(['%s::bigint[]'] * len(KEY))}))",
                    keys,
                )
            return len(rows)
        cursor.executemany(
            f"INSERT INTO {table} ({names}, n) VALUES (%s, %s, %s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT ({names}) DO UPDATE SET n = {table}.n + EXCLUDED.n",
            rows,
        )
        gone = [row[:-1] for row in rows if row[-1] < 0]
        if gone:
            match = " AND ".join(f"{q(c)} = %s" for c in KEY)
            cursor.executemany(f"DELETE FROM {table} WHERE n = 0 AND {match}", gone)  # noqa: S608
    return len(rows)


def stored(incident_ids: Sequence[int], *, sign: int = 1, apps: Any = None) -> Delta:
    """What these incidents, as stored now, add to the counts (`sign` −1: what changing them
    takes away; read it before the change)."""
    m = _models(apps)
    units, categories, coarse, fine, instants = [], [], [], [], []
    ids = sorted({int(pk) for pk in incident_ids})
    for start in range(0, len(ids), LOOKUP_CHUNK):
        for unit, category, cc, cf, when in m.incident.objects.filter(
            pk__in=ids[start : start + LOOKUP_CHUNK]
        ).values_list("unit_id", "category_id", "cell_coarse", "cell_fine", "occurred_at"):
            units.append(unit)
            categories.append(category)
            coarse.append(cc)
            fine.append(cf)
            instants.append(micros(when))
    delta = Delta()
    delta.add(
        units=units,
        categories=categories,
        coarse=coarse,
        fine=fine,
        instants=np.array(instants, dtype=np.int64),
        sign=sign,
    )
    return delta


def read(unit_ids: Sequence[int], first: int, last: int) -> np.ndarray:
    """Rows (month, unit id, category id, coarse cell, fine cell, count) of `unit_ids` for the
    local months numbered `first` to `last` (int64, n × 6)."""
    from liuqing.incidents.models import IncidentCount

    q = connection.ops.quote_name
    table = q(IncidentCount._meta.db_table)
    ids = [int(i) for i in unit_ids]
    chunks = []
    with connection.cursor() as cursor:
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start : start + LOOKUP_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                "SELECT month, unit_id, category_id, cell_coarse, cell_fine, n "  # noqa: S608
                f"FROM {table} WHERE unit_id IN ({marks}) AND month >= %s AND month <= %s",
                [*chunk, first, last],
            )
            rows = cursor.fetchall()
            if rows:
                chunks.append(np.array(rows, dtype=np.int64))
    if not chunks:
        return np.zeros((0, 6), dtype=np.int64)
    return np.concatenate(chunks)


def recount(*, apps: Any = None) -> dict[tuple[int, ...], int]:
    """{key: count} from the incidents, grouped in the database one local month at a time
    (the bounds the refresh's periods have). Reads every incident: a repair tool."""
    m = _models(apps)
    bounds = m.incident.objects.aggregate(lo=Min("occurred_at"), hi=Max("occurred_at"))
    if bounds["lo"] is None:
        return {}
    first, last = local_months(np.array([micros(bounds["lo"]), micros(bounds["hi"])])).tolist()
    result: dict[tuple[int, ...], int] = {}
    for month in range(first, last + 1):
        period = month_period(month)
        rows = (
            m.incident.objects.filter(occurred_at__gte=period.start, occurred_at__lt=period.end)
            .values_list("unit_id", "category_id", "cell_coarse", "cell_fine")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for unit, category, coarse, fine, n in rows:
            result[(unit, month, category, coarse, fine)] = n
    return result


def kept(*, apps: Any = None) -> dict[tuple[int, ...], int]:
    """{key: count} as the table holds them."""
    m = _models(apps)
    return {tuple(row[:-1]): row[-1] for row in m.count.objects.values_list(*KEY, "n")}


def rebuild(*, apps: Any = None) -> int:
    """Recompute the table from the incidents (the migration that created it, a repair, the
    end of a bulk load). Returns the number of keys."""
    m = _models(apps)
    with transaction.atomic():
        m.count.objects.all().delete()
        fresh = recount(apps=apps)
        q = connection.ops.quote_name
        table = q(m.count._meta.db_table)
        names = ", ".join(q(c) for c in KEY)
        rows = [(*key, n) for key, n in sorted(fresh.items())]
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 50_000):
                cursor.executemany(
                    f"INSERT INTO {table} ({names}, n) VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608
                    rows[start : start + 50_000],
                )
    return len(rows)


def check(*, apps: Any = None) -> list[str]:
    """The differences between the table and a fresh count from the incidents (none when the
    table is in step)."""
    have, fresh = kept(apps=apps), recount(apps=apps)
    return [
        f"unit {k[0]}, month {k[1] // 12}-{k[1] % 12 + 1:02d}, category {k[2]}, "
        f"cells {k[3]}/{k[4]}: kept {have.get(k)}, fresh {fresh.get(k)}"
        for k in sorted(have.keys() | fresh.keys())
        if have.get(k) != fresh.get(k)
    ]
