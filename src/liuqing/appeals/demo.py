"""Demo appeals: two years of residents' requests before the demo anchor, at every station.

Volume: each station receives about `PER_STATION_YEAR` × scale appeals a year (a station's
own rate varies from 0.6 to 1.4 times that; the home station of the named accounts gets
2.5 times), and `scale` also multiplies the stations (liuqing.core.demo), so the total grows
as scale²: about 2,500 appeals at scale 1, 60,000 at scale 5 and 1,176,000 at scale 22 (the
default seed; `liuqing seed --scale 22`). On SQLite the full-text index's triggers
(appeals.search) slow down as the index grows inside the one transaction and then take most
of the time; bench/appeals_lists.py builds that index once at the end and seeds the core and
the appeals at scale 22 in about 10 minutes.

Realism: the day of receipt follows the season of each category (irrigation channels in
spring and summer, livestock pens before winter, heating in winter, wages owed before the
Spring Festival, lost livestock while the herds are on the summer pastures), fewer on
weekends and in the Spring Festival week; border-area passes only in border counties.
Channels, places, owners and recorders come from the station's own people and villages. Most
appeals close on time; some close late; a few get stuck and are overdue at the anchor;
recent ones are still being handled (the SLA sweep at the anchor turns them blue, yellow or
red); about one follow-up in twenty-five is dissatisfied and reopens the appeal, and most of
those close again; about a third of the closed appeals are shown on the notice boards with
an approved summary and result.

Invariants, without going through the services row by row (a million appeals through
`submit_appeal` would take hours): numbers are issued per unit and year in order of receipt
and the counters (`CaseCounter`) end where the numbers do, so the services carry on after the
demo; every clock is computed on the working-day calendar (vectorised, `WorkCalendar.*_many`)
exactly as the engine computes it (due times from the category's SLA, handling time in
working seconds, on time = closed by the due time, a reopening restarts the resolution clock);
personal data is stored encrypted with its blind index; one audit event per batch. Above
`FULL_TIMELINE_MAX_SCALE` the timeline keeps only the opening and the last status change of
each appeal (the benchmarks read cases, not timelines).

Deterministic: everything is drawn from the step's seeded generator; dates are offsets from
the anchor, never now.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from liuqing.appeals import rollup, search
from liuqing.appeals.defaults import ensure_default_categories
from liuqing.appeals.models import Appeal, AppealChannel, AppealSearch
from liuqing.appeals.services import derive_title
from liuqing.appeals.workflow import APPEAL, PREFIX, WORKFLOW
from liuqing.casework import clocks
from liuqing.casework.calendar import get_calendar
from liuqing.casework.models import Case, CaseCounter, Category, Entry, EntryType, FollowUp
from liuqing.casework.services import PUBLIC_CODE_ALPHABET, PUBLIC_CODE_LENGTH
from liuqing.casework.sweep import sweep
from liuqing.core import demo, pii
from liuqing.core.models import Place, Role, Unit

PER_STATION_YEAR = 40
YEARS = 2
HOME_FACTOR = 2.5
BATCH = 5000
FULL_TIMELINE_MAX_SCALE = 4
HOUR = 3600
DAY = 86_400

# Spring Festival (春节) days in the demo window: fewer appeals in the week around them.
SPRING_FESTIVALS = (dt.date(2024, 2, 10), dt.date(2025, 1, 29))


@dataclass(frozen=True)
class Profile:
    """How often a category comes up (relative weight) and in which months (Jan … Dec)."""

    weight: float
    months: tuple[float, ...] = (1.0,) * 12
    border_only: bool = False


PROFILES: dict[str, Profile] = {
    "farm.pens": Profile(6, (0.6, 0.5, 0.6, 0.8, 0.8, 0.7, 0.7, 0.9, 1.8, 2.4, 2.0, 0.9)),
    "farm.lost_livestock": Profile(7, (0.3, 0.3, 0.5, 0.9, 1.6, 1.9, 2.0, 2.0, 1.6, 1.0, 0.5, 0.3)),
    "farm.irrigation": Profile(9, (0.1, 0.1, 0.6, 2.2, 2.6, 2.4, 2.2, 1.6, 0.6, 0.2, 0.1, 0.1)),
    "farm.pasture": Profile(3, (0.2, 0.2, 0.4, 1.2, 1.8, 1.8, 1.4, 1.0, 0.8, 0.5, 0.3, 0.2)),
    "infra.street_lights": Profile(6, (1.8, 1.5, 1.0, 0.7, 0.5, 0.4, 0.4, 0.5, 0.8, 1.2, 1.7, 2.0)),
    "infra.roads": Profile(6, (0.4, 0.5, 1.6, 1.9, 1.2, 1.0, 1.4, 1.5, 1.0, 0.8, 0.5, 0.4)),
    "infra.drinking_water": Profile(
        5, (0.8, 0.7, 0.7, 0.8, 1.1, 1.6, 1.9, 1.8, 1.0, 0.7, 0.6, 0.8)
    ),
    "infra.heating": Profile(5, (2.6, 2.0, 1.2, 0.3, 0.0, 0.0, 0.0, 0.0, 0.2, 1.6, 2.6, 2.8)),
    "livelihood.wages": Profile(7, (2.8, 1.6, 0.6, 0.5, 0.5, 0.6, 0.6, 0.7, 0.8, 0.9, 1.4, 2.6)),
    "livelihood.household": Profile(
        6, (1.0, 0.9, 1.0, 1.0, 1.0, 1.0, 1.1, 1.4, 1.2, 1.0, 0.9, 0.9)
    ),
    "livelihood.border_pass": Profile(
        4, (0.6, 0.6, 0.8, 1.1, 1.3, 1.4, 1.4, 1.3, 1.1, 0.9, 0.7, 0.6), border_only=True
    ),
    "neighbourhood.noise": Profile(6, (0.7, 1.3, 0.8, 0.8, 1.0, 1.3, 1.6, 1.5, 1.0, 0.8, 0.7, 0.8)),
    "neighbourhood.stray_dogs": Profile(
        4, (0.6, 0.6, 1.3, 1.6, 1.5, 1.1, 1.0, 1.0, 0.9, 0.8, 0.7, 0.6)
    ),
    "neighbourhood.safety": Profile(3),
    "other.general": Profile(4),
}

# What residents say, per category ({place} is the village, community or place).
TEXTS: dict[str, tuple[str, ...]] = {
    "farm.pens": (
        "{place}牧民反映羊圈围栏被大风刮倒，入冬前需要帮助加固。",
        "{place}村民家牛圈棚顶漏雪，请求协调修缮材料。",
        "{place}牲畜圈舍离道路太近，夜间有车辆经过牲畜受惊，请求协调挪建。",
    ),
    "farm.lost_livestock": (
        "{place}牧民报告转场途中走失羊只十余只，请求协助寻找。",
        "{place}村民家两匹马夜间走失，怀疑进入山区草场。",
        "{place}牧民反映牛群走失三头，耳标号已登记。",
    ),
    "farm.irrigation": (
        "{place}春灌期间上游水渠被堵，下游农田无法浇水。",
        "{place}村民反映支渠渗漏严重，请求协调维修。",
        "{place}灌溉轮水顺序有争议，请求帮助协调用水时间。",
    ),
    "farm.pasture": (
        "{place}两户牧民对夏牧场边界有争议，请求到现场确认。",
        "{place}草场围栏被人拆除，牲畜越界啃食。",
    ),
    "infra.street_lights": (
        "{place}主干道路灯多盏不亮，夜间出行不安全。",
        "{place}学校门口路灯损坏，学生晚自习放学路黑。",
    ),
    "infra.roads": (
        "{place}村道开春翻浆，车辆无法通行。",
        "{place}雨后道路冲毁一段，请求协调修复。",
        "{place}通往牧业点的便道塌方，请求尽快处理。",
    ),
    "infra.drinking_water": (
        "{place}自来水时断时续，请求协调供水部门检查。",
        "{place}饮水管道冻裂，多户居民停水。",
    ),
    "infra.heating": (
        "{place}冬季供暖温度不达标，老人孩子受冻。",
        "{place}小区暖气管道漏水，请求协调维修。",
    ),
    "livelihood.wages": (
        "{place}务工人员反映工地拖欠工资，春节前急需结清。",
        "{place}季节工采摘结束后工钱未付，请求帮助讨要。",
        "{place}多名村民在合作社打工，工资拖欠三个月。",
    ),
    "livelihood.household": (
        "{place}村民咨询孩子上户口需要哪些材料。",
        "{place}老人身份证过期，行动不便，请求上门办理。",
        "{place}村民户籍信息登记有误，请求协助更正。",
    ),
    "livelihood.border_pass": (
        "{place}村民需要办理边境通行证进山放牧，咨询办理流程。",
        "{place}外地亲属来访需办边境管理区通行证，请求指导。",
    ),
    "neighbourhood.noise": (
        "{place}邻居家深夜放音乐，影响休息。",
        "{place}附近加工厂夜间作业噪音大，居民无法入睡。",
    ),
    "neighbourhood.stray_dogs": (
        "{place}流浪狗成群出没，孩子上学害怕。",
        "{place}有流浪犬咬伤家禽，请求处置。",
    ),
    "neighbourhood.safety": (
        "{place}村口变压器旁堆放柴草，存在火灾隐患。",
        "{place}河边护栏缺失，夏季有孩子玩水，存在安全隐患。",
    ),
    "other.general": (
        "{place}村民咨询反诈骗知识，希望民警到村里宣讲。",
        "{place}群众建议在村委会设置警务公示栏。",
    ),
}
RESULTS: tuple[str, ...] = (
    "民警到现场核实后协调有关部门处理，问题已解决。",
    "经协调，责任单位已整改完毕，诉求人表示认可。",
    "已联合村委会现场处置，并做好后续跟踪。",
    "已协调解决，回访诉求人满意。",
)

CHANNELS: tuple[tuple[str, float], ...] = (
    (AppealChannel.HOME_VISIT, 0.30),
    (AppealChannel.GRID_REPORT, 0.20),
    (AppealChannel.RECEPTION, 0.15),
    (AppealChannel.PHONE, 0.15),
    (AppealChannel.TALK_POINT, 0.08),
    (AppealChannel.QR_CARD, 0.07),
    (AppealChannel.ONLINE, 0.05),
)
RATINGS = ("satisfied", "basically", "dissatisfied")
RATING_P = (0.70, 0.22, 0.08)


# --- Helpers ----------------------------------------------------------------------------------


@dataclass
class Station:
    """A station with what its appeals draw from."""

    unit: Unit
    border: bool
    units: list[Unit] = field(default_factory=list)  # candidate receiving units
    unit_p: list[float] = field(default_factory=list)
    sergeants: list[int] = field(default_factory=list)


def _epochs(days: Iterable[dt.date], tz: dt.tzinfo) -> dict[dt.date, float]:
    return {d: dt.datetime.combine(d, dt.time(), tz).timestamp() for d in days}


def _handlers(ctx: demo.DemoContext) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Handler members by unit (officers and auxiliaries at offices, grid workers at
    grids) and grid workers by unit, from the members the core steps made."""
    handlers: dict[int, list[int]] = {}
    grid_workers: dict[int, list[int]] = {}
    for m in ctx.members:
        roles = m.role_set
        if roles & {Role.OFFICER, Role.AUXILIARY, Role.GRID_WORKER}:
            handlers.setdefault(m.unit_id, []).append(m.pk)
        if Role.GRID_WORKER in roles:
            grid_workers.setdefault(m.unit_id, []).append(m.pk)
    return handlers, grid_workers


def _stations(ctx: demo.DemoContext) -> list[Station]:
    sergeants: dict[int, list[int]] = {}
    for m in ctx.members:
        if Role.SERGEANT in m.role_set:
            sergeants.setdefault(m.unit_id, []).append(m.pk)
    result = []
    for unit in ctx.stations:
        county = ctx.county_of.get(unit.pk)
        s = Station(unit=unit, border=bool(county and county.border))
        offices = ctx.children.get(unit.pk, [])
        grids = [g for o in offices for g in ctx.children.get(o.pk, [])]
        parts: list[tuple[list[Unit], float]] = [([unit], 0.2), (offices, 0.7), (grids, 0.1)]
        total = sum(share for units, share in parts if units)
        for units, share in parts:
            for u in units:
                s.units.append(u)
                s.unit_p.append(share / total / len(units))
        s.sergeants = sergeants.get(unit.pk, [])
        result.append(s)
    return result


def _public_codes(rng: np.random.Generator, n: int) -> list[str]:
    alphabet = np.array(list(PUBLIC_CODE_ALPHABET))
    seen: set[str] = set()
    codes: list[str] = []
    while len(codes) < n:
        draw = rng.integers(0, len(alphabet), size=(n - len(codes), PUBLIC_CODE_LENGTH))
        for row in alphabet[draw]:
            code = "".join(row)
            if code not in seen:
                seen.add(code)
                codes.append(code)
    return codes


# --- The plan: every appeal as arrays -----------------------------------------------------------


@dataclass
class Plan:
    """One entry per appeal, sorted by receipt."""

    station: np.ndarray
    unit: np.ndarray  # index into Plan.units
    category: np.ndarray  # index into Plan.categories
    channel: np.ndarray
    received: np.ndarray  # epoch seconds
    year: np.ndarray  # local year of receipt
    units: list[Unit]
    categories: list[Category]


def _plan(
    ctx: demo.DemoContext,
    rng: np.random.Generator,
    stations: list[Station],
    categories: list[Category],
    scale: int,
) -> Plan:
    tz = timezone.get_default_timezone()
    anchor_day = timezone.localtime(ctx.anchor, tz).date()
    days = [anchor_day - dt.timedelta(days=n) for n in range(YEARS * 365, 0, -1)]
    midnight = _epochs(days, tz)
    month = np.array([d.month - 1 for d in days])
    factor = np.array(
        [
            (0.55 if d.weekday() >= 5 else 1.0)
            * (0.35 if any(-2 <= (d - sf).days <= 5 for sf in SPRING_FESTIVALS) else 1.0)
            for d in days
        ]
    )
    weights = {}
    for border in (False, True):
        w = np.array(
            [
                [
                    PROFILES.get(c.code, Profile(1)).weight
                    * PROFILES.get(c.code, Profile(1)).months[m]
                    * (0.0 if PROFILES.get(c.code, Profile(1)).border_only and not border else 1)
                    for c in categories
                ]
                for m in range(12)
            ]
        )
        day_p = w.sum(axis=1)[month] * factor
        weights[border] = (w / w.sum(axis=1, keepdims=True), day_p / day_p.sum())
    all_units: list[Unit] = []
    unit_index: dict[int, int] = {}
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("station", "unit", "day", "category")}
    home = ctx.home_station.pk
    for i, s in enumerate(stations):
        rate = rng.uniform(0.6, 1.4) * (HOME_FACTOR if s.unit.pk == home else 1.0)
        n = round(PER_STATION_YEAR * scale * YEARS * rate)
        if n == 0 or not s.units:
            continue
        cat_p, day_p = weights[s.border]
        day = rng.choice(len(days), size=n, p=day_p)
        category = np.empty(n, dtype=np.int64)
        for m in range(12):
            mask = month[day] == m
            if mask.any():
                category[mask] = rng.choice(len(categories), size=int(mask.sum()), p=cat_p[m])
        local_units = []
        for u in s.units:
            if u.pk not in unit_index:
                unit_index[u.pk] = len(all_units)
                all_units.append(u)
            local_units.append(unit_index[u.pk])
        unit = np.array(local_units)[rng.choice(len(s.units), size=n, p=s.unit_p)]
        parts["station"].append(np.full(n, i))
        parts["unit"].append(unit)
        parts["day"].append(day)
        parts["category"].append(category)
    station = np.concatenate(parts["station"])
    unit = np.concatenate(parts["unit"])
    day = np.concatenate(parts["day"])
    category = np.concatenate(parts["category"])
    n = len(station)
    # Time of day: office hours mostly, some evenings (local time).
    hour = rng.choice(np.arange(8, 21), size=n, p=_hours())
    seconds = hour * HOUR + rng.integers(0, HOUR, size=n)
    midnights = np.array([midnight[d] for d in days])
    received = midnights[day] + seconds
    channel = rng.choice(len(CHANNELS), size=n, p=[p for _c, p in CHANNELS])
    order = np.argsort(received, kind="stable")
    years = np.array([d.year for d in days])[day]
    return Plan(
        station=station[order],
        unit=unit[order],
        category=category[order],
        channel=channel[order],
        received=received[order],
        year=years[order],
        units=all_units,
        categories=categories,
    )


def _hours() -> list[float]:
    raw = [3, 8, 10, 9, 5, 7, 9, 9, 8, 6, 4, 2, 1]  # 08:00 … 20:00
    total = sum(raw)
    return [r / total for r in raw]


# --- Outcomes -----------------------------------------------------------------------------------


@dataclass
class Outcomes:
    received: np.ndarray
    status: np.ndarray  # object: workflow state at the anchor
    accept_due: np.ndarray
    contact_due: np.ndarray
    resolve_due: np.ndarray
    allowed: np.ndarray
    accepted: np.ndarray  # NaN = not yet
    started: np.ndarray
    contacted: np.ndarray
    resolved: np.ndarray
    closed: np.ndarray
    on_time: np.ndarray  # object: True / False / None
    handling: np.ndarray
    paused_since: np.ndarray
    ended: np.ndarray  # withdrawal instant
    first_closed: np.ndarray  # the closure a reopening undid (NaN if none)
    reopened: np.ndarray
    followups: list[list[tuple[float, float, str, bool | None, bool]]]  # per appeal
    public: np.ndarray


def _outcomes(plan: Plan, rng: np.random.Generator, anchor: float) -> Outcomes:
    calendar = get_calendar()
    n = len(plan.received)
    slas = [clocks.sla_for(c, WORKFLOW) for c in plan.categories]
    accept_h = np.array([s.accept_hours for s in slas], dtype=float)[plan.category]
    contact_h = np.array([s.contact_hours for s in slas], dtype=float)[plan.category]
    days = np.array([s.resolve_days for s in slas], dtype=float)[plan.category]
    allowed_s = days * DAY
    recv = plan.received
    add = calendar.add_working_time_many

    accept_due = add(recv, accept_h * HOUR)
    contact_due = add(recv, contact_h * HOUR)
    resolve_due = add(recv, allowed_s)

    u = rng.random(n)
    withdrawn = u < 0.02
    stuck = (u >= 0.02) & (u < 0.045)
    late = (u >= 0.045) & (u < 0.16)
    handling = allowed_s * rng.uniform(0.15, 0.95, size=n)
    handling[late] = allowed_s[late] * rng.uniform(1.02, 1.8, size=int(late.sum()))
    handling[stuck] = allowed_s[stuck] * rng.uniform(3.0, 12.0, size=int(stuck.sum()))
    # The last weeks before the anchor: slower work, so that the anchor finds appeals at
    # every rung of the warning ladder (the sweep shows them blue, yellow and red).
    recent = (recv > anchor - 21 * DAY) & ~stuck & (rng.random(n) < 0.6)
    handling[recent] = allowed_s[recent] * rng.uniform(0.6, 1.6, size=int(recent.sum()))
    handling = np.round(handling)
    acc_off = (
        accept_h
        * HOUR
        * np.where(rng.random(n) < 0.05, rng.uniform(1, 2, n), rng.uniform(0.05, 0.9, n))
    )
    acc_off = np.minimum(acc_off, handling * 0.3)
    start_off = acc_off + rng.uniform(0.05, 0.3, n) * HOUR
    con_off = np.maximum(start_off, contact_h * HOUR * rng.uniform(0.1, 1.0, n))
    con_off = np.minimum(con_off, handling * 0.6)
    res_off = np.maximum(con_off, handling - rng.uniform(2, 30, n) * HOUR)

    accepted = add(recv, acc_off)
    started = add(recv, start_off)
    contacted = add(recv, con_off)
    resolved = add(recv, res_off)
    closed = add(recv, handling)
    ended = add(recv, rng.uniform(0.2, 3, n) * DAY)

    status = np.empty(n, dtype=object)
    on_time = np.full(n, None, dtype=object)
    paused_since = np.full(n, np.nan)
    first_closed = np.full(n, np.nan)
    reopened = np.zeros(n, dtype=np.int64)
    handling_out = np.full(n, np.nan)
    followups: list[list[tuple[float, float, str, bool | None, bool]]] = [[] for _ in range(n)]
    waiting = rng.random(n) < 0.15
    ratings = rng.choice(3, size=n, p=RATING_P)
    second_ratings = rng.choice(3, size=n, p=(0.6, 0.3, 0.1))
    fu_done = rng.random(n) < 0.88
    fu_delay = rng.uniform(-0.4, 1.5, n) * DAY
    unresolved = rng.random(n) < 0.6
    reclose = rng.uniform(0.2, 1.1, n) * allowed_s
    followup_due = add(closed, 3 * DAY)

    for i in range(n):
        if recv[i] >= anchor:
            status[i] = "received"
            continue
        if withdrawn[i] and ended[i] < anchor:
            status[i] = "withdrawn"
            continue
        if closed[i] < anchor:
            status[i] = "closed"
            on_time[i] = bool(closed[i] <= resolve_due[i])
            handling_out[i] = handling[i]
            due = float(followup_due[i])
            done = due + fu_delay[i]
            if fu_done[i] and done < anchor:
                done = max(done, closed[i] + HOUR)
                rating = RATINGS[ratings[i]]
                answer: bool | None = not (rating == "dissatisfied" and unresolved[i])
                reopen = answer is False
                followups[i].append((due, done, rating, answer, reopen))
                if reopen:
                    reopened[i] = 1
                    first_closed[i] = closed[i]
                    resolve_due[i] = float(add([done], allowed_s[i])[0])
                    again = float(add([done], reclose[i])[0])
                    if again < anchor:
                        closed[i] = again
                        on_time[i] = bool(again <= resolve_due[i])
                        handling_out[i] = float(
                            calendar.working_seconds_between_many([recv[i]], [again])[0]
                        )
                        due2 = float(add([again], 3 * DAY)[0])
                        done2 = max(due2 + fu_delay[i], again + HOUR)
                        if done2 < anchor:
                            followups[i].append(
                                (due2, done2, RATINGS[second_ratings[i]], True, False)
                            )
                        else:
                            followups[i].append((due2, np.nan, "", None, False))
                        resolved[i] = again - HOUR
                    else:
                        status[i] = "in_progress"
                        closed[i] = np.nan
                        on_time[i] = None
                        handling_out[i] = np.nan
                        resolved[i] = np.nan
            else:
                followups[i].append((due, np.nan, "", None, False))
            continue
        # Still open at the anchor.
        closed[i] = np.nan
        if accepted[i] >= anchor:
            status[i] = "received"
            accepted[i] = started[i] = contacted[i] = resolved[i] = np.nan
        elif started[i] >= anchor:
            status[i] = "accepted"
            started[i] = contacted[i] = resolved[i] = np.nan
        elif resolved[i] < anchor:
            status[i] = "resolved"
        else:
            status[i] = "in_progress"
            resolved[i] = np.nan
            if waiting[i] and not stuck[i]:
                status[i] = "waiting"
                paused_since[i] = max(started[i], anchor - rng.uniform(0.2, 3) * DAY)
        if contacted[i] >= anchor:
            contacted[i] = np.nan
    public = (status == "closed") & (reopened == 0) & (rng.random(n) < 0.35)
    return Outcomes(
        received=recv,
        status=status,
        accept_due=accept_due,
        contact_due=contact_due,
        resolve_due=resolve_due,
        allowed=days.astype(np.int64),
        accepted=accepted,
        started=started,
        contacted=contacted,
        resolved=resolved,
        closed=closed,
        on_time=on_time,
        handling=handling_out,
        paused_since=paused_since,
        ended=ended,
        first_closed=first_closed,
        reopened=reopened,
        followups=followups,
        public=public,
    )


# --- Writing --------------------------------------------------------------------------------------
#
# Rows go in with plain INSERT … executemany, values already in the database's own form: model
# instances and Django's per-value preparation cost more than the rest of the build together
# at a million appeals. Instants are written as Django writes them: UTC text
# "YYYY-MM-DD HH:MM:SS[.ffffff]" on SQLite, the same with "+00:00" on PostgreSQL.

_EPOCH = dt.datetime(1970, 1, 1)


def _suffix() -> str:
    return "" if connection.vendor == "sqlite" else "+00:00"


def _instant(epoch: float, suffix: str) -> str | None:
    if epoch != epoch:  # NaN
        return None
    return str(_EPOCH + dt.timedelta(microseconds=round(epoch * 1e6))) + suffix


def _instants(epochs: np.ndarray, suffix: str) -> list[str | None]:
    """`_instant` over an array, vectorised (str(datetime) drops a zero fraction)."""
    result: list[str | None] = [None] * len(epochs)
    ok = ~np.isnan(epochs)
    if ok.any():
        us = np.round(epochs[ok] * 1e6).astype(np.int64).astype("datetime64[us]")
        texts = np.datetime_as_string(us, unit="us")
        for i, text in zip(np.flatnonzero(ok), texts, strict=True):
            text = text.replace("T", " ")
            result[i] = (text[:-7] if text.endswith(".000000") else text) + suffix
    return result


class _Insert:
    """Rows of one table, inserted in chunks of `CHUNK` with executemany."""

    CHUNK = 1000

    def __init__(self, model: type[Any], columns: list[str]) -> None:
        quote = connection.ops.quote_name
        self.sql = (
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 (fixed names; values bound)
            f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        )
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)

    def flush(self) -> int:
        written = len(self.rows)
        with connection.cursor() as cursor:
            for start in range(0, len(self.rows), self.CHUNK):
                cursor.executemany(self.sql, self.rows[start : start + self.CHUNK])
        self.rows = []
        self.count += written
        return written


CASE_COLUMNS = [
    "id",
    "number",
    "number_unit_id",
    "kind",
    "unit_id",
    "place_id",
    "category_id",
    "title",
    "description",
    "status",
    "owner_id",
    "created_by_id",
    "channel",
    "latitude",
    "longitude",
    "received_at",
    "accepted_at",
    "first_contact_at",
    "resolved_at",
    "resolved_by_id",
    "closed_at",
    "updated_at",
    "accept_due",
    "contact_due",
    "resolve_due",
    "paused_since",
    "paused_seconds",
    "extended_days",
    "allowed_days",
    "closed_on_time",
    "handling_seconds",
    "reopened_count",
    "merged_into_id",
    "public_code",
    "is_public",
    "public_summary",
    "public_result",
]
APPEAL_COLUMNS = [
    "case_id",
    "channel",
    "resident_name",
    "resident_phone",
    "resident_phone_index",
    "resident_address",
    "anonymous",
    "consent_version",
    "client_name",
    "client_token",
    "created_at",
]
ENTRY_COLUMNS = [
    "case_id",
    "type",
    "at",
    "author_id",
    "text",
    "is_public",
    "from_status",
    "to_status",
    "data",
    "attachment",
    "attachment_name",
    "attachment_type",
]
FOLLOWUP_COLUMNS = [
    "case_id",
    "due_at",
    "done_at",
    "done_by_id",
    "method",
    "satisfaction",
    "resolved",
    "note",
    "led_to_reopen",
]


class _Resident:
    """Encrypted name, phone (with blind index) and address, as the fields would store them
    (the phone numbers are generated in E.164 form, so nothing needs parsing)."""

    def __init__(self) -> None:
        self.purpose = {
            name: Appeal._meta.get_field(name).purpose  # type: ignore[union-attr]
            for name in ("resident_name", "resident_phone", "resident_address")
        }

    def seal(self, name: str, phone: str, address: str) -> tuple[str, str, str, str]:
        def enc(value: str, field: str) -> str:
            return pii.encrypt(value, self.purpose[field]) if value else ""

        index = pii.blind_index(phone, self.purpose["resident_phone"]) if phone else ""
        return (
            enc(name, "resident_name"),
            enc(phone, "resident_phone"),
            index,
            enc(address, "resident_address"),
        )


def _may_contain(name: str, *texts: str) -> bool:
    """Whether core.redact could find `name` in `texts`. Every form of a name it masks (the
    whole name, its parts, a given name, a titled surname) is made of the name's own
    characters, so a text sharing none of them has nothing to mask; names with cased letters
    (matched regardless of case) always count as possibly there."""
    if name.lower() != name.upper():
        return True
    letters = set(name)
    return any(not letters.isdisjoint(text) for text in texts)


@dataclass
class _People:
    """Who handles, records and verifies, by unit."""

    handlers: dict[int, list[int]]
    grid_workers: dict[int, list[int]]
    children: dict[int, list[Unit]]

    def pool(self, unit: Unit) -> list[int]:
        found = self.handlers.get(unit.pk) or [
            pk for u in self.children.get(unit.pk, []) for pk in self.handlers.get(u.pk, [])
        ]
        if not found and unit.parent_id is not None:
            found = self.handlers.get(unit.parent_id, [])
        return found

    def grid(self, unit: Unit) -> list[int]:
        return self.grid_workers.get(unit.pk) or [
            pk for u in self.children.get(unit.pk, []) for pk in self.grid_workers.get(u.pk, [])
        ]


@demo.step("appeals.figures", order=900)
def build_figure_rollup(ctx: demo.DemoContext, rng: random.Random, scale: int) -> None:
    """The figures' rollup (appeals.rollup) again, from every appeal, after the other modules'
    steps: some open appeals through the services and then move their instants into the past
    with QuerySet.update (reception), around the signals that keep the rollup in step."""
    rollup.rebuild()


@demo.step("appeals", order=200)
def build_appeals(ctx: demo.DemoContext, rng: random.Random, scale: int) -> None:
    """Two years of appeals at every station (see the module docstring)."""
    ensure_default_categories(Category)
    categories = list(
        Category.objects.filter(kind=APPEAL, is_active=True, parent__isnull=False).order_by(
            "order", "code"
        )
    )
    stations = _stations(ctx)
    if not stations or not categories:
        return
    nrng = np.random.default_rng(rng.getrandbits(64))
    plan = _plan(ctx, nrng, stations, categories, scale)
    out = _outcomes(plan, nrng, ctx.anchor.timestamp())
    n = len(plan.received)
    handlers, grid_workers = _handlers(ctx)
    people = _People(handlers, grid_workers, ctx.children)
    places_by_unit: dict[int, list[Place]] = {}
    for p in ctx.places:
        places_by_unit.setdefault(p.unit_id, []).append(p)
    codes = _public_codes(nrng, n)
    phones = nrng.integers(0, 10**8, size=n)
    resident = _Resident()
    full = scale <= FULL_TIMELINE_MAX_SCALE
    suffix = _suffix()
    column = {
        name: _instants(values, suffix)
        for name, values in (
            ("received", plan.received),
            ("accepted", out.accepted),
            ("contacted", out.contacted),
            ("resolved", out.resolved),
            ("closed", out.closed),
            ("accept_due", out.accept_due),
            ("contact_due", out.contact_due),
            ("resolve_due", out.resolve_due),
            ("paused", out.paused_since),
        )
    }
    cases = _Insert(Case, CASE_COLUMNS)
    appeals = _Insert(Appeal, APPEAL_COLUMNS)
    entries = _Insert(Entry, ENTRY_COLUMNS)
    followups = _Insert(FollowUp, FOLLOWUP_COLUMNS)
    searches = _Insert(AppealSearch, ["case_id", "text"])  # the staff search's documents
    counters: dict[tuple[int, int], int] = {}
    first_pk = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for i in range(n):
        pk = first_pk + i
        unit = plan.units[plan.unit[i]]
        station = stations[plan.station[i]]
        category = plan.categories[plan.category[i]]
        key = (unit.pk, int(plan.year[i]))
        counters[key] = counters.get(key, 0) + 1
        status = out.status[i]
        # Where: the unit's village or community; at a station, one of its places or none.
        local = places_by_unit.get(unit.pk) or places_by_unit.get(unit.parent_id or 0) or []
        if unit.pk == station.unit.pk and rng.random() < 0.5:
            local = []
        place = rng.choice(local) if local else None
        latitude = longitude = None
        if place is None and category.needs_location and unit.latitude is not None:
            assert unit.longitude is not None
            latitude, longitude = demo.jitter(rng, unit.latitude, unit.longitude, 0.2, 4)
        where = place.name if place is not None else unit.name.removesuffix("警务室")
        description = rng.choice(TEXTS.get(category.code) or TEXTS["other.general"]).format(
            place=where
        )
        title = derive_title(description)
        # Who.
        pool = people.pool(unit)
        owner = rng.choice(pool) if pool and status not in {"received", "accepted"} else None
        if status == "accepted" and pool and rng.random() < 0.5:
            owner = rng.choice(pool)
        channel = CHANNELS[plan.channel[i]][0]
        recorder = owner or (rng.choice(pool) if pool else None)
        if channel == AppealChannel.GRID_REPORT:
            workers = people.grid(unit)
            recorder = rng.choice(workers) if workers else recorder
        elif channel in {AppealChannel.ONLINE, AppealChannel.QR_CARD}:
            recorder = None
        sergeant = rng.choice(station.sergeants) if station.sergeants else None
        public = bool(out.public[i])
        public_summary = description if public else ""
        stamps = [
            x
            for x in (
                plan.received[i],
                out.accepted[i],
                out.started[i],
                out.contacted[i],
                out.resolved[i],
                out.closed[i],
                out.ended[i] if status == "withdrawn" else np.nan,
            )
            if x == x
        ]
        number = f"{PREFIX}-{plan.year[i]}-{counters[key]:06d}"
        cases.add(
            (
                pk,
                number,
                unit.pk,
                APPEAL,
                unit.pk,
                place.pk if place is not None else None,
                category.pk,
                title,
                description,
                status,
                owner,
                recorder,
                channel,
                str(latitude) if latitude is not None else None,
                str(longitude) if longitude is not None else None,
                column["received"][i],
                column["accepted"][i],
                column["contacted"][i],
                column["resolved"][i],
                owner if column["resolved"][i] is not None else None,
                column["closed"][i],
                _instant(max(stamps), suffix),
                column["accept_due"][i],
                column["contact_due"][i],
                column["resolve_due"][i],
                column["paused"][i],
                0,
                0,
                int(out.allowed[i]),
                out.on_time[i],
                None if out.handling[i] != out.handling[i] else int(out.handling[i]),
                int(out.reopened[i]),
                None,
                codes[i],
                public,
                public_summary,
                rng.choice(RESULTS) if public else "",
            )
        )
        phone = f"+86198{phones[i]:08d}" if rng.random() < 0.85 else ""
        address = (
            f"{where}{rng.randint(1, 9)}组{rng.randint(1, 60)}号" if rng.random() < 0.4 else ""
        )
        anonymous = rng.random() < 0.08
        person = demo.person_name(rng)
        name, sealed_phone, index, sealed_address = resident.seal(person, phone, address)
        # The resident's name is masked out of the document; redact() compiles a pattern per
        # name, so it is given the name only where the name could occur (same document).
        named = [person] if _may_contain(person, title, description, public_summary) else []
        searches.add((pk, search.document(number, title, description, public_summary, named)))
        appeals.add(
            (
                pk,
                channel,
                name,
                sealed_phone,
                index,
                sealed_address,
                anonymous,
                "",
                "",
                "",
                column["received"][i],
            )
        )
        for row in _timeline(pk, status, out, i, owner, recorder, sergeant, full):
            at, kind, author, data, source, target, text = row
            entries.add(
                (
                    pk,
                    kind,
                    _instant(at, suffix),
                    author,
                    text,
                    False,
                    source,
                    target,
                    json.dumps(data),
                    "",
                    "",
                    "",
                )
            )
        for due, done, rating, answer, reopen in out.followups[i]:
            followups.add(
                (
                    pk,
                    _instant(due, suffix),
                    _instant(done, suffix),
                    owner if done == done else None,
                    "phone" if done == done else "",
                    rating,
                    answer,
                    "",
                    reopen,
                )
            )
        if (i + 1) % BATCH == 0 or i + 1 == n:
            written = cases.flush()
            appeals.flush()
            searches.flush()
            batch_entries = entries.flush()
            batch_followups = followups.flush()
            ctx.record(
                "demo.appeals",
                batch=(i // BATCH) + 1,
                appeals=written,
                entries=batch_entries,
                followups=batch_followups,
            )
            ctx.log(f"    appeals {i + 1}/{n}")
    demo._reset_sequences(Case)
    CaseCounter.objects.bulk_create(
        [
            CaseCounter(prefix=PREFIX, unit_id=unit_pk, year=year, last=last)
            for (unit_pk, year), last in sorted(counters.items())
        ],
        batch_size=1000,
    )
    report = sweep(now=ctx.anchor)
    rollup.rebuild()  # the rows went in around the signals that keep the rollup in step
    ctx.counts.update(appeals=n)
    ctx.record(
        "demo.appeals.done",
        appeals=n,
        entries=entries.count,
        followups=followups.count,
        counters=len(counters),
        statuses={s: int((out.status == s).sum()) for s in sorted(set(out.status))},
        warnings=dict(report.levels),
    )


Step = tuple[float, str, int | None, dict[str, Any], str, str, str]


def _timeline(
    pk: int,
    status: str,
    out: Outcomes,
    i: int,
    owner: int | None,
    recorder: int | None,
    sergeant: int | None,
    full: bool,
) -> list[Step]:
    """The timeline the services would have written, oldest first: status changes, the
    assignment, the first contact, follow-ups (all of them up to `FULL_TIMELINE_MAX_SCALE`,
    otherwise the opening and the last status change only)."""

    def at(x: float) -> bool:
        return x == x  # not NaN

    status_entry = EntryType.STATUS
    steps: list[Step] = [(out.received[i], status_entry, recorder, {}, "", "received", "")]
    if at(out.accepted[i]):
        steps.append(
            (
                out.accepted[i],
                status_entry,
                sergeant,
                {"action": "accept"},
                "received",
                "accepted",
                "",
            )
        )
    if owner is not None and at(out.started[i]):
        steps.append(
            (
                out.started[i],
                EntryType.ASSIGNMENT,
                sergeant,
                {"from": None, "to": owner},
                "",
                "",
                "",
            )
        )
        steps.append(
            (
                out.started[i],
                status_entry,
                owner,
                {"action": "start"},
                "accepted",
                "in_progress",
                "",
            )
        )
    if at(out.contacted[i]):
        steps.append(
            (
                out.contacted[i],
                EntryType.CONTACT,
                owner,
                {"method": "phone", "first": True},
                "",
                "",
                "已电话联系诉求人，了解具体情况。",
            )
        )
    if status == "withdrawn":
        steps.append(
            (
                out.ended[i],
                status_entry,
                sergeant,
                {"action": "withdraw"},
                "received",
                "withdrawn",
                "诉求人表示问题已自行解决，撤回诉求。",
            )
        )
    if at(out.first_closed[i]):
        first = out.first_closed[i]
        done = out.followups[i][0][1]
        steps += [
            (
                first - HOUR,
                status_entry,
                owner,
                {"action": "resolve"},
                "in_progress",
                "resolved",
                "已处理完毕。",
            ),
            (first, status_entry, sergeant, {"action": "verify"}, "resolved", "closed", ""),
            (
                done,
                EntryType.FOLLOWUP,
                owner,
                {"satisfaction": "dissatisfied", "resolved": False, "method": "phone"},
                "",
                "",
                "诉求人表示问题仍未解决。",
            ),
            (
                done,
                status_entry,
                owner,
                {"action": "reopen"},
                "closed",
                "in_progress",
                "回访不满意，重办。",
            ),
        ]
    if at(out.resolved[i]):
        steps.append(
            (
                out.resolved[i],
                status_entry,
                owner,
                {"action": "resolve"},
                "in_progress",
                "resolved",
                "已处理完毕。",
            )
        )
    if at(out.closed[i]):
        steps.append(
            (out.closed[i], status_entry, sergeant, {"action": "verify"}, "resolved", "closed", "")
        )
    if at(out.paused_since[i]):
        steps.append(
            (
                out.paused_since[i],
                status_entry,
                owner,
                {"action": "wait"},
                "in_progress",
                "waiting",
                "等待诉求人补充材料。",
            )
        )
    for _due, done, rating, answer, reopen in out.followups[i]:
        if at(done) and not reopen:
            steps.append(
                (
                    done,
                    EntryType.FOLLOWUP,
                    owner,
                    {"satisfaction": rating, "resolved": answer, "method": "phone"},
                    "",
                    "",
                    "",
                )
            )
    steps.sort(key=lambda s: s[0])
    if not full:
        statuses = [s for s in steps if s[1] == status_entry]
        steps = steps[:1] + ([statuses[-1]] if len(statuses) > 1 else [])
    return steps
