"""The SLA sweep: record every open case's warning level and escalation as they move, and
notify on the rise.

The level of a case is not stored: pages, the API and the figures compute it from the case's
deadline and the time (liuqing.casework.levels, which states the rules). What the sweep adds
is the record: `CaseAlert` holds, per case, the level it last wrote on the timeline and
notified (no row: none and 0). Only open cases whose clock runs are swept; an alert left on a
closed, withdrawn, merged or paused case is removed silently (the services remove it when a
case stops).

How it stays cheap at a million cases: every threshold is turned into an absolute instant
once per sweep, so the level of every case is a plain comparison of `resolve_due` with a few
constants. One scan, with a CASE expression and the alert joined, finds the ids of the cases
whose recorded level differs, in order of receipt; they are then re-read by primary key (with
the cursor, no ORM conversion per value) in batches of neighbouring receipt times. Per batch
and move (old and new levels: a handful), one INSERT … SELECT copies the WARNING entries from
the case rows; per new level, one upsert (or delete) writes the alerts. The case rows
themselves are never written: rewriting hundreds of thousands of them, and every index of the
case table with them, is what made a first sweep over a backlog take minutes. The batch's ids
go to the database as parameters (one array on PostgreSQL), not through the ORM's per-value
preparation. Notifications are one prepared INSERT per batch. In a steady state only the few
cases that crossed a threshold since the last run are touched.

For each changed case the sweep writes one WARNING timeline entry; it notifies the owner when
the warning rises (one message per case, or one digest per owner and level when several of
their cases rose in the same batch: a backlog swept for the first time is a few digests, not
hundreds of messages), and the sergeants (level 1) or station chiefs (level 2) of the case's
unit and the units above it when the escalation rises. A level that does not change writes
nothing, so running the sweep twice changes nothing the second time. Several workers may
sweep at once: each batch takes the sweep's lock (a transaction-level advisory lock on
PostgreSQL; SQLite has one writer) and re-reads its cases and their alerts under it, so a
change another sweep recorded meanwhile is not recorded twice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from liuqing.casework.levels import Thresholds, level_expressions, running_q
from liuqing.casework.levels import current as current_thresholds
from liuqing.casework.models import (
    WARNING_ORDER,
    Case,
    CaseAlert,
    Entry,
    EntryType,
    WarningLevel,
)
from liuqing.casework.selectors import supervisors_of
from liuqing.core import audit
from liuqing.core.models import Role, Unit
from liuqing.notify.services import Message, publish_many


def running_cases(t: Thresholds) -> QuerySet[Case]:
    """Running cases annotated with their level at `t.now` (`target_warning`,
    `target_escalation`)."""
    warning, escalation = level_expressions(t)
    return Case.objects.filter(running_q()).annotate(
        target_warning=warning, target_escalation=escalation
    )


def changed_cases(t: Thresholds) -> QuerySet[Case]:
    """Running cases whose recorded level (their alert, else none and 0) differs from the
    level at `t.now`; annotated with both."""
    return (
        running_cases(t)
        .annotate(
            old_warning=Coalesce(F("alert__warning"), Value(WarningLevel.NONE.value)),
            old_escalation=Coalesce(F("alert__escalation"), Value(0)),
        )
        .filter(~Q(old_warning=F("target_warning")) | ~Q(old_escalation=F("target_escalation")))
    )


@dataclass
class SweepReport:
    changed: int = 0
    cleared: int = 0
    notified: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def __str__(self) -> str:
        moved = ", ".join(f"{k} {v}" for k, v in sorted(self.levels.items())) or "none"
        return (
            f"{self.changed} cases changed level ({moved}); {self.cleared} stopped cases "
            f"cleared; {self.notified} notifications; {self.seconds:.2f}s"
        )


ESCALATION_ROLES = {1: (Role.SERGEANT,), 2: (Role.STATION_CHIEF,)}


class _Supervisors:
    """Supervisor ids per (unit, level), looked up once per sweep."""

    def __init__(self) -> None:
        self.units: dict[int, Unit] = {}
        self.found: dict[tuple[int, int], list[int]] = {}

    def load_units(self, ids: set[int]) -> None:
        missing = ids - self.units.keys()
        if missing:
            self.units.update(Unit.objects.in_bulk(sorted(missing)))

    def of(self, unit_id: int, level: int) -> list[int]:
        key = (unit_id, level)
        if key not in self.found:
            self.found[key] = supervisors_of(self.units[unit_id], ESCALATION_ROLES[level])
        return self.found[key]


def _pk_in(ids: list[int], model: type[models.Model] = Case) -> tuple[str, list[Any]]:
    """SQL and parameters for "the row's primary key is one of `ids`" (PostgreSQL: one array
    parameter). The ORM's `pk__in` prepares every id through the field, one call chain per
    value: at 5,000 ids a batch, twice a batch, that cost more than the batch's writes."""
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    assert pk.column
    column = f"{quote(model._meta.db_table)}.{quote(pk.column)}"
    if connection.vendor == "postgresql":
        # A case's id, whichever table: the alert's key is the case's.
        case_pk = Case._meta.pk
        assert case_pk is not None
        # The array as its text form: psycopg would adapt each element in Python.
        literal = "{" + ",".join(map(str, ids)) + "}"
        return f"{column} = ANY(%s::{case_pk.db_type(connection)}[])", [literal]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


# Any constant both sides agree on: the key of the sweep's advisory lock on PostgreSQL.
SWEEP_LOCK_KEY = 0x5A1A_5EEF


def _serialize() -> None:
    """Hold the sweep's lock until the transaction ends: concurrent sweeps take turns per
    batch (SQLite already has a single writer)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])


def _link_maker() -> Any:
    marker = 987654321
    template = str(reverse("casework:case_detail", kwargs={"pk": marker}))
    return lambda pk: template.replace(str(marker), str(pk))


class _Notices:
    """The notifications of one sweep. An owner gets one message per case whose warning rose
    (they act on each case), or one digest per level when several of their cases rose in the
    same batch; a supervisor gets one digest per batch and level with the cases that climbed
    to them, so a backlog reaching a station chief is one message, not hundreds. Translations
    are looked up once per sweep, not per case."""

    def __init__(self, now: dt.datetime, supervisors: _Supervisors) -> None:
        self.now = now
        self.supervisors = supervisors
        self.link_to = _link_maker()
        self.supervision_link = str(reverse("casework:supervision"))
        self.my_work_link = str(reverse("casework:my_work"))
        self.owner_subject = _("%(level)s: %(number)s %(title)s")
        self.one_subject = _("Overdue, for your supervision: %(number)s %(title)s")
        self.labels = {level.value: str(level.label) for level in WarningLevel}
        self.rose: dict[tuple[int, str], list[dict[str, Any]]] = {}
        self.climbed: dict[tuple[int, int], list[dict[str, Any]]] = {}
        # (unit, escalation from, to) → the (supervisor, level) pairs the climb reaches.
        self.reach: dict[tuple[int, int, int], list[tuple[int, int]]] = {}

    def add(self, row: dict[str, Any]) -> None:
        old_w, new_w = row["warning"], row["target_warning"]
        if row["owner_id"] and WARNING_ORDER.get(new_w, 0) > WARNING_ORDER.get(old_w, 0):
            self.rose.setdefault((row["owner_id"], new_w), []).append(row)
        if row["target_escalation"] > row["escalation"]:
            climb = (row["unit_id"], row["escalation"], row["target_escalation"])
            reach = self.reach.get(climb)
            if reach is None:
                reach = self.reach[climb] = [
                    (member_id, level)
                    for level in range(climb[1] + 1, climb[2] + 1)
                    for member_id in self.supervisors.of(climb[0], level)
                ]
            for key in reach:
                self.climbed.setdefault(key, []).append(row)

    def _owner_message(self, owner_id: int, level: str, rows: list[dict[str, Any]]) -> Message:
        if len(rows) == 1:
            row = rows[0]
            return Message(
                member_id=owner_id,
                kind="case.warning",
                subject=self.owner_subject
                % {"level": self.labels[level], "number": row["number"], "title": row["title"]},
                link=self.link_to(row["pk"]),
                dedupe_key=(
                    f"case:{row['pk']}:warning:{level}:{_datetime(row['resolve_due']).isoformat()}"
                ),
            )
        return Message(
            member_id=owner_id,
            kind="case.warning",
            subject=ngettext(
                "%(level)s: %(count)d of your cases",
                "%(level)s: %(count)d of your cases",
                len(rows),
            )
            % {"level": self.labels[level], "count": len(rows)},
            body=", ".join(r["number"] for r in rows[:20]) + ("…" if len(rows) > 20 else ""),
            link=self.my_work_link,
            dedupe_key=f"cases:{owner_id}:warning:{level}:{self.now.isoformat()}:{rows[0]['pk']}",
        )

    def flush(self, batch_key: int) -> list[Message]:
        """The batch's messages (call inside the batch's transaction)."""
        out = [
            self._owner_message(owner_id, level, rows)
            for (owner_id, level), rows in sorted(self.rose.items())
        ]
        for (member_id, level), rows in sorted(self.climbed.items()):
            first = rows[0]
            if len(rows) == 1:
                subject = self.one_subject % {"number": first["number"], "title": first["title"]}
                link = self.link_to(first["pk"])
            else:
                subject = ngettext(
                    "%(count)d overdue case climbed to your supervision queue",
                    "%(count)d overdue cases climbed to your supervision queue",
                    len(rows),
                ) % {"count": len(rows)}
                link = self.supervision_link
            out.append(
                Message(
                    member_id=member_id,
                    kind="case.escalation",
                    subject=subject,
                    body=", ".join(r["number"] for r in rows[:20])
                    + ("…" if len(rows) > 20 else ""),
                    link=link,
                    dedupe_key=f"escalation:{level}:{self.now.isoformat()}:{batch_key}",
                )
            )
        self.rose, self.climbed = {}, {}
        return out


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    assert field.column
    return str(field.column)


def insert_rows(model: type[models.Model], fields: list[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT many rows with one prepared statement (executemany), values already prepared
    for the database: the ORM's per-field preparation would cost more than the sweep."""
    if not rows:
        return
    columns = ", ".join(connection.ops.quote_name(_column(model, f)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608


ENTRY_FIELDS = [
    "case",
    "type",
    "at",
    "text",
    "is_public",
    "from_status",
    "to_status",
    "data",
    "attachment",
    "attachment_name",
    "attachment_type",
]


Move = tuple[str, str, int, int]  # warning and escalation, from and to


class _Writer:
    """The writes of one batch, set-based: per move (old and new levels: a handful per batch,
    all of them the same in a backlog's first sweep), one INSERT … SELECT of the WARNING
    entries from the case rows; per new level, one upsert of the alerts (or one delete, for
    cases back to none and 0)."""

    def __init__(self, at: Any) -> None:
        quote = connection.ops.quote_name
        self.at = at
        self.field = Entry._meta.get_field("data")
        self.data: dict[Move, Any] = {}  # an entry's data depends on the move only
        # The entry's columns but its case, every value a parameter (the same for the move).
        columns = ", ".join(quote(_column(Entry, f)) for f in ENTRY_FIELDS)
        values = ", ".join(["%s"] * (len(ENTRY_FIELDS) - 1))
        case_table = quote(Case._meta.db_table)
        case_id = f"{case_table}.{quote(_column(Case, 'id'))}"
        self.insert = (
            f"INSERT INTO {quote(Entry._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {case_id}, {values} FROM {case_table} WHERE {{where}}"
        )
        alert = quote(CaseAlert._meta.db_table)
        key = quote(_column(CaseAlert, "case"))
        warning, escalation, at_ = (
            quote(_column(CaseAlert, name)) for name in ("warning", "escalation", "at")
        )
        # SQLite reads "ON CONFLICT" after a SELECT as a join unless the SELECT has a WHERE.
        self.upsert = (
            f"INSERT INTO {alert} ({key}, {warning}, {escalation}, {at_}) "  # noqa: S608
            f"SELECT {case_id}, %s, %s, %s FROM {case_table} WHERE {{where}} "
            f"ON CONFLICT ({key}) DO UPDATE SET {warning} = excluded.{warning}, "
            f"{escalation} = excluded.{escalation}, {at_} = excluded.{at_}"
        )
        self.delete = f"DELETE FROM {alert} WHERE {{where}}"  # noqa: S608

    def _data(self, move: Move) -> Any:
        if move not in self.data:
            self.data[move] = self.field.get_db_prep_save(
                {"from": move[0], "to": move[1], "escalation": [move[2], move[3]]}, connection
            )
        return self.data[move]

    def write(self, moves: dict[Move, list[int]]) -> None:
        with connection.cursor() as cursor:
            for move, ids in moves.items():
                where, params = _pk_in(ids)
                values = [
                    EntryType.WARNING.value,
                    self.at,
                    "",
                    False,
                    move[0],
                    move[1],
                    self._data(move),
                    "",
                    "",
                    "",
                ]
                cursor.execute(self.insert.format(where=where), [*values, *params])
            targets: dict[tuple[str, int], list[int]] = {}
            for move, ids in moves.items():
                targets.setdefault((move[1], move[3]), []).extend(ids)
            for (warning, escalation), ids in targets.items():
                if warning == WarningLevel.NONE and escalation == 0:
                    where, params = _pk_in(sorted(ids), CaseAlert)
                    cursor.execute(self.delete.format(where=where), params)
                else:
                    where, params = _pk_in(sorted(ids))
                    cursor.execute(
                        self.upsert.format(where=where), [warning, escalation, self.at, *params]
                    )


FIELDS = (
    "pk",
    "owner_id",
    "unit_id",
    "number",
    "title",
    "resolve_due",
    "warning",
    "escalation",
    "target_warning",
    "target_escalation",
)
NO_ALERT = (WarningLevel.NONE.value, 0)
# The columns read from the case rows; the recorded level ("warning", "escalation") is the
# alert's, read apart (see `sweep`).
COLUMNS = tuple(f for f in FIELDS if f not in ("warning", "escalation"))


def _rows(qs: QuerySet[Any]) -> list[dict[str, Any]]:
    """The FIELDS of the queryset's rows as dicts, read with the cursor: Django's per-value
    converters cost more than the rest of a batch. `resolve_due` is read as text (see
    `_datetime`), since the driver would otherwise parse a datetime per row that only
    single-case messages read."""
    names = list(COLUMNS)
    qs = qs.annotate(resolve_due_text=Cast("resolve_due", models.TextField()))
    names[COLUMNS.index("resolve_due")] = "resolve_due_text"
    sql, params = qs.values_list(*names).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def _alerts(ids: list[int]) -> dict[int, tuple[str, int]]:
    """The recorded levels of the cases `ids` that have one."""
    quote = connection.ops.quote_name
    where, params = _pk_in(ids, CaseAlert)
    sql = (
        f"SELECT {quote(_column(CaseAlert, 'case'))}, {quote(_column(CaseAlert, 'warning'))}, "  # noqa: S608
        f"{quote(_column(CaseAlert, 'escalation'))} FROM {quote(CaseAlert._meta.db_table)} "
        f"WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pk: (warning, escalation) for pk, warning, escalation in cursor.fetchall()}


def _datetime(value: Any) -> dt.datetime:
    """A `resolve_due` value as `_rows` left it (text), as the ORM would have returned it."""
    if connection.vendor == "postgresql":
        parsed = parse_datetime(value)
        assert parsed is not None
        return parsed.astimezone(dt.UTC)
    field = Case._meta.get_field("resolve_due")
    assert isinstance(field, models.DateTimeField)
    expression = field.get_col(Case._meta.db_table)
    for converter in connection.ops.get_db_converters(expression):
        value = converter(value, expression, connection)
    assert isinstance(value, dt.datetime)
    return value


def sweep(now: dt.datetime | None = None, batch: int = 5000) -> SweepReport:
    """Record every open case's change of warning level and escalation at `now` (default:
    the current time) and notify. Idempotent; see the module docstring for the cost."""
    started = time.monotonic()
    now = now or timezone.now()
    report = SweepReport()
    t = current_thresholds(now)
    changed = changed_cases(t)
    supervisors = _Supervisors()
    notices = _Notices(now, supervisors)
    writer = _Writer(connection.ops.adapt_datetimefield_value(now))
    # One scan finds the ids; each batch then re-reads its rows by primary key under the lock
    # (a case a service or another sweep changed meanwhile is re-checked, and dropped if its
    # recorded level now fits). Batches follow the owners: an owner's cases that moved fall
    # in as few batches as possible, and each batch sends an owner one digest per level, so
    # a backlog swept for the first time brings each owner a few messages, not one per
    # batch. Within a batch the writes follow the case ids (the alerts' and the timeline's
    # key).
    sql, params = changed.order_by("owner_id", "pk").values_list("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [pk for (pk,) in cursor.fetchall()]
    running = running_cases(t)
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            _serialize()
            some = ids[start : start + batch]
            where, id_params = _pk_in(some)
            # Quoted names, and the ids as parameters. The cases and their alerts are read
            # apart, each by its key: a join would have the database walk the alerts from
            # the first to the batch's (a merge join), a longer walk with every batch.
            in_batch = RawSQL(where, id_params, output_field=models.BooleanField())  # noqa: S611
            rows = []
            alerts = _alerts(some)
            for row in _rows(running.filter(in_batch).order_by("pk")):
                row["warning"], row["escalation"] = alerts.get(row["pk"], NO_ALERT)
                if (row["warning"], row["escalation"]) != (
                    row["target_warning"],
                    row["target_escalation"],
                ):
                    rows.append(row)
            if not rows:
                continue
            supervisors.load_units({r["unit_id"] for r in rows})
            moves: dict[Move, list[int]] = {}
            for row in rows:
                move = (
                    row["warning"],
                    row["target_warning"],
                    row["escalation"],
                    row["target_escalation"],
                )
                moves.setdefault(move, []).append(row["pk"])
                notices.add(row)
                report.levels[row["target_warning"]] += 1
            writer.write(moves)
            messages = notices.flush(rows[0]["pk"])
            publish_many(messages, now=now)
            report.changed += len(rows)
            report.notified += len(messages)
    with transaction.atomic():
        _serialize()
        report.cleared = CaseAlert.objects.exclude(running_q("case__")).delete()[0]
    if report.changed or report.cleared:
        audit.record(
            "case.sweep",
            object_type="casework.case",
            details={
                "at": now.isoformat(),
                "changed": report.changed,
                "cleared": report.cleared,
                "levels": dict(report.levels),
                "notified": report.notified,
            },
        )
    report.seconds = time.monotonic() - started
    return report
