"""The SLA sweep around the 2026 Mid-Autumn and National Day holidays.

The schedule (State Council, 2026): Friday 25 September is off (中秋), 1–7 October are off
(国庆), Sunday 20 September and Saturday 10 October are make-up working days.

A case received on Thursday 24 September at 10:00 with five working days to resolve is due
on Friday 9 October at 10:00: 14 h on the Thursday, then Monday 28 to Wednesday 30
September and Thursday 8 October (24 h each), and 10 h on the Friday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from liuqing.casework import levels, services
from liuqing.casework.calendar import use_calendar
from liuqing.casework.models import Case, CaseAlert, Entry, EntryType
from liuqing.casework.sweep import sweep
from liuqing.casework.testing import TEST_KIND, make_category, shanghai_calendar
from liuqing.casework.tests.conftest import Cast
from liuqing.core.models import AuditEvent
from liuqing.notify.models import Delivery

pytestmark = pytest.mark.django_db

CST = ZoneInfo("Asia/Shanghai")
D = dt.date

SCHEDULE_2026 = {
    D(2026, 9, 20): True,
    D(2026, 9, 25): False,
    D(2026, 10, 1): False,
    D(2026, 10, 2): False,
    D(2026, 10, 5): False,
    D(2026, 10, 6): False,
    D(2026, 10, 7): False,
    D(2026, 10, 10): True,
}


def at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=CST)


@pytest.fixture(autouse=True)
def national_calendar() -> Iterator[None]:
    with use_calendar(shanghai_calendar(SCHEDULE_2026, [2026])):
        yield


def opened(cast: Cast, *, days: int = 5, received: dt.datetime | None = None) -> Case:
    case = services.open_case(
        actor=cast.sam,
        kind=TEST_KIND,
        unit=cast.unit,
        category=make_category(f"sla{days}", resolve_days=days),
        title=f"Irrigation channel blocked ({days})",
        description="The channel to the lower fields is blocked.",
        received_at=received or at(9, 24, 10),
    )
    services.act_on_case(actor=cast.sam, case=case, action="accept")
    services.assign_case(actor=cast.sam, case=case, owner=cast.alice)
    services.act_on_case(actor=cast.alice, case=case, action="start")
    return case


def level(case: Case) -> tuple[str, int]:
    """The level the sweep recorded for the case (its alert; none and 0 without one)."""
    alert = CaseAlert.objects.filter(case=case).first()
    return (alert.warning, alert.escalation) if alert else ("none", 0)


def level_now(case: Case, now: dt.datetime) -> tuple[str, int]:
    """The level at `now` as the pages compute it, in Python and in SQL, which must agree."""
    case.refresh_from_db()
    computed = levels.level_of(case, now)
    t = levels.current(now)
    in_sql = [
        name
        for name in ("none", "blue", "yellow", "red")
        if Case.objects.filter(levels.warning_q(name, t), pk=case.pk).exists()
    ]
    escalated = [
        n for n in (1, 2) if Case.objects.filter(levels.escalated_q(n, t), pk=case.pk).exists()
    ]
    assert in_sql == [computed[0]]
    assert max(escalated, default=0) == computed[1]
    return computed


def test_the_deadline_counts_working_days_only(cast: Cast) -> None:
    assert opened(cast).resolve_due == at(10, 9, 10)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(9, 24), ("none", 0)),  # 4.9 working days left
        (at(9, 29), ("blue", 0)),  # 2.9 left (the holiday does not count)
        (at(10, 3), ("blue", 0)),  # in the holiday: still 34 working hours left
        (at(10, 8), ("yellow", 0)),  # 22 working hours left
        (at(10, 9, 11), ("red", 1)),  # an hour late
        (at(10, 11), ("red", 1)),  # late for 38 working hours (Sunday does not count)
        (at(10, 12), ("red", 2)),  # 50 h: the make-up Saturday counts
    ],
)
def test_levels_at_chosen_times(cast: Cast, now: dt.datetime, expected: tuple[str, int]) -> None:
    case = opened(cast)
    assert level_now(case, now) == expected
    sweep(now=now)
    assert level(case) == expected


def test_the_ladder_climbs_notifies_once_and_is_idempotent(cast: Cast) -> None:
    case = opened(cast)
    Delivery.objects.all().delete()
    seen = []
    for now in [at(9, 24), at(9, 29), at(9, 30), at(10, 8), at(10, 9, 11), at(10, 12)]:
        first = sweep(now=now)
        entries = Entry.objects.filter(case=case, type=EntryType.WARNING).count()
        deliveries = Delivery.objects.count()
        audits = AuditEvent.objects.count()
        again = sweep(now=now)
        assert again.changed == 0
        assert again.notified == 0
        assert Entry.objects.filter(case=case, type=EntryType.WARNING).count() == entries
        assert Delivery.objects.count() == deliveries
        assert AuditEvent.objects.count() == audits
        seen.append((level(case), first.changed))
    assert seen == [
        (("none", 0), 0),
        (("blue", 0), 1),
        (("blue", 0), 0),
        (("yellow", 0), 1),
        (("red", 1), 1),
        (("red", 2), 1),
    ]
    owner = list(
        Delivery.objects.filter(member=cast.alice, kind="case.warning").values_list(
            "subject", flat=True
        )
    )
    assert len(owner) == 3
    assert all(case.number in s for s in owner)
    assert Delivery.objects.filter(member=cast.sam, kind="case.escalation").count() == 1
    assert Delivery.objects.filter(member=cast.carla, kind="case.escalation").count() == 1
    assert Delivery.objects.filter(member=cast.olga).count() == 0
    transitions = list(
        Entry.objects.filter(case=case, type=EntryType.WARNING)
        .order_by("at")
        .values_list("from_status", "to_status")
    )
    assert transitions == [("none", "blue"), ("blue", "yellow"), ("yellow", "red"), ("red", "red")]


def test_a_quarter_of_a_long_deadline_left_is_blue(cast: Cast) -> None:
    # 20 working days from Monday 2 November 10:00 (no holidays): due Monday 30 November.
    case = opened(cast, days=20, received=at(11, 2, 10))
    assert case.resolve_due == at(11, 30, 10)
    sweep(now=at(11, 20, 10))  # six working days left: more than a quarter
    assert level(case) == level_now(case, at(11, 20, 10)) == ("none", 0)
    sweep(now=at(11, 24, 10))  # four left: under a quarter of 20, though over 3
    assert level(case) == level_now(case, at(11, 24, 10)) == ("blue", 0)
    assert levels.fraction_days() == [20]


def test_an_approved_extension_lowers_the_level_without_notifying(cast: Cast) -> None:
    case = opened(cast)
    sweep(now=at(10, 8))
    assert level(case) == ("yellow", 0)
    Case.objects.filter(pk=case.pk).update(resolve_due=at(10, 20, 10))
    deliveries = Delivery.objects.count()
    sweep(now=at(10, 8))
    assert level(case) == ("none", 0)
    assert Delivery.objects.count() == deliveries


def test_paused_and_closed_cases_carry_no_warning(cast: Cast) -> None:
    waiting, closing = opened(cast), opened(cast)
    sweep(now=at(10, 12))
    assert level(waiting) == ("red", 2)
    assert level(closing) == ("red", 2)
    services.act_on_case(actor=cast.alice, case=waiting, action="wait", note="away")
    services.act_on_case(actor=cast.alice, case=closing, action="resolve", note="done")
    assert level(closing) == ("red", 2)  # awaiting verification: the clock still runs
    services.act_on_case(actor=cast.sam, case=closing, action="verify")
    assert level(waiting) == ("none", 0)
    assert level(closing) == ("none", 0)
    assert level_now(waiting, at(10, 12)) == ("none", 0)  # the clock is paused
    CaseAlert.objects.create(case=waiting, warning="red", escalation=2, at=at(10, 12))  # left
    report = sweep(now=at(10, 12))
    assert report.changed == 0
    assert report.cleared == 1
    assert level(waiting) == ("none", 0)


def test_the_sweep_is_set_based(cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _i in range(3):
        opened(cast)
    with CaptureQueriesContext(connection) as few:
        sweep(now=at(9, 29))
    for _i in range(12):
        opened(cast)
    CaseAlert.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        report = sweep(now=at(9, 29))
    assert report.changed == 15
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_sweep_is_a_worker_job() -> None:
    from liuqing.core import worker

    job = worker.JOBS["casework.sweep"]
    assert job.every == dt.timedelta(minutes=5)


def test_every_batch_is_swept(cast: Cast) -> None:
    cases = [opened(cast) for _i in range(5)]
    report = sweep(now=at(10, 12), batch=2)
    assert report.changed == 5
    assert [level(c) for c in cases] == [("red", 2)] * 5
    # Both supervisors hear once per batch, not once per case.
    assert Delivery.objects.filter(member=cast.carla, kind="case.escalation").count() == 3
    digest = Delivery.objects.filter(member=cast.carla, kind="case.escalation").first()
    assert digest is not None
    assert "2 overdue cases" in digest.subject or cases[-1].number in digest.subject


def test_several_cases_of_one_owner_rising_together_make_one_digest(cast: Cast) -> None:
    from django.urls import reverse

    cases = [opened(cast) for _ in range(3)]
    Delivery.objects.all().delete()
    sweep(now=at(10, 8))
    assert {level(c) for c in cases} == {("yellow", 0)}
    (digest,) = Delivery.objects.filter(member=cast.alice, kind="case.warning")
    assert digest.subject == "Yellow: due very soon: 3 of your cases"
    assert digest.body == ", ".join(c.number for c in sorted(cases, key=lambda c: c.pk))
    assert digest.link == reverse("casework:my_work")
    assert sweep(now=at(10, 8)).notified == 0


def test_batches_group_each_owners_cases(cast: Cast) -> None:
    # Owners alternate with the ids: batches of two that followed the ids would send each
    # owner two single-case messages; batches that follow the owners send one digest each.
    cases = [opened(cast) for _i in range(4)]
    for case in cases[1::2]:
        services.assign_case(actor=cast.sam, case=case, owner=cast.bob)
    Delivery.objects.all().delete()
    report = sweep(now=at(10, 8), batch=2)
    assert report.changed == 4
    for owner, theirs in ((cast.alice, cases[0::2]), (cast.bob, cases[1::2])):
        (digest,) = Delivery.objects.filter(member=owner, kind="case.warning")
        assert digest.subject == "Yellow: due very soon: 2 of your cases"
        assert digest.body == ", ".join(c.number for c in theirs)


def test_batches_write_in_id_order(cast: Cast) -> None:
    # Opened latest-received first: the order of receipt is the reverse of the ids'; within
    # an owner's batch the writes follow the ids (the alerts' and the timeline's key).
    cases = [opened(cast, received=at(9, 24, 10) - dt.timedelta(hours=h)) for h in (1, 2, 3)]
    Delivery.objects.all().delete()
    report = sweep(now=at(10, 12), batch=1)
    assert report.changed == 3
    assert [level(c) for c in cases] == [("red", 2)] * 3
    swept = Entry.objects.filter(type=EntryType.WARNING).order_by("pk")
    assert list(swept.values_list("case_id", flat=True)) == [c.pk for c in cases]
    # One case per batch: the owner hears of each, keyed by its due instant as stored.
    keys = set(
        Delivery.objects.filter(member=cast.alice, kind="case.warning").values_list(
            "dedupe_key", flat=True
        )
    )
    assert keys == {f"case:{c.pk}:warning:red:{c.resolve_due.isoformat()}" for c in cases}


def test_the_sweep_writes_no_case_row(cast: Cast) -> None:
    """A first sweep over a backlog moves many levels at once: it writes the alerts, the
    timeline and the notifications, never the case rows (and their many indexes)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cases = [opened(cast) for _i in range(4)]
    with CaptureQueriesContext(connection) as ctx:
        report = sweep(now=at(10, 12))
    assert report.changed == 4
    table = connection.ops.quote_name(Case._meta.db_table)
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith(("UPDATE", "INSERT", "DELETE"))
        and table in q["sql"].split(" WHERE")[0]
    ]
    assert not [w for w in writes if w.startswith(("UPDATE " + table, "INSERT INTO " + table))]
    assert [level(c) for c in cases] == [("red", 2)] * 4


def test_the_pages_see_a_level_before_the_sweep_records_it(cast: Cast) -> None:
    case = opened(cast)
    assert level_now(case, at(10, 12)) == ("red", 2)
    assert level(case) == ("none", 0)  # nothing recorded or notified yet
    sweep(now=at(10, 12))
    assert level(case) == ("red", 2)


def test_reopening_a_stopped_case_records_and_notifies_its_level_again(cast: Cast) -> None:
    case = opened(cast)
    sweep(now=at(10, 12))
    services.act_on_case(actor=cast.alice, case=case, action="wait", note="away")
    assert level(case) == ("none", 0)  # the services forget it when the clock stops
    services.act_on_case(actor=cast.alice, case=case, action="resume")
    case.refresh_from_db()
    Delivery.objects.all().delete()
    report = sweep(now=case.resolve_due + dt.timedelta(hours=1))
    assert report.changed == 1
    assert level(case) == ("red", 1)
    assert Delivery.objects.filter(member=cast.alice, kind="case.warning").count() == 1
