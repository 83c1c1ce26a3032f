"""Benchmark: importing an incident ledger of a million CSV rows (issue 5's target).

Generates a CSV export of `--rows` incidents in time order, as dispatch systems export them
(default 1,000,000; about 0.5 % bad rows:
impossible coordinates, future times, unknown categories) around twenty stations whose
boundaries are drawn as squares, then imports it through the real engine
(`liuqing.imports.services.start_import` and `run_import`, the incident ledger's writer) into a
fresh database: SQLite file var/bench/liuqing_bench_incidents.sqlite3, or a PostgreSQL
database of that name on the server of --database-url.

Figures, beside a reference measured in the same run on the same file (plain `csv.reader`
reading every row, i.e. the floor any CSV import pays):

* rows/s of the whole import (upload copy and encoding check + the run), target ≥ 50,000;
* peak memory, target ≤ 300 MB: the physical memory the import holds. This is RSS, not
  tracemalloc: it includes numpy buffers and the database driver, which Python's allocator
  tracing would miss. Django and numpy, loaded before the import, count; the file
  generation does not (and the database is migrated by another process, as the worker that
  runs imports never migrates).
  - One process: its resident-set high-water mark (Linux VmHWM, reset just before the import
    through /proc/self/clear_refs).
  - When the engine reads the file in a second, forked process (files over
    IMPORTS_PIPELINE_MIN_MB), the two share most of their pages (everything loaded before
    the fork), so adding their high-water marks counts those pages twice. The figure is
    then the highest proportional set size (PSS: each shared page divided among the
    processes sharing it) of both together, sampled every 50 ms, or the writing process's
    own high-water mark if that is higher. The sum of the two high-water marks is printed
    too, as an upper bound. The reading process's CPU seconds count in the import's.

    python bench/incident_import.py
    python bench/incident_import.py --rows 200000
    python bench/incident_import.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

import benchlib

BENCH_DB_NAME = "liuqing_bench_incidents"
RATE_TARGET = 50_000.0
MEMORY_TARGET_MB = 300.0
STATIONS = 20
CENTRE = (43.90, 81.30)  # Yining, Ili
CATEGORIES = ["刑事", "治安", "电信诈骗", "交通", "纠纷", "求助救援", "火灾", "其他"]
HEADER = ["警情编号", "报警时间", "警情类别", "细类", "纬度", "经度", "处理结果", "简要情况"]
COLUMNS = {
    "警情编号": "source_id",
    "报警时间": "occurred_at",
    "警情类别": "category",
    "细类": "sub_category",
    "纬度": "latitude",
    "经度": "longitude",
    "处理结果": "outcome",
    "简要情况": "description",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="a PostgreSQL server URL")
    parser.add_argument(
        "--database-name",
        default=BENCH_DB_NAME,
        type=benchlib.db_name,
        help=f"the bench database (default {BENCH_DB_NAME}), dropped and created",
    )
    return parser.parse_args()


def seats() -> list[tuple[float, float]]:
    """Station seats on a 5 × 4 grid, 0.05° apart (squares of ±0.02° do not touch)."""
    return [(CENTRE[0] + 0.05 * (i // 5), CENTRE[1] + 0.05 * (i % 5)) for i in range(STATIONS)]


def square(lat: float, lng: float, half: float = 0.02) -> str:
    ring = [
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half],
        [lng - half, lat - half],
    ]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def generate(path: Path, rows: int) -> None:
    """The export, written in chunks of 100,000 rows (memory stays small)."""
    rng = np.random.default_rng(20261130)
    centres = np.array(seats())
    start = 1_696_118_400  # 2023-10-01 UTC
    span = 2 * 365 * 86400
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for first in range(0, rows, 100_000):
            n = min(100_000, rows - first)
            which = rng.integers(0, STATIONS, n)
            lat = centres[which, 0] + rng.uniform(-0.019, 0.019, n)
            lng = centres[which, 1] + rng.uniform(-0.019, 0.019, n)
            # Chronological, as a dispatch system exports its ledger (by 报警时间), with the
            # rows of a minute or so in any order.
            base = start + (np.arange(first, first + n) * (span // rows))
            epochs = np.sort(base + rng.integers(0, 90, n))
            times = np.datetime_as_string(epochs.astype("datetime64[s]"), unit="s")
            cats = rng.integers(0, len(CATEGORIES), n)
            bad = rng.random(n)
            for i in range(n):
                number = first + i
                la, ln, when, cat = f"{lat[i]:.6f}", f"{lng[i]:.6f}", times[i], CATEGORIES[cats[i]]
                if bad[i] < 0.002:
                    la, ln = "91.5", "200"
                elif bad[i] < 0.004:
                    when = "2099-01-01T00:00:00"
                elif bad[i] < 0.005:
                    cat = "未知类别"
                sid = f"JQ{number:09d}"
                out.writerow([sid, when.replace("T", " "), cat, "", la, ln, "已处理", "处置完毕"])


def reference_read(path: Path) -> float:
    started = time.perf_counter()
    with open(path, encoding="utf-8", newline="") as fh:
        count = sum(1 for _ in csv.reader(fh))
    assert count > 0
    return time.perf_counter() - started


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    args = parse_args()
    benchlib.configure(args.database_url, args.database_name, reuse=False)

    from django.core.files import File
    from django.db import connection

    from liuqing.core import services as core_services
    from liuqing.core.models import Role, UnitKind
    from liuqing.imports import services
    from liuqing.incidents.models import Incident

    # Migrated by a separate process: the worker that runs imports never migrates, and the
    # memory the migration graph leaves behind (about 35 MB) is not the import's.
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
        check=True,
        env={**os.environ, "PYTHONPATH": str(benchlib.PROJECT / "src")},
    )
    root = core_services.create_unit(
        actor=None, code="B654000", name="基准支队", kind=UnitKind.DETACHMENT, parent=None
    )
    brigade = core_services.create_unit(
        actor=None, code="B654001", name="基准大队", kind=UnitKind.BRIGADE, parent=root
    )
    for i, (lat, lng) in enumerate(seats()):
        core_services.create_unit(
            actor=None,
            code=f"B654001-{i:02d}",
            name=f"基准{i}所",
            kind=UnitKind.STATION,
            parent=brigade,
            latitude=lat,
            longitude=lng,
            boundary=square(lat, lng),
        )
    analyst = core_services.create_member(
        actor=None,
        username="bench_analyst",
        full_name="bench analyst",
        unit=root,
        roles=[Role.ANALYST],
        password="bench analyst password 2026",  # noqa: S106
    )

    scratch = benchlib.PROJECT / "var" / "bench"
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / "incidents.csv"
    generated = time.perf_counter()
    generate(path, args.rows)
    generated = time.perf_counter() - generated
    reference = reference_read(path)

    clear = reset_peak_rss()
    sampler = PssSampler()
    sampler.start()
    children_started = children_cpu()
    cpu_started = time.process_time()
    started = time.perf_counter()
    with open(path, "rb") as fh:
        run = services.start_import(
            actor=analyst, kind="incidents", unit=root, upload=File(fh, name="incidents.csv")
        )
    uploaded = time.perf_counter()
    run = services.run_import(
        actor=analyst,
        run=run,
        columns=COLUMNS,
        options={"source_system": "bench", "coordinates": "wgs84"},
    )
    finished = time.perf_counter()
    own_cpu = time.process_time() - cpu_started
    reader_cpu = children_cpu() - children_started
    cpu = own_cpu + reader_cpu
    own_peak = peak_rss_mb()
    # The reading process (imports.services._prepared), when the file was read in one: its
    # resident-set high-water mark, added whole (the pages it shares with this process
    # after the fork count twice, so the sum is an upper bound).
    reader_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    sampler.stopping.set()
    sampler.join()
    rss_sum = own_peak + reader_peak
    # One process: its high-water mark; two: what they hold together (docstring).
    peak = max(own_peak, sampler.peak_kb / 1024) if reader_peak else own_peak
    stored = Incident.objects.count()
    path.unlink()

    seconds = finished - started
    rate = args.rows / seconds
    reference_rate = args.rows / reference
    benchlib.emit(
        {
            "benchmark": "incident_import",
            "database": f"{connection.vendor} {benchlib.db_version(connection)}",
            **benchlib.machine(),
            "rows": args.rows,
            "file_mb": round(run_size(run), 1),
            "generate_s": round(generated, 2),
            "import": {
                "upload_and_check_s": round(uploaded - started, 2),
                "run_s": round(finished - uploaded, 2),
                "total_s": round(seconds, 2),
                "rows_per_s": round(rate),
                # CPU seconds of this process (the database is in-process for SQLite): on a
                # machine shared with other work, rows per CPU-second shows the code's cost.
                "cpu_s": round(cpu, 2),
                "cpu_s_writing_process": round(own_cpu, 2),
                "cpu_s_reading_process": round(reader_cpu, 2),
                "rows_per_cpu_s": round(args.rows / cpu),
                "target_rows_per_s": RATE_TARGET,
                "meets_rate_target": rate >= RATE_TARGET,
                "status": run.status,
                "created": run.rows_created,
                "rejected": run.rows_rejected,
                "stored": stored,
            },
            "reference_csv_reader": {
                "s": round(reference, 2),
                "rows_per_s": round(reference_rate),
                "import_over_reference": round(seconds / reference, 1),
            },
            "memory": {
                "peak_mb": round(peak, 1),
                "peak_rss_mb_sum_upper_bound": round(rss_sum, 1),
                "peak_rss_mb_writing_process": round(own_peak, 1),
                "peak_rss_mb_reading_process": round(reader_peak, 1),
                "peak_pss_mb_both_sampled": round(sampler.peak_kb / 1024, 1),
                "measure": (
                    "max(PSS of both processes sampled every 50 ms, writer's VmHWM)"
                    if reader_peak
                    else "VmHWM (resident set high-water), reset before the import"
                    if clear
                    else "ru_maxrss since process start (VmHWM reset unavailable)"
                ),
                "target_mb": MEMORY_TARGET_MB,
                "meets_memory_target": peak <= MEMORY_TARGET_MB,
            },
        }
    )


class PssSampler(threading.Thread):
    """The highest proportional set size (Linux PSS: shared pages divided among the processes
    sharing them) of this process plus its children, sampled every 50 ms: the memory the
    import really holds when a forked reading process shares most of its pages with this
    one."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.stopping = threading.Event()

    @staticmethod
    def pss_kb(pid: int | str) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def run(self) -> None:
        me = os.getpid()
        while not self.stopping.wait(0.05):
            children: list[str] = []
            for task in Path(f"/proc/{me}/task").glob("*/children"):
                try:
                    children += task.read_text().split()
                except OSError:
                    continue
            total = self.pss_kb(me) + sum(self.pss_kb(pid) for pid in children)
            self.peak_kb = max(self.peak_kb, total)


def children_cpu() -> float:
    """CPU seconds of the finished child processes (the import's reading process)."""
    times = os.times()
    return times.children_user + times.children_system


def run_size(run: Any) -> float:
    from django.core.files.storage import default_storage

    return default_storage.size(run.stored_file) / 1e6


if __name__ == "__main__":
    main()
