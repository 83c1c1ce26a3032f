"""The appeals figures' rollup: exact counts per unit at the top of the tree, kept in step with
the cases in the same transaction as every change, so that the figures of a detachment-year
read a few thousand cells and a few thousand appeals instead of a million appeals.

What is kept (appeals.models):

* `FigureCell`: the *settled* appeals of a unit's subtree (closed, or withdrawn or merged),
  counted by local month of receipt, local day of closure (of receipt when withdrawn or
  merged), local day of the first follow-up done, late (closed after its due time),
  reopened, withdrawn or merged; with how many have a handling time and its sum;
* `FollowUpCell`: the follow-ups done on those appeals, by local day and rating;
* `FigureState`: the ledger, what each appeal last added (its unit's path then, its key, its
  follow-ups), so that a change takes exactly that away and adds the new state.

Cells are kept for the units at depth ≤ `settings.LIUQING_APPEAL_ROLLUP_DEPTH` (the
detachment and its brigades by default): a station's appeals are few enough to read directly.

Why this is exact (liuqing.appeals.kpis.load_grouped reads it): every figure compares an
appeal's receipt with period bounds (local month starts, when the rollup is used) and its
closure and first follow-up, and a follow-up's time, with the report's as-of instants. A cell
whose days differ from every as-of day compares with each as-of instant as all its members
do; the appeals closed or first followed up on an as-of day, those still open (their
warning level and lateness change by the hour), those closed on or after the latest as-of
day, and withdrawn ones received on it, are read from the case table, as are the follow-ups
done on an as-of day. The two parts are disjoint and together are what the direct grouping
reads.

Keeping it in step: `refresh(case_ids)` recomputes the states of those appeals from the case
and follow-up tables, diffs them with the ledger and applies the difference to the cells
(INSERT … ON CONFLICT DO UPDATE, the same SQL on SQLite and PostgreSQL, in a fixed key order).
Signals (appeals.signals) call it when a case or follow-up is saved or deleted and when a unit
moves; it runs in the caller's transaction. Writes that bypass the model (QuerySet.update,
raw SQL, bulk inserts such as the demo's) must be followed by `refresh` of the cases touched,
or by `rebuild()` (`liuqing appeal_figures --rebuild`); `check()` compares the cells with a
fresh computation.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.functions import Coalesce

from liuqing.analytics import periods
from liuqing.appeals.workflow import APPEAL, WORKFLOW

# The follow-up ratings as small integers (as liuqing.appeals.kpis codes them).
RATING_CODES = ("", "satisfied", "basically", "dissatisfied")
# A figure cell's key after its unit, and its sums (FigureCell), in the order both the
# loader (kpis) and the check read them.
CELL_KEY = ("received_month", "day", "followup_day", "is_late", "is_reopened", "is_excluded")
CELL_SUMS = ("n", "handled", "handling")
CHUNK = 20_000


def tz() -> dt.tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def depth() -> int:
    return int(settings.LIUQING_APPEAL_ROLLUP_DEPTH)


def local_days(epochs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The local date (as date.toordinal()) and month (year × 12 + month − 1) of each of
    `epochs` (finite epoch seconds), in the deployment's time zone: the dates whose
    `midnight` is the last at or before each (`analytics.periods.local_dates`)."""
    return periods.local_dates(np.asarray(epochs, dtype=np.float64), tz())


def midnight(day: int) -> dt.datetime:
    """The first instant of local date number `day`."""
    return _midnight(day, settings.TIME_ZONE)


@functools.lru_cache(maxsize=8192)
def _midnight(day: int, zone: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromordinal(day), dt.time(), ZoneInfo(zone))


_MIDNIGHT_EPOCHS: dict[tuple[str, int], float] = {}


def midnight_epochs(days: Iterable[int]) -> dict[int, float]:
    """{day: epoch seconds of its first local instant} for local date numbers `days`."""
    zone = settings.TIME_ZONE
    result = {}
    for day in days:
        epoch = _MIDNIGHT_EPOCHS.get((zone, day))
        if epoch is None:
            epoch = _MIDNIGHT_EPOCHS[(zone, day)] = _midnight(day, zone).timestamp()
        result[day] = epoch
    return result


def month_start(month: int) -> dt.datetime:
    return midnight(dt.date(month // 12, month % 12 + 1, 1).toordinal())


@functools.lru_cache(maxsize=4096)
def ancestors(path: str, levels: int) -> tuple[int, ...]:
    """The ids of the units on `path` ("00000001.00000005.…") at depth < `levels`."""
    return tuple(int(part) for part in path.split(".") if part)[:levels]


@dataclass(frozen=True)
class State:
    """What one appeal adds to the cells."""

    path: str
    settled: bool = False
    received_month: int = 0
    day: int = 0
    followup_day: int = 0
    is_late: int = 0
    is_reopened: int = 0
    is_excluded: int = 0
    handling: int | None = None
    followups: tuple[tuple[int, int], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.settled and not self.followups


@dataclass(frozen=True)
class Models:
    case: Any
    followup: Any
    cell: Any
    followup_cell: Any
    state: Any


def _models(apps: Any = None) -> Models:
    if apps is None:
        from liuqing.appeals.models import FigureCell, FigureState, FollowUpCell
        from liuqing.casework.models import Case, FollowUp

        return Models(Case, FollowUp, FigureCell, FollowUpCell, FigureState)
    return Models(
        apps.get_model("casework", "Case"),
        apps.get_model("casework", "FollowUp"),
        apps.get_model("appeals", "FigureCell"),
        apps.get_model("appeals", "FollowUpCell"),
        apps.get_model("appeals", "FigureState"),
    )


def _rows(queryset: Any) -> list[tuple[Any, ...]]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _floats(values: Iterable[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def current_states(m: Models, cases: Any) -> dict[int, State]:
    """The states of the appeals among `cases` (a Case queryset), from the case and
    follow-up tables: three columns of instants as epoch seconds, numbers otherwise."""
    from liuqing.appeals.kpis import Epoch

    rows = _rows(
        cases.filter(kind=APPEAL)
        .annotate(
            n_received=Epoch("received_at"),
            n_closed=Epoch("closed_at"),
            n_due=Epoch("resolve_due"),
            n_path=models.F("unit__path"),
        )
        .order_by()
        .values_list(
            "pk",
            "n_path",
            "status",
            "n_received",
            "n_closed",
            "n_due",
            "reopened_count",
            "handling_seconds",
        )
    )
    if not rows:
        return {}
    done = _rows(
        m.followup.objects.filter(case_id__in=cases.filter(kind=APPEAL).values("pk"))
        .filter(done_at__isnull=False)
        .annotate(n_done=Epoch("done_at"), n_rating=Coalesce("satisfaction", models.Value("")))
        .order_by()
        .values_list("case_id", "n_done", "n_rating")
    )
    received = _floats(r[3] for r in rows)
    closed = _floats(r[4] for r in rows)
    due = _floats(r[5] for r in rows)
    received_day, received_month = local_days(received)
    closed_day = np.zeros(len(rows), dtype=np.int64)
    is_closed = ~np.isnan(closed)
    closed_day[is_closed] = local_days(closed[is_closed])[0]
    late = is_closed & ~np.isnan(due) & (closed > due)

    followups: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if done:
        done_day, _ = local_days(_floats(d[1] for d in done))
        codes = {code: i for i, code in enumerate(RATING_CODES)}
        for (case_id, _epoch, rating), day in zip(done, done_day.tolist(), strict=True):
            followups[case_id].append((day, codes.get(rating, 0)))

    excluded_states = set(WORKFLOW.excluded)
    result = {}
    for i, (pk, path, status, *_rest, reopened, handling) in enumerate(rows):
        fus = tuple(sorted(followups.get(pk, ())))
        if status in excluded_states:
            state = State(
                path=path,
                settled=True,
                received_month=int(received_month[i]),
                day=int(received_day[i]),
                is_excluded=1,
                followups=fus,
            )
        elif is_closed[i]:
            state = State(
                path=path,
                settled=True,
                received_month=int(received_month[i]),
                day=int(closed_day[i]),
                followup_day=fus[0][0] if fus else 0,
                is_late=int(late[i]),
                is_reopened=int(reopened > 0),
                handling=None if handling is None else int(handling),
                followups=fus,
            )
        else:
            state = State(path=path, followups=fus)
        result[pk] = state
    return result


def _ledger(m: Models, ids: Sequence[int] | None) -> dict[int, State]:
    """The ledger rows of these cases (all when None)."""
    rows = m.state.objects.all() if ids is None else m.state.objects.filter(case_id__in=ids)
    result = {}
    for row in rows.iterator(chunk_size=5000):
        followups = tuple(
            (int(day), int(rating))
            for day, _, rating in (item.partition(":") for item in row.followups.split())
        )
        result[row.case_id] = State(
            path=row.path,
            settled=row.settled,
            received_month=row.received_month,
            day=row.day,
            followup_day=row.followup_day,
            is_late=row.is_late,
            is_reopened=row.is_reopened,
            is_excluded=row.is_excluded,
            handling=row.handling,
            followups=followups,
        )
    return result


class Deltas:
    """Changes to the cells, summed by key before they are written."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
        self.followups: dict[tuple[int, int, int], int] = defaultdict(int)
        self.levels = depth() + 1

    def add(self, state: State, sign: int) -> None:
        units = ancestors(state.path, self.levels)
        if state.settled:
            key = (
                state.received_month,
                state.day,
                state.followup_day,
                state.is_late,
                state.is_reopened,
                state.is_excluded,
            )
            handled = state.handling is not None
            for unit in units:
                cell = self.cells[(unit, *key)]
                cell[0] += sign
                cell[1] += sign * handled
                cell[2] += sign * (state.handling or 0)
        for day, rating in state.followups:
            for unit in units:
                self.followups[(unit, day, rating)] += sign

    def write(self, m: Models) -> None:
        q = connection.ops.quote_name
        cell_table, fu_table = q(m.cell._meta.db_table), q(m.followup_cell._meta.db_table)
        key = "unit_id, received_month, day, followup_day, is_late, is_reopened, is_excluded"
        cells = sorted((k, v) for k, v in self.cells.items() if any(v))
        fus = sorted((k, v) for k, v in self.followups.items() if v)
        with connection.cursor() as cursor:
            if cells:
                cursor.executemany(
                    f"INSERT INTO {cell_table} ({key}, n, handled, handling) "  # noqa: S608
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    f"ON CONFLICT ({key}) DO UPDATE SET n = {cell_table}.n + EXCLUDED.n, "
                    f"handled = {cell_table}.handled + EXCLUDED.handled, "
                    f"handling = {cell_table}.handling + EXCLUDED.handling",
                    [(*k, *v) for k, v in cells],
                )
                gone = [k for k, v in cells if v[0] < 0]
                if gone:
                    cursor.executemany(
                        f"DELETE FROM {cell_table} WHERE n = 0 AND unit_id = %s AND "  # noqa: S608
                        "received_month = %s AND day = %s AND followup_day = %s AND "
                        "is_late = %s AND is_reopened = %s AND is_excluded = %s",
                        gone,
                    )
            if fus:
                cursor.executemany(
                    f"INSERT INTO {fu_table} (unit_id, day, rating, n) VALUES (%s, %s, %s, %s) "  # noqa: S608
                    f"ON CONFLICT (unit_id, day, rating) DO UPDATE SET "
                    f"n = {fu_table}.n + EXCLUDED.n",
                    [(*k, v) for k, v in fus],
                )
                gone_fu = [k for k, v in fus if v < 0]
                if gone_fu:
                    cursor.executemany(
                        f"DELETE FROM {fu_table} WHERE n = 0 AND unit_id = %s AND day = %s "  # noqa: S608
                        "AND rating = %s",
                        gone_fu,
                    )


def _ledger_rows(states: dict[int, State]) -> list[tuple[Any, ...]]:
    return [
        (
            pk,
            s.path,
            s.settled,
            s.received_month,
            s.day,
            s.followup_day,
            s.is_late,
            s.is_reopened,
            s.is_excluded,
            s.handling,
            " ".join(f"{day}:{rating}" for day, rating in s.followups),
        )
        for pk, s in sorted(states.items())
        if not s.empty
    ]


def _insert_ledger(m: Models, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {q(m.state._meta.db_table)} (case_id, path, settled, received_month, "  # noqa: S608
            "day, followup_day, is_late, is_reopened, is_excluded, handling, followups) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _chunks(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def refresh(case_ids: Iterable[int], *, apps: Any = None) -> None:
    """Bring the cells in step with the current state of these cases (appeals or not, existing
    or deleted): what each last added is taken away and its state now added. Idempotent."""
    m = _models(apps)
    ids = sorted({int(pk) for pk in case_ids if pk is not None})
    if not ids:
        return
    with transaction.atomic():
        for chunk in _chunks(ids, 500):
            old = _ledger(m, chunk)
            new = current_states(m, m.case.objects.filter(pk__in=chunk))
            deltas = Deltas()
            changed = []
            for pk in chunk:
                before, after = old.get(pk), new.get(pk)
                if before == after or (before is None and after is not None and after.empty):
                    continue
                if before is not None:
                    deltas.add(before, -1)
                if after is not None:
                    deltas.add(after, +1)
                changed.append(pk)
            if not changed:
                continue
            deltas.write(m)
            m.state.objects.filter(case_id__in=changed).delete()
            _insert_ledger(m, _ledger_rows({pk: new[pk] for pk in changed if pk in new}))


def refresh_unit(unit: Any) -> None:
    """After a unit moved: the appeals at it whose ledger holds another path."""
    from liuqing.appeals.models import FigureState
    from liuqing.casework.models import Case

    stale = FigureState.objects.filter(
        case_id__in=Case.objects.filter(unit=unit, kind=APPEAL).values("pk")
    ).exclude(path=unit.path)
    refresh(stale.values_list("case_id", flat=True))


def rebuild(*, apps: Any = None) -> int:
    """Recompute the cells and the ledger from the cases (a data migration, a repair, the end of
    a bulk load such as the demo's). Returns the number of appeals in the ledger."""
    m = _models(apps)
    with transaction.atomic():
        for model in (m.cell, m.followup_cell, m.state):
            model.objects.all().delete()
        deltas = Deltas()
        count = 0
        ids = list(m.case.objects.filter(kind=APPEAL).order_by("pk").values_list("pk", flat=True))
        bounds = ids[::CHUNK]
        for i, low in enumerate(bounds):
            cases = m.case.objects.filter(pk__gte=low)
            if i + 1 < len(bounds):
                cases = cases.filter(pk__lt=bounds[i + 1])
            states = current_states(m, cases)
            for state in states.values():
                if not state.empty:
                    deltas.add(state, +1)
            rows = _ledger_rows(states)
            _insert_ledger(m, rows)
            count += len(rows)
        deltas.write(m)
    return count


def cell_counts(*, apps: Any = None) -> tuple[dict[tuple[int, ...], tuple[int, ...]], ...]:
    """The cells as they stand: {key: (n, handled, handling)} and {key: n}."""
    m = _models(apps)
    cells = {
        tuple(row[:7]): tuple(row[7:])
        for row in m.cell.objects.values_list("unit_id", *CELL_KEY, *CELL_SUMS)
    }
    followups = {
        tuple(row[:3]): (row[3],)
        for row in m.followup_cell.objects.values_list("unit_id", "day", "rating", "n")
    }
    return cells, followups


def check(*, apps: Any = None) -> list[str]:
    """The differences between the cells and a fresh computation from the cases (none when the
    rollup is in step). Reads every appeal: a repair tool, not a page."""
    m = _models(apps)
    deltas = Deltas()
    states = current_states(m, m.case.objects.all())
    for state in states.values():
        if not state.empty:
            deltas.add(state, +1)
    fresh_cells = {k: tuple(v) for k, v in deltas.cells.items() if any(v)}
    fresh_fus = {k: (v,) for k, v in deltas.followups.items() if v}
    cells, followups = cell_counts(apps=apps)
    problems = []
    for name, kept, fresh in (
        ("cell", cells, fresh_cells),
        ("follow-up cell", followups, fresh_fus),
    ):
        for key in sorted(kept.keys() | fresh.keys()):
            if kept.get(key) != fresh.get(key):
                problems.append(f"{name} {key}: kept {kept.get(key)}, fresh {fresh.get(key)}")
    ledger = _ledger(m, None)
    for pk in sorted(ledger.keys() | states.keys()):
        state = states.get(pk)
        expected = state if state is not None and not state.empty else None
        if ledger.get(pk) != expected:
            problems.append(f"ledger of case {pk}: {ledger.get(pk)} against {expected}")
    return problems
