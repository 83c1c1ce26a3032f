"""Demo data of liaison: the demo places that are enterprises, schools, scenic areas and
markets become organisations (synthetic contacts), most with an officer of their station
assigned (a few left without one, and one enterprise per brigade with two overlapping
liaison officers, so the flags have something to show), monthly visit plans with half a year
of visits, problems raised in the last months (some solved, with estimated savings), and
lessons at the schools. Organisations and problems go through the real services; the visit
history is written in bulk (visits.demo)."""

from __future__ import annotations

import datetime as dt
import random

from liuqing.casework.models import Case, Category
from liuqing.core import demo
from liuqing.core.models import Member, PlaceKind, Role, Unit
from liuqing.liaison import services
from liuqing.liaison.defaults import ensure_default_categories
from liuqing.liaison.models import Assignment, Lesson, Organisation, OrganisationKind
from liuqing.liaison.workflow import LIAISON_PROBLEM
from liuqing.visits.demo import visit_history

KINDS: dict[str, str] = {
    PlaceKind.ENTERPRISE: OrganisationKind.ENTERPRISE,
    PlaceKind.SCHOOL: OrganisationKind.SCHOOL,
    PlaceKind.SCENIC: OrganisationKind.SCENIC,
    PlaceKind.MARKET: OrganisationKind.MARKET,
}
TOPICS = ["防范电信诈骗", "交通安全", "禁毒教育", "防溺水", "校园欺凌防范"]
PROBLEMS = [
    ("labour_dispute", "拖欠工资", "部分工人反映工资拖欠两个月"),
    ("safety_hazard", "消防通道堵塞", "仓库门口堆放杂物，影响通行"),
    ("residence_permit", "外来员工居住证", "新招员工需办理居住证"),
    ("security_system", "监控盲区", "厂区后门无监控覆盖"),
]


@demo.step("liaison", order=410)
def build_liaison(ctx: demo.DemoContext, rng: random.Random, scale: int) -> None:
    boss = ctx.accounts.get("detachment")
    if boss is None:
        return
    ensure_default_categories(Category)
    categories = {c.code: c for c in Category.objects.filter(kind=LIAISON_PROBLEM)}
    anchor = ctx.anchor.date()
    start = anchor - dt.timedelta(days=182)
    officers = _officers_by_station(ctx)
    station_of: dict[int, Unit] = {}
    for station in ctx.stations:
        station_of[station.pk] = station
        for child in ctx.children.get(station.pk, []):
            station_of[child.pk] = station
            for grandchild in ctx.children.get(child.pk, []):
                station_of[grandchild.pk] = station
    orgs: list[Organisation] = []
    for place in ctx.places:
        kind = KINDS.get(place.kind)
        seat = station_of.get(place.unit_id)
        if kind is None or seat is None:
            continue
        orgs.append(
            services.register_organisation(
                actor=boss,
                unit=place.unit,
                name=place.name,
                kind=kind,
                address=f"{place.name}附近",
                contact_name=rng.choice(["赵", "钱", "孙", "阿力", "马"])
                + rng.choice(["经理", "校长", "主任"]),
                contact_phone=f"138{rng.randrange(10**8):08d}",
                place=place,
            )
        )
    assignments = []
    plans = []
    overlapped: set[int | None] = set()
    for i, org in enumerate(orgs):
        home = station_of[org.place.unit_id] if org.place else None
        staff = officers.get(home.pk, []) if home else []
        if not staff or i % 9 == 4:  # a few organisations left without an officer
            continue
        officer = staff[i % len(staff)]
        role = "school" if org.kind == OrganisationKind.SCHOOL else "liaison"
        assignments.append(
            Assignment(
                organisation=org, officer=officer, role=role, starts_on=start, created_by=boss
            )
        )
        brigade = home.parent_id if home else None
        if role == "liaison" and len(staff) > 1 and brigade not in overlapped:
            overlapped.add(brigade)
            assignments.append(
                Assignment(
                    organisation=org,
                    officer=staff[(i + 1) % len(staff)],
                    role=role,
                    starts_on=start + dt.timedelta(days=60),
                    created_by=boss,
                )
            )
        plans.append(
            services.plan_monthly_visits(
                actor=boss, organisation=org, responsible=officer, starts_on=start
            )
        )
    Assignment.objects.bulk_create(assignments, batch_size=2000)
    visits = visit_history(plans, {}, anchor, rng, done_share=0.8)
    problems = 0
    for i, org in enumerate(orgs):
        if (
            org.kind not in (OrganisationKind.ENTERPRISE, OrganisationKind.MARKET)
            or rng.random() > 0.4
        ):
            continue
        code, title, text = PROBLEMS[i % len(PROBLEMS)]
        problem = services.raise_problem(
            actor=boss,
            organisation=org,
            category=categories[code],
            title=title,
            description=text,
            estimated_savings=str(rng.randrange(2, 200) * 500),
        )
        problems += 1
        received = ctx.anchor - dt.timedelta(days=rng.randrange(10, 150))
        closed = rng.random() < 0.6
        Case.objects.filter(pk=problem.case_id).update(
            received_at=received,
            status="closed" if closed else "in_progress",
            closed_at=received + dt.timedelta(days=rng.randrange(2, 10)) if closed else None,
        )
    lessons = [
        Lesson(
            organisation=org,
            given_on=start + dt.timedelta(days=rng.randrange(0, 180)),
            topic=rng.choice(TOPICS),
            class_name=f"{rng.randrange(1, 7)}年级{rng.randrange(1, 5)}班",
            attendance=rng.randrange(25, 50),
            given_by=boss,
        )
        for org in orgs
        if org.kind == OrganisationKind.SCHOOL
        for _ in range(3)
    ]
    Lesson.objects.bulk_create(lessons, batch_size=2000)
    Organisation.objects.update(created_at=ctx.anchor - dt.timedelta(days=200))
    ctx.counts.update(organisations=len(orgs), liaison_visits=visits, liaison_problems=problems)
    ctx.record(
        "demo.liaison",
        organisations=len(orgs),
        assignments=len(assignments),
        visits=visits,
        problems=problems,
        lessons=len(lessons),
    )
    ctx.log(f"liaison: {len(orgs)} organisations, {visits} visits, {problems} problems")


def _officers_by_station(ctx: demo.DemoContext) -> dict[int, list[Member]]:
    paths = {s.path: s.pk for s in ctx.stations}
    found: dict[int, list[Member]] = {}
    for member in ctx.members:
        if Role.OFFICER not in member.role_set and Role.SERGEANT not in member.role_set:
            continue
        for path, pk in paths.items():
            if member.unit.path.startswith(path):
                found.setdefault(pk, []).append(member)
                break
    return found
