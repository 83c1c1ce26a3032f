"""The dispute figures of KPIS.md (减访情) for a unit's subtree and a period, registered with
the dashboard's figure registry (`liuqing.core.figures`).

`load_grouped` (what `compute` uses) lets the database count: three queries, a few dozen
rows at any number of disputes. The unit scope is worked out once per reading
(`core.access.Subtree`: nothing for the only root, else the subtree's unit ids, or its path
range past MAX_UNIT_IDS). The disputes accepted in the period are counted per combination of their
flags straight from the covering index `dispute_figures` (accepted_at, outcome, agreed_at,
concluded_at, resolved_level, confirmed_on, case): the judicial confirmation is the
dispute's own `confirmed_on` (kept by `followup.record_confirmation_result`), so no join to
agreements and confirmations. Obligations due and payments made in the period are one
aggregate each, read from the covering indexes `obligation_figures` / `payment_figures`
(by date, for the whole tree) or `obligation_by_dispute` / `payment_by_dispute` (by the
subtree's disputes: each obligation and payment carries its dispute, so no join).

`load` reads one row per dispute, obligation and payment (numbers only, straight through the
database cursor into numpy), the confirmations from their own table: the reference the
grouped rows are tested against. The formulas are `liuqing.analytics.disputes`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.analytics import disputes as formulas
from liuqing.casework.models import Case
from liuqing.core import access
from liuqing.core import figures as registry
from liuqing.core.access import VIEW, AccessDenied, NotFound
from liuqing.core.figures import Reading
from liuqing.core.models import Member, Unit
from liuqing.mediation.models import (
    Confirmation,
    ConfirmationResult,
    Dispute,
    Level,
    Obligation,
    Outcome,
    Payment,
)
from liuqing.mediation.workflow import DISPUTE

EPOCH_DAY = dt.date(1970, 1, 1)


class Epoch(models.Func):
    """A datetime column as epoch seconds (float; NULL stays NULL), SQLite and PostgreSQL."""

    output_field = models.FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        seconds = f"CAST(strftime('%%s', {sql}) AS INTEGER)"
        micros = f"CAST(substr({sql} || '.000000', 21, 6) AS INTEGER)"
        return f"(({seconds} * 1000000 + {micros}) / 1000000.0)", [*params, *params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
            **extra,
        )


class DayNumber(models.Func):
    """A date column as days since 1970-01-01 (NULL stays NULL)."""

    output_field = models.IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(julianday({sql}) - 2440587.5 AS INTEGER)", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra
        )


class Cents(models.Func):
    """A money column as whole cents (exact: rounded, not truncated)."""

    template = "CAST(ROUND(%(expressions)s * 100) AS BIGINT)"
    output_field = models.BigIntegerField()


def _rows(queryset: Any, width: int) -> np.ndarray:
    """A values_list queryset of numbers as one float array (NULL → NaN), fetched with the
    cursor: Django's per-value converters would cost more than the query."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return np.zeros((0, width))
    return np.array(rows, dtype=np.float64)


def _flag(**lookups: Any) -> models.Case:
    return models.Case(
        models.When(Q(**lookups), then=models.Value(1)),
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


def _check(member: Member, unit: Unit) -> None:
    if not access.can(member, DISPUTE, VIEW):
        raise AccessDenied
    if not access.in_jurisdiction(member, unit):
        raise NotFound


def _disputes(subtree: access.Subtree) -> Any:
    """The subtree's dispute cases, as a subquery (the database builds the set once)."""
    return Case.objects.filter(subtree.q(), kind=DISPUTE).values("pk")


def _via_dispute(subtree: access.Subtree, path: str) -> Q:
    """Rows whose dispute (its key reached through `path`, e.g. "agreement__dispute_id") is
    in the subtree; no condition for the only root."""
    if subtree.everything:
        return Q()
    return Q(**{f"{path}__in": _disputes(subtree)})


def day_number(day: dt.date) -> int:
    return (day - EPOCH_DAY).days


def period(start: dt.datetime, end: dt.datetime, as_of: dt.datetime) -> formulas.Period:
    return formulas.Period(
        start=start.timestamp(),
        end=end.timestamp(),
        first_day=day_number(timezone.localtime(start).date()),
        end_day=day_number(timezone.localtime(end).date()),
        as_of=as_of.timestamp(),
        as_of_day=day_number(timezone.localtime(as_of).date()),
    )


def load(
    member: Member, unit: Unit, start: dt.datetime, end: dt.datetime
) -> tuple[formulas.DisputeRows, formulas.ObligationRows, formulas.PaymentRows]:
    """The arrays behind the figures of `unit`'s subtree for [start, end). Four queries."""
    _check(member, unit)
    scope = access.Subtree.of(unit)
    disputes = (
        Dispute.objects.filter(scope.q("case__"), accepted_at__gte=start, accepted_at__lt=end)
        .annotate(
            n_accepted=Epoch("accepted_at"),
            n_agreed=Epoch("agreed_at"),
            n_concluded=Epoch("concluded_at"),
            n_terminated=_flag(outcome=Outcome.TERMINATED),
            n_withdrawn=_flag(outcome=Outcome.WITHDRAWN),
            n_village=_flag(resolved_level=Level.VILLAGE),
            n_written=_flag(outcome=Outcome.WRITTEN),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "n_accepted",
            "n_agreed",
            "n_concluded",
            "n_terminated",
            "n_withdrawn",
            "n_village",
            "n_written",
        )
    )
    d = _rows(disputes, 8)
    confirmed = (
        Confirmation.objects.filter(
            _via_dispute(scope, "agreement__dispute_id"),
            result=ConfirmationResult.CONFIRMED,
            agreement__dispute__accepted_at__gte=start,
            agreement__dispute__accepted_at__lt=end,
        )
        .annotate(n_decided=DayNumber("decided_on"))
        .order_by()
        .values_list("agreement__dispute_id", "n_decided")
    )
    c = _rows(confirmed, 2)
    ids = d[:, 0]
    confirmed_at = np.full(len(ids), np.nan)
    if len(c):
        # The decision day's local midnight stands for the decision instant.
        where = np.searchsorted(ids, c[:, 0])
        offset = timezone.localtime(start).utcoffset() or dt.timedelta()
        instants = c[:, 1] * 86400.0 - offset.total_seconds()
        np.fmin.at(confirmed_at, where, instants)
    terminated = d[:, 4] == 1
    withdrawn = d[:, 5] == 1
    rows = formulas.DisputeRows(
        accepted_at=d[:, 1],
        agreed_at=d[:, 2],
        terminated_at=np.where(terminated, d[:, 3], np.nan),
        withdrawn_at=np.where(withdrawn, d[:, 3], np.nan),
        village=d[:, 6] == 1,
        written=d[:, 7] == 1,
        confirmed_at=confirmed_at,
    )
    first = timezone.localtime(start).date()
    last = timezone.localtime(end).date()
    o = _rows(
        Obligation.objects.filter(
            _via_dispute(scope, "agreement__dispute_id"), due_date__gte=first, due_date__lt=last
        )
        .annotate(n_due=DayNumber("due_date"), n_done=DayNumber("performed_on"))
        .order_by()
        .values_list("n_due", "n_done"),
        2,
    )
    p = _rows(
        Payment.objects.filter(
            _via_dispute(scope, "obligation__agreement__dispute_id"),
            paid_on__gte=first,
            paid_on__lt=last,
        )
        .annotate(n_paid=DayNumber("paid_on"), n_cents=Cents("amount"))
        .order_by()
        .values_list("n_paid", "n_cents"),
        2,
    )
    return (
        rows,
        formulas.ObligationRows(due_day=o[:, 0], performed_day=o[:, 1]),
        formulas.PaymentRows(paid_day=p[:, 0], cents=p[:, 1].astype(np.int64)),
    )


A, G, T, W, V, R, C = (1 << i for i in range(7))  # the flags of a group of disputes

# Each dispute's group, coded by `_dispute_groups`: open, withdrawn, terminated without
# agreement, or agreed (AGREED_BIT) with the flags the formulas read only together with
# "agreed": resolved at village level, written, and (written ones) judicially confirmed.
OPEN_CODE, WITHDRAWN_CODE, TERMINATED_CODE = 0, 1, 2
AGREED_BIT, VILLAGE_BIT, WRITTEN_BIT, CONFIRMED_BIT = 4, 8, 16, 32
AGREED_CODES = [
    AGREED_BIT | v | r | c
    for v in (0, VILLAGE_BIT)
    for r in (0, WRITTEN_BIT)
    for c in ((0, CONFIRMED_BIT) if r else (0,))
]
# A LIMIT no query reaches: it keeps the coded rows a subquery of their own (see below).
NO_LIMIT = 2**62


def _when(q: Q, then: Any, otherwise: Any = 0) -> models.Case:
    return models.Case(
        models.When(q, then=then if isinstance(then, models.Expression) else models.Value(then)),
        default=otherwise if isinstance(otherwise, models.Expression) else models.Value(otherwise),
        output_field=models.IntegerField(),
    )


def _dispute_groups(
    scope: access.Subtree,
    start: dt.datetime,
    end: dt.datetime,
    as_of: dt.datetime,
    as_of_day: dt.date,
) -> dict[int, int]:
    """How many of the subtree's disputes accepted in [start, end) by `as_of` fall in each
    group (the codes above; every code present, 0 when none). One pass over the covering
    index `dispute_figures`.

    Each dispute's code is worked out once, in a subquery (its LIMIT keeps SQLite from
    merging it into the outer query), and the outer query counts the codes: counting each
    group with its own filter would test the dates and outcomes of every row once per group
    (twice the time at 100,000 disputes), and a GROUP BY would have SQLite sort every row.
    """
    withdrawn = Q(outcome=Outcome.WITHDRAWN, concluded_at__lte=as_of)
    agreed = Q(agreed_at__lte=as_of)
    terminated = Q(outcome=Outcome.TERMINATED, concluded_at__lte=as_of)
    flags = models.ExpressionWrapper(
        models.Value(AGREED_BIT)
        + _when(Q(resolved_level=Level.VILLAGE), VILLAGE_BIT)
        + _when(
            Q(outcome=Outcome.WRITTEN),
            models.Value(WRITTEN_BIT) + _when(Q(confirmed_on__lte=as_of_day), CONFIRMED_BIT),
        ),
        output_field=models.IntegerField(),
    )
    code = models.Case(
        models.When(withdrawn, then=models.Value(WITHDRAWN_CODE)),
        models.When(agreed, then=flags),
        models.When(terminated, then=models.Value(TERMINATED_CODE)),
        default=models.Value(OPEN_CODE),
        output_field=models.IntegerField(),
    )
    coded = (
        Dispute.objects.filter(
            scope.q("case__"), accepted_at__gte=start, accepted_at__lt=end, accepted_at__lte=as_of
        )
        .annotate(code=code)
        .order_by()
        .values("code")[:NO_LIMIT]
    )
    codes = [OPEN_CODE, WITHDRAWN_CODE, TERMINATED_CODE, *AGREED_CODES]
    n = coded.aggregate(**{f"c{c}": models.Count("code", filter=Q(code=c)) for c in codes})
    return {c: int(n[f"c{c}"] or 0) for c in codes}


def load_grouped(
    member: Member, unit: Unit, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> tuple[formulas.DisputeRows, formulas.ObligationRows, formulas.PaymentRows]:
    """The same figures' rows as `load`, grouped in the database for one period and as-of
    instant (see "Grouped rows" in liuqing.analytics.disputes). Three aggregate queries (and
    the unit scope's one or two), a dozen rows, at any number of disputes.

    The disputes accepted in the period by `as_of` are counted, in one pass over the
    covering index (`_dispute_groups`), as: withdrawn; terminated without agreement; agreed,
    split by the three flags the formulas read only together with "agreed" (village level,
    written, confirmed by the as-of day); and the rest (still open). Each group stands for
    disputes every formula treats alike, so the figures are exactly those of one row per
    dispute. The obligations due in the period by the as-of day are counted and those
    performed on time summed; the payments summed."""
    _check(member, unit)
    scope = access.Subtree.of(unit)
    as_of_day = timezone.localtime(as_of).date()
    n = _dispute_groups(scope, start, end, as_of, as_of_day)
    groups = [
        (A | W, n[WITHDRAWN_CODE]),
        (A | T, n[TERMINATED_CODE]),
        (A, n[OPEN_CODE]),
        *[
            (
                A
                | G
                | (V if code & VILLAGE_BIT else 0)
                | (R if code & WRITTEN_BIT else 0)
                | (C if code & CONFIRMED_BIT else 0),
                n[code],
            )
            for code in AGREED_CODES
        ],
    ]
    k = np.array([key for key, _ in groups], dtype=np.int64)
    weight = np.array([w for _, w in groups], dtype=np.int64)

    def flag(bit: int) -> np.ndarray:
        return k & bit != 0

    def at(bit: int, instant: float) -> np.ndarray:
        return np.where(flag(bit), instant, np.nan)

    p = period(start, end, as_of)
    rows = formulas.DisputeRows(
        accepted_at=at(A, p.start),
        agreed_at=at(G, p.as_of),
        terminated_at=at(T, p.as_of),
        withdrawn_at=at(W, p.as_of),
        village=flag(V),
        written=flag(R),
        confirmed_at=at(C, p.as_of),
        weight=weight,
    )
    first = timezone.localtime(start).date()
    last = min(timezone.localtime(end).date(), as_of_day + dt.timedelta(days=1))
    due = Obligation.objects.filter(
        _via_dispute(scope, "dispute_id"), due_date__gte=first, due_date__lt=last
    ).aggregate(
        n=models.Count("pk"),
        on_time=models.Sum(
            models.Case(
                models.When(
                    Q(performed_on__lte=models.F("due_date")) & Q(performed_on__lte=as_of_day),
                    then=models.Value(1),
                ),
                default=models.Value(0),
                output_field=models.IntegerField(),
            )
        ),
    )
    total, on_time = int(due["n"] or 0), int(due["on_time"] or 0)
    obligations = formulas.ObligationRows(
        due_day=np.full(2, float(p.first_day)),
        performed_day=np.array([float(p.first_day), np.nan]),
        weight=np.array([on_time, total - on_time], dtype=np.int64),
    )
    cents = Payment.objects.filter(
        _via_dispute(scope, "dispute_id"),
        paid_on__gte=first,
        paid_on__lt=last,
    ).aggregate(total=models.Sum(Cents("amount")))["total"]
    payments = formulas.PaymentRows(
        paid_day=np.array([float(p.first_day)]), cents=np.array([int(cents or 0)])
    )
    return rows, obligations, payments


def compute(
    member: Member, unit: Unit, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> formulas.DisputeFigures:
    """The dispute figures of `unit`'s subtree for [start, end) as of `as_of`."""
    rows, obligations, payments = load_grouped(member, unit, start, end, as_of)
    return formulas.figures(rows, obligations, payments, period(start, end, as_of))


LABELS = {
    "accepted": _("Disputes accepted"),
    "resolution": _("Resolution rate"),
    "success": _("Mediation success rate"),
    "village_share": _("Share resolved at village level"),
    "performance": _("Performance rate"),
    "recovered": _("Amounts recovered (yuan)"),
    "confirmation": _("Judicial confirmation rate"),
}
GOOD = {"accepted": None, "recovered": True}


def readings(
    member: Member, unit: Unit, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> list[Reading]:
    f = compute(member, unit, start, end, as_of)
    return [
        Reading(key=key, label=label, value=getattr(f, key), rise_is_good=GOOD.get(key, True))
        for key, label in LABELS.items()
    ]


SECTION = registry.register(
    registry.FigureSection(
        key="disputes",
        qing="fangqing",
        label=_("Dispute mediation"),
        compute=readings,
        visible=lambda member: access.can(member, DISPUTE, VIEW),
        order=10,
    )
)
