"""The dispute formulas (KPIS.md, 减访情) on hand-made arrays."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from liuqing.analytics.disputes import (
    DisputeRows,
    ObligationRows,
    PaymentRows,
    Period,
    figures,
)
from liuqing.analytics.rates import Rate

NAN = np.nan
P = Period(start=100.0, end=200.0, first_day=10, end_day=20, as_of=300.0, as_of_day=30)


def rows(*items: tuple[float, float, float, float, bool, bool, float]) -> DisputeRows:
    a = np.array(items, dtype=object)
    return DisputeRows(
        accepted_at=a[:, 0].astype(float),
        agreed_at=a[:, 1].astype(float),
        terminated_at=a[:, 2].astype(float),
        withdrawn_at=a[:, 3].astype(float),
        village=a[:, 4].astype(bool),
        written=a[:, 5].astype(bool),
        confirmed_at=a[:, 6].astype(float),
    )


NO_OBLIGATIONS = ObligationRows(due_day=np.zeros(0), performed_day=np.zeros(0))
NO_PAYMENTS = PaymentRows(paid_day=np.zeros(0), cents=np.zeros(0, dtype=np.int64))


def test_every_rate_is_undefined_without_disputes() -> None:
    r = DisputeRows(
        *(np.zeros(0) for _ in range(4)), np.zeros(0, bool), np.zeros(0, bool), np.zeros(0)
    )
    f = figures(r, NO_OBLIGATIONS, NO_PAYMENTS, P)
    assert f.accepted == 0
    assert not f.resolution.defined
    assert not f.success.defined
    assert f.recovered == Decimal(0)


def test_hand_counted_cohort() -> None:
    r = rows(
        (110.0, 150.0, NAN, NAN, True, True, 180.0),  # agreed, village, written, confirmed
        (120.0, 160.0, NAN, NAN, True, False, NAN),  # agreed, village, oral
        (130.0, 170.0, NAN, NAN, False, True, NAN),  # agreed, township, written
        (140.0, NAN, 190.0, NAN, False, False, NAN),  # terminated
        (150.0, NAN, NAN, 160.0, False, False, NAN),  # withdrawn: leaves the figures
        (160.0, NAN, NAN, NAN, False, False, NAN),  # still in mediation
        (90.0, 95.0, NAN, NAN, True, True, NAN),  # accepted before P
        (210.0, 220.0, NAN, NAN, True, True, NAN),  # accepted after P
        (170.0, 310.0, NAN, NAN, True, True, 320.0),  # agreed after the as-of instant
    )
    obligations = ObligationRows(
        due_day=np.array([12.0, 15.0, 18.0, 25.0, 9.0]),
        performed_day=np.array([11.0, 16.0, NAN, 20.0, 9.0]),
    )
    payments = PaymentRows(
        paid_day=np.array([11.0, 16.0, 9.0, 20.0]), cents=np.array([200000, 50050, 3000, 100])
    )
    f = figures(r, obligations, payments, P)
    assert f.accepted == 6
    assert f.resolution == Rate(3, 6)
    assert f.success == Rate(3, 4)
    assert f.village_share == Rate(2, 3)
    assert f.confirmation == Rate(1, 2)
    assert f.performance == Rate(1, 3)  # due days 12, 15, 18 in P; only 12 on time
    assert f.recovered == Decimal("2500.50")


def test_the_as_of_day_cuts_obligations_and_payments() -> None:
    p = Period(start=100.0, end=200.0, first_day=10, end_day=20, as_of=150.0, as_of_day=14)
    obligations = ObligationRows(
        due_day=np.array([12.0, 15.0]), performed_day=np.array([13.0, 15.0])
    )
    payments = PaymentRows(paid_day=np.array([14.0, 15.0]), cents=np.array([100, 200]))
    r = DisputeRows(
        *(np.zeros(0) for _ in range(4)), np.zeros(0, bool), np.zeros(0, bool), np.zeros(0)
    )
    f = figures(r, obligations, payments, p)
    assert f.performance == Rate(0, 1)
    assert f.recovered == Decimal("1")
