"""Column-at-a-time helpers of the incident ledger's writer (`ledger.IncidentWriter`).

A million-row import has a budget of about 20 µs per row for everything (reading, checking,
converting, storing). Converting a time zone, formatting a timestamp or hashing a row's
content one Python object at a time costs several µs each, so the writer does them a whole
column at a time here, with numpy, and keeps the row-by-row Python path only for the rare
rows these fast paths do not cover (which then behave exactly as before).

* `parse_iso`: every text through `datetime.fromisoformat` (a C-level map).
* `iso_utc`: the UTC instant of the texts in the common ISO 8601 shapes (a naive
  "YYYY-MM-DD HH:MM[:SS]" with "T" or a space, read in the given zone; or with "Z" or
  "±HH:MM"), vectorised; other shapes are left to the caller.
* `utc_texts`: UTC instants as the text SQLite stores ("YYYY-MM-DD HH:MM:SS").
* `digests`: a 64-bit digest of each row's stored content (time, category, position, cells,
  unit and texts) as 16 hex digits, computed column-wise (multiply-xorshift mixing, the
  finaliser of SplitMix64). It only has to tell a changed row from an unchanged one on
  re-import; it is not a security measure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

_WIDTH = 25  # "YYYY-MM-DDTHH:MM:SS+08:00", the longest shape read here
_DATE_AND_MINUTES = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15]
_DASH, _COLON, _SPACE, _T, _Z, _PLUS, _MINUS = (ord(c) for c in "-: TZ+-")
_EARLIEST = np.datetime64("0002-01-01T00:00:00", "s")  # a UTC conversion cannot leave year 1
_LATEST = np.datetime64("9998-12-31T00:00:00", "s")  # ... nor reach year 10000
_HOUR_END = dt.timedelta(minutes=59, seconds=59)


def parse_iso(texts: Sequence[str]) -> tuple[list[dt.datetime | None], list[int]]:
    """(`datetime.fromisoformat` of each text or None, the positions of the Nones)."""
    fromiso = dt.datetime.fromisoformat
    try:
        return list(map(fromiso, texts)), []
    except ValueError:
        pass
    parsed: list[dt.datetime | None] = []
    missing: list[int] = []
    for i, text in enumerate(texts):
        try:
            parsed.append(fromiso(text))
        except ValueError:
            parsed.append(None)
            missing.append(i)
    return parsed, missing


def iso_utc(
    texts: Sequence[str],
    zone: dt.tzinfo,
    readable: np.ndarray,
    cache: dict[int, tuple[int, bool]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(mask, UTC instants as datetime64[s]) of the `readable` texts (those
    `datetime.fromisoformat` read, see `parse_iso`) in the common ISO 8601 shapes.

    Only rows where the mask is True have an instant (NaT elsewhere): naive local times
    "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS" (separator "T" or a space), read in `zone`
    as `datetime.replace(tzinfo=zone)` reads them, and the same with seconds followed by "Z"
    or "±HH:MM". The shape is checked here; the values (month 13, 25 o'clock) are the
    caller's `fromisoformat` check, hence `readable`. `cache`: see `local_to_utc`."""
    n = len(texts)
    utc = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    if not n:
        return np.zeros(0, dtype=bool), utc
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    chars = np.array(texts, dtype=f"U{_WIDTH}")  # longer texts are cut, and fail the shape
    codes = chars.view(np.uint32).reshape(n, _WIDTH)
    digit = (codes >= ord("0")) & (codes <= ord("9"))
    shape = (
        digit[:, _DATE_AND_MINUTES].all(axis=1)
        & (codes[:, 4] == _DASH)
        & (codes[:, 7] == _DASH)
        & ((codes[:, 10] == _SPACE) | (codes[:, 10] == _T))
        & (codes[:, 13] == _COLON)
    )
    seconds = shape & (codes[:, 16] == _COLON) & digit[:, 17] & digit[:, 18]
    naive = (shape & (lengths == 16)) | (seconds & (lengths == 19))
    zulu = seconds & (lengths == 20) & (codes[:, 19] == _Z)
    signed = (
        seconds
        & (lengths == 25)
        & ((codes[:, 19] == _PLUS) | (codes[:, 19] == _MINUS))
        & digit[:, 20]
        & digit[:, 21]
        & (codes[:, 22] == _COLON)
        & digit[:, 23]
        & digit[:, 24]
    )
    ok = (naive | zulu | signed) & readable
    if not ok.any():
        return ok, utc
    try:
        wall = chars[ok].astype("U19").astype("datetime64[s]")
    except ValueError:  # a date numpy refuses (fromisoformat will say what is wrong)
        return np.zeros(n, dtype=bool), utc
    inside = (wall >= _EARLIEST) & (wall <= _LATEST)
    where = np.flatnonzero(ok)
    ok[where[~inside]] = False
    where, wall = where[inside], wall[inside]
    is_naive = naive[where]
    values = wall.copy()
    if is_naive.any():
        values[is_naive] = local_to_utc(wall[is_naive], zone, cache)
    if (~is_naive).any():
        rows = where[~is_naive]
        d = codes[rows].astype(np.int64) - ord("0")
        minutes = (d[:, 20] * 10 + d[:, 21]) * 60 + d[:, 23] * 10 + d[:, 24]
        sign = np.where(codes[rows, 19] == _MINUS, -1, 1)
        offset = np.where(zulu[rows], 0, sign * minutes * 60)
        values[~is_naive] = wall[~is_naive] - offset.astype("timedelta64[s]")
    utc[where] = values
    return ok, utc


def local_to_utc(
    wall: np.ndarray, zone: dt.tzinfo, cache: dict[int, tuple[int, bool]] | None = None
) -> np.ndarray:
    """Naive wall-clock times (datetime64[s]) of `zone` as UTC instants, with the offset
    `datetime.replace(tzinfo=zone)` gives (fold 0). The offset is looked up once per distinct
    hour (remembered in `cache` across calls, if given); an hour in which it changes (a
    transition) is converted row by row."""
    hours = wall.astype("datetime64[h]")
    unique, inverse = np.unique(hours, return_inverse=True)
    offsets = np.empty(unique.size, dtype=np.int64)
    steady = np.ones(unique.size, dtype=bool)
    second = dt.timedelta(seconds=1)
    memo = cache if cache is not None else {}
    for k, key in enumerate(unique.astype(np.int64).tolist()):
        known = memo.get(key)
        if known is None:
            hour = dt.datetime(1970, 1, 1) + dt.timedelta(hours=key)
            first = hour.replace(tzinfo=zone).utcoffset()
            last = (hour + _HOUR_END).replace(tzinfo=zone).utcoffset()
            assert first is not None
            assert last is not None
            known = memo[key] = (first // second, first == last)
        offsets[k], steady[k] = known
    if len(memo) > 200_000:  # a bound on the memory of a long-running writer
        memo.clear()
    utc = wall - offsets[inverse].astype("timedelta64[s]")
    for i in np.flatnonzero(~steady[inverse]).tolist():
        local = wall[i].item().replace(tzinfo=zone)
        utc[i] = np.datetime64(local.astimezone(dt.UTC).replace(tzinfo=None), "s")
    return utc


def utc_texts(utc: np.ndarray) -> list[str]:
    """datetime64[s] instants as "YYYY-MM-DD HH:MM:SS" (what `datetime.isoformat(" ")` of a
    whole-second naive UTC datetime gives, and what Django stores on SQLite)."""
    if not utc.size:
        return []
    text = np.datetime_as_string(utc, unit="s").astype("U19")
    text.view(np.uint32).reshape(-1, 19)[:, 10] = _SPACE
    return list(text.tolist())


# --- Digests ------------------------------------------------------------------------------------

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_BLOCK = 64  # characters hashed per step (bounds the temporary matrix)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on a uint64 array (wrapping arithmetic)."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


_KEYS = _mix(np.arange(1, 4097, dtype=np.uint64)) | np.uint64(1)


def _keys(start: int, count: int) -> np.ndarray:
    """Per-position keys (odd, pseudo-random, the same in every process)."""
    if start + count <= _KEYS.size:
        return _KEYS[start : start + count]
    return _mix(np.arange(start + 1, start + count + 1, dtype=np.uint64)) | np.uint64(1)


def text_hashes(texts: Sequence[str]) -> np.ndarray:
    """A 64-bit hash of each text: Σ code point × key(position), mixed with the length."""
    n = len(texts)
    chars = np.array(texts, dtype=str)
    width = chars.dtype.itemsize // 4
    codes = chars.view(np.uint32).reshape(n, width)
    total = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, width, _BLOCK):
            block = codes[:, start : start + _BLOCK].astype(np.uint64)
            keys = _keys(start, block.shape[1])
            total += (block * keys).sum(axis=1, dtype=np.uint64)
        lengths = np.fromiter(map(len, texts), dtype=np.uint64, count=n)
        return _mix(total ^ _mix(lengths))


def digests(
    times: Sequence[str],
    texts: Sequence[Sequence[str]],
    numbers: Sequence[np.ndarray],
) -> list[str]:
    """Each row's digest (16 hex digits) of its UTC time text, its texts and its numbers
    (integer or float columns, by their 64-bit patterns)."""
    n = len(times)
    if not n:
        return []
    joined = list(map("\x1f".join, zip(times, *texts, strict=True)))
    acc = text_hashes(joined)
    with np.errstate(over="ignore"):
        for column in numbers:
            bits = np.ascontiguousarray(column).astype(
                np.float64 if column.dtype.kind == "f" else np.int64
            )
            acc = _mix(acc ^ bits.view(np.uint64))
    hexed = acc.astype(">u8").tobytes().hex()
    return list(np.array(hexed).reshape(1).view("U16").tolist())
