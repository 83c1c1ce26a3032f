"""Demo data of the care register: a few vulnerable residents at every station (synthetic
names and numbers, never real people), with the consent or legal basis recorded, visit plans
on the engine (weekly for elderly people living alone and people with a disability, monthly
otherwise) and half a year of visits before the anchor, and services given on some visits.

The named demo accounts of the stations' line (chief, sergeant, officer, auxiliary, grid
worker, brigade and detachment staff) and the auditor receive the care grant, so the register
can be explored; minors carry the "minor" label, which only the chief and the detachment
account hold. Recipients go through the real `register_recipient` and `schedule_visits`;
the visit history is written in bulk (visits.demo)."""

from __future__ import annotations

import datetime as dt
import random

from liuqing.care import services
from liuqing.care.models import CARE_LABEL, Recipient, Service
from liuqing.core import demo
from liuqing.core.models import Member, Place, PlaceKind, Role, SensitiveGrant
from liuqing.visits import services as visit_services
from liuqing.visits.demo import visit_history
from liuqing.visits.models import VisitPlan
from liuqing.visits.services import related_units

PER_STATION = 4
SURNAMES = ["王", "李", "马", "阿不都", "努尔", "张", "艾", "哈力", "刘", "古丽"]
GIVEN = ["秀兰", "建国", "玉山", "热依汗", "别克", "桂英", "阿依", "德福", "海燕", "木拉提"]
CATEGORIES = [
    ("elderly_alone", "weekly", ""),
    ("low_income", "monthly", ""),
    ("disability", "weekly", "disability"),
    ("left_behind_child", "monthly", "minor"),
    ("other", "monthly", ""),
]
GRANTED = ["chief", "sergeant", "officer", "auxiliary", "grid", "brigade", "detachment", "auditor"]


@demo.step("care", order=400)
def build_care(ctx: demo.DemoContext, rng: random.Random, scale: int) -> None:
    boss = ctx.accounts.get("detachment")
    if boss is None:
        return
    for name in GRANTED:
        member = ctx.accounts.get(name)
        if member is not None:
            SensitiveGrant.objects.create(member=member, label=CARE_LABEL, granted_by=boss)
    for name in ("chief", "detachment"):
        for label in ("minor", "disability"):
            SensitiveGrant.objects.create(member=ctx.accounts[name], label=label, granted_by=boss)
    ctx.record("demo.care_grants", accounts=GRANTED)
    if hasattr(boss, "_label_cache"):
        del boss._label_cache
    anchor = ctx.anchor.date()
    start = anchor - dt.timedelta(days=182)
    people = _people_by_station(ctx)
    villages: dict[int, list[Place]] = {}
    for place in ctx.places:
        if place.kind in (PlaceKind.VILLAGE, PlaceKind.COMMUNITY):
            villages.setdefault(place.unit_id, []).append(place)
    plans = []
    recipients = 0
    for station in ctx.stations:
        units = [station, *ctx.children.get(station.pk, [])]
        staff = people.get(station.pk, [])
        for i in range(PER_STATION * scale):
            category, cadence, label = CATEGORIES[(i + station.pk) % len(CATEGORIES)]
            unit = units[i % len(units)]
            places: list[Place | None] = [
                *(villages.get(unit.pk) or villages.get(station.pk) or [])
            ] or [None]
            recipient = services.register_recipient(
                actor=boss,
                unit=unit,
                category=category,
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                phone=f"139{rng.randrange(10**8):08d}",
                address=f"{rng.randrange(1, 99)} 号",
                notes="需定期上门" if category != "low_income" else "",
                restricted_label=label,
                legal_basis="guardian" if category == "left_behind_child" else "consent",
                basis_recorded_on=start - dt.timedelta(days=rng.randrange(1, 60)),
                basis_note="书面同意书已存档",
                place=places[i % len(places)],
            )
            recipients += 1
            fitting = [m for m in staff if related_units(m.unit, unit)]
            responsible = fitting[i % len(fitting)] if fitting else boss
            plans.append(
                visit_services.schedule_visits(
                    actor=boss,
                    target_kind="care_recipient",
                    target_id=recipient.pk,
                    cadence=cadence,
                    responsible=responsible,
                    starts_on=start,
                )
            )
    Recipient.objects.update(registered_at=ctx.anchor - dt.timedelta(days=200))
    visits = visit_history(plans, {}, anchor, rng, done_share=0.85)
    services_given = _services(plans, rng, boss)
    ctx.counts.update(care_recipients=recipients, care_visits=visits)
    ctx.record("demo.care", recipients=recipients, visits=visits, services=services_given)
    ctx.log(f"care: {recipients} recipients, {visits} visits, {services_given} services")


def _people_by_station(ctx: demo.DemoContext) -> dict[int, list[Member]]:
    """Grid workers, auxiliaries and officers serving at or below each station."""
    paths = {s.path: s.pk for s in ctx.stations}
    found: dict[int, list[Member]] = {}
    for member in ctx.members:
        if not member.role_set & {Role.OFFICER, Role.AUXILIARY, Role.GRID_WORKER}:
            continue
        for path, pk in paths.items():
            if member.unit.path.startswith(path):
                found.setdefault(pk, []).append(member)
                break
    return found


def _services(plans: list[VisitPlan], rng: random.Random, boss: Member) -> int:
    from liuqing.visits.models import Visit

    kinds = ["medicine", "cleaning", "doctor", "paperwork", "other"]
    rows = []
    for visit in Visit.objects.filter(plan__in=[p.pk for p in plans]).select_related("plan"):
        if rng.random() < 0.3:
            rows.append(
                Service(
                    recipient_id=visit.plan.target_id,
                    kind=rng.choice(kinds),
                    given_on=visit.visited_on,
                    visit=visit,
                    given_by=visit.recorded_by or boss,
                )
            )
    Service.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
