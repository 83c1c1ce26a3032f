"""Benchmark: the appeal pages at a million requests (issue 3's targets).

Seeds the demo data set with its appeals at `--scale` (default 22: 1,176,103 appeals over two
years; appeals grow as scale², see liuqing.appeals.demo) into a fresh database (SQLite file
var/bench/liuqing_bench_appeals.sqlite3, or a PostgreSQL database of that name on the server
of --database-url), then times whole requests through Django (middleware, session, template
or JSON rendering: the server time of a page) with the test client:

* the staff list page and the API list with two filters (status and category), as a station
  chief, brigade staff and detachment staff; query counts at page sizes 10 and 100;
* the public notice board of a station, a brigade, the detachment (a unit's board shows its
  whole subtree) and a village (the default window of BOARD_DAYS ending today, and the same
  length ending at the demo's anchor);
* the appeals figures for the detachment: the month, quarter and year with year-on-year and
  period-on-period change (the figures page), and the year alone (liuqing.appeals.kpis), which
  read the rollup (liuqing.appeals.rollup); beside them the year's load from the rollup and
  from the cases alone (as before the rollup), timed in the same run.

Each figure is printed beside a reference measured in the same run (a primary-key lookup and
the login page), as a ratio, so runs on noisy or different machines compare. Lists, boards and
references also give this process's CPU milliseconds (cpu_p50_ms, cpu_p95_ms): on a loaded
machine the wall clock includes the wait for a core, the CPU time does not (on SQLite it
includes the database's work, which runs in the process; on PostgreSQL the server's is not
in it). Targets: list and
board p95 ≤ 100 ms, figures for a detachment-year ≤ 500 ms, query counts equal across page
sizes.

    python bench/appeals_lists.py                     # SQLite; seeding: ~10 min at scale 22
    python bench/appeals_lists.py --reuse             # keep the seeded database
    python bench/appeals_lists.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
from typing import Any

import benchlib
from benchlib import summary, timed, timed_cpu

BENCH_DB_NAME = "liuqing_bench_appeals"
LIST_TARGET_MS = 100.0
FIGURES_TARGET_MS = 500.0
PERSONAS = ("chief", "brigade", "detachment")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=22)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database-url", help="a PostgreSQL server URL")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--db-name", default=BENCH_DB_NAME, help="the bench database's name")
    parser.add_argument(
        "--only", choices=("figures",), help="time only the figures (skip lists and boards)"
    )
    parser.add_argument(
        "--appeals-only",
        action="store_true",
        help="seed the core and the appeals only (all these pages read; the other modules' "
        "steps take longer than the appeals at scale 22)",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    benchlib.configure(args.database_url, args.db_name, args.reuse)

    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from liuqing.appeals import kpis
    from liuqing.appeals.models import FigureCell
    from liuqing.appeals.workflow import APPEAL
    from liuqing.casework.models import Case, Category
    from liuqing.core import demo
    from liuqing.core.models import Member, Place, Unit, UnitKind
    from liuqing.core.testing import login_verified

    # With the appeals alone, the appeals step's own rollup rebuild is the last word: the
    # "appeals.figures" step only rebuilds it again after the other modules' steps.
    steps = tuple(demo.core_and("appeals")) if args.appeals_only else None
    # The lists are timed with filters, not searches: the full-text index is built once.
    seed_seconds = benchlib.seed_demo(args.scale, args.reuse, steps=steps, search_index_once=True)

    appeals = Case.objects.filter(kind=APPEAL)
    total = appeals.count()
    # The two filters: the commonest open status and the top category with the most appeals.
    status = benchlib.commonest_open_status(appeals)
    tops = {c.pk: c for c in Category.objects.filter(kind=APPEAL, parent=None)}
    by_top: dict[int, int] = {}
    for pk, parent, n in (
        appeals.values("category_id", "category__parent_id")
        .annotate(n=Count("pk"))
        .values_list("category_id", "category__parent_id", "n")
    ):
        top = pk if pk in tops else parent
        by_top[top] = by_top.get(top, 0) + n
    category = tops[max(by_top, key=by_top.__getitem__)]

    def request(client: Client, url: str) -> Any:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    def queries(client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            request(client, url)
        return len(ctx.captured_queries)

    login_page = reverse("core:login") if _has_url("core:login") else "/"
    anonymous = Client(SERVER_NAME="127.0.0.1")
    probe = appeals.order_by("pk").values_list("pk", flat=True)[total // 2]
    reference = {
        "pk_lookup": summary(
            *timed_cpu(lambda: Case.objects.filter(pk=probe).values_list("pk").first(), args.runs)
        ),
        "login_page": summary(*timed_cpu(lambda: request(anonymous, login_page), args.runs)),
    }
    ref_page = reference["login_page"]["p50_ms"]

    lists = []
    equal_counts = True
    filters = f"status={status}&category={category.pk}"
    for username in PERSONAS if args.only is None else ():
        actor = Member.objects.select_related("unit").get(username=username)
        client = login_verified(Client(SERVER_NAME="127.0.0.1"), actor)
        in_scope = appeals.filter(
            unit__path__gte=actor.unit.path, unit__path__lt=actor.unit.path[:-1] + "/"
        )
        matching = in_scope.filter(status=status, category__in=[category.pk, *_children(category)])
        for name, url in (
            ("page", f"{reverse('appeals:list')}?{filters}"),
            ("api", f"/api/v1/appeals?{filters}&limit=%d"),
        ):
            if name == "page":
                counts = {"default": queries(client, url)}
                times = summary(
                    *timed_cpu(lambda url=url, client=client: request(client, url), args.runs)
                )
            else:
                counts = {size: queries(client, url % size) for size in (10, 100)}
                equal_counts = equal_counts and counts[10] == counts[100]
                times = summary(
                    *timed_cpu(lambda url=url, client=client: request(client, url % 10), args.runs)
                )
            lists.append(
                {
                    "persona": username,
                    "unit": actor.unit.name,
                    "list": name,
                    "in_scope": in_scope.count(),
                    "matching": matching.count(),
                    "queries": counts,
                    **times,
                    "p50_vs_login_page": round(times["p50_ms"] / ref_page, 1),
                    "within_target": times["p95_ms"] <= LIST_TARGET_MS,
                }
            )

    boards = []
    if args.only is None:
        # Notice boards: a unit's board shows its whole subtree, and any active unit has one
        # (liuqing.appeals.public_selectors.board_scope): the station and the brigade with
        # the most appeals, and the detachment; and the village with the most.
        def busiest(kind: str) -> Any:
            return Unit.objects.filter(kind=kind).annotate(n=Count("cases")).order_by("-n").first()

        station, brigade = busiest(UnitKind.STATION), busiest(UnitKind.BRIGADE)
        detachment = Unit.objects.filter(kind=UnitKind.DETACHMENT).order_by("path").first()
        village = (
            Place.objects.filter(kind="village").annotate(n=Count("cases")).order_by("-n").first()
        )
        # The default window ends today, and the demo's appeals end at its anchor: the board
        # of the same length (BOARD_DAYS) ending on the anchor's day shows them.
        from django.test import RequestFactory
        from django.utils import timezone

        from liuqing.appeals.public.views import _window
        from liuqing.appeals.public_selectors import BOARD_DAYS, board_cases, board_scope

        last = timezone.localdate(demo.ANCHOR)
        first = last - dt.timedelta(days=BOARD_DAYS - 1)
        windows = (("default", ""), ("to_anchor", f"?start={first}&end={last}"))
        owners = [
            ("unit", u.pk, u.name, u.kind) for u in (station, brigade, detachment) if u is not None
        ]
        owners.append(("place", village.pk, village.name, "village"))
        for (scope, pk, name, level), (window, query) in itertools.product(owners, windows):
            url = reverse("appeals:public_board", kwargs={"scope": scope, "pk": pk}) + query
            count = queries(anonymous, url)
            *_period, start, end = _window(RequestFactory().get(url))  # the view's own
            shown = board_cases(board_scope(scope, pk), start, end).count()
            # The brigade's and the detachment's boards take seconds a request at scale 22:
            # fewer runs (their p95 is then the slowest run or near it).
            wide = level in (UnitKind.BRIGADE, UnitKind.DETACHMENT)
            runs = max(3, args.runs // 10) if wide else args.runs
            times = summary(
                *timed_cpu(lambda url=url: request(anonymous, url), runs, warm=1 if wide else 10)
            )
            boards.append(
                {
                    "board": scope,
                    "level": level,
                    "name": name,
                    "window": window,
                    "appeals_on_board": shown,
                    "runs": runs,
                    "queries": count,
                    **times,
                    "p50_vs_login_page": round(times["p50_ms"] / ref_page, 1),
                    "within_target": times["p95_ms"] <= LIST_TARGET_MS,
                }
            )

    # Figures for the detachment.
    actor = Member.objects.select_related("unit").get(username="detachment")
    client = login_verified(Client(SERVER_NAME="127.0.0.1"), actor)
    cut = kpis.Cut(unit=actor.unit, category=None)
    latest = kpis.latest_received(actor, cut)
    assert latest is not None
    day = latest.date()
    year = [p for p in kpis.standard_periods(day) if p.kind == "year"]
    figure_runs = max(5, args.runs // 4)
    figures = {
        "appeals_in_the_two_years": appeals.count(),
        "page_month_quarter_year": summary(
            timed(
                lambda: request(client, f"{reverse('appeals:figures')}?on={day.isoformat()}"),
                figure_runs,
                warm=2,
            )
        ),
        "year_with_changes": summary(
            timed(lambda: kpis.report(actor, cut, year, as_of=latest), figure_runs, warm=2)
        ),
    }
    figures["within_target"] = figures["year_with_changes"]["p95_ms"] <= FIGURES_TARGET_MS
    # The same year's load from the cases alone (what the report read before the rollup):
    # the same-run measure of what the rollup saves, and its rows' size.
    evaluated = [x for triple in kpis.evaluations(year, latest) for x in triple]
    bounds = sorted({b for p, _ in evaluated for b in (p.start, p.end)})
    as_ofs = sorted({when for _, when in evaluated})
    figures["year_load_from_cells"] = summary(
        timed(lambda: kpis._load_rolled_up(cut, bounds, as_ofs), figure_runs, warm=2)
    )
    figures["year_load_from_cases"] = summary(
        timed(lambda: kpis._load_direct(cut, bounds, as_ofs), max(3, figure_runs // 2), warm=1)
    )
    figures["cells_vs_cases"] = round(
        figures["year_load_from_cells"]["p50_ms"] / figures["year_load_from_cases"]["p50_ms"], 3
    )
    figures["year_p50_vs_login_page"] = round(figures["year_with_changes"]["p50_ms"] / ref_page, 1)
    figures["rollup_cells_of_the_unit"] = FigureCell.objects.filter(unit=actor.unit).count()

    benchlib.emit(
        {
            "benchmark": "appeals_lists",
            "database": connection.vendor,
            "database_version": benchlib.db_version(connection),
            **benchlib.machine(),
            "scale": args.scale,
            "seeded_steps": "core and appeals" if args.appeals_only else "all",
            "seed_seconds": seed_seconds,
            "appeals": total,
            "filters": {"status": status, "category": category.name},
            "runs": args.runs,
            "reference": reference,
            "targets_ms": {"list_p95": LIST_TARGET_MS, "figures_p95": FIGURES_TARGET_MS},
            "query_counts_equal_across_page_sizes": equal_counts,
            "lists": lists,
            "boards": boards,
            "figures": figures,
        }
    )


def _children(category: Any) -> list[int]:
    from liuqing.appeals.selectors import category_subtree

    return category_subtree(category)


def _has_url(name: str) -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


if __name__ == "__main__":
    main()
