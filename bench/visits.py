"""Benchmark: the visits engine's due/overdue computation and the liaison figures (issue 7).

1. **Due and overdue, 100,000 plans and 2,000,000 visits** (target ≤ 5 s). Synthetic plans
   (40 % weekly, 40 % monthly, 20 % every 3–30 days) starting over the two years before the
   as-of day, visits spread between each plan's start and the as-of day. Timed: what the
   worker's `visits.due` job computes in memory (`analytics.visits`: latest visit per plan,
   next due day, due/overdue state), and, beside it, the year's on-time compliance over the
   same arrays. Reference in the same run: a plain-Python loop (dict of latest visits,
   `datetime.date` arithmetic per plan) computing the same next due days, checked equal.
2. **Liaison figures for a detachment-year** (target ≤ 500 ms): a fresh database (SQLite
   var/bench/liuqing_bench_visits.sqlite3, or PostgreSQL with --database-url) holding a
   detachment of 3 brigades and 15 stations, `--organisations` organisations (default 2,000)
   with officers assigned, monthly visit plans with a year of visits, and `--problems`
   problems raised as casework cases through the real service; timed: the section's
   `compute` for the root unit over the year, as a detachment-staff member. Reference in the
   same run: one COUNT of the organisations in scope (the floor of any figure).

    python bench/visits.py
    python bench/visits.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

import numpy as np

import benchlib

BENCH_DB_NAME = "liuqing_bench_visits"
DUE_TARGET_S = 5.0
LIAISON_TARGET_MS = 500.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=2_000_000)
    parser.add_argument("--organisations", type=int, default=2_000)
    parser.add_argument("--problems", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    return parser.parse_args()


def synthetic(n_plans: int, n_visits: int, today: int, seed: int = 7) -> dict[str, Any]:
    from liuqing.analytics import visits as cadence

    gen = np.random.default_rng(seed)
    start = today - gen.integers(0, 730, n_plans)
    kind = gen.random(n_plans)
    interval = np.where(
        kind < 0.4, 7, np.where(kind < 0.8, cadence.MONTHLY, gen.integers(3, 31, n_plans))
    ).astype(np.int64)
    plan = gen.integers(0, n_plans, n_visits)
    span = today - start[plan] + 1
    day = start[plan] + (gen.random(n_visits) * span).astype(np.int64)
    return {"start": start, "interval": interval, "plan": plan, "day": day}


def due_in_numpy(data: dict[str, Any], today: int) -> tuple[np.ndarray, np.ndarray]:
    from liuqing.analytics import visits as cadence

    last = cadence.latest_visit(len(data["start"]), data["plan"], data["day"])
    due = cadence.next_due(data["start"], data["interval"], last)
    horizon = today + 6 - dt.date.fromordinal(today).weekday()
    return due, cadence.status(due, today, horizon)


def due_in_python(data: dict[str, Any]) -> list[int]:
    """The reference: the same next due days, one plan at a time with datetime.date."""
    latest: dict[int, int] = {}
    for p, d in zip(data["plan"].tolist(), data["day"].tolist(), strict=True):
        if d > latest.get(p, -1):
            latest[p] = d
    result = []
    for p, (s, n) in enumerate(zip(data["start"].tolist(), data["interval"].tolist(), strict=True)):
        last = latest.get(p)
        if n == 0:
            first = dt.date.fromordinal(s)
            k = 0
            if last is not None:
                ld = dt.date.fromordinal(last)
                k = (ld.year - first.year) * 12 + ld.month - first.month + 1
            month = first.month - 1 + k + 1
            end = dt.date(first.year + month // 12, month % 12 + 1, 1)
            result.append(end.toordinal() - 1)
        else:
            k = (last - s) // n + 1 if last is not None else 0
            result.append(s + n * (k + 1) - 1)
    return result


def best(func: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_due(args: argparse.Namespace) -> dict[str, Any]:
    from liuqing.analytics import visits as cadence

    today = dt.date(2026, 11, 30).toordinal()
    data = synthetic(args.plans, args.visits, today)
    due, states = due_in_numpy(data, today)
    seconds = best(lambda: due_in_numpy(data, today), args.runs)
    year = dt.date(2025, 12, 1).toordinal()
    last_day = np.full(args.plans, dt.date.max.toordinal(), dtype=np.int64)
    compliance_s = best(
        lambda: cadence.compliance(
            data["start"], last_day, data["interval"], data["plan"], data["day"], year, today
        ),
        args.runs,
    )
    result = cadence.compliance(
        data["start"], last_day, data["interval"], data["plan"], data["day"], year, today
    )
    started = time.perf_counter()
    reference = due_in_python(data)
    reference_s = time.perf_counter() - started
    return {
        "plans": args.plans,
        "visits": args.visits,
        "due_and_overdue_s": round(seconds, 4),
        "target_s": DUE_TARGET_S,
        "meets_target": seconds <= DUE_TARGET_S,
        "due_this_week": int((states == cadence.DUE).sum()),
        "overdue": int((states == cadence.OVERDUE).sum()),
        "year_compliance_s": round(compliance_s, 4),
        "year_on_time": result.total_done,
        "year_due": result.total_due,
        "reference_python_loop_s": round(reference_s, 3),
        "reference_over_ours": round(reference_s / seconds, 1),
        "equal_to_reference": bool(np.array_equal(due, np.array(reference))),
    }


def seed_liaison(args: argparse.Namespace) -> tuple[Any, Any]:
    from django.core.management import call_command

    from liuqing.core import services as core_services
    from liuqing.core.models import Member, Role, UnitKind
    from liuqing.liaison import services
    from liuqing.liaison.defaults import ensure_default_categories
    from liuqing.liaison.models import Assignment, Organisation
    from liuqing.visits.models import Visit, VisitPlan

    call_command("migrate", interactive=False, verbosity=0)
    ensure_default_categories()
    root = core_services.create_unit(
        actor=None, code="V654000", name="基准支队", kind=UnitKind.DETACHMENT, parent=None
    )
    stations = []
    for b in range(3):
        brigade = core_services.create_unit(
            actor=None, code=f"V6541{b}0", name=f"基准{b}大队", kind=UnitKind.BRIGADE, parent=root
        )
        for s in range(5):
            stations.append(
                core_services.create_unit(
                    actor=None,
                    code=f"V6541{b}0-{s:02d}",
                    name=f"基准{b}-{s}所",
                    kind=UnitKind.STATION,
                    parent=brigade,
                )
            )
    boss = core_services.create_member(
        actor=None,
        username="bench_boss",
        full_name="bench boss",
        unit=root,
        roles=[Role.DETACHMENT_STAFF],
        password="bench boss password 2026",  # noqa: S106
    )
    officers = [
        core_services.create_member(
            actor=None,
            username=f"bench_officer_{i}",
            full_name=f"officer {i}",
            unit=station,
            roles=[Role.OFFICER],
            password="bench officer password 2026",  # noqa: S106
        )
        for i, station in enumerate(stations)
    ]
    year = dt.date(2025, 1, 1)
    kinds = ["enterprise", "school", "scenic", "market", "other"]
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                unit=stations[i % len(stations)],
                name=f"单位{i}",
                kind=kinds[i % len(kinds)],
                created_by=boss,
            )
            for i in range(args.organisations)
        ],
        batch_size=1000,
    )
    Organisation.objects.update(created_at=dt.datetime(2024, 12, 1, tzinfo=dt.UTC))
    orgs = list(Organisation.objects.order_by("pk"))
    Assignment.objects.bulk_create(
        [
            Assignment(
                organisation=org,
                officer=officers[i % len(officers)],
                role="liaison",
                starts_on=year,
                created_by=boss,
            )
            for i, org in enumerate(orgs)
            if i % 10
        ],
        batch_size=1000,
    )
    plans = VisitPlan.objects.bulk_create(
        [
            VisitPlan(
                unit=org.unit,
                target_kind="organisation",
                target_id=org.pk,
                title=org.name,
                cadence="monthly",
                responsible=officers[i % len(officers)],
                starts_on=year,
                next_due=dt.date(2026, 1, 31),
                created_by=boss,
            )
            for i, org in enumerate(orgs)
        ],
        batch_size=1000,
    )
    plans = list(VisitPlan.objects.order_by("pk"))
    gen = np.random.default_rng(11)
    visits = []
    for plan in plans:
        for month in range(1, 13):
            if gen.random() < 0.85:
                visits.append(
                    Visit(
                        plan=plan,
                        visited_on=dt.date(2025, month, int(gen.integers(1, 28))),
                        summary="走访",
                        recorded_by=boss,
                    )
                )
    Visit.objects.bulk_create(visits, batch_size=2000)
    from liuqing.casework.models import Case, Category

    category = Category.objects.filter(kind="liaison_problem").first()
    for i in range(args.problems):
        services.raise_problem(
            actor=boss,
            organisation=orgs[(i * 7) % len(orgs)],
            category=category,
            title=f"问题{i}",
            description="基准问题",
            estimated_savings=str(100 + i),
        )
    received = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    Case.objects.filter(kind="liaison_problem").update(received_at=received)
    closed = list(Case.objects.filter(kind="liaison_problem").values_list("pk", flat=True))[::2]
    Case.objects.filter(pk__in=closed).update(
        status="closed", closed_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    )
    return Member.objects.get(pk=boss.pk), root


def shown(value: Any) -> str:
    """A rate as "n / d", anything else as text."""
    return value.hover() if hasattr(value, "hover") else str(value)


def bench_liaison(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    from liuqing.core import access
    from liuqing.liaison import kpis
    from liuqing.liaison.models import Organisation
    from liuqing.liaison.workflow import ORGANISATION

    started = time.perf_counter()
    boss, root = seed_liaison(args)
    seeded = time.perf_counter() - started
    tz = dt.UTC
    start = dt.datetime(2025, 1, 1, tzinfo=tz)
    end = dt.datetime(2026, 1, 1, tzinfo=tz)
    as_of = dt.datetime(2026, 1, 15, tzinfo=tz)
    readings = kpis.compute(boss, root, start, end, as_of)
    samples = benchlib.timed(lambda: kpis.compute(boss, root, start, end, as_of), args.runs, 1)
    floor = benchlib.timed(
        lambda: access.scope(Organisation.objects.all(), boss, ORGANISATION).count(), args.runs, 1
    )
    p50 = benchlib.summary(samples)["p50_ms"]
    return {
        "database": f"{connection.vendor} {benchlib.db_version(connection)}",
        "organisations": args.organisations,
        "problems": args.problems,
        "seed_s": round(seeded, 1),
        "figures_ms": benchlib.summary(samples),
        "target_ms": LIAISON_TARGET_MS,
        "meets_target": p50 <= LIAISON_TARGET_MS,
        "readings": {r.key: shown(r.value) for r in readings},
        "reference_count_ms": benchlib.summary(floor),
        "figures_over_reference": round(p50 / max(benchlib.summary(floor)["p50_ms"], 1e-3), 1),
    }


def main() -> None:
    args = parse_args()
    benchlib.configure(args.database_url, BENCH_DB_NAME, reuse=False)
    benchlib.emit(
        {
            "benchmark": "visits",
            **benchlib.machine(),
            "due_overdue": bench_due(args),
            "liaison_figures_detachment_year": bench_liaison(args),
        }
    )


if __name__ == "__main__":
    main()
