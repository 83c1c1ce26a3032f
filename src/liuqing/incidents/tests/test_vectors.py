"""The column-at-a-time helpers of the ledger writer give what the row-by-row Python path
gives: UTC instants of ISO times (across a daylight-saving transition too), the stored time
text, and digests that tell every changed field apart."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
import pytest

from liuqing.incidents import vectors

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")  # transitions at 02:00/03:00 local
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LORD_HOWE = zoneinfo.ZoneInfo("Australia/Lord_Howe")  # half-hour shifts at 02:00 local


def row_by_row(text: str, zone: dt.tzinfo) -> str:
    when = dt.datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


TEXTS = [
    "2026-03-01 10:00:00",
    "2026-03-01T10:00:00",
    "2026-03-01 10:00",
    "2026-03-01T10:00:00Z",
    "2026-03-01T10:00:00+08:00",
    "2026-03-01T10:00:00-05:30",
    "1988-04-17 01:30:00",  # China's daylight-saving years
    "1988-04-17 02:30:00",  # ... the skipped hour
    "1988-09-11 01:30:00",  # ... the repeated hour (fold 0)
    "2026-03-29 01:59:59",  # Berlin: last second of winter time
    "2026-03-29 02:30:00",  # Berlin: in the gap
    "2026-03-29 03:00:00",
    "2026-10-25 02:30:00",  # Berlin: the repeated hour
    "2026-11-01 01:30:00",  # New York: the repeated hour
    "2026-10-04 02:15:00",  # Lord Howe: the skipped half hour
    "2026-10-04 02:45:00",  # ... and the same hour after it
    "2024-02-29 23:59:59",
    "0001-01-01 00:30:00",  # too early for the fast path: left to the caller
]


@pytest.mark.parametrize("zone", [SHANGHAI, BERLIN, NEW_YORK, LORD_HOWE])
def test_iso_times_are_the_instants_the_row_path_gives(zone: zoneinfo.ZoneInfo) -> None:
    readable = np.ones(len(TEXTS), dtype=bool)
    ok, utc = vectors.iso_utc(TEXTS, zone, readable, {})
    assert ok.tolist() == [True] * (len(TEXTS) - 1) + [False]
    assert vectors.utc_texts(utc[ok]) == [row_by_row(t, zone) for t in TEXTS[:-1]]


def test_other_shapes_and_unreadable_rows_are_left_to_the_caller() -> None:
    texts = [
        "2026/03/01 10:00",  # another accepted form, read row by row
        "2026-03-01 10:00:00.250000",  # fractions: row by row
        "2026-03-01",  # a date alone: row by row
        "2026-13-01 10:00:00",  # the right shape, but not readable
        "2026-03-01x10:00:00",  # fromisoformat takes any separator; only "T" and " " here
        "20260301T100000",
        "",
    ]
    parsed, missing = vectors.parse_iso(texts)
    assert missing == [0, 3, 6]
    readable = np.ones(len(texts), dtype=bool)
    readable[missing] = False
    ok, utc = vectors.iso_utc(texts, SHANGHAI, readable)
    assert not ok.any()
    assert np.isnat(utc).all()
    assert parsed[1] == dt.datetime(2026, 3, 1, 10, 0, 0, 250000)


def test_hour_offsets_are_remembered_between_batches() -> None:
    cache: dict[int, tuple[int, bool]] = {}
    wall = np.array(
        ["2026-10-04T01:30:00", "2026-10-04T02:15:00", "2026-10-04T02:45:00"],
        dtype="datetime64[s]",
    )
    first = vectors.local_to_utc(wall, LORD_HOWE, cache)
    assert len(cache) == 2
    hour = int(wall[1].astype("datetime64[h]").astype(np.int64))
    assert cache[hour] == (10 * 3600 + 1800, False)  # the offset changes within that hour
    assert first[2] - first[1] == np.timedelta64(0, "s")  # 02:15 (+10:30) = 02:45 (+11:00)
    assert (vectors.local_to_utc(wall, LORD_HOWE, cache) == first).all()


def test_a_digest_changes_with_every_field_and_only_then() -> None:
    base = (
        ["2026-03-01 02:00:00"],
        (["盗窃"], ["已处理"], ["商铺被盗"]),
        (
            np.array([3]),
            np.array([43.8256]),
            np.array([87.6168]),
            np.array([613]),
            np.array([614]),
            np.array([12]),
        ),
    )
    digest = vectors.digests(*base)[0]
    assert len(digest) == 16
    assert int(digest, 16) >= 0
    # Stored digests must mean the same in every process and every release: pinned.
    assert digest == "3fcb057a9a47358d"
    changed = [
        (["2026-03-01 02:00:01"], base[1], base[2]),
        (base[0], (["盗窃 "], ["已处理"], ["商铺被盗"]), base[2]),
        (base[0], (["盗窃"], ["已处"], ["理商铺被盗"]), base[2]),  # text moved between fields
        (base[0], (["盗窃"], ["已处理"], ["商铺被盗。"]), base[2]),
    ]
    for i in range(6):
        numbers = [a.copy() for a in base[2]]
        numbers[i] = numbers[i] + (1e-7 if numbers[i].dtype.kind == "f" else 1)
        changed.append((base[0], base[1], tuple(numbers)))
    found = {vectors.digests(*c)[0] for c in changed}
    assert digest not in found
    assert len(found) == len(changed)


def test_digests_of_a_batch_are_per_row() -> None:
    n = 5000
    rng = np.random.default_rng(7)
    times = [f"2026-03-01 {h:02d}:00:00" for h in rng.integers(0, 24, n)]
    texts = ([""] * n, ["已处理"] * n, [f"描述{i}" for i in range(n)])
    numbers = (np.full(n, 3), rng.uniform(43, 44, n), rng.uniform(87, 88, n))
    batch = vectors.digests(times, texts, numbers)
    one_by_one = [
        vectors.digests(
            [times[i]],
            tuple([t[i]] for t in texts),
            tuple(a[i : i + 1] for a in numbers),
        )[0]
        for i in range(0, n, 97)
    ]
    assert batch[::97] == one_by_one
    assert len(set(batch)) == n
