"""Demo data of dispute mediation: two years of disputes across the '1+4+N' levels.

* **Committees.** A mediation room at each community office, a mediation station at each
  station, a mediation centre at each brigade (county), all named after their unit.
* **Disputes.** For the community offices of the first stations (`OFFICES`), about
  `PER_OFFICE_YEAR` × scale disputes a year over the two years before the demo anchor,
  recorded and driven through the real services by the office's officer: most mediated
  at the village room, some escalated to the station or the county centre; about 70 %
  reach an agreement (most written, with judicial confirmation applied for and decided for
  many), some are terminated with the channels advised, a few withdrawn or refused, and a
  few are flagged as at risk. Obligations are performed (payments recorded), a few late or
  in default (advice to sue), and follow-up visits recorded.

The services stamp their own time; the step then moves each record's instants to its
place in the two years (offsets from the anchor), so the figures have a history.
Deterministic: the generator is seeded from the demo seed. Party names are synthetic.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from liuqing.casework.models import Case, Category
from liuqing.core import demo
from liuqing.core.models import Member, Role, Unit
from liuqing.mediation import followup, services
from liuqing.mediation.defaults import DEFAULT_TYPES, KIND, ensure_default_types
from liuqing.mediation.models import (
    Agreement,
    Committee,
    Dispute,
    Level,
    MediatorKind,
    PartyRole,
    Session,
    Source,
)

OFFICES = 12
PER_OFFICE_YEAR = 10
STORIES = {
    "land_grassland": (
        "草场边界纠纷",
        "两户牧民因草场界桩移位、越界放牧发生争执。",
        "恢复原界桩，赔偿草料损失",
    ),
    "damage_compensation": ("牲畜啃食庄稼", "邻户羊群进入麦田啃食青苗。", "赔偿青苗损失"),
    "contracts": ("房屋租金纠纷", "租户拖欠三个月房租。", "补交房租"),
    "housing_homestead": ("宅基地界址纠纷", "两户因院墙位置对宅基地界址有争议。", "按原址重砌院墙"),
    "neighbours": ("邻里噪音纠纷", "楼下商户夜间噪音影响休息。", "晚十时后停止营业噪音并赔礼道歉"),
    "labour_wages": ("拖欠工资纠纷", "包工头拖欠工人工资。", "支付拖欠工资"),
    "marriage_family": ("赡养纠纷", "子女对老人赡养费分担有争议。", "按月支付赡养费"),
    "road_traffic": ("交通事故赔偿", "摩托车与电动车剐蹭致一人轻伤。", "赔偿医疗费"),
}
CHANNELS = ["court", "arbitration", "administrative"]
COURT = "人民法院"


def _name(rng: random.Random) -> str:
    return demo.person_name(rng)


def _phone(rng: random.Random) -> str:
    return f"139{rng.randrange(10**8):08d}"


def _at(anchor: dt.datetime, days_before: float) -> dt.datetime:
    return anchor - dt.timedelta(days=days_before)


@demo.step("mediation", order=320)
def build_disputes(ctx: demo.DemoContext, rng: random.Random, scale: int) -> None:
    ensure_default_types()
    types = {c.code: c for c in Category.objects.filter(kind=KIND)}
    committees: dict[int, Committee] = {}
    for unit in [*ctx.brigades, *ctx.stations, *ctx.communities]:
        committees[unit.pk] = _committee(unit)
    Committee.objects.bulk_create(committees.values(), batch_size=1000)
    officers = {m.unit_id: m for m in ctx.members_with(Role.OFFICER)}
    offices = [
        office
        for station in [ctx.home_station, *ctx.stations]
        for office in ctx.children.get(station.pk, [])
        if office.pk in officers
    ]
    seen: set[int] = set()
    chosen = [o for o in offices if not (o.pk in seen or seen.add(o.pk))][:OFFICES]
    root = ctx.members_with(Role.DETACHMENT_STAFF)[0]
    count = 0
    for office in chosen:
        station = office.parent
        assert station is not None
        assert station.parent is not None
        levels = (committees[office.pk], committees[station.pk], committees[station.parent_id])
        for _i in range(PER_OFFICE_YEAR * 2 * scale):
            _one(ctx, rng, root, officers[office.pk], office, levels, types)
            count += 1
    ctx.counts["disputes"] += count
    ctx.record("demo.mediation", disputes=count, committees=len(committees))


def _committee(unit: Unit) -> Committee:
    """The committee of `unit` (unsaved): a county centre at a brigade, a township station at
    a police station, a village room at a community office."""
    level = {1: Level.COUNTY, 2: Level.TOWNSHIP}.get(unit.depth, Level.VILLAGE)
    suffix = {
        Level.COUNTY: "矛盾纠纷调解中心",
        Level.TOWNSHIP: "人民调解工作站",
        Level.VILLAGE: "人民调解室",
    }[level]
    return Committee(unit=unit, name=f"{unit.name}{suffix}"[:100], level=level)


def committee_of(unit: Unit) -> Committee:
    """`unit`'s committee, made as this step makes it when the step has not run."""
    found = Committee.objects.filter(unit=unit).order_by("pk").first()
    if found is None:
        found = _committee(unit)
        found.save()
    return found


def levels_of(office: Unit) -> tuple[Committee, Committee, Committee]:
    """The three levels above a community office: its village room, its station's
    township station and its brigade's county centre."""
    station = office.parent
    assert station is not None
    assert station.parent is not None
    return committee_of(office), committee_of(station), committee_of(station.parent)


def _one(
    ctx: demo.DemoContext,
    rng: random.Random,
    root: Member,
    officer: Member,
    office: Unit,
    levels: tuple[Committee, Committee, Committee],
    types: dict[str, Category],
) -> None:
    anchor = ctx.anchor
    code = rng.choice(list(STORIES))
    title, facts, _action = STORIES[code]
    age = rng.uniform(3, 730)  # days before the anchor
    t0 = _at(anchor, age)
    source = rng.choices([Source.APPLICATION, Source.INITIATIVE, Source.REFERRAL], [5, 2, 3])[0]
    case = services.start_dispute(
        actor=root,
        unit=office,
        committee=levels[0],
        dispute_type=types.get(code) or types[DEFAULT_TYPES[-1][0]],
        source=source,
        referrer=rng.choice(["police_110", "court", "government", "hotline", "grid"])
        if source == Source.REFERRAL
        else "",
        title=title,
        facts=facts,
        amount=Decimal(rng.randrange(5, 300) * 100),
        parties=[
            {"role": PartyRole.APPLICANT, "name": _name(rng), "phone": _phone(rng)},
            {"role": PartyRole.RESPONDENT, "name": _name(rng), "phone": _phone(rng)},
        ],
        received_at=t0,
    )
    carry(ctx, rng, officer, case, t0=t0, levels=levels, story=code)


def carry(
    ctx: demo.DemoContext,
    rng: random.Random,
    officer: Member,
    case: Case,
    *,
    t0: dt.datetime,
    levels: tuple[Committee, Committee, Committee],
    story: str,
) -> None:
    """Drive a dispute received at `t0` through the services as far as its age at the anchor
    allows: refused, withdrawn, terminated or agreed (with its aftercare), escalated now and
    then, or still in mediation; then move its instants to their place in time. The
    reception step carries the disputes of its desks and talk points with it."""
    anchor = ctx.anchor
    age = (anchor - t0).total_seconds() / 86400
    title, facts, action = STORIES[story]
    roll = rng.random()
    if roll < 0.05:
        services.refuse_dispute(
            actor=officer, case=case, advice="一方明确拒绝调解，建议向人民法院起诉。"
        )
        Dispute.objects.filter(pk=case.pk).update(concluded_at=t0 + dt.timedelta(hours=4))
        return
    services.accept_dispute(actor=officer, case=case)
    accepted_at = t0 + dt.timedelta(hours=rng.uniform(1, 20))
    deadline = accepted_at + dt.timedelta(days=30)
    Dispute.objects.filter(pk=case.pk).update(accepted_at=accepted_at, deadline=deadline)
    Case.objects.filter(pk=case.pk).update(accepted_at=accepted_at, resolve_due=deadline)
    case.refresh_from_db()
    kind = rng.choice(list(MediatorKind.values))
    services.add_mediator(actor=officer, case=case, name=_name(rng), kind=kind)
    if roll < 0.09:
        services.withdraw_dispute(actor=officer, case=case, reason="申请人撤回调解申请。")
        Dispute.objects.filter(pk=case.pk).update(concluded_at=accepted_at + dt.timedelta(days=2))
        return
    level = rng.choices([0, 1, 2], [80, 16, 4])[0]
    if level:
        services.escalate_dispute(
            actor=officer, case=case, committee=levels[level], reason="案情复杂，提交上级调解。"
        )
    if rng.random() < 0.04:
        services.flag_risk(actor=officer, case=case, note="一方情绪激动，有扬言报复苗头。")
    session_at = accepted_at + dt.timedelta(days=rng.uniform(0.5, 5))
    if session_at > timezone.now():
        return
    services.record_session(
        actor=officer,
        case=case,
        held_at=session_at,
        location=levels[level].name,
        attendees="双方当事人、调解员",
        minutes="双方陈述事实和诉求，调解员释法说理。",
        private=rng.random() < 0.2,
    )
    agreed_after = rng.uniform(2, 25)
    if age - (accepted_at - t0).days - agreed_after < 1:
        return  # still in mediation at the anchor
    outcome = rng.random()
    concluded = accepted_at + dt.timedelta(days=agreed_after)
    if outcome < 0.14:
        services.terminate_dispute(
            actor=officer,
            case=case,
            reason="双方分歧较大，调解不成。",
            channels=rng.sample(CHANNELS, rng.randint(1, 2)),
        )
        Dispute.objects.filter(pk=case.pk).update(concluded_at=concluded)
        Case.objects.filter(pk=case.pk).update(closed_at=concluded)
        return
    written = rng.random() < 0.75
    parties = {p.role: p.pk for p in case.dispute.parties.all()}
    due = timezone.localtime(concluded).date() + dt.timedelta(days=rng.randint(5, 40))
    amount = Decimal(rng.randrange(2, 100) * 100)
    agreement = services.record_agreement(
        actor=officer,
        case=case,
        written=written,
        facts=facts,
        matters=title,
        responsibilities="被申请人负主要责任。",
        content=f"被申请人{action}，双方不再就此事发生争执。",
        obligations=[
            {
                "obligor": parties[PartyRole.RESPONDENT],
                "obligee": parties[PartyRole.APPLICANT],
                "action": action,
                "amount": amount,
                "method": rng.choice(["现金", "银行转账", "微信转账"]),
                "due_date": due,
            }
        ],
        parties_signed=written,
        mediator_signed=written,
        sealed=written,
        effective_at=concluded,
    )
    Session.objects.filter(dispute_id=case.pk).update(held_at=session_at)
    _aftercare(ctx, rng, officer, case, agreement, concluded, due, amount)


def _aftercare(
    ctx: demo.DemoContext,
    rng: random.Random,
    officer: Member,
    case: Case,
    agreement: Agreement,
    concluded: dt.datetime,
    due: dt.date,
    amount: Decimal,
) -> None:
    anchor_day = timezone.localtime(ctx.anchor).date()
    effective_day = timezone.localtime(concluded).date()
    if agreement.written and rng.random() < 0.45:
        applied = effective_day + dt.timedelta(days=rng.randint(1, 25))
        if applied <= anchor_day:
            confirmation = followup.apply_confirmation(
                actor=officer, agreement=agreement, applied_on=applied, court=COURT
            )
            decided = applied + dt.timedelta(days=rng.randint(3, 15))
            if decided <= anchor_day:
                followup.record_confirmation_result(
                    actor=officer,
                    confirmation=confirmation,
                    result="confirmed" if rng.random() < 0.95 else "rejected",
                    decided_on=decided,
                    number=f"（{decided.year}）新40民特{rng.randrange(1, 999)}号",
                )
    if due > anchor_day:
        return
    obligation = agreement.obligations.get()
    fate = rng.random()
    if fate < 0.06:
        case.refresh_from_db()
        followup.handle_default(
            actor=officer, case=case, remedy="sue", note="义务人逾期拒不履行，告知权利人可起诉。"
        )
        return
    late = fate < 0.16
    if rng.random() < 0.3:
        first = (amount / 2).quantize(Decimal("0.01"))
        paid_on = due - dt.timedelta(days=rng.randint(3, 5))
        followup.record_performance(
            actor=officer, obligation=obligation, performed_on=paid_on, amount=first
        )
        amount -= first
    performed = (
        due + dt.timedelta(days=rng.randint(1, 10))
        if late
        else due - dt.timedelta(days=rng.randint(0, 2))
    )
    performed = min(performed, anchor_day)
    case.refresh_from_db()
    followup.record_performance(
        actor=officer, obligation=obligation, performed_on=performed, amount=amount
    )
    Case.objects.filter(pk=case.pk).update(
        closed_at=timezone.make_aware(dt.datetime.combine(performed, dt.time(16)))
    )
    if rng.random() < 0.7:
        followup.record_visit(
            actor=officer,
            case=case,
            visited_on=min(performed + dt.timedelta(days=rng.randint(1, 10)), anchor_day),
            performing=True,
            satisfied=rng.random() < 0.92,
            actions="电话回访，双方无新矛盾。",
        )
