"""The figures' rollup (appeals.rollup) against the direct computation.

Random histories through the services (receipts, work, closures, follow-ups with reopenings,
withdrawals, merges, transfers between units) at the stations and the community office of
the test world; then, for the detachment and the brigade (the units the rollup keeps), the
figures read from the cells equal those read from the cases, for every period and as-of
instant the report evaluates, including as-of instants at a closure, at a follow-up and at
a month's first instant; and the cells equal a rebuild from scratch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from liuqing.analytics import periods
from liuqing.appeals import kpis, rollup
from liuqing.appeals.models import FigureCell, FigureState
from liuqing.appeals.testing import submit
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework import services as casework
from liuqing.casework.models import Case, FollowUp, Satisfaction
from liuqing.casework.testing import member_at
from liuqing.core import services as core_services
from liuqing.core.models import Role, Unit
from liuqing.core.testing import World

pytestmark = pytest.mark.django_db

ZONE = kpis.tz()


def local(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: dt.datetime) -> None:
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, rng: random.Random) -> None:
        # Now and then to a local midnight exactly, otherwise some hours on.
        if rng.random() < 0.1:
            day = timezone.localtime(self.now, ZONE).date() + dt.timedelta(days=1)
            self.now = dt.datetime.combine(day, dt.time(), ZONE)
        else:
            self.now += dt.timedelta(hours=rng.uniform(0.5, 40))


def _try(action: Any) -> bool:
    try:
        action()
    except ValidationError:
        return False
    return True


def history(cast: Cast, world: World, clock: Clock, seed: int, steps: int) -> list[dt.datetime]:
    """A random history through the services; returns instants worth reporting as of."""
    rng = random.Random(seed)
    units = [cast.unit, cast.child, cast.other]
    cases: list[Case] = []
    instants: list[dt.datetime] = []
    for _ in range(steps):
        clock.advance(rng)
        op = rng.choice(
            [
                *("new", "new", "work", "close", "close"),
                *("followup", "followup", "withdraw", "transfer", "merge"),
            ]
        )
        open_cases = [c for c in (Case.objects.get(pk=c.pk) for c in cases) if c.closed_at is None]
        if op == "new" or not cases:
            cases.append(submit(rng.choice(units), category=cast.category))
        elif op == "work":
            for case in [c for c in open_cases if c.status == "received"][:2]:
                sergeant = member_at(case.unit, Role.SERGEANT)
                owner = member_at(case.unit, Role.OFFICER)
                casework.act_on_case(actor=sergeant, case=case, action="accept")
                casework.assign_case(actor=sergeant, case=case, owner=owner)
                casework.act_on_case(actor=owner, case=case, action="start")
        elif op == "close":
            for case in [c for c in open_cases if c.status == "in_progress"][:2]:
                assert case.owner is not None
                casework.act_on_case(actor=case.owner, case=case, action="resolve", note="ok")
                sergeant = member_at(case.unit, Role.SERGEANT)
                casework.act_on_case(actor=sergeant, case=case, action="verify")
                instants.append(clock.now)
        elif op == "followup":
            pending = FollowUp.objects.filter(
                case__in=cases, done_at__isnull=True, cancelled_at__isnull=True
            ).select_related("case")
            for followup in list(pending)[:2]:
                rating = rng.choice(Satisfaction.values)
                reopen = rating == Satisfaction.DISSATISFIED and rng.random() < 0.6
                casework.record_followup(
                    actor=member_at(followup.case.unit, Role.SERGEANT),
                    followup=followup,
                    satisfaction=rating,
                    resolved=not reopen,
                    reopen=reopen,
                    reopen_reason="again" if reopen else "",
                )
                instants.append(clock.now)
        elif op == "withdraw" and open_cases:
            case = rng.choice(open_cases)
            _try(
                lambda case=case: casework.act_on_case(
                    actor=member_at(case.unit, Role.SERGEANT),
                    case=case,
                    action="withdraw",
                    note="resolved itself",
                )
            )
        elif op == "transfer":
            movable = [c for c in open_cases if c.unit_id == cast.unit.pk]
            if movable:
                case = rng.choice(movable)
                to_unit = rng.choice([cast.child, world.units["B1"]])
                _try(
                    lambda case=case, to_unit=to_unit: casework.transfer_case(
                        actor=cast.sam, case=case, to_unit=to_unit, reason="theirs"
                    )
                )
        elif op == "merge":
            at_s1 = [c for c in open_cases if c.unit_id == cast.unit.pk]
            if len(at_s1) >= 2:
                duplicate, into = rng.sample(at_s1, 2)
                _try(
                    lambda d=duplicate, i=into: casework.merge_case(
                        actor=cast.sam, duplicate=d, into=i
                    )
                )
    return instants


def evaluations(as_of: dt.datetime) -> list[list[kpis.Evaluation]]:
    day = timezone.localtime(as_of, ZONE).date()
    wanted = [
        kpis.standard_periods(day),
        [periods.half_year(day.year, 1 if day.month <= 6 else 2, ZONE)],
        [periods.containing(periods.Kind.QUARTER, day, ZONE), periods.year(day.year - 1, ZONE)],
    ]
    return [[x for triple in kpis.evaluations(w, as_of) for x in triple] for w in wanted]


def assert_rollup_equals_direct(unit: Unit, as_of: dt.datetime) -> None:
    cut = kpis.Cut(unit=unit)
    for evaluated in evaluations(as_of):
        bounds = sorted({b for p, _ in evaluated for b in (p.start, p.end)})
        as_ofs = sorted({when for _, when in evaluated})
        assert kpis._rollup_applies(cut, bounds)
        rolled = kpis._load_rolled_up(cut, bounds, as_ofs)
        direct = kpis._load_direct(cut, bounds, as_ofs)
        assert rolled.rows.weight.sum() <= direct.rows.weight.sum() + len(rolled.rows)
        for p, when in evaluated:
            expected = kpis.figures_for(direct, p, when)
            got = kpis.figures_for(rolled, p, when)
            if when != as_of:
                expected = dataclasses.replace(expected, open_now=None)
                got = dataclasses.replace(got, open_now=None)
            assert got == expected, (unit.code, p.key, when)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollup_gives_the_direct_figures_after_random_changes(
    cast: Cast, world: World, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    clock = Clock(monkeypatch, local(2026, 1, 28, 9))
    instants = history(cast, world, clock, seed, steps=90)
    end = clock.now
    assert rollup.check() == []
    assert FigureCell.objects.filter(unit=world.units["D"]).exists()
    assert not FigureCell.objects.filter(unit=cast.unit).exists()  # stations read directly
    rng = random.Random(seed)
    when = [
        end,
        *rng.sample(instants, min(3, len(instants))),  # at a closure or a follow-up
        local(2026, 3, 1),  # a month's first instant
        end - dt.timedelta(days=20, hours=5),
    ]
    for as_of in when:
        for unit in (world.units["D"], world.units["B1"]):
            assert_rollup_equals_direct(unit, as_of)


def test_the_report_reads_the_rollup_for_the_top_units_only(
    cast: Cast, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, local(2026, 1, 28, 9))
    history(cast, world, clock, 7, steps=40)
    year = [periods.year(2026, ZONE)]
    bounds = [year[0].start, year[0].end]
    assert kpis._rollup_applies(kpis.Cut(unit=world.units["D"]), bounds)
    assert kpis._rollup_applies(kpis.Cut(unit=world.units["B1"]), bounds)
    assert not kpis._rollup_applies(kpis.Cut(unit=cast.unit), bounds)  # a station
    assert not kpis._rollup_applies(kpis.Cut(unit=world.units["D"], category=cast.category), bounds)
    days = periods.days(dt.date(2026, 2, 3), dt.date(2026, 2, 10), ZONE)
    assert not kpis._rollup_applies(kpis.Cut(unit=world.units["D"]), [days.start, days.end])
    staff = member_at(world.units["D"], Role.DETACHMENT_STAFF)
    rep = kpis.report(staff, kpis.Cut(unit=world.units["D"]), year, as_of=clock.now)
    received = (
        Case.objects.filter(kind="appeal", received_at__gte=year[0].start)
        .exclude(status__in=["withdrawn", "merged"])
        .count()
    )
    assert received > 0
    assert rep.periods[0].figures.received == received


def test_a_moved_unit_takes_its_appeals_along(
    cast: Cast, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, local(2026, 1, 28, 9))
    history(cast, world, clock, 11, steps=50)
    b1_before = sum(FigureCell.objects.filter(unit=world.units["B1"]).values_list("n", flat=True))
    assert b1_before > 0
    admin = member_at(world.units["D"], Role.SYSADMIN)
    core_services.move_unit(actor=admin, unit=cast.unit, new_parent=world.units["B2"])
    assert rollup.check() == []
    assert FigureCell.objects.filter(unit=world.units["B2"]).exists()
    assert_rollup_equals_direct(world.units["B2"], clock.now)
    assert_rollup_equals_direct(world.units["B1"], clock.now)


def test_writes_around_the_services_are_mended_by_refresh_or_rebuild(
    cast: Cast, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, local(2026, 1, 28, 9))
    history(cast, world, clock, 5, steps=50)
    closed = Case.objects.filter(kind="appeal", closed_at__isnull=False).first()
    assert closed is not None
    Case.objects.filter(pk=closed.pk).update(closed_at=closed.closed_at - dt.timedelta(days=3))
    assert rollup.check() != []  # an update around the model is not seen ...
    rollup.refresh([closed.pk])
    assert rollup.check() == []  # ... until the case is refreshed
    FigureCell.objects.filter(unit=world.units["D"]).delete()
    FigureState.objects.all().delete()
    call_command("appeal_figures", "--rebuild", verbosity=0)
    assert rollup.check() == []
    assert_rollup_equals_direct(world.units["D"], clock.now)


def test_the_daily_check_reports_a_rollup_gone_stale(
    cast: Cast, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liuqing.appeals import jobs
    from liuqing.core import worker
    from liuqing.core.models import AuditEvent, AuditOutcome

    clock = Clock(monkeypatch, local(2026, 1, 28, 9))
    history(cast, world, clock, 7, steps=30)
    job = worker.JOBS["appeals.figures_check"]
    assert worker.run_job(job).ok
    assert not jobs._check_due(timezone.now())  # once a day: the event is the schedule
    assert worker.run_job(job).result == "not due"
    closed = Case.objects.filter(kind="appeal", closed_at__isnull=False).first()
    assert closed is not None
    Case.objects.filter(pk=closed.pk).update(closed_at=closed.closed_at - dt.timedelta(days=3))
    stale = worker.run_job(job, force=True)
    assert not stale.ok
    assert "appeal_figures --rebuild" in stale.result
    event = AuditEvent.objects.filter(action=jobs.CHECK_ACTION).order_by("-pk").first()
    assert event is not None
    assert event.outcome == AuditOutcome.FAILED
    assert '"differences": 0' not in event.details
    call_command("appeal_figures", "--rebuild", verbosity=0)
    assert worker.run_job(job, force=True).ok


def test_a_deleted_appeal_leaves_the_cells(
    cast: Cast, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, local(2026, 1, 28, 9))
    history(cast, world, clock, 3, steps=40)
    gone = Case.objects.filter(kind="appeal", closed_at__isnull=False).first()
    assert gone is not None
    FollowUp.objects.filter(case=gone).delete()
    assert rollup.check() == []
    gone.entries.all().delete()
    Case.objects.filter(merged_into=gone).update(merged_into=None)
    gone.delete()
    assert rollup.check() == []
    assert not FigureState.objects.filter(case_id=gone.pk).exists()


def test_the_rollup_codes_ratings_as_the_figures_do() -> None:
    assert rollup.RATING_CODES == kpis.RATING_CODES


def test_local_days_and_midnights_agree() -> None:
    instants = [
        local(2026, 3, 1),
        local(2026, 3, 1) - dt.timedelta(microseconds=1),
        local(2026, 12, 31, 23, 59, 59),
        local(2027, 1, 1),
    ]
    days, months = rollup.local_days(np.array([i.timestamp() for i in instants]))
    assert [dt.date.fromordinal(d) for d in days.tolist()] == [
        dt.date(2026, 3, 1),
        dt.date(2026, 2, 28),
        dt.date(2026, 12, 31),
        dt.date(2027, 1, 1),
    ]
    assert months.tolist() == [2026 * 12 + 2, 2026 * 12 + 1, 2026 * 12 + 11, 2027 * 12]
    assert rollup.midnight(int(days[0])) == instants[0]
    assert rollup.month_start(int(months[3])) == instants[3]
