"""The appeals figures of KPIS.md (知民情) for a unit's subtree, a category and a period.

`report()` knows, before it asks, every instant the figures will compare with: the bounds of
its periods (local midnights) and its as-of instants (the report's and the comparisons'
shifted ones). `load_grouped` therefore has the database reduce each appeal in scope to a small
integer key saying how it compares with those instants (received in which span between
bounds, closed by which as-of instants, late or overdue, reopened, withdrawn or merged,
warning level), and each follow-up to its span and rating; the keys and ids leave the
database as one comma-separated string per column (no Python object per appeal), numpy marks
the appeals followed up and counts per key, and a few thousand weighted rows stand for a
million appeals. The formulas of `liuqing.analytics.appeals`, which count with weights, give
exactly the figures of one row per appeal (see "Grouped rows" there). The covering indexes
`case_figures` and `followup_figures` let the database read index pages only.

For a whole unit at the top of the tree (the detachment, a brigade) and periods of whole
months, `load_grouped` reads most of those rows from the rollup instead (liuqing.appeals.rollup:
exact counts per unit kept in the same transaction as every change) and from the case table
only the appeals the rollup cannot answer for: those open, and those closed or first
followed up on an as-of day (`_load_rolled_up`); the result is the same (tested against
`_load_direct` after random histories).

`load` is the row-per-appeal form of the same selection (numbers only, two queries, and a
few index seeks for the clock lengths the warning rule needs): the
reference the grouped form is tested against, and the loader for figures at instants not
known in advance.

What is loaded, either way:

1. the appeals in scope received since the earliest period asked for, plus those still open
   whenever received (for "overdue now"): received, closed and due instants, times
   reopened, working seconds of handling, status (withdrawn and merged leave the figures)
   and warning level at the last as-of instant (computed from the deadline by the rules of
   liuqing.casework.levels, for the appeals whose clock runs now);
2. the follow-ups done on appeals in scope since that moment: when, and the rating.

The cohort of a period P is the appeals received in P; satisfaction counts the follow-ups
done in P. Everything is evaluated as of `as_of` (default now), which every page and export
states. A comparison period (同比 the same span a year earlier, 环比 the span just before) is
evaluated as of the same distance from its own start (`as_of` moved back by the same
amount), so that a cohort is never compared with one that had a year longer to close.

`report()` builds what the figures page, its CSV export and the API show: for each period,
every figure with its year-on-year and period-on-period change. A change whose earlier
figure is zero or undefined is None ("—").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.analytics import appeals as formulas
from liuqing.analytics import periods
from liuqing.analytics.rates import UNDEFINED, Average, Rate, change, format_percent
from liuqing.appeals import rollup
from liuqing.appeals.selectors import category_subtree
from liuqing.appeals.workflow import APPEAL, WORKFLOW
from liuqing.casework import levels
from liuqing.casework.models import WARNING_ORDER, Case, Category, FollowUp
from liuqing.core import access
from liuqing.core.access import VIEW, AccessDenied, NotFound
from liuqing.core.models import Member, Place, Unit

# --- Epoch seconds in SQL ---------------------------------------------------------------------


class Epoch(models.Func):
    """A datetime column as epoch seconds (float; NULL stays NULL), on SQLite and PostgreSQL.

    Turning instants into numbers in the database spares Python a datetime object per value
    (most of the cost of loading half a million rows on SQLite, which stores text).

    Exact to the microsecond, the same float as `datetime.timestamp()`: whole microseconds
    divided by 10⁶ once (on SQLite, where the text is "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC).
    julianday() arithmetic was off by some 10⁻⁵ s, enough to put an appeal received at a local
    midnight into the day before and one closed at the as-of instant among the open."""

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


# --- What is measured -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cut:
    """Where the figures look: a unit and everything below it, optionally one category (with
    its sub-categories) and one place."""

    unit: Unit
    category: Category | None = None
    place: Place | None = None


def _case_q(cut: Cut, prefix: str = "") -> Q:
    q = Q(**{f"{prefix}kind": APPEAL}) & access.subtree_q(cut.unit, f"{prefix}unit__path")
    if cut.category is not None:
        q &= Q(**{f"{prefix}category_id__in": category_subtree(cut.category)})
    if cut.place is not None:
        q &= Q(**{f"{prefix}place_id": cut.place.pk})
    return q


def _check(member: Member, cut: Cut) -> None:
    if not access.can(member, APPEAL, VIEW):
        raise AccessDenied
    if not access.in_jurisdiction(member, cut.unit):
        raise NotFound


NULL = -1.0  # stands for NULL in the numeric columns (no instant or duration is negative)
RATING_CODES = ("", *formulas.RATINGS)


def _coded(field: str, values: Iterable[str]) -> models.Case:
    """The column as a small integer: the position of its value in `values` (0 otherwise)."""
    return models.Case(
        *[models.When(**{field: v}, then=models.Value(i)) for i, v in enumerate(values) if i],
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


def _warning_code(as_of: dt.datetime) -> models.Case:
    """An appeal's warning level at `as_of` as its position in WARNING_ORDER: the level
    rules of liuqing.casework.levels at that instant, for the appeals whose clock runs now
    (0 for the others)."""
    return levels.warning_expression(levels.current(as_of), WARNING_ORDER, running=True)


def _or_null(expression: Any) -> Coalesce:
    return Coalesce(expression, models.Value(NULL), output_field=models.FloatField())


def _matrix(queryset: Any, width: int) -> np.ndarray:
    """The rows of a values_list queryset of numbers as one float array, fetched with the
    database cursor directly: Django's per-value converters cost more than the query."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return np.zeros((0, width))
    return np.array(rows, dtype=np.float64)


def _nulls(column: np.ndarray) -> np.ndarray:
    return np.where(column == NULL, np.nan, column)


@dataclass
class Loaded:
    rows: formulas.AppealRows
    followups: formulas.FollowUpRows
    # Grouped rows answer only for the period bounds and as-of instants they were grouped
    # by (epoch seconds), open now only as of the last; None for one row per appeal, which
    # answers for any.
    bounds: frozenset[float] | None = None
    as_ofs: frozenset[float] | None = None
    open_as_of: float | None = None


def load(member: Member, cut: Cut, *, since: dt.datetime, as_of: dt.datetime) -> Loaded:
    """The arrays behind the figures: appeals received in [since, as_of] or open at as_of,
    and the follow-ups done in [since, as_of]. Two queries, numbers only."""
    _check(member, cut)
    open_states = _open_states()
    excluded = sorted(WORKFLOW.excluded)
    columns = {
        "n_received": Epoch("received_at"),
        "n_closed": _or_null(Epoch("closed_at")),
        "n_due": _or_null(Epoch("resolve_due")),
        "n_handling": _or_null(models.F("handling_seconds")),
        "n_excluded": models.Case(
            models.When(status__in=excluded, then=models.Value(1)),
            default=models.Value(0),
            output_field=models.IntegerField(),
        ),
        "n_warning": _warning_code(as_of),
    }
    names = [
        "pk",
        "n_received",
        "n_closed",
        "n_due",
        "reopened_count",
        "n_handling",
        "n_excluded",
        "n_warning",
    ]
    scoped = Case.objects.filter(_case_q(cut)).annotate(**columns).order_by()
    # Two index ranges rather than one OR (which SQLite answers by reading the table twice):
    # the cohort window, and the few appeals received earlier and still open.
    appeals = (
        scoped.filter(received_at__gte=since, received_at__lte=as_of)
        .values_list(*names)
        .union(
            scoped.filter(status__in=open_states, received_at__lt=since).values_list(*names),
            all=True,
        )
    )
    a = _matrix(appeals, 8)
    done = (
        FollowUp.objects.filter(_case_q(cut, "case__"))
        .filter(done_at__gte=since, done_at__lte=as_of)
        .annotate(n_done=Epoch("done_at"), n_rating=_coded("satisfaction", RATING_CODES))
        .order_by()
        .values_list("case_id", "n_done", "n_rating")
    )
    f = _matrix(done, 3)
    rows = formulas.AppealRows(
        received_at=a[:, 1],
        closed_at=_nulls(a[:, 2]),
        due=_nulls(a[:, 3]),
        reopened=a[:, 4].astype(np.int64),
        followed_up=np.isin(a[:, 0].astype(np.int64), f[:, 0].astype(np.int64)),
        handling_seconds=_nulls(a[:, 5]),
        excluded=a[:, 6].astype(bool),
        warning=a[:, 7].astype(np.int64),
    )
    followups = formulas.FollowUpRows(
        done_at=f[:, 1], rating=np.array(RATING_CODES)[f[:, 2].astype(np.int64)]
    )
    return Loaded(rows=rows, followups=followups)


def _open_states() -> list[str]:
    return sorted(WORKFLOW.states - set(WORKFLOW.closed) - set(WORKFLOW.excluded))


def _spans(field: str, bounds: list[dt.datetime]) -> models.Case:
    """How many of `bounds` (ascending) are at or before the column: 0 before the first."""
    return models.Case(
        *[
            models.When(**{f"{field}__gte": bound}, then=models.Value(i))
            for i, bound in reversed(list(enumerate(bounds, start=1)))
        ],
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


def _not_before(field: str, as_ofs: list[dt.datetime]) -> models.Case:
    """How many of `as_ofs` (ascending) are at or after the column: 0 when NULL or later
    than all (as of each of those, the instant has passed)."""
    k = len(as_ofs)
    return models.Case(
        *[
            models.When(**{f"{field}__lte": instant}, then=models.Value(k - i))
            for i, instant in enumerate(as_ofs)
        ],
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


def _flag(**lookups: Any) -> models.Case:
    return models.Case(
        models.When(Q(**lookups), then=models.Value(1)),
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


def _packed(digits: list[tuple[Any, int]]) -> Any:
    """One integer from small ones: d0 + r0 × (d1 + r1 × (d2 + …)) for digits d_i in [0, r_i)."""
    (expression, _), *rest = digits
    if not rest:
        return expression
    return models.ExpressionWrapper(
        expression + models.Value(digits[0][1]) * _packed(rest),
        output_field=models.BigIntegerField(),
    )


def _unpacked(keys: np.ndarray, digits: list[tuple[str, int]]) -> dict[str, np.ndarray]:
    """The digits of `_packed` keys, by name."""
    result = {}
    for name, radix in digits:
        keys, result[name] = np.divmod(keys, radix)
    return result


def _epochs(instants: list[dt.datetime]) -> np.ndarray:
    return np.array([instant.timestamp() for instant in instants], dtype=np.float64)


def _pick(values: np.ndarray, index: np.ndarray, where: np.ndarray, otherwise: float) -> Any:
    """values[index] where `where`, `otherwise` elsewhere (index may be out of range there)."""
    if len(values) == 0:
        return np.full(len(index), otherwise)
    return np.where(where, values[np.clip(index, 0, len(values) - 1)], otherwise)


class Joined(models.Aggregate):
    """The integer values of every row as one comma-separated string (NULL when no rows):
    how a million numbers leave the database without a Python object apiece."""

    function = "GROUP_CONCAT"
    output_field = models.TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="STRING_AGG((%(expressions)s)::text, ',')", **extra
        )


def _ints(joined: str | None) -> np.ndarray:
    if not joined:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(joined, dtype=np.int64, sep=",")


# Above this id, matching ids by a table of flags would take too much memory: sort instead.
MAX_FLAG_TABLE = 1 << 25


def _among(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Which of `values` (non-negative integers) are in `pool`: np.isin, without sorting
    while the ids are small enough for a table of flags."""
    if len(values) == 0 or len(pool) == 0:
        return np.zeros(len(values), dtype=bool)
    top = int(max(values.max(), pool.max()))
    if top > MAX_FLAG_TABLE:
        return np.isin(values, pool)
    table = np.zeros(top + 1, dtype=bool)
    table[pool] = True
    return table[values]


def load_grouped(
    member: Member,
    cut: Cut,
    *,
    bounds: list[dt.datetime],
    as_ofs: list[dt.datetime],
) -> Loaded:
    """The figures' rows grouped for periods bounded by `bounds` and evaluated as of the
    instants `as_ofs`: the appeals received in [min bounds, max as_ofs] or open at max as_ofs,
    and the follow-ups done in that span, as `load` selects them. Two queries, each one
    aggregate row: the database computes a small integer key per appeal and per follow-up
    and sends them with the ids as comma-separated text (a follow-up's key carries its
    appeal's id); numpy matches follow-ups to appeals and groups by counting per key.

    Each appeal is keyed by
      b  how many bounds are at or before its receipt (a period [start, end) holds it iff
         b counts start but not end);
      c  how many as-of instants its closure is at or before (0: open at all of them);
      late  closed at the last as-of instant after its due time, or, open then, past due;
      reopened, excluded (withdrawn or merged), followed up (a follow-up done in the span),
      and the warning level of an appeal open at the last as-of instant (0 once closed),
    and each follow-up by b and c of its done time and by its rating. Every mask of the
    formulas at those bounds and instants is the same for all members of a group, so a group
    travels as one row with the earliest instant having its b (received_at: the b-th bound,
    −∞ for b = 0) and, for closure, the as-of instant it is at or before (NaN: open); due is
    −∞ for a late group (never on time, overdue at any as-of) and NaN otherwise (no
    deadline: on time, not overdue). A follow-up's done_at stands at the later of the b-th
    bound and the microsecond after the last as-of instant it is later than (the stored
    resolution), the earliest instant comparing as it does. A group's handling time is the
    sum over its members, NaN if one has none (so the average raises for a closed one, as it
    does on `load`'s rows).

    The appeals query reads every appeal in scope received by the last as-of instant (one
    index range, `case_figures`): those received earlier than the span and not open only
    vouch for their follow-ups being in scope. The follow-ups query reads the span of
    `followup_figures` and needs no join: a follow-up counts if its appeal is among those (a
    follow-up comes after its appeal's receipt).

    For a whole unit at depth ≤ LIUQING_APPEAL_ROLLUP_DEPTH with bounds on month starts, the
    same rows come from the rollup and a few index ranges instead (`_load_rolled_up`).
    """
    _check(member, cut)
    bounds = sorted(set(bounds))
    as_ofs = sorted(set(as_ofs))
    if not bounds or not as_ofs:
        raise ValueError("group for at least one bound and one as-of instant")
    if _rollup_applies(cut, bounds):
        return _load_rolled_up(cut, bounds, as_ofs)
    return _load_direct(cut, bounds, as_ofs)


def _appeal_digits(bounds: list[dt.datetime], as_ofs: list[dt.datetime]) -> list[Any]:
    """The digits of an appeal's key (name, expression, range), least significant first."""
    since, as_of = bounds[0], as_ofs[-1]
    warning_codes = sorted(WARNING_ORDER, key=WARNING_ORDER.__getitem__)
    return [
        ("b", _spans("received_at", bounds), len(bounds) + 1),
        ("c", _not_before("closed_at", as_ofs), len(as_ofs) + 1),
        (
            "late",
            models.Case(
                models.When(resolve_due__isnull=True, then=models.Value(0)),
                models.When(
                    closed_at__lte=as_of,
                    closed_at__gt=models.F("resolve_due"),
                    then=models.Value(1),
                ),
                models.When(closed_at__lte=as_of, then=models.Value(0)),
                models.When(resolve_due__lt=as_of, then=models.Value(1)),
                default=models.Value(0),
                output_field=models.IntegerField(),
            ),
            2,
        ),
        ("reopened", _flag(reopened_count__gt=0), 2),
        ("excluded", _flag(status__in=sorted(WORKFLOW.excluded)), 2),
        (
            "warning",
            models.Case(
                models.When(closed_at__lte=as_of, then=models.Value(0)),
                default=_warning_code(as_of),
                output_field=models.IntegerField(),
            ),
            len(warning_codes),
        ),
        # Among the rows `load` reads: received in the span, or open whenever received.
        (
            "counted",
            models.Case(
                models.When(
                    Q(received_at__gte=since) | Q(status__in=_open_states()),
                    then=models.Value(1),
                ),
                default=models.Value(0),
                output_field=models.IntegerField(),
            ),
            2,
        ),
    ]


def _handling_plus_one() -> Any:
    return models.ExpressionWrapper(
        Coalesce(models.F("handling_seconds"), models.Value(-1)) + models.Value(1),
        output_field=models.BigIntegerField(),
    )


def _done_digits(bounds: list[dt.datetime], as_ofs: list[dt.datetime]) -> list[tuple[Any, int]]:
    return [
        (_spans("done_at", bounds), len(bounds) + 1),
        (_not_before("done_at", as_ofs), len(as_ofs) + 1),
        (_coded("satisfaction", RATING_CODES), len(RATING_CODES)),
    ]


def _grouped_appeals(
    digits: list[Any],
    key: np.ndarray,
    followed: np.ndarray,
    handling_plus: np.ndarray,
    bounds: list[dt.datetime],
    as_ofs: list[dt.datetime],
) -> formulas.AppealRows:
    """Weighted rows from appeal keys (counted ones), their followed-up flags and handling
    seconds plus one (0 for none): one row per distinct key and flag."""
    radix = int(np.prod([r for _, _, r in digits]))
    k = len(as_ofs)
    full_key = key * 2 + followed.astype(np.int64)
    handling = handling_plus - 1
    has_handling = handling >= 0
    n = np.bincount(full_key, minlength=2 * radix)
    groups = np.flatnonzero(n)
    seconds = np.bincount(
        full_key, weights=np.where(has_handling, handling, 0), minlength=2 * radix
    )[groups]
    handled = np.bincount(full_key, weights=has_handling, minlength=2 * radix)[groups]
    n = n[groups].astype(np.int64)
    group_key, followed_group = np.divmod(groups, 2)
    g = _unpacked(group_key, [(name, r) for name, _, r in digits])
    b, c = g["b"], g["c"]
    bound_epochs, as_of_epochs = _epochs(bounds), _epochs(as_ofs)
    return formulas.AppealRows(
        received_at=_pick(bound_epochs, b - 1, b > 0, -np.inf),
        closed_at=_pick(as_of_epochs, k - c, c > 0, np.nan),
        due=np.where(g["late"] == 1, -np.inf, np.nan),
        reopened=g["reopened"],
        followed_up=followed_group.astype(bool),
        handling_seconds=np.where(handled == n, seconds, np.nan),
        excluded=g["excluded"].astype(bool),
        warning=g["warning"],
        weight=n,
    )


def _grouped_followups(
    done_keys: np.ndarray, bounds: list[dt.datetime], as_ofs: list[dt.datetime]
) -> formulas.FollowUpRows:
    """Weighted follow-up rows from their keys (b, c and rating of `_done_digits`)."""
    k = len(as_ofs)
    done_radix = (len(bounds) + 1) * (k + 1) * len(RATING_CODES)
    done_n = np.bincount(done_keys, minlength=done_radix)
    done_groups = np.flatnonzero(done_n)
    f = _unpacked(
        done_groups, [("b", len(bounds) + 1), ("c", k + 1), ("rating", len(RATING_CODES))]
    )
    passed = k - f["c"]  # as-of instants strictly before the follow-up
    after = _epochs([instant + dt.timedelta(microseconds=1) for instant in as_ofs])
    return formulas.FollowUpRows(
        done_at=np.maximum(
            _pick(_epochs(bounds), f["b"] - 1, f["b"] > 0, -np.inf),
            _pick(after, passed - 1, passed > 0, -np.inf),
        ),
        rating=np.array(RATING_CODES)[f["rating"]],
        weight=done_n[done_groups].astype(np.int64),
    )


def _loaded(
    rows: formulas.AppealRows,
    followups: formulas.FollowUpRows,
    bounds: list[dt.datetime],
    as_ofs: list[dt.datetime],
) -> Loaded:
    as_of_epochs = _epochs(as_ofs)
    return Loaded(
        rows=rows,
        followups=followups,
        bounds=frozenset(_epochs(bounds).tolist()),
        as_ofs=frozenset(as_of_epochs.tolist()),
        open_as_of=float(as_of_epochs[-1]),
    )


def _load_direct(cut: Cut, bounds: list[dt.datetime], as_ofs: list[dt.datetime]) -> Loaded:
    """`load_grouped` from the case and follow-up tables: two queries over every appeal in
    scope received by the last as-of instant (see load_grouped)."""
    since, as_of = bounds[0], as_ofs[-1]
    digits = _appeal_digits(bounds, as_ofs)
    radix = int(np.prod([r for _, _, r in digits]))
    appeals = (
        Case.objects.filter(_case_q(cut), received_at__lte=as_of)
        .order_by()
        .aggregate(
            ids=Joined("pk"),
            keys=Joined(
                _packed([*[(e, r) for _, e, r in digits], (_handling_plus_one(), 1)]),
            ),
        )
    )
    done_digits = _done_digits(bounds, as_ofs)
    done_radix = int(np.prod([r for _, r in done_digits]))
    done = (
        FollowUp.objects.filter(done_at__gte=since, done_at__lte=as_of)
        .order_by()
        .aggregate(keys=Joined(_packed([*done_digits, (models.F("case_id"), 1)])))
    )
    ids, packed = _ints(appeals["ids"]), _ints(appeals["keys"])
    done_cases, done_keys = np.divmod(_ints(done["keys"]), done_radix)
    done_keys = done_keys[_among(done_cases, ids)]  # the follow-ups of appeals in scope

    handling_plus, key = np.divmod(packed, radix)
    # "counted" is the most significant digit: read it alone (unpacking every digit of a
    # million keys here cost a quarter of a second).
    assert digits[-1][0] == "counted"
    counted = key >= radix // 2
    followed = _among(ids[counted], done_cases)
    rows = _grouped_appeals(digits, key[counted], followed, handling_plus[counted], bounds, as_ofs)
    return _loaded(rows, _grouped_followups(done_keys, bounds, as_ofs), bounds, as_ofs)


# --- From the rollup (appeals.rollup) ---------------------------------------------------------


def _month_aligned(instant: dt.datetime) -> bool:
    local = timezone.localtime(instant, tz())
    return (
        local.day == 1
        and local.time() == dt.time()
        and instant == rollup.month_start(local.year * 12 + local.month - 1)
    )


def _rollup_applies(cut: Cut, bounds: list[dt.datetime]) -> bool:
    """The rollup answers for a whole unit at the top of the tree (no category or place cut)
    and periods of whole months."""
    return (
        cut.category is None
        and cut.place is None
        and cut.unit.depth <= rollup.depth()
        and all(_month_aligned(bound) for bound in bounds)
    )


NEVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)  # closes a range the index then reads


def _subtree_units(unit: Unit) -> np.ndarray | None:
    """The ids of the units in `unit`'s subtree (None for the only root: every unit)."""
    subtree = access.Subtree.of(unit, limit=None)
    if subtree.everything:
        return None
    return np.array(subtree.unit_ids, dtype=np.int64)


def _in_units(units: np.ndarray, in_scope: np.ndarray | None) -> np.ndarray:
    if in_scope is None:
        return np.ones(len(units), dtype=bool)
    return _among(units, in_scope)


def _concat_rows(parts: list[formulas.AppealRows]) -> formulas.AppealRows:
    names = (
        "received_at",
        "closed_at",
        "due",
        "reopened",
        "followed_up",
        "handling_seconds",
        "excluded",
        "warning",
        "weight",
    )
    return formulas.AppealRows(
        **{name: np.concatenate([getattr(p, name) for p in parts]) for name in names}
    )


def _load_rolled_up(cut: Cut, bounds: list[dt.datetime], as_ofs: list[dt.datetime]) -> Loaded:
    """`load_grouped` from the unit's cells, and from the tables for what the cells cannot
    answer (appeals.rollup explains the split): the settled appeals whose days all differ
    from the as-of days come from `FigureCell`, the follow-ups done on other days from
    `FollowUpCell`; the open appeals, those closed on an as-of day or on or after the last,
    those first followed up on the last as-of day and the withdrawn or merged ones received
    on it are read as `_load_direct` reads them, and so are the follow-ups of the as-of days.
    """
    from liuqing.appeals.models import FigureCell, FollowUpCell

    since, as_of = bounds[0], as_ofs[-1]
    as_of_days = sorted({int(d) for d in rollup.local_days(_epochs(as_ofs))[0]})
    last_day = int(rollup.local_days(_epochs([as_of]))[0][0])
    since_month = int(rollup.local_days(_epochs([since]))[1][0])
    day_start = {d: rollup.midnight(d) for d in as_of_days}
    day_end = {d: rollup.midnight(d + 1) for d in as_of_days}

    # The cells: settled appeals received since the first bound.
    cells = _matrix(
        FigureCell.objects.filter(unit=cut.unit, received_month__gte=since_month)
        .order_by()
        .values_list(*rollup.CELL_KEY, *rollup.CELL_SUMS),
        len(rollup.CELL_KEY) + len(rollup.CELL_SUMS),
    ).astype(np.int64)  # exact: counts and sums of seconds are far below 2⁵³
    month, day, first_fu, late, reopened, excluded, n, handled, handling = cells.T
    answered = np.where(
        excluded == 1,
        day < last_day,
        (day < last_day) & ~np.isin(day, as_of_days) & (first_fu != last_day),
    )
    month, day, first_fu, late, reopened, excluded, n, handled, handling = cells[answered].T
    months = sorted(set(month.tolist()))
    days = sorted(set(day.tolist()))
    month_days = {m: dt.date(m // 12, m % 12 + 1, 1).toordinal() for m in months}
    first_days = rollup.midnight_epochs(month_days.values())
    month_epoch = {m: first_days[d] for m, d in month_days.items()}
    day_epoch = rollup.midnight_epochs(days)
    settled = formulas.AppealRows(
        received_at=np.array([month_epoch[m] for m in month.tolist()], dtype=np.float64),
        closed_at=np.where(
            excluded == 1,
            np.nan,
            np.array([day_epoch[d] for d in day.tolist()], dtype=np.float64),
        ),
        due=np.where(late == 1, -np.inf, np.nan),
        reopened=reopened,
        followed_up=(first_fu > 0) & (first_fu < last_day),
        handling_seconds=np.where(handled == n, handling.astype(np.float64), np.nan),
        excluded=excluded.astype(bool),
        warning=np.zeros(len(n), dtype=np.int64),
        weight=n,
    )

    # The appeals the cells do not answer for, read and keyed as `_load_direct` keys them
    # ("counted" is 1 by the filter); followed up: a follow-up done in [since, as_of]. One
    # query, a union of index ranges on closure (receipt, for withdrawn ones) and a list of
    # ids: the kind and the unit travel as digits and are matched here, for a condition on
    # them (a join on the units' paths) would have the database read every appeal in scope.
    digits = _appeal_digits(bounds, as_ofs)
    radix = int(np.prod([r for _, _, r in digits]))
    excluded_states = sorted(WORKFLOW.excluded)
    kept = ~Q(status__in=excluded_states)
    first_followed_last_day = Q(
        pk__in=FollowUp.objects.filter(
            done_at__gte=day_start[last_day], done_at__lt=day_end[last_day]
        ).values("case_id")
    ) & ~models.Exists(
        FollowUp.objects.filter(case=models.OuterRef("pk"), done_at__lt=day_start[last_day])
    )
    # Each term is one index range (or a list of ids) and nothing outside them is: SQLite then
    # reads their union ("MULTI-INDEX OR"). Whether an appeal is "counted" (received since the
    # first bound, or open) and received by as_of travel as digits and are matched here: a
    # condition on receipt would have the database read every appeal received in the span.
    # An appeal is open (closed_at NULL) exactly when its status is an open one (the engine
    # keeps them together).
    unanswered = (
        Q(status__in=_open_states())
        | Q(kept, closed_at__gte=day_start[last_day], closed_at__lt=NEVER)
        | Q(kept, first_followed_last_day, closed_at__isnull=False)
        | Q(
            status__in=excluded_states,
            received_at__gte=day_start[last_day],
            received_at__lt=day_end[last_day],
        )
    )
    for d in as_of_days:
        if d != last_day:
            unanswered |= Q(kept, closed_at__gte=day_start[d], closed_at__lt=day_end[d])
    followed = models.Case(
        models.When(closed_at__isnull=True, then=models.Value(0)),  # never closed: moot
        models.When(
            models.Exists(
                FollowUp.objects.filter(
                    case=models.OuterRef("pk"), done_at__gte=since, done_at__lte=as_of
                )
            ),
            then=models.Value(1),
        ),
        default=models.Value(0),
        output_field=models.IntegerField(),
    )
    found = (
        Case.objects.filter(unanswered)
        .order_by()
        .aggregate(
            keys=Joined(
                _packed(
                    [
                        *[(e, r) for _, e, r in digits],
                        (followed, 2),
                        (_flag(kind=APPEAL, received_at__lte=as_of), 2),
                        (_handling_plus_one(), 1),
                    ]
                )
            ),
            units=Joined("unit_id"),
        )
    )
    in_scope = _subtree_units(cut.unit)
    packed = _ints(found["keys"])
    handling_plus, rest = np.divmod(packed, radix * 4)
    appeal, rest = np.divmod(rest, radix * 2)
    followed_flags, key = np.divmod(rest, radix)
    assert digits[-1][0] == "counted"
    counted = key >= radix // 2
    mine = (appeal == 1) & counted & _in_units(_ints(found["units"]), in_scope)
    direct = _grouped_appeals(
        digits, key[mine], followed_flags[mine], handling_plus[mine], bounds, as_ofs
    )

    # Follow-ups: the cells for days other than the as-of days, the table for those.
    fu_cells = _matrix(
        FollowUpCell.objects.filter(
            unit=cut.unit, day__gte=int(rollup.local_days(_epochs([since]))[0][0])
        )
        .exclude(day__in=as_of_days)
        .filter(day__lt=last_day)
        .order_by()
        .values_list("day", "rating", "n"),
        3,
    ).astype(np.int64)
    fu_days = sorted(set(fu_cells[:, 0].tolist()))
    fu_epoch = rollup.midnight_epochs(fu_days)
    cell_followups = formulas.FollowUpRows(
        done_at=np.array([fu_epoch[d] for d in fu_cells[:, 0].tolist()], dtype=np.float64),
        rating=np.array(RATING_CODES)[fu_cells[:, 1]],
        weight=fu_cells[:, 2],
    )
    # Each as-of day's range clipped to [since, as_of], and nothing around them (SQLite would
    # read the whole span's follow-ups for a condition on it).
    on_days = Q(pk__in=[])
    for d in as_of_days:
        low = max(day_start[d], since)
        if day_end[d] <= as_of:
            on_days |= Q(done_at__gte=low, done_at__lt=day_end[d])
        elif low <= as_of:
            on_days |= Q(done_at__gte=low, done_at__lte=as_of)
    done_digits = _done_digits(bounds, as_ofs)
    done_radix = int(np.prod([r for _, r in done_digits]))
    done = (
        FollowUp.objects.filter(on_days)
        .order_by()
        .aggregate(
            keys=Joined(_packed([*done_digits, (_flag(case__kind=APPEAL), 1)])),
            units=Joined("case__unit_id"),
        )
    )
    appeal_flag, done_keys = np.divmod(_ints(done["keys"]), done_radix)
    done_keys = done_keys[(appeal_flag == 1) & _in_units(_ints(done["units"]), in_scope)]
    direct_followups = _grouped_followups(done_keys, bounds, as_ofs)
    followups = formulas.FollowUpRows(
        done_at=np.concatenate([cell_followups.done_at, direct_followups.done_at]),
        rating=np.concatenate([cell_followups.rating, direct_followups.rating]),
        weight=np.concatenate([cell_followups.weight, direct_followups.weight]),
    )
    return _loaded(_concat_rows([settled, direct]), followups, bounds, as_ofs)


def figures_for(loaded: Loaded, period: periods.Period, as_of: dt.datetime) -> Any:
    """Every figure of one period, from arrays already loaded. Grouped arrays answer only for
    the bounds and as-of instants they were grouped by (ValueError otherwise), and open now
    only as of the last of those (None as of an earlier one: what a comparison period
    would show of it was never shown)."""
    if (
        loaded.bounds is not None
        and not {
            period.start.timestamp(),
            period.end.timestamp(),
        }
        <= loaded.bounds
    ):
        raise ValueError(f"rows not grouped for the bounds of {period.key}")
    if loaded.as_ofs is not None and as_of.timestamp() not in loaded.as_ofs:
        raise ValueError(f"rows not grouped as of {as_of.isoformat()}")
    return formulas.appeal_figures(
        loaded.rows,
        loaded.followups,
        start=period.start_epoch,
        end=period.end_epoch,
        as_of=as_of.timestamp(),
        with_open_now=loaded.open_as_of in (None, as_of.timestamp()),
    )


# --- Periods ----------------------------------------------------------------------------------


def tz() -> dt.tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def parse_period(text: str) -> periods.Period:
    """ "2025", "2025-06", "2025-Q2", "2025-H1" or "2025-01-05..2025-01-20" (days included) in
    the deployment's time zone; ValueError otherwise."""
    return periods.parse(text, tz())


# --- The report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One line of the report: a figure's key, label and how to read it off AppealFigures."""

    key: str
    label: Any
    get: Callable[[Any], Any]


FIGURES: tuple[Figure, ...] = (
    Figure("received", _("Received"), lambda f: f.received),
    Figure("completion", _("Completion rate"), lambda f: f.completion),
    Figure("on_time", _("On-time rate"), lambda f: f.on_time),
    Figure(
        "average_handling_days",
        _("Average handling time (working days)"),
        lambda f: f.average_handling_days,
    ),
    Figure("followup", _("Follow-up rate"), lambda f: f.followup),
    Figure("satisfaction", _("Satisfaction rate"), lambda f: f.satisfaction),
    Figure("fully_satisfied", _("Fully satisfied"), lambda f: f.fully_satisfied),
    Figure("reopen", _("Reopen rate"), lambda f: f.reopen),
)


def display(value: Any) -> str:
    if isinstance(value, Rate):
        return value.percent_display()
    if isinstance(value, Average):
        return value.display()
    return str(value)


def hover(value: Any) -> str:
    if isinstance(value, Rate):
        return value.hover()
    if isinstance(value, Average):
        return f"{display(value)} × {value.count}"
    return ""


@dataclass(frozen=True)
class Line:
    figure: Figure
    value: Any
    year_before: Any
    period_before: Any

    @property
    def display(self) -> str:
        return display(self.value)

    @property
    def hover(self) -> str:
        return hover(self.value)

    @property
    def yoy(self) -> Fraction | None:
        return change(self.value, self.year_before)

    @property
    def mom(self) -> Fraction | None:
        return change(self.value, self.period_before)

    @property
    def yoy_display(self) -> str:
        return format_percent(self.yoy, signed=True)

    @property
    def mom_display(self) -> str:
        return format_percent(self.mom, signed=True)

    @property
    def yoy_hover(self) -> str:
        return f"{display(self.year_before)} ({hover(self.year_before)})".replace(" ()", "")

    @property
    def mom_hover(self) -> str:
        return f"{display(self.period_before)} ({hover(self.period_before)})".replace(" ()", "")


@dataclass(frozen=True)
class PeriodReport:
    period: periods.Period
    year_before: periods.Period
    period_before: periods.Period
    figures: Any  # analytics.appeals.AppealFigures
    lines: list[Line]


@dataclass(frozen=True)
class Report:
    cut: Cut
    as_of: dt.datetime
    periods: list[PeriodReport]
    open_now: formulas.OpenNow


def _shifted(as_of: dt.datetime, now: periods.Period, earlier: periods.Period) -> dt.datetime:
    return as_of - (now.start - earlier.start)


Evaluation = tuple[periods.Period, dt.datetime]


def evaluations(
    wanted: list[periods.Period], as_of: dt.datetime
) -> list[tuple[Evaluation, Evaluation, Evaluation]]:
    """For each period asked for: itself as of `as_of`, the same span a year earlier and the
    span just before, each as of its shifted as-of instant (what `report` evaluates)."""
    result = []
    for p in wanted:
        yoy, mom = periods.year_on_year(p), periods.month_on_month(p)
        result.append(((p, as_of), (yoy, _shifted(as_of, p, yoy)), (mom, _shifted(as_of, p, mom))))
    return result


def report(
    member: Member,
    cut: Cut,
    wanted: list[periods.Period],
    *,
    as_of: dt.datetime | None = None,
) -> Report:
    """The figures of each period in `wanted` with their comparisons, from one grouped load."""
    as_of = as_of or timezone.now()
    triples = evaluations(wanted, as_of)
    evaluated = [x for triple in triples for x in triple]
    loaded = load_grouped(
        member,
        cut,
        bounds=[bound for p, _when in evaluated for bound in (p.start, p.end)],
        as_ofs=[when for _p, when in evaluated],
    )
    result = []
    for (p, _as_of), (yoy, yoy_as_of), (mom, mom_as_of) in triples:
        now_f = figures_for(loaded, p, as_of)
        yoy_f = figures_for(loaded, yoy, yoy_as_of)
        mom_f = figures_for(loaded, mom, mom_as_of)
        lines = [Line(f, f.get(now_f), f.get(yoy_f), f.get(mom_f)) for f in FIGURES]
        result.append(PeriodReport(p, yoy, mom, now_f, lines))
    return Report(
        cut=cut,
        as_of=as_of,
        periods=result,
        open_now=formulas.open_now(loaded.rows, as_of.timestamp()),
    )


def standard_periods(day: dt.date) -> list[periods.Period]:
    """The month, quarter and year containing `day`."""
    zone = tz()
    return [
        periods.containing(periods.Kind.MONTH, day, zone),
        periods.containing(periods.Kind.QUARTER, day, zone),
        periods.containing(periods.Kind.YEAR, day, zone),
    ]


def latest_received(member: Member, cut: Cut) -> dt.datetime | None:
    """When the latest appeal in the cut was received (to place the periods when there is
    nothing in the current year, as in a demo database)."""
    _check(member, cut)
    return (
        Case.objects.filter(_case_q(cut))
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )


# --- Export -----------------------------------------------------------------------------------


def _value_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, Rate | Average):
        return value.as_dict()
    return {"value": value, "display": display(value)}


def as_dict(rep: Report) -> dict[str, Any]:
    """The report for JSON: every figure with its numerator and denominator (or count),
    and its changes (None when undefined)."""

    def fraction(x: Fraction | None) -> float | None:
        return float(x) if x is not None else None

    return {
        "unit": {"id": rep.cut.unit.pk, "name": rep.cut.unit.name},
        "category": (
            {"id": rep.cut.category.pk, "name": rep.cut.category.name}
            if rep.cut.category is not None
            else None
        ),
        "as_of": rep.as_of,
        "open_now": {
            "open": rep.open_now.open,
            "overdue": rep.open_now.overdue,
            "by_level": dict(rep.open_now.by_level),
        },
        "periods": [
            {
                "period": pr.period.key,
                "start": pr.period.start,
                "end": pr.period.end,
                "year_before": pr.year_before.key,
                "period_before": pr.period_before.key,
                "figures": {
                    line.figure.key: {
                        **_value_dict(line.value),
                        "year_before": _value_dict(line.year_before),
                        "period_before": _value_dict(line.period_before),
                        "yoy": fraction(line.yoy),
                        "yoy_display": line.yoy_display,
                        "mom": fraction(line.mom),
                        "mom_display": line.mom_display,
                    }
                    for line in pr.lines
                },
            }
            for pr in rep.periods
        ],
    }


def _counts(value: Any) -> tuple[str, str]:
    if isinstance(value, Rate):
        return str(value.numerator), str(value.denominator)
    if isinstance(value, Average):
        return str(Fraction(value.total)), str(value.count)
    return str(value), ""


def as_csv(rep: Report) -> str:
    """One row per period and figure: value as shown, numerator and denominator (for an
    average: total working days and count), year-on-year and period-on-period change."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "unit",
            "category",
            "as_of",
            "period",
            "figure",
            "display",
            "numerator",
            "denominator",
            "year_before",
            "yoy",
            "period_before",
            "mom",
        ]
    )
    category = rep.cut.category.code if rep.cut.category is not None else ""
    for pr in rep.periods:
        for line in pr.lines:
            numerator, denominator = _counts(line.value)
            writer.writerow(
                [
                    rep.cut.unit.code,
                    category,
                    timezone.localtime(rep.as_of).isoformat(timespec="seconds"),
                    pr.period.key,
                    line.figure.key,
                    line.display,
                    numerator,
                    denominator,
                    display(line.year_before),
                    line.yoy_display,
                    display(line.period_before),
                    line.mom_display,
                ]
            )
    for level, count in rep.open_now.by_level.items():
        writer.writerow(
            [rep.cut.unit.code, category, "", "now", f"open_{level}", count, "", "", "", "", "", ""]
        )
    writer.writerow(
        [rep.cut.unit.code, category, "", "now", "overdue", rep.open_now.overdue] + [""] * 6
    )
    return out.getvalue()


__all__ = ["UNDEFINED", "Cut", "Report", "as_csv", "as_dict", "parse_period", "report"]
