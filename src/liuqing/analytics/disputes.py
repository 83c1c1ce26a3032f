"""The dispute figures of KPIS.md (减访情), as pure functions over numpy arrays.

The mediation selector passes, for the member's scope and the unit asked for, one row per
dispute accepted (whenever), one per obligation and one per payment; everything below is
arithmetic on them. Instants are epoch seconds (float; NaN for "not yet"); days (due,
performed and payment dates) are day numbers since 1970-01-01 in local time. The period is
[start, end) in epoch seconds with its first and past-the-last local days, evaluated as of
`as_of` (epoch seconds) and its local day.

Definitions (the contract, KPIS.md):

* cohort: disputes accepted in [start, end) by `as_of`, less those withdrawn by `as_of`
  (which leave numerator and denominator alike, and the accepted count); disputes not
  accepted (a party refused) never enter it;
* accepted 受理数: the cohort's size;
* resolution rate 化解率: cohort disputes that reached an agreement (written or oral) by
  `as_of` ÷ cohort;
* success rate 调解成功率: agreed ÷ cohort disputes concluded by `as_of` (agreed, or
  terminated without agreement);
* village-level share: cohort disputes agreed at village or community level ÷ cohort
  disputes agreed;
* performance rate 履行率: obligations due on a day in P up to the as-of day, performed on
  or before their due day (and by the as-of day) ÷ those obligations. An obligation in
  default is not performed;
* amounts recovered: the sum of payments made on a day in P up to the as-of day, in cents;
* confirmation rate: cohort written agreements (reached by `as_of`) with a judicial
  confirmation decided by `as_of` ÷ cohort written agreements.

A re-mediated dispute keeps its first agreement: it was resolved (化解) once; its
performance is counted per obligation.

Grouped rows. Every figure is a sum over rows of a mask built from comparisons with the
period's bounds and the as-of instant, so rows that every comparison treats alike may travel
as one row of `weight` w (the number of disputes, obligations or payments it stands for; 1
by default; a payment row's `cents` is then the group's sum). The selector may form such
groups in the database and pass stand-in instants that compare as every member does (NaN
for "never"); the figures are exactly those of the ungrouped rows for that period and as-of
instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from liuqing.analytics.rates import Rate

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class DisputeRows:
    accepted_at: Floats
    agreed_at: Floats  # NaN: no agreement
    terminated_at: Floats  # NaN: not terminated without agreement
    withdrawn_at: Floats  # NaN: not withdrawn
    village: Bools  # the agreement was reached at village or community level
    written: Bools  # the (first) agreement was written
    confirmed_at: Floats  # NaN: no judicial confirmation
    weight: npt.NDArray[np.int64] | None = None  # disputes per row (None: one each)


@dataclass(frozen=True)
class ObligationRows:
    due_day: Floats
    performed_day: Floats  # NaN: not performed
    weight: npt.NDArray[np.int64] | None = None


@dataclass(frozen=True)
class PaymentRows:
    paid_day: Floats
    cents: npt.NDArray[np.int64]


@dataclass(frozen=True)
class Period:
    start: float  # epoch seconds, a local midnight
    end: float
    first_day: int  # local day numbers: [first_day, end_day)
    end_day: int
    as_of: float
    as_of_day: int


@dataclass(frozen=True)
class DisputeFigures:
    accepted: int
    resolution: Rate
    success: Rate
    village_share: Rate
    performance: Rate
    recovered: Decimal
    confirmation: Rate


def _by(values: Floats, instant: float) -> Bools:
    """Which values are instants at or before `instant` (NaN: never)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(values <= instant)


def cohort(rows: DisputeRows, p: Period) -> Bools:
    accepted = rows.accepted_at
    with np.errstate(invalid="ignore"):
        inside = (accepted >= p.start) & (accepted < p.end) & (accepted <= p.as_of)
    return np.asarray(inside & ~_by(rows.withdrawn_at, p.as_of))


def _counter(weight: npt.NDArray[np.int64] | None) -> Any:
    if weight is None:
        return lambda mask: int(np.count_nonzero(mask))
    return lambda mask: int(weight[mask].sum())


def figures(
    rows: DisputeRows, obligations: ObligationRows, payments: PaymentRows, p: Period
) -> DisputeFigures:
    n = _counter(rows.weight)
    c = cohort(rows, p)
    agreed = c & _by(rows.agreed_at, p.as_of)
    concluded = agreed | (c & _by(rows.terminated_at, p.as_of))
    written = agreed & rows.written
    confirmed = written & _by(rows.confirmed_at, p.as_of)
    m = _counter(obligations.weight)

    last = min(p.end_day, p.as_of_day + 1)
    due = (obligations.due_day >= p.first_day) & (obligations.due_day < last)
    with np.errstate(invalid="ignore"):
        on_time = (
            due
            & (obligations.performed_day <= obligations.due_day)
            & (obligations.performed_day <= p.as_of_day)
        )
    paid = (payments.paid_day >= p.first_day) & (payments.paid_day < last)
    cents = int(payments.cents[paid].sum()) if len(payments.cents) else 0
    return DisputeFigures(
        accepted=n(c),
        resolution=Rate(n(agreed), n(c)),
        success=Rate(n(agreed), n(concluded)),
        village_share=Rate(n(agreed & rows.village), n(agreed)),
        performance=Rate(m(on_time), m(due)),
        recovered=Decimal(cents).scaleb(-2),
        confirmation=Rate(n(confirmed), n(written)),
    )
