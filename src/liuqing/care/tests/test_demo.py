"""The care and liaison demo steps: recipients with plans and visits, organisations with
officers, flags, problems and lessons; the figures have something to show."""

from __future__ import annotations

import pytest

from liuqing.care.models import Recipient, Service
from liuqing.core import demo
from liuqing.core.models import AuditEvent
from liuqing.liaison import selectors as liaison_selectors
from liuqing.liaison.models import Lesson, Organisation, Problem
from liuqing.visits.models import Visit, VisitPlan

pytestmark = pytest.mark.django_db


def test_the_demo_fills_the_care_register_and_liaison() -> None:
    ctx = demo.build_demo(
        seed=demo.DEFAULT_SEED, scale=1, steps=demo.core_and("appeals", "care", "liaison")
    )
    assert Recipient.objects.count() == ctx.counts["care_recipients"] > 0
    assert Recipient.objects.exclude(restricted_label="").exists()
    care_plans = VisitPlan.objects.filter(target_kind="care_recipient")
    assert care_plans.count() == Recipient.objects.count()
    assert Visit.objects.filter(plan__in=care_plans).count() == ctx.counts["care_visits"] > 0
    assert not Visit.objects.filter(visited_on__gt=ctx.anchor.date()).exists()
    assert Service.objects.exists()
    orgs = list(Organisation.objects.all())
    assert len(orgs) == ctx.counts["organisations"] > 0
    flags = liaison_selectors.flags_of(orgs, ctx.anchor.date())
    assert any(f.orphan for f in flags.values())
    assert any(f.overlaps for f in flags.values())
    assert Problem.objects.filter(case__status="closed").exists()
    assert Lesson.objects.exists()
    assert not care_plans.filter(next_due__isnull=True).exists()
    assert AuditEvent.objects.filter(action__in=["demo.care", "demo.liaison"]).count() == 2
