"""Benchmark: the staff list's full-text search (appeals.search) against the substring search
it replaced, in the same run, on the demo appeals.

Seeds the demo's structure and appeals (no other module's data) at `--scale` (default 8: about
145,000 appeals; appeals grow as scale², see liuqing.appeals.demo) into a fresh database
(SQLite file var/bench/liuqing_bench_search.sqlite3, or a PostgreSQL database of that name on
the server of --database-url), then, as the
detachment's staff (the widest jurisdiction), times the first page (50 rows, newest first) of
`selectors.appeals_visible_to` with two filters (the commonest open status, a unit) and a text
query, for queries drawn from the seeded texts: one two-character word, two words, a quoted
phrase, a case number, a word that matches nothing. Each query is timed with the text index
(`search`) and with the former `icontains` match on title and description (`substring`); a
primary-key lookup is the machine's reference. The ratio substring / search is the speed-up.

    python bench/appeals_search.py                   # SQLite
    python bench/appeals_search.py --reuse           # keep the seeded database
    python bench/appeals_search.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import random

import benchlib
from benchlib import summary, timed

BENCH_DB_NAME = "liuqing_bench_search"
# Only what the appeals need: the units, places and people, then the appeals.
STEPS = ("core.units", "core.places", "core.members", "core.teams", "core.devices", "appeals")
TARGET_MS = 100.0
PAGE = 50


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=8)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", help="a PostgreSQL server URL")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--db-name", default=BENCH_DB_NAME, help="the bench database's name")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    benchlib.configure(args.database_url, args.db_name, args.reuse)

    from django.db import connection
    from django.db.models import Q

    from liuqing.appeals import search, selectors
    from liuqing.appeals.models import AppealSearch
    from liuqing.appeals.workflow import APPEAL
    from liuqing.casework.models import Case
    from liuqing.core.models import Member

    seed_seconds = benchlib.seed_demo(args.scale, args.reuse, steps=STEPS)

    appeals = Case.objects.filter(kind=APPEAL)
    total = appeals.count()
    actor = Member.objects.select_related("unit").get(username="detachment")
    status = benchlib.commonest_open_status(appeals)

    # Queries from the seeded texts (deterministic): words are two-character runs.
    rng = random.Random(3)
    sample = list(appeals.order_by("pk").values_list("description", "number")[:20000:997])
    words: list[str] = []
    for description, _number in sample:
        runs = [t for t in search.tokens(description) if len(t) == 2 and t[0] >= "\u4e00"]
        if runs:
            words.append(rng.choice(runs))
    queries = {
        "one_word": words[0],
        "two_words": f"{words[1]} {words[2]}",
        "phrase": '"' + sample[3][0][:6] + '"',
        "case_number": sample[4][1],
        "no_match": "机场航班",
    }

    def search_page(q: str) -> list[int]:
        filters = selectors.AppealFilters(q=q, status=status, unit=actor.unit)
        qs = selectors.appeals_visible_to(actor, filters)
        return list(qs.values_list("pk", flat=True)[:PAGE])

    def substring_page(q: str) -> list[int]:
        """The former search: every row in scope scanned with icontains."""
        filters = selectors.AppealFilters(status=status, unit=actor.unit)
        qs = selectors.appeals_visible_to(actor, filters)
        for term in [q.strip('"')] if q.startswith('"') else q.split():
            qs = qs.filter(
                Q(number__icontains=term)
                | Q(public_code=term.upper())
                | Q(title__icontains=term)
                | Q(description__icontains=term)
            )
        return list(qs.values_list("pk", flat=True)[:PAGE])

    probe = appeals.order_by("pk").values_list("pk", flat=True)[total // 2]
    reference = summary(
        timed(lambda: Case.objects.filter(pk=probe).values_list("pk").first(), args.runs)
    )
    results = []
    all_search: list[float] = []
    all_substring: list[float] = []
    for name, q in queries.items():
        found = search_page(q)
        baseline = substring_page(q)
        fast = timed(lambda q=q: search_page(q), args.runs, warm=3)
        slow = timed(lambda q=q: substring_page(q), max(5, args.runs // 4), warm=1)
        all_search += fast
        all_substring += slow
        results.append(
            {
                "query": name,
                "q": q,
                "rows_on_page": len(found),
                "same_first_page_as_substring": found == baseline,
                "search": summary(fast),
                "substring": summary(slow),
                "speed_up_p50": round(
                    summary(slow)["p50_ms"] / max(summary(fast)["p50_ms"], 1e-3), 1
                ),
            }
        )
    overall = summary(all_search)
    benchlib.emit(
        {
            "benchmark": "appeals_search",
            "database": connection.vendor,
            "database_version": benchlib.db_version(connection),
            "machine": benchlib.machine(),
            "scale": args.scale,
            "appeals": total,
            "search_documents": AppealSearch.objects.count(),
            "seed_seconds": seed_seconds,
            "filters": {"status": status, "unit": actor.unit.name},
            "reference_pk_lookup": reference,
            "queries": results,
            "search_all_queries": overall,
            "substring_all_queries": summary(all_substring),
            "search_p95_vs_pk_lookup_p50": round(overall["p95_ms"] / reference["p50_ms"], 1),
            "target_p95_ms": TARGET_MS,
            "within_target": overall["p95_ms"] <= TARGET_MS,
        }
    )


if __name__ == "__main__":
    main()
