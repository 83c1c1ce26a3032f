"""Demo appeals at scale 1: the invariants the services would keep, the seasons, every rung of
the warning ladder, and a build that is the same for the same seed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Max

from liuqing.appeals import search, selectors, services
from liuqing.appeals.demo import PROFILES, _may_contain
from liuqing.appeals.models import Appeal, AppealSearch
from liuqing.appeals.workflow import WORKFLOW
from liuqing.casework import clocks, levels
from liuqing.casework.calendar import get_calendar
from liuqing.casework.models import Case, CaseAlert, CaseCounter, Category, Entry, FollowUp
from liuqing.core import demo
from liuqing.core.models import AuditEvent, Member, Unit, UnitKind
from liuqing.core.redact import contains_personal_data, redact

pytestmark = pytest.mark.django_db


@pytest.fixture
def built() -> demo.DemoContext:
    return demo.build_demo(seed=demo.DEFAULT_SEED, scale=1, steps=demo.core_and("appeals"))


def months_of(code: str) -> Counter[int]:
    return Counter(
        d.month
        for d in Case.objects.filter(kind="appeal", category__code=code).values_list(
            "received_at", flat=True
        )
    )


def test_every_station_received_appeals_over_two_years(built: demo.DemoContext) -> None:
    appeals = Case.objects.filter(kind="appeal")
    assert appeals.count() == built.counts["appeals"] > 1000
    assert Appeal.objects.count() == appeals.count()
    first, last = (
        appeals.order_by("received_at").first(),
        appeals.order_by("-received_at").first(),
    )
    assert first is not None
    assert last is not None
    assert last.received_at < built.anchor
    assert (built.anchor - first.received_at).days > 700
    stations = Unit.objects.filter(kind=UnitKind.STATION)
    covered = {
        path[:27]
        for path in appeals.values_list("unit__path", flat=True)  # station prefix: 3 segments
    }
    assert len(covered) == stations.count()


def test_numbers_and_counters_agree(built: demo.DemoContext) -> None:
    duplicates = (
        Case.objects.values("number_unit", "number").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert not duplicates.exists()
    for counter in CaseCounter.objects.filter(prefix="SQ")[:50]:
        numbers = Case.objects.filter(
            number_unit=counter.unit, number__startswith=f"SQ-{counter.year}-"
        )
        assert numbers.count() == counter.last
        assert (
            numbers.aggregate(top=Max("number"))["top"] == f"SQ-{counter.year}-{counter.last:06d}"
        )


def test_the_services_carry_on_after_the_demo(built: demo.DemoContext) -> None:
    officer = Member.objects.get(username="officer")
    received = built.anchor.replace(hour=11)
    # The appeal series of the officer's unit and year: other modules' demo steps record cases
    # of their own kinds (and appeals received earlier) after the appeals step.
    latest = (
        Case.objects.filter(number_unit=officer.unit, number__startswith=f"SQ-{received.year}-")
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    assert latest is not None
    case = services.submit_appeal(
        actor=officer,
        unit=officer.unit,
        category=Category.objects.get(kind="appeal", code="neighbourhood.noise"),
        title="",
        description="演示之后的新诉求",
        channel="phone",
        received_at=received,
    )
    year, n = latest.split("-")[1:]
    assert case.number == f"SQ-{year}-{int(n) + 1:06d}"


def test_the_clocks_are_the_engines(built: demo.DemoContext) -> None:
    calendar = get_calendar()
    closed = Case.objects.filter(kind="appeal", status="closed", reopened_count=0).select_related(
        "category__parent"
    )[:200]
    assert len(closed) == 200
    for case in closed:
        sla = clocks.sla_for(case.category, WORKFLOW)
        assert case.resolve_due == calendar.add_working_days(case.received_at, sla.resolve_days)
        assert case.accept_due == calendar.add_working_time(
            case.received_at, sla.accept_hours * 3600
        )
        assert case.allowed_days == sla.resolve_days
        assert case.handling_seconds == pytest.approx(
            calendar.working_seconds_between(case.received_at, case.closed_at), abs=1
        )
        assert case.closed_on_time == (case.closed_at <= case.resolve_due)
        assert case.received_at <= case.accepted_at <= case.resolved_at <= case.closed_at


def test_outcomes_cover_the_whole_ladder(built: demo.DemoContext) -> None:
    appeals = Case.objects.filter(kind="appeal")
    statuses = Counter(appeals.values_list("status", flat=True))
    assert statuses["closed"] > 0.85 * sum(statuses.values())
    assert statuses["withdrawn"] > 0
    assert statuses["in_progress"] > 0
    # At the anchor, as the demo's sweep recorded them (the levels now are all red: the
    # demo's deadlines are long past).
    warnings = Counter(
        CaseAlert.objects.filter(case__kind="appeal").values_list("warning", flat=True)
    )
    at_anchor = levels.current(built.anchor)
    for level in ("red", "yellow", "blue"):
        assert appeals.filter(levels.warning_q(level, at_anchor)).count() == warnings[level]
    assert warnings["red"] > 0
    assert warnings["yellow"] > 0
    assert warnings["blue"] > 0
    late = appeals.filter(status="closed", closed_on_time=False).count()
    assert 0.05 < late / statuses["closed"] < 0.3
    assert appeals.filter(reopened_count__gt=0, status="closed").exists()
    assert appeals.filter(reopened_count__gt=0, status="in_progress").exists() or (
        appeals.filter(reopened_count__gt=0).count() > 0
    )


def test_follow_ups_follow_closures(built: demo.DemoContext) -> None:
    done = FollowUp.objects.filter(done_at__isnull=False, case__kind="appeal")
    ratings = Counter(done.values_list("satisfaction", flat=True))
    assert set(ratings) == {"satisfied", "basically", "dissatisfied"}
    assert ratings["satisfied"] > ratings["dissatisfied"]
    assert not FollowUp.objects.filter(case__status__in=["received", "withdrawn"]).exists()
    reopened = FollowUp.objects.filter(led_to_reopen=True)
    assert reopened.exists()
    assert all(f.satisfaction == "dissatisfied" and f.resolved is False for f in reopened)


def test_the_seasons_show(built: demo.DemoContext) -> None:
    irrigation = months_of("farm.irrigation")
    assert sum(irrigation[m] for m in (4, 5, 6, 7)) > 5 * sum(irrigation[m] for m in (11, 12, 1, 2))
    heating = months_of("infra.heating")
    assert sum(heating[m] for m in (5, 6, 7, 8)) == 0
    wages = months_of("livelihood.wages")
    assert wages[12] + wages[1] > 2 * (wages[6] + wages[7])
    assert PROFILES["livelihood.border_pass"].border_only


def test_notice_boards_show_summaries_without_personal_data(built: demo.DemoContext) -> None:
    shown = Case.objects.filter(kind="appeal", is_public=True)
    assert shown.count() > 100
    for case in shown.select_related("appeal")[:100]:
        assert case.public_summary
        assert case.public_result
        assert case.status == "closed"
        names = [case.appeal.resident_name.reveal()]
        assert not contains_personal_data(case.public_summary, names)


def test_search_documents_are_the_ones_the_signals_write(built: demo.DemoContext) -> None:
    # The demo passes the resident's name to redaction only where it could occur (a pattern
    # per name costs more than the rest of an appeal's row): the documents are the same.
    stored = dict(AppealSearch.objects.values_list("case_id", "text"))
    cases = Case.objects.filter(kind="appeal").select_related("appeal")
    assert len(stored) == cases.count()
    for case in cases:
        names = [case.appeal.resident_name.reveal()]
        expected = search.document(
            case.number, case.title, case.description, case.public_summary, names
        )
        assert stored[case.pk] == expected, case.number


def test_a_name_that_may_be_in_the_text_goes_to_redaction() -> None:
    text = "团结村王建国反映路灯不亮"
    assert _may_contain("王建国", text)
    assert _may_contain("李建军", text)  # shares 建: checked by the pattern itself
    assert not _may_contain("艾力·买买提", text)
    assert _may_contain("Ali Mamat", "团结村")  # cased letters: always checked
    assert "王**" in redact(text, names=["王建国"])


def test_personal_data_is_encrypted_and_findable(built: demo.DemoContext) -> None:
    appeal = Appeal.objects.exclude(resident_phone="").select_related("case").first()
    assert appeal is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT resident_name, resident_phone FROM appeals_appeal WHERE case_id = %s",
            [appeal.pk],
        )
        name, phone = cursor.fetchone()
    assert name.startswith("lq1$")
    assert phone.startswith("lq1$")
    plain = appeal.resident_phone.reveal()
    assert plain.startswith("+86198")
    chief = Member.objects.get(username="detachment")
    found = selectors.appeals_visible_to(chief, selectors.AppealFilters(q=plain[3:]))
    assert appeal.case in found


def test_the_timeline_tells_each_story(built: demo.DemoContext) -> None:
    case = Case.objects.filter(kind="appeal", status="closed", reopened_count=1).first()
    assert case is not None
    steps = list(
        Entry.objects.filter(case=case, type="status")
        .order_by("at", "pk")
        .values_list("to_status", flat=True)
    )
    assert steps[0] == "received"
    assert steps.count("closed") == 2
    assert "in_progress" in steps[steps.index("closed") :]
    assert steps[-1] == "closed"


def test_one_audit_event_per_batch(built: demo.DemoContext) -> None:
    assert AuditEvent.objects.filter(action="demo.appeals").count() == 1  # one batch at scale 1
    assert AuditEvent.objects.filter(action="demo.appeals.done").count() == 1
    assert not AuditEvent.objects.filter(action="appeal.submit").exists()


def snapshot() -> list[tuple[Any, ...]]:
    rows = Case.objects.filter(kind="appeal").order_by("number_unit__code", "number")
    return [
        (
            c.number_unit.code,
            c.number,
            c.title,
            c.status,
            c.levels,
            c.received_at,
            c.closed_at,
            c.category.code,
            c.is_public,
            c.appeal.channel,
            c.appeal.resident_name.reveal(),
        )
        for c in rows.select_related("number_unit", "category", "appeal")
    ]


@pytest.mark.django_db(transaction=True)  # flush cannot run inside PostgreSQL's test transaction
def test_the_same_seed_gives_the_same_appeals() -> None:
    steps = demo.core_and("appeals")
    demo.build_demo(seed=7, scale=1, steps=steps)
    first = snapshot()
    call_command("flush", interactive=False, verbosity=0)
    demo.build_demo(seed=7, scale=1, steps=steps)
    assert snapshot() == first
    assert isinstance(first[0][5], dt.datetime)


def test_the_figures_rollup_is_in_step_with_the_demo(built: demo.DemoContext) -> None:
    from liuqing.appeals import rollup
    from liuqing.appeals.tests.test_rollup import assert_rollup_equals_direct

    assert rollup.check() == []
    assert_rollup_equals_direct(built.root, built.anchor)
    assert_rollup_equals_direct(built.brigades[0], built.anchor - dt.timedelta(days=40))
