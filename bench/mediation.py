"""Benchmark: dispute mediation at 200,000 disputes (issue 4's targets).

Seeds a fresh database (SQLite file var/bench/liuqing_bench_mediation.sqlite3, or a
PostgreSQL database of that name on the server of --database-url) with a detachment of
4 brigades, 20 stations and 100 community offices, their mediation committees on the three
levels, and `--disputes` disputes (default 200,000) spread over the two years before
1 July 2026, inserted in bulk (not through the services: seeding through them would take
hours): about 65 % agreed (three quarters written, a third of those judicially confirmed),
12 % terminated, 5 % withdrawn, the rest still in mediation; one obligation per agreement,
most paid. Then times, in the same run:

* the staff list page and the API list (limit 10 and 100) as a station chief, brigade staff
  and detachment staff: whole requests through Django (middleware, session, rendering);
* the dispute figures (KPIS.md) for the detachment and a brigade over the year 2025
  (`liuqing.mediation.kpis.compute`: three grouped queries and numpy), checked against the
  one-row-per-record reference `kpis.load`;
* one written agreement as DOCX and as PDF (whole download requests, audited).

Each figure is printed beside references measured in the same run (a primary-key lookup and
the login page) as a ratio, so runs on noisy or different machines compare. Targets: list
p95 ≤ 100 ms, figures for a detachment-year ≤ 500 ms, DOCX and PDF ≤ 1 s each.

    python bench/mediation.py                     # SQLite; seeding takes about a minute
    python bench/mediation.py --reuse             # keep the seeded database
    python bench/mediation.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

import benchlib
from benchlib import summary, timed_cpu

BENCH_DB_NAME = "liuqing_bench_mediation"
LIST_TARGET_MS = 100.0
FIGURES_TARGET_MS = 500.0
DOCUMENT_TARGET_MS = 1000.0
BATCH = 5000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--disputes", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database-url", help="a PostgreSQL server URL")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--db-name", default=BENCH_DB_NAME, help="the bench database's name")
    return parser.parse_args()


def seed(total: int) -> None:
    import numpy as np
    from django.db import transaction
    from django.utils import timezone

    from liuqing.casework.models import Case, Category
    from liuqing.core import services
    from liuqing.core.models import Role, UnitKind
    from liuqing.core.testing import PASSWORD
    from liuqing.mediation.defaults import KIND, ensure_default_types
    from liuqing.mediation.models import (
        Agreement,
        Committee,
        Confirmation,
        Dispute,
        Level,
        Obligation,
        Party,
        Payment,
    )

    rng = np.random.default_rng(4)
    tz = timezone.get_current_timezone()
    root = services.create_unit(
        actor=None, code="B654000", name="基准支队", kind=UnitKind.DETACHMENT, parent=None
    )
    brigades, stations, offices = [], [], []
    for b in range(4):
        brigade = services.create_unit(
            actor=None,
            code=f"B6541{b:02d}",
            name=f"基准{b}大队",
            kind=UnitKind.BRIGADE,
            parent=root,
        )
        brigades.append(brigade)
        for s in range(5):
            station = services.create_unit(
                actor=None,
                code=f"B6541{b:02d}-{s:02d}",
                name=f"基准{b}-{s}所",
                kind=UnitKind.STATION,
                parent=brigade,
            )
            stations.append(station)
            for c in range(5):
                offices.append(
                    services.create_unit(
                        actor=None,
                        code=f"B6541{b:02d}-{s:02d}-{c:02d}",
                        name=f"基准{b}-{s}-{c}社区",
                        kind=UnitKind.COMMUNITY,
                        parent=station,
                    )
                )
    for username, unit, role in (
        ("detachment", root, Role.DETACHMENT_STAFF),
        ("brigade", brigades[0], Role.BRIGADE_STAFF),
        ("chief", stations[0], Role.STATION_CHIEF),
    ):
        services.create_member(
            actor=None,
            username=username,
            full_name=username,
            unit=unit,
            roles=[role],
            password=PASSWORD,
        )
    ensure_default_types()
    types = list(Category.objects.filter(kind=KIND).values_list("pk", flat=True))
    level_of = {1: Level.COUNTY, 2: Level.TOWNSHIP, 3: Level.VILLAGE}
    committees = Committee.objects.bulk_create(
        Committee(unit=u, name=f"{u.name}调解组织", level=level_of[u.depth])
        for u in [*brigades, *stations, *offices]
    )
    village = {c.unit_id: c.pk for c in committees if c.level == Level.VILLAGE}
    township = {c.unit_id: c.pk for c in committees if c.level == Level.TOWNSHIP}

    end = dt.datetime(2026, 7, 1, tzinfo=tz).timestamp()
    received = np.sort(end - rng.uniform(0, 730 * 86400, total))
    office_of = rng.integers(0, len(offices), total)
    kind = rng.choice(types, total)
    fate = rng.random(total)  # < .65 agreed, < .77 terminated, < .82 withdrawn, else open
    written = rng.random(total) < 0.75
    escalated = rng.random(total) < 0.2
    days_to_end = rng.uniform(2, 28, total)
    paid = rng.random(total) < 0.85
    confirmed = rng.random(total) < 0.33

    def instant(seconds: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)

    now = timezone.now()
    for lo in range(0, total, BATCH):
        hi = min(lo + BATCH, total)
        with transaction.atomic():
            cases, disputes, outcomes = [], [], []
            for i in range(lo, hi):
                office = offices[office_of[i]]
                t0 = instant(received[i])
                accepted = t0 + dt.timedelta(hours=2)
                concluded = accepted + dt.timedelta(days=float(days_to_end[i]))
                done = concluded.timestamp() < end
                f = fate[i] if done else 1.0
                if f < 0.65:
                    status, outcome = (
                        ("closed" if paid[i] else "agreed"),
                        ("written" if written[i] else "oral"),
                    )
                elif f < 0.77:
                    status, outcome = "terminated", "terminated"
                elif f < 0.82:
                    status, outcome = "withdrawn", "withdrawn"
                else:
                    status, outcome = "in_progress", ""
                cases.append(
                    Case(
                        number=f"TJ-{t0.year}-{i + 1:06d}",
                        number_unit=office,
                        kind="dispute",
                        unit=office,
                        category_id=int(kind[i]),
                        title=f"纠纷{i + 1}",
                        description="基准纠纷。",
                        status=status,
                        received_at=t0,
                        accepted_at=accepted,
                        resolve_due=accepted + dt.timedelta(days=30),
                        closed_at=concluded if status in {"closed", "terminated"} else None,
                        updated_at=now,
                    )
                )
                outcomes.append((outcome, accepted, concluded))
            Case.objects.bulk_create(cases)
            for case, (outcome, accepted, concluded), i in zip(
                cases, outcomes, range(lo, hi), strict=True
            ):
                level_up = escalated[i]
                disputes.append(
                    Dispute(
                        case=case,
                        committee_id=(township if level_up else village)[
                            case.unit.parent_id if level_up else case.unit_id
                        ],
                        level=Level.TOWNSHIP if level_up else Level.VILLAGE,
                        source="application",
                        accepted_at=accepted,
                        deadline=accepted + dt.timedelta(days=30),
                        outcome=outcome,
                        agreed_at=concluded if outcome in {"written", "oral"} else None,
                        concluded_at=concluded if outcome else None,
                        resolved_level=(Level.TOWNSHIP if level_up else Level.VILLAGE)
                        if outcome in {"written", "oral"}
                        else "",
                        # What record_confirmation_result keeps: the confirmation's day.
                        confirmed_on=timezone.localtime(concluded).date() + dt.timedelta(days=15)
                        if outcome == "written" and confirmed[case.pk % total]
                        else None,
                    )
                )
            Dispute.objects.bulk_create(disputes)
            agreed = [d for d in disputes if d.outcome in {"written", "oral"}]
            parties = []
            for d in agreed:
                parties.append(Party(dispute=d, role="applicant", name="甲"))
                parties.append(Party(dispute=d, role="respondent", name="乙"))
            Party.objects.bulk_create(parties)
            agreements = Agreement.objects.bulk_create(
                Agreement(
                    dispute=d,
                    number=f"（{d.agreed_at.year}）调字第{d.pk}号",
                    written=d.outcome == "written",
                    facts="基准事实。",
                    matters="基准争议。",
                    responsibilities="基准责任。",
                    content="基准协议内容。",
                    parties_signed=True,
                    mediator_signed=True,
                    sealed=True,
                    effective_at=d.agreed_at,
                )
                for d in agreed
            )
            obligations = Obligation.objects.bulk_create(
                Obligation(
                    agreement=a,
                    dispute=a.dispute,
                    obligor=parties[2 * k + 1],
                    obligee=parties[2 * k],
                    action="赔偿损失",
                    amount=1000 + (a.dispute.pk % 50) * 100,
                    method="转账",
                    due_date=timezone.localtime(a.effective_at).date() + dt.timedelta(days=20),
                    performed_on=timezone.localtime(a.effective_at).date() + dt.timedelta(days=18)
                    if a.dispute.case.status == "closed"
                    else None,
                )
                for k, a in enumerate(agreements)
            )
            Payment.objects.bulk_create(
                Payment(
                    obligation=o, dispute_id=o.dispute_id, paid_on=o.performed_on, amount=o.amount
                )
                for o in obligations
                if o.performed_on is not None
            )
            Confirmation.objects.bulk_create(
                Confirmation(
                    agreement=a,
                    applied_on=timezone.localtime(a.effective_at).date() + dt.timedelta(days=5),
                    court="基准法院",
                    result="confirmed",
                    decided_on=timezone.localtime(a.effective_at).date() + dt.timedelta(days=15),
                    number="（基准）民特1号",
                )
                for a in agreements
                if a.written and confirmed[a.dispute.pk % total]
            )


def main() -> None:
    args = parse_args()
    benchlib.configure(args.database_url, args.db_name, args.reuse)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from liuqing.analytics import disputes as formulas
    from liuqing.casework.models import Case
    from liuqing.core.models import Member
    from liuqing.core.testing import login_verified
    from liuqing.mediation import kpis
    from liuqing.mediation.models import Agreement

    seed_seconds = None
    # Always migrate: a reused database gets the migrations (indexes) added since its seed.
    call_command("migrate", verbosity=0)
    if not (args.reuse and Case.objects.exists()):
        started = time.perf_counter()
        seed(args.disputes)
        seed_seconds = round(time.perf_counter() - started, 1)
    # Statistics, and on PostgreSQL the visibility map that lets index-only scans skip the
    # table, as autovacuum leaves a database in use (and for indexes added since the seed).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    total = Case.objects.filter(kind="dispute").count()

    def request(client: Client, url: str) -> Any:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    def queries(client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            request(client, url)
        return len(ctx.captured_queries)

    anonymous = Client(SERVER_NAME="127.0.0.1")
    probe = Case.objects.order_by("pk").values_list("pk", flat=True)[total // 2]
    reference = {
        "pk_lookup": summary(
            *timed_cpu(lambda: Case.objects.filter(pk=probe).values_list("pk").first(), args.runs)
        ),
        "login_page": summary(
            *timed_cpu(lambda: request(anonymous, reverse("core:login")), args.runs)
        ),
    }
    ref_page = reference["login_page"]["p50_ms"]

    lists = []
    for username in ("chief", "brigade", "detachment"):
        actor = Member.objects.select_related("unit").get(username=username)
        client = login_verified(Client(SERVER_NAME="127.0.0.1"), actor)
        low, high = actor.unit.subtree_range()
        in_scope = Case.objects.filter(
            kind="dispute", unit__path__gte=low, unit__path__lt=high
        ).count()
        for name, url in (
            ("page", reverse("mediation:list")),
            ("page_status_filter", f"{reverse('mediation:list')}?status=agreed"),
            ("api", "/api/v1/disputes?limit=%d"),
        ):
            if name == "api":
                counts = {size: queries(client, url % size) for size in (10, 100)}
                url = url % 10
            else:
                counts = {"default": queries(client, url)}
            times = summary(
                *timed_cpu(lambda url=url, client=client: request(client, url), args.runs)
            )
            lists.append(
                {
                    "persona": username,
                    "list": name,
                    "in_scope": in_scope,
                    "queries": counts,
                    **times,
                    "p50_vs_login_page": round(times["p50_ms"] / ref_page, 1),
                    "within_target": times["p95_ms"] <= LIST_TARGET_MS,
                }
            )

    tz = timezone.get_current_timezone()
    start = dt.datetime(2025, 1, 1, tzinfo=tz)
    end = dt.datetime(2026, 1, 1, tzinfo=tz)
    as_of = dt.datetime(2026, 6, 30, 12, tzinfo=tz)
    figure_runs = max(5, args.runs // 4)
    figures = []
    for username in ("detachment", "brigade"):
        actor = Member.objects.select_related("unit").get(username=username)
        result = kpis.compute(actor, actor.unit, start, end, as_of)
        # The grouped figures equal those of one row per record (confirmations from their
        # own table): the seeded `confirmed_on` and the grouping are right.
        reference_figures = formulas.figures(
            *kpis.load(actor, actor.unit, start, end), kpis.period(start, end, as_of)
        )
        assert result == reference_figures, (result, reference_figures)
        times = summary(
            *timed_cpu(
                lambda actor=actor: kpis.compute(actor, actor.unit, start, end, as_of),
                figure_runs,
                warm=2,
            )
        )
        figures.append(
            {
                "persona": username,
                "period": "2025",
                "accepted": result.accepted,
                "resolution": result.resolution.percent_display(),
                "performance": result.performance.percent_display(),
                "recovered": str(result.recovered),
                **times,
                "p50_vs_pk_lookup": round(times["p50_ms"] / reference["pk_lookup"]["p50_ms"], 1),
                "within_target": times["p95_ms"] <= FIGURES_TARGET_MS,
            }
        )

    actor = Member.objects.select_related("unit").get(username="detachment")
    client = login_verified(Client(SERVER_NAME="127.0.0.1"), actor)
    agreement = Agreement.objects.filter(written=True).order_by("-pk").first()
    assert agreement is not None
    documents = {}
    for fmt in ("docx", "pdf"):
        url = reverse(
            "mediation:document",
            kwargs={"pk": agreement.dispute_id, "agreement_id": agreement.pk, "fmt": fmt},
        )
        times = summary(*timed_cpu(lambda url=url: request(client, url), max(5, args.runs // 4), 2))
        documents[fmt] = {
            **times,
            "bytes": len(request(client, url).content),
            "p50_vs_login_page": round(times["p50_ms"] / ref_page, 1),
            "within_target": times["p95_ms"] <= DOCUMENT_TARGET_MS,
        }

    benchlib.emit(
        {
            "benchmark": "mediation",
            "database": connection.vendor,
            "database_version": benchlib.db_version(connection),
            **benchlib.machine(),
            "seed_seconds": seed_seconds,
            "disputes": total,
            "runs": args.runs,
            "reference": reference,
            "targets_ms": {
                "list_p95": LIST_TARGET_MS,
                "figures_p95": FIGURES_TARGET_MS,
                "document_p95": DOCUMENT_TARGET_MS,
            },
            "lists": lists,
            "figures": figures,
            "documents": documents,
        }
    )


if __name__ == "__main__":
    main()
