"""The dispute figures of KPIS.md (减访情) for a unit's subtree and a period, registered with
the dashboard's figure registry (`liuqing.core.figures`).

`load` reads numbers only, straight through the database cursor into numpy (no Python object
per row): the disputes accepted in the period (instants as epoch seconds, outcome and level
as small codes), the judicial confirmations of those disputes, the obligations due in the
period and the payments made in it (dates as local day numbers). The formulas are
`liuqing.analytics.disputes`. The index `dispute_figures` (accepted_at, outcome) bounds the
disputes read; a member at the only root reads without the unit-path join.
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


# Up to this many units in a subtree, the figures name the units by id (no join on units).
MAX_UNIT_IDS = 2000


def _scope(unit: Unit, prefix: str) -> Q:
    if access.covers_everything(unit):
        return Q()
    ids = list(
        Unit.objects.filter(access.subtree_q(unit)).values_list("pk", flat=True)[: MAX_UNIT_IDS + 1]
    )
    if len(ids) <= MAX_UNIT_IDS:
        if prefix:
            # Obligations and payments: their dispute among the cases in scope (a set the
            # database builds once), rather than a join to the case per row.
            cases = Case.objects.filter(kind=DISPUTE, unit_id__in=ids).values("pk")
            return Q(**{f"{prefix}pk__in": cases})
        return Q(case__unit_id__in=ids)
    low, high = unit.subtree_range()
    return Q(**{f"{prefix}case__unit__path__gte": low, f"{prefix}case__unit__path__lt": high})


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
    disputes = (
        Dispute.objects.filter(_scope(unit, ""), accepted_at__gte=start, accepted_at__lt=end)
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
            _scope(unit, "agreement__dispute__"),
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
            _scope(unit, "agreement__dispute__"), due_date__gte=first, due_date__lt=last
        )
        .annotate(n_due=DayNumber("due_date"), n_done=DayNumber("performed_on"))
        .order_by()
        .values_list("n_due", "n_done"),
        2,
    )
    p = _rows(
        Payment.objects.filter(
            _scope(unit, "obligation__agreement__dispute__"), paid_on__gte=first, paid_on__lt=last
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


CONFIRMED_BIT = 1 << 6


def _bits(*flags: Q) -> Any:
    """One small integer from boolean conditions: flag i contributes 2**i."""
    total: Any = models.Value(0)
    for i, flag in enumerate(flags):
        total = total + models.Case(
            models.When(flag, then=models.Value(1 << i)),
            default=models.Value(0),
            output_field=models.IntegerField(),
        )
    return models.ExpressionWrapper(total, output_field=models.IntegerField())


def load_grouped(
    member: Member, unit: Unit, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> tuple[formulas.DisputeRows, formulas.ObligationRows, formulas.PaymentRows]:
    """The same figures' rows as `load`, grouped in the database for one period and as-of
    instant (see "Grouped rows" in liuqing.analytics.disputes): each dispute reduced to seven
    flags (accepted, agreed, terminated and withdrawn by `as_of`; agreed at village level;
    written; judicially confirmed by the as-of day) and counted per combination, the
    obligations due in the period by the as-of day counted as performed on time or not, and
    the payments summed. Four queries, a few dozen rows, at any number of disputes."""
    _check(member, unit)
    as_of_day = timezone.localtime(as_of).date()

    def key(prefix: str = "") -> Any:
        def q(**lookups: Any) -> Q:
            return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

        return _bits(
            q(accepted_at__lte=as_of),
            q(agreed_at__lte=as_of),
            q(outcome=Outcome.TERMINATED, concluded_at__lte=as_of),
            q(outcome=Outcome.WITHDRAWN, concluded_at__lte=as_of),
            q(resolved_level=Level.VILLAGE),
            q(outcome=Outcome.WRITTEN),
        )

    counts: dict[int, int] = dict(
        Dispute.objects.filter(_scope(unit, ""), accepted_at__gte=start, accepted_at__lt=end)
        .annotate(key=key())
        .order_by()
        .values("key")
        .annotate(n=models.Count("pk"))
        .values_list("key", "n")
    )
    # The confirmed disputes, keyed alike, move from their group to the same key with the
    # confirmation bit (a separate query: a correlated EXISTS per dispute cost more than
    # the whole grouping).
    confirmed = (
        Confirmation.objects.filter(
            _scope(unit, "agreement__dispute__"),
            result=ConfirmationResult.CONFIRMED,
            decided_on__lte=as_of_day,
            agreement__dispute__accepted_at__gte=start,
            agreement__dispute__accepted_at__lt=end,
            agreement__dispute__outcome=Outcome.WRITTEN,
            agreement__dispute__agreed_at__lte=as_of,
        )
        .annotate(key=key("agreement__dispute__"))
        .order_by()
        .values("key")
        .annotate(n=models.Count("agreement__dispute", distinct=True))
        .values_list("key", "n")
    )
    for k_, n_ in confirmed:
        counts[k_] -= n_
        counts[k_ | CONFIRMED_BIT] = counts.get(k_ | CONFIRMED_BIT, 0) + n_
    groups = np.array(sorted(counts.items()), dtype=np.int64).reshape(-1, 2)
    k, n = groups[:, 0], groups[:, 1]

    def flag(i: int) -> np.ndarray:
        return (k >> i) & 1 == 1

    def at(i: int, instant: float) -> np.ndarray:
        return np.where(flag(i), instant, np.nan)

    p = period(start, end, as_of)
    rows = formulas.DisputeRows(
        accepted_at=at(0, p.start),
        agreed_at=at(1, p.as_of),
        terminated_at=at(2, p.as_of),
        withdrawn_at=at(3, p.as_of),
        village=flag(4),
        written=flag(5),
        confirmed_at=at(6, p.as_of),
        weight=n,
    )
    first = timezone.localtime(start).date()
    last = min(timezone.localtime(end).date(), as_of_day + dt.timedelta(days=1))
    due = (
        Obligation.objects.filter(
            _scope(unit, "agreement__dispute__"), due_date__gte=first, due_date__lt=last
        )
        .annotate(
            on_time=_bits(
                Q(performed_on__lte=models.F("due_date")) & Q(performed_on__lte=as_of_day)
            )
        )
        .order_by()
        .values("on_time")
        .annotate(n=models.Count("pk"))
        .values_list("on_time", "n")
    )
    o = np.array(list(due), dtype=np.int64).reshape(-1, 2)
    obligations = formulas.ObligationRows(
        due_day=np.full(len(o), float(p.first_day)),
        performed_day=np.where(o[:, 0] == 1, float(p.first_day), np.nan),
        weight=o[:, 1],
    )
    cents = (
        Payment.objects.filter(
            _scope(unit, "obligation__agreement__dispute__"), paid_on__gte=first, paid_on__lt=last
        )
        .order_by()
        .aggregate(total=models.Sum(Cents("amount")))["total"]
    )
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
