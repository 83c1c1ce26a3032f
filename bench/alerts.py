"""Benchmark: alerts to safety partners (issue 6's targets).

In a fresh database (SQLite file var/bench/liuqing_bench_alerts.sqlite3, or a PostgreSQL
database of that name on the server of --database-url; --database-name names another, so that
two runs at once do not share one) with `--partners` partners (default 10,000) in one group,
each reached in the app and by text message:

* issuing one alert through the real service (`issue_alert`: recipients, CAP message and its
  XSD validation, every delivery row) — target: 20,000 deliveries written in ≤ 1 s; the
  reference is `publish_many` writing the same number of prepared rows (the outbox's floor);
* the worker (`deliver_until_idle`) sending `--sends` webhook deliveries (default 5,000) to a
  local HTTP receiver (liuqing.notify.testing) — target ≥ 500 deliveries/s; the reference is
  a bare loop of the same signed POSTs with urllib (the HTTP floor);
* building one alert version's CAP message and validating it against the CAP 1.2 XSD and
  the rules — target ≤ 20 ms per alert (p95); the reference is parsing the same XML.

    python bench/alerts.py
    python bench/alerts.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    python bench/alerts.py --partners 1000 --sends 200 --database-name liuqing_bench_alerts_b
"""

from __future__ import annotations

import argparse
import os
import time

import benchlib

BENCH_DB_NAME = "liuqing_bench_alerts"
WRITE_TARGET_S = 1.0
RATE_TARGET = 500.0
CAP_TARGET_MS = 20.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--sends", type=int, default=5_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--database-name",
        default=BENCH_DB_NAME,
        type=benchlib.db_name,
        help=f"the bench database (default {BENCH_DB_NAME}), dropped and created",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    benchlib.configure(args.database_url, args.database_name, reuse=False)

    import datetime as dt
    import urllib.request

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone
    from lxml import etree

    from liuqing.core import services as core_services
    from liuqing.core.models import Role, UnitKind
    from liuqing.notify import services as notify
    from liuqing.notify.adapters import webhook_signature
    from liuqing.notify.models import Channel, Delivery, Endpoint
    from liuqing.partners import cap, services
    from liuqing.partners.models import Membership, Partner

    call_command("migrate", interactive=False, verbosity=0)
    root = core_services.create_unit(
        actor=None, code="B654000", name="基准支队", kind=UnitKind.DETACHMENT, parent=None
    )
    station = core_services.create_unit(
        actor=None, code="B654000-01", name="基准派出所", kind=UnitKind.STATION, parent=root
    )
    chief = core_services.create_member(
        actor=None,
        username="bench_chief",
        full_name="bench chief",
        unit=station,
        roles=[Role.STATION_CHIEF],
        password="bench password not secret 1",  # noqa: S106  (a throwaway bench database)
    )
    group = services.create_group(actor=chief, unit=station, name="基准群")
    now = timezone.now()
    partners = [
        Partner(
            unit=station,
            display_name=f"伙伴{i}",
            kind="taxi",
            phone=f"+86139{i:08d}",
            language=("zh-hans", "ug", "kk-arab")[i % 3],
            channels="sms",
            consent_version="bench",
            consent_at=now,
        )
        for i in range(args.partners)
    ]
    Partner.objects.bulk_create(partners, batch_size=2000)
    Membership.objects.bulk_create(
        (Membership(partner=p, group=group) for p in Partner.objects.all()), batch_size=5000
    )

    # Planner statistics after the bulk load, as the worker's db.planner_statistics job (and
    # PostgreSQL's autovacuum) keep them in a running system; without them PostgreSQL plans
    # the recipients' join for one row and loops 10,000 × 10,000 times.
    from liuqing.core.dbstats import refresh_planner_statistics

    refresh_planner_statistics()

    # 1. Issuing an alert to every partner over two channels. A first, small alert warms
    # the process up (imports, the XSD, the URL resolver), as any serving process is; the
    # cold figure is reported too.
    warm_group = services.create_group(actor=chief, unit=station, name="预热群")
    warm = services.save_alert(
        actor=chief,
        unit=station,
        data=services.AlertInput(
            kind="other",
            scope="Restricted",
            expires_at=now + dt.timedelta(hours=1),
            texts={"zh-hans": ("预热", "预热", "")},
            groups=[warm_group],
            places=[],
        ),
    )
    started = time.perf_counter()
    services.issue_alert(actor=chief, alert=warm)
    cold_s = time.perf_counter() - started
    alert = services.save_alert(
        actor=chief,
        unit=station,
        data=services.AlertInput(
            kind="missing_person",
            scope="Restricted",
            expires_at=now + dt.timedelta(hours=12),
            texts={
                "zh-hans": ("寻找走失儿童", "男孩，7岁，身穿红色外套", "发现请拨打110"),
                "ug": ("يوقالغان بالا", "7 ياشلىق ئوغۇل بالا", "110 غا تېلېفون قىلىڭ"),
                "kk-arab": ("جوعالعان بالا", "7 جاستاعى ۇل بالا", "110 عا حابارلاسىڭىز"),
            },
            groups=[group],
            places=[],
        ),
    )
    started = time.perf_counter()
    services.issue_alert(actor=chief, alert=alert)
    issue_s = time.perf_counter() - started
    written = Delivery.objects.filter(topic=alert.topic).count()

    prepared = [
        notify.Message(
            member_id=None,
            recipient=f"bench:{i}",
            kind="alert",
            subject="寻找走失儿童",
            body="男孩，7岁，身穿红色外套",
            link="/pp/alerts/1/",
            dedupe_key="bench:v1",
            channel=Channel.SMS if i % 2 else Channel.INAPP,
            topic="bench",
        )
        for i in range(written)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        notify.publish_many(prepared)
    reference_write_s = time.perf_counter() - started
    Delivery.objects.all().delete()

    # 2. The worker against a local webhook receiver, in a process of its own.
    import json
    import subprocess
    import sys

    from django.conf import settings

    receiver = subprocess.Popen(
        [sys.executable, "-c", "from liuqing.notify.testing import serve_forever; serve_forever()"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(benchlib.PROJECT / "src")},
    )
    try:
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        endpoint = Endpoint.objects.create(
            channel=Channel.WEBHOOK,
            name="bench",
            url=f"{base}/hook",
            secret="bench-secret",  # noqa: S106
        )
        with transaction.atomic():
            notify.publish_many(
                notify.Message(
                    member_id=None,
                    recipient=f"endpoint:{endpoint.pk}-{i}",
                    kind="alert",
                    subject=f"m{i}",
                    dedupe_key="bench:send",
                    channel=Channel.WEBHOOK,
                    endpoint_id=endpoint.pk,
                    topic="bench:send",
                )
                for i in range(args.sends)
            )
        threads = int(getattr(settings, "NOTIFY_SEND_THREADS", 1))
        started = time.perf_counter()
        report = notify.deliver_until_idle(limit=500, max_batches=10_000)
        worker_s = time.perf_counter() - started
        assert report.sent == args.sends, str(report)
        with urllib.request.urlopen(f"{base}/count", timeout=10) as response:  # noqa: S310
            seen = json.loads(response.read())
        assert seen["keys"] == args.sends, seen

        body = b'{"subject": "m"}'
        started = time.perf_counter()
        for i in range(args.sends):
            ts = str(int(time.time()))
            request = urllib.request.Request(  # noqa: S310
                f"{base}/ref",
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "X-Liuqing-Signature": webhook_signature("bench-secret", ts, body),
                    "Idempotency-Key": f"ref-{i}",
                },
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()
        reference_http_s = time.perf_counter() - started
    finally:
        receiver.kill()
        receiver.wait()

    # 3. CAP generation and validation.
    issued = alert.versions.get()

    def generate() -> None:
        xml = cap.build(services.cap_message(alert, issued, []))
        problems = cap.validate(xml)
        assert not problems, problems

    cap_ms = benchlib.timed(generate, runs=200)
    xml = issued.xml.encode()
    parse_ms = benchlib.timed(lambda: etree.fromstring(xml), runs=200)

    cap_summary = benchlib.summary(cap_ms)
    send_rate = args.sends / worker_s
    benchlib.emit(
        {
            "benchmark": "alerts",
            "database": f"{connection.vendor} {benchlib.db_version(connection)}",
            **benchlib.machine(),
            "partners": args.partners,
            "issue": {
                "deliveries_written": written,
                "seconds": round(issue_s, 3),
                "first_alert_of_the_process_seconds": round(cold_s, 3),
                "target_seconds": WRITE_TARGET_S,
                "reference_publish_many_seconds": round(reference_write_s, 3),
                "ratio_to_reference": round(issue_s / reference_write_s, 2),
                "meets_target": issue_s <= WRITE_TARGET_S,
            },
            "worker": {
                "deliveries": args.sends,
                "send_threads": threads,
                "seconds": round(worker_s, 3),
                "deliveries_per_second": round(send_rate, 1),
                "target_per_second": RATE_TARGET,
                "reference_bare_posts_per_second": round(args.sends / reference_http_s, 1),
                "ratio_to_reference": round(worker_s / reference_http_s, 2),
                "meets_target": send_rate >= RATE_TARGET,
            },
            "cap": {
                **cap_summary,
                "target_ms": CAP_TARGET_MS,
                "reference_parse": benchlib.summary(parse_ms),
                "ratio_to_reference_p50": round(
                    cap_summary["p50_ms"] / max(0.001, benchlib.summary(parse_ms)["p50_ms"]), 1
                ),
                "meets_target": cap_summary["p95_ms"] <= CAP_TARGET_MS,
            },
        }
    )


if __name__ == "__main__":
    main()
