"""The dispute figures from records, against a hand-counted fixture (KPIS.md, 减访情).

The fixture, at station S1 (its community office C1 below it) for January 2026, as of
15 February 2026 (local time):

| dispute | accepted | outcome                              | level    | obligation due → done   |
|---------|----------|--------------------------------------|----------|-------------------------|
| A       | 5 Jan    | written agreement 10 Jan, confirmed  | village  | 20 Jan ← 2,000 18 Jan   |
| B       | 6 Jan    | oral agreement 12 Jan                | village  | 25 Jan ← 500 28 Jan late |
| C       | 7 Jan    | written agreement 15 Jan (escalated) | township | 10 Feb, open            |
| D       | 8 Jan    | terminated 20 Jan                    |          |                         |
| E       | 9 Jan    | withdrawn 12 Jan (leaves figures)    |          |                         |
| F       | 10 Jan   | still in mediation                   |          |                         |
| G       | 20 Dec   | written agreement 22 Dec (before P)  | village  | 15 Jan ← 300 30 Dec     |
| H       | —        | not accepted (a party refused)       |          |                         |
| I       | 11 Jan   | at station S2 (outside S1)           |          |                         |

Hand count for S1, January: accepted 5 (A B C D F); resolution 3/5; success 3/4 (A B C of
A B C D); village share 2/3 (A B); confirmation 1/2 (A of A C); performance 2/3 (due in
January: A on time, B late, G on time); recovered 2,500.00 (A 2,000 + B 500; G paid in
December).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from liuqing.analytics import disputes as formulas
from liuqing.analytics.rates import Rate
from liuqing.casework.models import Case
from liuqing.core import figures as registry
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import Role
from liuqing.core.testing import World
from liuqing.mediation import followup, kpis, services
from liuqing.mediation.models import Agreement, Dispute, Level, PartyRole
from liuqing.mediation.testing import accepted, committee, handler, in_mediation, start

TZ = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, 10, 0, tzinfo=TZ)


def date(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def _accepted_on(case: Case, when: dt.datetime) -> None:
    Dispute.objects.filter(pk=case.pk).update(accepted_at=when)


def _agree(
    case: Case, *, written: bool, effective: dt.datetime, amount: str, due: dt.date
) -> Agreement:
    parties = {p.role: p.pk for p in case.dispute.parties.all()}
    return services.record_agreement(
        actor=handler(case.unit),
        case=case,
        written=written,
        facts="f",
        matters="m",
        responsibilities="r",
        content="c",
        obligations=[
            {
                "obligor": parties[PartyRole.RESPONDENT],
                "obligee": parties[PartyRole.APPLICANT],
                "action": "赔偿",
                "amount": amount,
                "due_date": due,
            }
        ],
        parties_signed=written,
        mediator_signed=written,
        sealed=written,
        effective_at=effective,
    )


def _pay(case: Case, agreement: Agreement, amount: str, day: dt.date) -> None:
    followup.record_performance(
        actor=handler(case.unit),
        obligation=agreement.obligations.get(),
        performed_on=day,
        amount=amount,
    )


@pytest.fixture
def fixture(world: World) -> World:
    s1, c1 = world.units["S1"], world.units["C1"]
    a = in_mediation(c1, title="A")
    _accepted_on(a, at(1, 5))
    agreement = _agree(a, written=True, effective=at(1, 10), amount="2000", due=date(1, 20))
    officer = handler(c1)
    confirmation = followup.apply_confirmation(
        actor=officer, agreement=agreement, applied_on=date(1, 15), court="伊宁市人民法院"
    )
    followup.record_confirmation_result(
        actor=officer,
        confirmation=confirmation,
        result="confirmed",
        decided_on=date(1, 20),
        number="（2026）新4002民特1号",
    )
    _pay(a, agreement, "2000", date(1, 18))

    b = in_mediation(c1, title="B")
    _accepted_on(b, at(1, 6))
    agreement = _agree(b, written=False, effective=at(1, 12), amount="500", due=date(1, 25))
    _pay(b, agreement, "500", date(1, 28))

    c = accepted(c1, title="C")
    services.escalate_dispute(
        actor=officer, case=c, committee=committee(s1, Level.TOWNSHIP), reason="复杂"
    )
    c = Case.objects.get(pk=c.pk)
    _accepted_on(c, at(1, 7))
    services.record_session(
        actor=officer, case=c, held_at=at(1, 14), location="所", attendees="双方", minutes="m"
    )
    _accepted_on(c, at(1, 7))
    _agree(c, written=True, effective=at(1, 15), amount="800", due=date(2, 10))

    d = in_mediation(c1, title="D")
    services.terminate_dispute(actor=officer, case=d, reason="分歧", channels=["court"])
    Dispute.objects.filter(pk=d.pk).update(accepted_at=at(1, 8), concluded_at=at(1, 20))

    e = accepted(c1, title="E")
    services.withdraw_dispute(actor=officer, case=e, reason="撤回")
    Dispute.objects.filter(pk=e.pk).update(accepted_at=at(1, 9), concluded_at=at(1, 12))

    f = in_mediation(c1, title="F")
    _accepted_on(f, at(1, 10))

    g = in_mediation(c1, title="G")
    _accepted_on(g, at(12, 20, 2025))
    agreement = _agree(g, written=True, effective=at(12, 22, 2025), amount="300", due=date(1, 15))
    _pay(g, agreement, "300", date(12, 30, 2025))

    h = start(c1, title="H")
    services.refuse_dispute(actor=officer, case=h, advice="建议起诉")

    i = accepted(world.units["S2"], title="I")
    _accepted_on(i, at(1, 11))
    return world


def test_every_figure_matches_the_hand_count(fixture: World) -> None:
    chief = fixture.persona(Role.STATION_CHIEF)
    f = kpis.compute(
        chief,
        fixture.units["S1"],
        at(1, 1) - dt.timedelta(hours=10),
        at(2, 1) - dt.timedelta(hours=10),
        at(2, 15),
    )
    assert f.accepted == 5
    assert f.resolution == Rate(3, 5)
    assert f.success == Rate(3, 4)
    assert f.village_share == Rate(2, 3)
    assert f.confirmation == Rate(1, 2)
    assert f.performance == Rate(2, 3)
    assert f.recovered == Decimal("2500.00")


def test_the_as_of_instant_counts_only_what_had_happened(fixture: World) -> None:
    chief = fixture.persona(Role.STATION_CHIEF)
    start_, end = at(1, 1) - dt.timedelta(hours=10), at(2, 1) - dt.timedelta(hours=10)
    f = kpis.compute(chief, fixture.units["S1"], start_, end, at(1, 11))
    # As of 11 January 10:00: A agreed (10 Jan), B not yet (12 Jan); E not yet withdrawn.
    assert f.accepted == 6
    assert f.resolution == Rate(1, 6)
    assert f.confirmation == Rate(0, 1)
    assert f.recovered == Decimal("0")


def test_the_detachment_sees_every_station(fixture: World) -> None:
    from liuqing.casework.testing import root_staff

    staff = root_staff(fixture.units["S1"])
    start_, end = at(1, 1) - dt.timedelta(hours=10), at(2, 1) - dt.timedelta(hours=10)
    f = kpis.compute(staff, fixture.units["D"], start_, end, at(2, 15))
    assert f.accepted == 6  # I at S2 too


def test_figures_are_scoped(world: World) -> None:
    start_, end = at(1, 1), at(2, 1)
    with pytest.raises(NotFound):
        kpis.compute(world.persona(Role.OFFICER), world.units["S2"], start_, end, end)
    with pytest.raises(AccessDenied):
        kpis.compute(world.persona(Role.SYSADMIN), world.units["S1"], start_, end, end)


def test_the_section_is_registered_for_the_dashboard(world: World) -> None:
    section = registry.section("disputes")
    assert section.qing == "fangqing"
    readings = section.compute(
        world.persona(Role.STATION_CHIEF), world.units["S1"], at(1, 1), at(2, 1), at(2, 1)
    )
    assert [r.key for r in readings] == [
        "accepted",
        "resolution",
        "success",
        "village_share",
        "performance",
        "recovered",
        "confirmation",
    ]
    assert not section.visible(world.persona(Role.SYSADMIN))


@pytest.mark.parametrize("as_of", [at(1, 11), at(1, 19), at(2, 15), at(3, 1)])
def test_grouped_rows_give_the_figures_of_one_row_per_dispute(fixture: World, as_of) -> None:
    chief = fixture.persona(Role.STATION_CHIEF)
    unit = fixture.units["S1"]
    start_, end = at(1, 1) - dt.timedelta(hours=10), at(2, 1) - dt.timedelta(hours=10)
    p = kpis.period(start_, end, as_of)
    rows, obligations, payments = kpis.load(chief, unit, start_, end)
    grouped = kpis.load_grouped(chief, unit, start_, end, as_of)
    assert formulas.figures(*grouped, p) == formulas.figures(rows, obligations, payments, p)
