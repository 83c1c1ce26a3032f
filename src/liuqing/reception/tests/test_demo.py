"""The reception demo step: two years of walk-ins at the demo stations' desks, each routed
through the desk's services, and monthly talk-point sessions whose matters became requests
or disputes; the walk-in log and the talk-point pages show them."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest
from django.test import Client

from liuqing.core import demo
from liuqing.core.audit import AuditEvent
from liuqing.core.testing import login_verified
from liuqing.reception.models import (
    ConductComplaint,
    RestrictedReport,
    Route,
    TalkMatter,
    TalkSession,
    WalkIn,
)

pytestmark = pytest.mark.django_db


def test_the_demo_builds_two_years_of_walk_ins_and_talk_sessions() -> None:
    ctx = demo.build_demo(seed=demo.DEFAULT_SEED, scale=1, steps=demo.core_and("reception"))
    walk_ins = list(WalkIn.objects.all())
    assert len(walk_ins) == ctx.counts["walk_ins"] > 300
    assert {w.route for w in walk_ins} == set(Route.values)
    assert all(w.finished_at is not None for w in walk_ins)
    first = min(w.arrived_at for w in walk_ins)
    assert (ctx.anchor - first).days > 700
    assert max(w.arrived_at for w in walk_ins) < ctx.anchor
    assert len({w.unit_id for w in walk_ins}) == demo_desks(ctx)
    # Realistic times: minutes of waiting, longer handling for a dispute than for a request.
    waits = [w.waiting_seconds / 60 for w in walk_ins if w.waiting_seconds is not None]
    assert 3 < statistics.median(waits) < 12
    assert max(waits) <= 90
    handling = {
        route: statistics.median(
            w.handling_seconds / 60 for w in walk_ins if w.route == route and w.handling_seconds
        )
        for route in (Route.APPEAL, Route.DISPUTE)
    }
    assert handling[Route.APPEAL] < handling[Route.DISPUTE]
    # Every walk-in's matter exists where its route sent it.
    for w in walk_ins:
        if w.route in (Route.APPEAL, Route.DISPUTE):
            assert w.case is not None
            assert w.case.kind == ("appeal" if w.route == Route.APPEAL else "dispute")
            assert abs(w.case.received_at - w.finished_at) < dt.timedelta(seconds=1)
    complaints = ConductComplaint.objects.all()
    assert complaints.count() == sum(w.route == Route.COMPLAINT for w in walk_ins)
    assert all(c.unit_id != c.about_unit_id or c.about_unit.parent_id is None for c in complaints)
    assert complaints.filter(status="closed").exists()
    assert RestrictedReport.objects.count() == sum(w.route == Route.RESTRICTED for w in walk_ins)
    # Talk points: monthly sessions with matters that became requests and disputes.
    sessions = TalkSession.objects.all()
    assert sessions.count() == ctx.counts["talk_sessions"] > 50
    assert all(s.officers.exists() for s in sessions[:20])
    kinds = set(TalkMatter.objects.values_list("case__kind", flat=True))
    assert kinds == {"appeal", "dispute"}
    closed = TalkMatter.objects.filter(case__kind="appeal", case__status="closed")
    assert closed.exists()
    assert AuditEvent.objects.filter(action="demo.reception").exists()

    # The pages show the data to the named accounts.
    chief = ctx.accounts["chief"]
    client = login_verified(Client(), chief)
    desk = client.get("/reception/")
    assert desk.status_code == 200
    body = desk.content.decode()
    home = WalkIn.objects.filter(unit=ctx.home_station).order_by("-arrived_at").first()
    assert home is not None
    assert (
        home.arrived_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d") in body
    )
    talks = client.get("/reception/talk/")
    assert talks.status_code == 200
    session = TalkSession.objects.filter(unit__path__startswith=ctx.home_station.path).first()
    assert session is not None
    assert session.place.name in talks.content.decode()
    page = client.get(f"/reception/talk/{session.pk}/")
    assert page.status_code == 200
    brigade = login_verified(Client(), ctx.accounts["brigade"])
    queue = brigade.get("/reception/complaints/")
    assert queue.status_code == 200
    assert "complaint-" in queue.content.decode()


def demo_desks(ctx: demo.DemoContext) -> int:
    from liuqing.reception.demo import DESKS

    return min(DESKS * ctx.scale, len(ctx.stations))
