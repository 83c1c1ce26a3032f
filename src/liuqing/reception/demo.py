"""Demo data of the reception desk and the village talk points: two years before the anchor.

* **Walk-ins.** The desks of the first `DESKS` × scale stations (the home station of the
  named accounts first) receive about `PER_DESK_WEEK` × scale visitors a week, on working
  days, in office hours (10:00–14:00 and 15:30–19:30 Beijing time, as Xinjiang keeps them).
  A visitor waits a few minutes (log-normal, median 6 minutes, longer on Mondays), is
  served by a sergeant of the station and sent on, through the desk's real services: a
  request (about 45 %), a dispute (20 %), an incident report (18 %), a complaint about
  police conduct (7 %) or a domestic-violence or school-bullying report (10 %); handling
  takes longer for a dispute or a restricted report than for a request.
* **Talk points.** `TALK_POINTS` × scale villages of the desks' community offices hold a
  session about once a month, with 8 to 60 attendees and the office's officer and one or
  two auxiliaries; 0 to 3 matters are raised at each and become a request or a dispute in
  one step (`raise_matter`).
* **What becomes of the matters.** Requests and disputes are received at the visitor's
  arrival (their numbers, clocks and deadlines follow from that instant). A request older
  than `RECENT_DAYS` is accepted, handled, resolved and verified by the station chief
  through the casework services, then its instants are moved to their place in time (closed
  within its SLA mostly, now and then late); recent ones are still being handled. A dispute
  goes through the mediation demo's own lifecycle (`liuqing.mediation.demo.carry`). A
  complaint is taken by a supervisor of the brigade, its outcome recorded and closed, except
  recent ones.

The services stamp their own time; the step then moves each record's instants (walk-in
times, sessions, complaints, closings) to their place in the two years. Deterministic: the
generator is seeded from the demo seed, dates are offsets from the anchor. Names are
synthetic.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from functools import cached_property
from typing import Any

from django.db.models import F
from django.utils import timezone

from liuqing.appeals.defaults import KIND as APPEAL_KIND
from liuqing.appeals.defaults import ensure_default_categories as appeal_categories
from liuqing.casework import services as casework
from liuqing.casework.calendar import get_calendar
from liuqing.casework.models import Case, Category, FollowUp
from liuqing.core import demo
from liuqing.core.models import Member, Place, PlaceKind, Role, Unit
from liuqing.incidents.defaults import ensure_default_categories as incident_categories
from liuqing.mediation import demo as mediation_demo
from liuqing.mediation.defaults import DEFAULT_TYPES, ensure_default_types
from liuqing.mediation.defaults import KIND as DISPUTE_KIND
from liuqing.reception import services
from liuqing.reception.models import (
    ConductComplaint,
    RestrictedReport,
    Route,
    TalkSession,
    WalkIn,
)

DESKS = 3
PER_DESK_WEEK = 1.5
TALK_POINTS = 4
RECENT_DAYS = 20
DAYS = 730
# Office hours (local time): morning and afternoon sittings.
SITTINGS = ((dt.time(10, 0), 4.0), (dt.time(15, 30), 4.0))
ROUTES = (
    (Route.APPEAL, 45),
    (Route.DISPUTE, 20),
    (Route.INCIDENT, 18),
    (Route.COMPLAINT, 7),
    (Route.RESTRICTED, 10),
)
# Median handling minutes by route (log-normal, sigma 0.5).
HANDLING_MINUTES = {
    Route.APPEAL: 12.0,
    Route.DISPUTE: 25.0,
    Route.INCIDENT: 15.0,
    Route.COMPLAINT: 20.0,
    Route.RESTRICTED: 30.0,
}
INCIDENTS = (
    ("dispute", "邻居因院墙排水问题发生口角，请求民警到场处理。"),
    ("telecom_fraud", "接到冒充客服的电话，被骗转账两千元。"),
    ("public_order", "夜市摊位前有人酒后滋事。"),
    ("help_rescue", "老人外出放牧未归，家属请求协助寻找。"),
    ("traffic", "路口两车剐蹭，双方对责任有争议。"),
    ("other", "拾到身份证一张，交到派出所。"),
)
COMPLAINTS = (
    "民警接警后迟迟未到现场。",
    "办理户籍业务时被要求反复提交材料，窗口人员态度生硬。",
    "反映的问题一个月无人回复。",
    "辅警执勤时言语粗暴。",
)
COMPLAINT_OUTCOMES = (
    ("not_upheld", 45, "经调取执法记录仪和接处警记录，投诉反映的情况不属实，已向投诉人说明。"),
    ("partly_upheld", 30, "部分属实，已对相关人员批评教育并督促整改。"),
    ("upheld", 20, "情况属实，已责令相关人员书面检查，并向投诉人当面致歉。"),
    ("withdrawn", 5, "投诉人经沟通后表示理解，撤回投诉。"),
)
RESTRICTED = (
    ("domestic_violence", 65, "妇女来所反映长期遭丈夫殴打，身上有伤，请求保护。"),
    ("school_bullying", 35, "家长反映孩子在学校多次被高年级学生索要钱物、推搡。"),
)
APPEAL_TEXT = "群众到派出所接待窗口反映{category}方面的问题，请求协调解决。"
TALK_TEXT = "在说事点反映{category}方面的问题。"


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return math.exp(rng.gauss(math.log(median), sigma))


def _weighted(rng: random.Random, items: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(items, [item[1] for item in items])[0]


class _Station:
    """A desk's people and places."""

    def __init__(self, ctx: demo.DemoContext, station: Unit) -> None:
        self.unit = station
        people = [m for m in ctx.members if m.unit_id == station.pk]
        self.clerks = [m for m in people if Role.SERGEANT in m.role_set]
        self.chief = next(m for m in people if Role.STATION_CHIEF in m.role_set)
        self.mediator = next(m for m in people if Role.MEDIATOR in m.role_set)
        assert station.parent is not None
        self.brigade = station.parent
        self.supervisor = next(
            m
            for m in ctx.members
            if m.unit_id == station.parent_id and Role.BRIGADE_STAFF in m.role_set
        )
        self.officers = {
            m.unit_id: m
            for m in ctx.members
            if Role.OFFICER in m.role_set
            and m.unit_id in {o.pk for o in ctx.children.get(station.pk, [])}
        }
        self.offices = [o for o in ctx.children.get(station.pk, []) if o.pk in self.officers]
        low, high = station.subtree_range()
        inside = set(Unit.objects.filter(path__gte=low, path__lt=high).values_list("pk", flat=True))
        self.places = [p for p in ctx.places if p.unit_id in inside]
        self.villages = [p for p in self.places if p.kind == PlaceKind.VILLAGE]

    @cached_property
    def levels(self) -> tuple[Any, Any, Any]:
        """The committees a dispute from this desk climbs: the station's township station,
        then the brigade's county centre (looked up, or made, at the first dispute)."""
        station = mediation_demo.committee_of(self.unit)
        county = mediation_demo.committee_of(self.brigade)
        return station, county, county


@demo.step("reception", order=330)
def build_reception(ctx: demo.DemoContext, rng: random.Random, scale: int) -> None:
    appeal_categories(Category)
    incident_categories()
    ensure_default_types()
    appeal_types = list(Category.objects.filter(kind=APPEAL_KIND, is_active=True).order_by("code"))
    dispute_types = {c.code: c for c in Category.objects.filter(kind=DISPUTE_KIND)}
    home = ctx.home_station
    stations = [home, *[s for s in ctx.stations if s.pk != home.pk]][: DESKS * scale]
    desks = [_Station(ctx, s) for s in stations]
    walk_ins = talks = matters = 0
    for desk in desks:
        walk_ins += _desk(ctx, rng, desk, appeal_types, dispute_types, scale)
    for desk, village in _talk_points(desks, TALK_POINTS * scale):
        sessions, raised = _talk_point(ctx, rng, desk, village, appeal_types, dispute_types)
        talks += sessions
        matters += raised
    ctx.counts.update(walk_ins=walk_ins, talk_sessions=talks)
    ctx.record("demo.reception", walk_ins=walk_ins, talk_sessions=talks, talk_matters=matters)


# --- The desk ------------------------------------------------------------------------------


def _desk(
    ctx: demo.DemoContext,
    rng: random.Random,
    desk: _Station,
    appeal_types: list[Category],
    dispute_types: dict[str, Category],
    scale: int,
) -> int:
    per_day = PER_DESK_WEEK * scale / 5
    anchor_day = timezone.localtime(ctx.anchor).date()
    count = 0
    for back in range(DAYS, 0, -1):
        day = anchor_day - dt.timedelta(days=back)
        if day.weekday() >= 5:
            continue
        # Up to three visitors a day, each with the same chance: per_day on average.
        visitors = sum(rng.random() < per_day / 3 for _i in range(3))
        for _v in range(visitors):
            start, hours = rng.choice(SITTINGS)
            arrived = timezone.make_aware(dt.datetime.combine(day, start)) + dt.timedelta(
                hours=rng.uniform(0, hours - 0.5)
            )
            if arrived >= ctx.anchor:
                continue
            _visitor(ctx, rng, desk, arrived, appeal_types, dispute_types)
            count += 1
    return count


def _visitor(
    ctx: demo.DemoContext,
    rng: random.Random,
    desk: _Station,
    arrived: dt.datetime,
    appeal_types: list[Category],
    dispute_types: dict[str, Category],
) -> None:
    clerk = rng.choice(desk.clerks)
    wait = min(_lognormal(rng, 6.0, 0.8) * (1.5 if arrived.weekday() == 0 else 1.0), 90.0)
    served = arrived + dt.timedelta(minutes=wait)
    route = _weighted(rng, ROUTES)[0]
    finished = served + dt.timedelta(minutes=_lognormal(rng, HANDLING_MINUTES[route], 0.5))
    recent = (ctx.anchor - arrived).days < RECENT_DAYS
    walk_in = services.check_in(actor=clerk, unit=desk.unit)
    services.serve(actor=clerk, walk_in=walk_in)
    fields: dict[str, Any]
    village = rng.choice(desk.villages or desk.places)
    story = ""
    office = rng.choice(desk.offices)
    if route == Route.APPEAL:
        fields = {
            **_appeal(rng, appeal_types, APPEAL_TEXT),
            "place": village,
            "received_at": finished,
        }
    elif route == Route.DISPUTE:
        # A dispute brought to the station's desk starts at its township station.
        story, fields = _dispute(rng, dispute_types, desk.levels[0])
        fields["received_at"] = finished
    elif route == Route.INCIDENT:
        code, text = rng.choice(INCIDENTS)
        fields = {
            "category": code,
            "occurred_at": arrived - dt.timedelta(hours=rng.uniform(1, 72)),
            "place": village,
            "description": text,
        }
    elif route == Route.COMPLAINT:
        roll = rng.random()
        about = (
            desk.unit
            if roll < 0.7
            else desk.brigade
            if roll > 0.95
            else rng.choice(desk.offices or [desk.unit])
        )
        fields = {"about_unit": about, "text": rng.choice(COMPLAINTS)}
    else:
        kind, _weight, text = _weighted(rng, RESTRICTED)
        fields = {"kind": kind, "text": text}
    walk_in = services.route_walk_in(actor=clerk, walk_in=walk_in, route=route, **fields)
    WalkIn.objects.filter(pk=walk_in.pk).update(
        arrived_at=arrived, served_at=served, finished_at=finished
    )
    if route == Route.APPEAL and walk_in.case is not None and not recent:
        # The community office's officer owns the request, the desk's sergeant records its
        # handling, the chief verifies it.
        _close_appeal(rng, walk_in.case, desk.officers[office.pk], clerk, desk.chief)
    elif route == Route.DISPUTE and walk_in.case is not None:
        # The station's mediator takes the dispute on from the desk.
        mediation_demo.carry(
            ctx,
            rng,
            desk.mediator,
            walk_in.case,
            t0=finished,
            levels=desk.levels,
            story=story,
        )
    elif route == Route.COMPLAINT:
        complaint = ConductComplaint.objects.get(walk_in=walk_in)
        ConductComplaint.objects.filter(pk=complaint.pk).update(received_at=finished)
        if not recent:
            _handle_complaint(rng, complaint, desk.supervisor, finished)
    elif route == Route.RESTRICTED:
        RestrictedReport.objects.filter(walk_in=walk_in).update(received_at=finished)


def _phone(rng: random.Random) -> str:
    return f"139{rng.randrange(10**8):08d}"


def _appeal(rng: random.Random, appeal_types: list[Category], text: str) -> dict[str, Any]:
    """A request's fields (a random category, `text` naming it, a synthetic resident)."""
    category = rng.choice(appeal_types)
    return {
        "category": category,
        "title": f"{category.name}问题"[:80],
        "description": text.format(category=category.name),
        "resident_name": demo.person_name(rng),
        "resident_phone": _phone(rng),
    }


def _dispute(
    rng: random.Random, dispute_types: dict[str, Category], committee: Any
) -> tuple[str, dict[str, Any]]:
    """A dispute's story and its fields at `committee` (two synthetic parties)."""
    story = rng.choice(list(mediation_demo.STORIES))
    title, facts, _action = mediation_demo.STORIES[story]
    return story, {
        "committee": committee,
        "dispute_type": dispute_types.get(story) or dispute_types[DEFAULT_TYPES[-1][0]],
        "title": title,
        "facts": facts,
        "parties": [
            {"role": "applicant", "name": demo.person_name(rng), "phone": _phone(rng)},
            {"role": "respondent", "name": demo.person_name(rng)},
        ],
    }


def _close_appeal(
    rng: random.Random, case: Case, owner: Member, handler: Member, chief: Member
) -> None:
    """The chief assigns a request to `owner`; `handler` accepts, handles and resolves it and
    the chief verifies it, through the casework services; then its instants move to their
    place: resolved within a few working days, mostly on time."""
    case = casework.assign_case(actor=chief, case=case, owner=owner)
    for action, note in (
        ("accept", ""),
        ("start", ""),
        ("resolve", "已联系相关部门，问题已解决，并向群众答复。"),
    ):
        case = casework.act_on_case(actor=handler, case=case, action=action, note=note)
    case = casework.act_on_case(actor=chief, case=case, action="verify")
    stamped_close = case.closed_at
    assert stamped_close is not None
    calendar = get_calendar()
    received = case.received_at
    accepted = received + dt.timedelta(hours=rng.uniform(0.3, 4))
    contacted = accepted + dt.timedelta(hours=rng.uniform(0.5, 6))
    late = rng.random() < 0.08
    days = rng.uniform(1, 6) if not late else rng.uniform(16, 25)
    resolved = max(calendar.add_working_days(received, days), contacted)
    closed = resolved + dt.timedelta(hours=rng.uniform(2, 30))
    Case.objects.filter(pk=case.pk).update(
        accepted_at=accepted,
        first_contact_at=contacted,
        resolved_at=resolved,
        closed_at=closed,
        updated_at=closed,
        closed_on_time=case.resolve_due is None or closed <= case.resolve_due,
        handling_seconds=calendar.working_seconds_between(received, closed),
    )
    FollowUp.objects.filter(case=case).update(due_at=F("due_at") - (stamped_close - closed))


def _handle_complaint(
    rng: random.Random, complaint: ConductComplaint, supervisor: Member, received: dt.datetime
) -> None:
    """A supervisor of the brigade takes the complaint, records the outcome and closes it;
    its instants then move to a few days and weeks after it was received."""
    outcome, _weight, note = _weighted(rng, COMPLAINT_OUTCOMES)
    services.take_complaint(actor=supervisor, complaint=complaint)
    services.record_complaint_outcome(
        actor=supervisor, complaint=complaint, outcome=outcome, note=note
    )
    services.close_complaint(actor=supervisor, complaint=complaint)
    taken = received + dt.timedelta(days=rng.uniform(0.2, 3))
    ConductComplaint.objects.filter(pk=complaint.pk).update(
        taken_at=taken, closed_at=taken + dt.timedelta(days=rng.uniform(3, 20))
    )


# --- Talk points ---------------------------------------------------------------------------


def _talk_points(desks: list[_Station], count: int) -> list[tuple[_Station, Place]]:
    """Villages of the desks' community offices, one from each desk in turn."""
    lists = [
        (desk, [v for v in desk.villages if v.unit_id in {o.pk for o in desk.offices}])
        for desk in desks
    ]
    chosen: list[tuple[_Station, Place]] = []
    for i in range(max((len(v) for _d, v in lists), default=0)):
        for desk, villages in lists:
            if i < len(villages) and len(chosen) < count:
                chosen.append((desk, villages[i]))
    return chosen


def _talk_point(
    ctx: demo.DemoContext,
    rng: random.Random,
    desk: _Station,
    village: Place,
    appeal_types: list[Category],
    dispute_types: dict[str, Category],
) -> tuple[int, int]:
    office = next(o for o in desk.offices if o.pk == village.unit_id)
    people = [m for m in ctx.members if m.unit_id == office.pk]
    officer = next(m for m in people if Role.OFFICER in m.role_set)
    auxiliaries = [m for m in people if Role.AUXILIARY in m.role_set]
    anchor_day = timezone.localtime(ctx.anchor).date()
    sessions = raised = 0
    levels: tuple[Any, Any, Any] | None = None
    for months_back in range(24, 0, -1):
        first = (anchor_day.replace(day=1) - dt.timedelta(days=30 * months_back)).replace(day=1)
        held_on = first + dt.timedelta(days=rng.randint(3, 25))
        if held_on.weekday() >= 5:
            held_on -= dt.timedelta(days=held_on.weekday() - 4)
        if held_on >= anchor_day or rng.random() < 0.1:
            continue  # no session that month (the harvest, the move to summer pastures)
        present = [officer, *rng.sample(auxiliaries, min(len(auxiliaries), rng.randint(1, 2)))]
        session = services.record_talk_session(
            actor=officer,
            place=village,
            held_on=held_on,
            attendees=rng.randint(8, 60),
            officers=present,
        )
        at = timezone.make_aware(dt.datetime.combine(held_on, dt.time(16, 0)))
        TalkSession.objects.filter(pk=session.pk).update(created_at=at)
        sessions += 1
        for _m in range(rng.choices([0, 1, 2, 3], [3, 4, 2, 1])[0]):
            received = at + dt.timedelta(minutes=rng.uniform(10, 90))
            recent = (ctx.anchor - received).days < RECENT_DAYS
            if rng.random() < 0.6:
                matter = services.raise_matter(
                    actor=officer,
                    session=session,
                    kind="appeal",
                    **_appeal(rng, appeal_types, TALK_TEXT),
                    received_at=received,
                )
                if not recent:
                    _close_appeal(rng, matter.case, officer, officer, desk.chief)
            else:
                # The office's committees, looked up (or made) at its first dispute.
                levels = levels or mediation_demo.levels_of(office)
                story, fields = _dispute(rng, dispute_types, levels[0])
                matter = services.raise_matter(
                    actor=officer, session=session, kind="dispute", **fields, received_at=received
                )
                mediation_demo.carry(
                    ctx, rng, officer, matter.case, t0=received, levels=levels, story=story
                )
            raised += 1
    return sessions, raised
