"""The mediation demo step: committees on the three levels and two years of disputes through
the real services, with agreements, payments, confirmations and follow-ups."""

from __future__ import annotations

import pytest

from liuqing.core import demo
from liuqing.core.audit import AuditEvent
from liuqing.mediation.models import (
    Committee,
    Confirmation,
    Dispute,
    Level,
    Payment,
    Visit,
)

pytestmark = pytest.mark.django_db


def test_the_demo_builds_two_years_of_disputes_across_the_levels() -> None:
    ctx = demo.build_demo(seed=demo.DEFAULT_SEED, scale=1, steps=demo.core_and("mediation"))
    assert Dispute.objects.count() == ctx.counts["disputes"] > 100
    assert set(Committee.objects.values_list("level", flat=True)) == set(Level.values)
    resolved = set(
        Dispute.objects.exclude(resolved_level="").values_list("resolved_level", flat=True)
    )
    assert {Level.VILLAGE, Level.TOWNSHIP} <= resolved
    assert Payment.objects.exists()
    assert Confirmation.objects.filter(result="confirmed").exists()
    assert Visit.objects.exists()
    first = (
        Dispute.objects.filter(accepted_at__isnull=False)
        .order_by("accepted_at")
        .values_list("accepted_at", flat=True)
        .first()
    )
    assert first is not None
    assert (ctx.anchor - first).days > 600
    assert AuditEvent.objects.filter(action="demo.mediation").exists()
