"""The appeals figures against a hand-counted fixture built through the services.

The clock is pinned (django.utils.timezone.now) at each step, so every receipt, closure and
follow-up happens at a known instant; the calendar is weekends only (conftest). Category
"noise" resolves in 5 working days; "pens" (needs a location) in 10.

June 2026 (1 June is a Monday), station S1 and the community office C1 below it:

| appeal | received | what happened | closed | on time | working s |
|---|---|---|---|---|---|
| A1 | Mon 1 Jun 09:00 | closed Wed 3 Jun 10:00; follow-up 8 Jun: satisfied | yes | yes | 176,400 |
| A2 pens | Tue 2 Jun 09:00 | closed 12 Jun, due 16 Jun; follow-up basically | yes | yes | 691,200 |
| A3 | Wed 3 Jun 09:00 | closed 5 Jun; follow-up 10 Jun: dissatisfied, reopened | no | – | – |
| A4 | Wed 10 Jun 09:00 | in progress, due 17 Jun: overdue | no | – | – |
| A5 | Mon 15 Jun 09:00 | withdrawn: leaves the figures | – | – | – |
| A6 (C1) | Sat 20 Jun 10:00 | closed Wed 1 Jul 09:00, due 27 Jun 00:00 | yes | no | 637,200 |
| A7 | Fri 29 May 09:00 | closed 2 Jun; follow-up 4 Jun satisfied (May's cohort) | | | |
| B1 (S2) | Mon 8 Jun 09:00 | another station: outside the cut | | | |
| Y1 | Wed 10 Jun 2025 | closed Thu 11 Jun 2025 (a year earlier) | | | |

As of Wed 15 Jul 2026 10:00, June: received 5 (1 excluded); completion 3/5; on time 2/5;
average handling (176,400 + 691,200 + 637,200) / 3 s = 5.8 working days (17.4166… / 3);
follow-up 2/3 (A6 has none yet); satisfaction 3/4 (A1, A2, A7 satisfied or basically; A3
not), fully 2/4; reopen 1/4 (A3 over A1, A2, A6 and A3 itself, closed once); open now 2 (A3
and A4), both overdue and red after the sweep. Year on year: 5 against 1 (+400.0%);
May: 1 (A7).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from liuqing.analytics import periods
from liuqing.appeals import kpis
from liuqing.appeals.testing import submit
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework import services as casework
from liuqing.casework.models import Case, FollowUp, Satisfaction
from liuqing.casework.sweep import sweep
from liuqing.casework.testing import member_at
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import Place, PlaceKind, Role

pytestmark = pytest.mark.django_db


def local(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = local(2026, 6, 1, 8)
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def at(self, *args: int) -> None:
        self.now = local(*args)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    return Clock(monkeypatch)


AS_OF = (2026, 7, 15, 10)


class Story:
    def __init__(self, cast: Cast, clock: Clock) -> None:
        self.cast = cast
        self.clock = clock
        self.cases: dict[str, Case] = {}

    def receive(self, name: str, when: tuple[int, ...], **fields: Any) -> Case:
        self.clock.at(*when)
        fields.setdefault("category", self.cast.category)
        case = submit(fields.pop("unit", self.cast.unit), **fields)
        self.cases[name] = case
        return case

    def work(self, case: Case, when: tuple[int, ...]) -> None:
        self.clock.at(*when)
        sam = member_at(case.unit, Role.SERGEANT)
        owner = member_at(case.unit, Role.OFFICER)
        casework.act_on_case(actor=sam, case=case, action="accept")
        casework.assign_case(actor=sam, case=case, owner=owner)
        casework.act_on_case(actor=owner, case=case, action="start")

    def close(self, case: Case, when: tuple[int, ...]) -> None:
        self.clock.at(*when)
        assert case.owner is not None
        casework.act_on_case(actor=case.owner, case=case, action="resolve", note="done")
        casework.act_on_case(actor=member_at(case.unit, Role.SERGEANT), case=case, action="verify")

    def follow_up(
        self, case: Case, when: tuple[int, ...], rating: str, reopen: bool = False
    ) -> None:
        self.clock.at(*when)
        followup = FollowUp.objects.get(case=case, done_at__isnull=True, cancelled_at__isnull=True)
        assert case.owner is not None
        casework.record_followup(
            actor=case.owner,
            followup=followup,
            satisfaction=rating,
            resolved=not reopen,
            reopen=reopen,
            reopen_reason="still noisy" if reopen else "",
        )


@pytest.fixture
def story(cast: Cast, clock: Clock) -> Story:
    s = Story(cast, clock)
    # A year earlier.
    y1 = s.receive("Y1", (2025, 6, 10, 9))
    s.work(y1, (2025, 6, 10, 10))
    s.close(y1, (2025, 6, 11, 9))
    # May's cohort, followed up in June.
    a7 = s.receive("A7", (2026, 5, 29, 9))
    s.work(a7, (2026, 5, 29, 10))
    s.close(a7, (2026, 6, 2, 9))
    s.follow_up(a7, (2026, 6, 4, 9), Satisfaction.SATISFIED)
    # June.
    a1 = s.receive("A1", (2026, 6, 1, 9))
    s.work(a1, (2026, 6, 1, 9, 30))
    s.close(a1, (2026, 6, 3, 10))
    village = Place.objects.create(
        unit=cast.unit, name="红星村", kind=PlaceKind.VILLAGE, latitude=43.9, longitude=81.3
    )
    a2 = s.receive("A2", (2026, 6, 2, 9), category=cast.located, place=village)
    s.work(a2, (2026, 6, 2, 10))
    a3 = s.receive("A3", (2026, 6, 3, 9))
    s.work(a3, (2026, 6, 3, 10))
    s.close(a3, (2026, 6, 5, 9))
    s.follow_up(a1, (2026, 6, 8, 10), Satisfaction.SATISFIED)
    s.follow_up(a3, (2026, 6, 10, 10), Satisfaction.DISSATISFIED, reopen=True)
    a4 = s.receive("A4", (2026, 6, 10, 9))
    s.work(a4, (2026, 6, 10, 10))
    s.close(a2, (2026, 6, 12, 9))
    a5 = s.receive("A5", (2026, 6, 15, 9))
    s.clock.at(2026, 6, 16, 9)
    casework.act_on_case(actor=cast.sam, case=a5, action="withdraw", note="resolved itself")
    s.follow_up(a2, (2026, 6, 17, 9), Satisfaction.BASICALLY)
    a6 = s.receive("A6", (2026, 6, 20, 10), unit=cast.child)
    s.work(a6, (2026, 6, 22, 9))
    s.close(a6, (2026, 7, 1, 9))
    s.receive("B1", (2026, 6, 8, 9), unit=cast.other)
    s.clock.at(*AS_OF)
    sweep(now=timezone.now())
    return s


def june_report(story: Story, **cut: Any) -> kpis.Report:
    zone = kpis.tz()
    return kpis.report(
        story.cast.sam,
        kpis.Cut(unit=cut.pop("unit", story.cast.unit), **cut),
        [periods.month(2026, 6, zone)],
        as_of=local(*AS_OF),
    )


def lines(rep: kpis.Report) -> dict[str, kpis.Line]:
    return {line.figure.key: line for line in rep.periods[0].lines}


def counts(value: Any) -> tuple[int, int]:
    return (value.numerator, value.denominator)


def test_the_story_is_as_told(story: Story) -> None:
    c = {k: Case.objects.get(pk=v.pk) for k, v in story.cases.items()}
    assert c["A1"].closed_on_time is True
    assert c["A2"].closed_on_time is True  # pens: 10 working days, due 16 Jun
    assert c["A2"].handling_seconds == 691_200
    assert c["A6"].closed_on_time is False
    assert c["A6"].handling_seconds == 637_200
    assert c["A3"].status == "in_progress"
    assert c["A3"].reopened_count == 1
    assert c["A4"].warning == "red"
    assert c["A5"].status == "withdrawn"


def test_june_against_the_hand_count(story: Story) -> None:
    rep = june_report(story)
    f = lines(rep)
    figures = rep.periods[0].figures
    assert figures.received == 5
    assert figures.excluded == 1
    assert counts(f["completion"].value) == (3, 5)
    assert counts(f["on_time"].value) == (2, 5)
    handling = f["average_handling_days"].value
    assert handling.count == 3
    assert handling.value == Fraction(176_400 + 691_200 + 637_200, 86_400 * 3)
    assert handling.display() == "5.8"
    assert counts(f["followup"].value) == (2, 3)
    assert counts(f["satisfaction"].value) == (3, 4)
    assert counts(f["fully_satisfied"].value) == (2, 4)
    assert counts(f["reopen"].value) == (1, 4)
    assert f["completion"].display == "60.0%"
    assert f["completion"].hover == "3 / 5"
    assert f["satisfaction"].display == "75.0%"


def test_open_now_by_warning_level(story: Story) -> None:
    rep = june_report(story)
    assert rep.open_now.open == 2
    assert rep.open_now.overdue == 2
    assert rep.open_now.by_level == {"none": 0, "blue": 0, "yellow": 0, "red": 2}


def test_year_on_year_and_month_on_month(story: Story) -> None:
    rep = june_report(story)
    f = lines(rep)
    assert rep.periods[0].year_before.key == "2025-06"
    assert rep.periods[0].period_before.key == "2026-05"
    assert f["received"].year_before == 1
    assert f["received"].yoy == 4
    assert f["received"].yoy_display == "+400.0%"
    assert f["received"].period_before == 1
    # A year earlier, all closed on time: 3/5 against 1/1 is a 40 % fall.
    assert counts(f["completion"].year_before) == (1, 1)
    assert f["completion"].yoy_display == "-40.0%"
    # Nothing was followed up in May 2025: undefined, shown as a dash.
    assert f["satisfaction"].yoy is None
    assert f["satisfaction"].yoy_display == "—"


def test_the_cuts(story: Story) -> None:
    assert june_report(story, unit=story.cast.child).periods[0].figures.received == 1  # A6
    assert june_report(story, category=story.cast.located).periods[0].figures.received == 1


def test_the_cohort_counts_as_of_the_report_time(story: Story) -> None:
    zone = kpis.tz()
    earlier = kpis.report(
        story.cast.sam,
        kpis.Cut(unit=story.cast.unit),
        [periods.month(2026, 6, zone)],
        as_of=local(2026, 6, 30, 12),
    )
    f = lines(earlier)
    assert counts(f["completion"].value) == (2, 5)  # A6 closed on 1 July


def test_figures_stay_in_scope(story: Story) -> None:
    with pytest.raises(NotFound):
        june_report(story, unit=story.cast.other)
    with pytest.raises(AccessDenied):
        kpis.report(
            story.cast.sid,
            kpis.Cut(unit=story.cast.unit),
            [periods.month(2026, 6, kpis.tz())],
        )


def test_the_export_carries_numerators_and_denominators(story: Story) -> None:
    body = kpis.as_csv(june_report(story))
    assert ",2026-06,completion,60.0%,3,5,100.0%,-40.0%," in body
    assert ",now,open_red,2," in body
    data = kpis.as_dict(june_report(story))
    completion = data["periods"][0]["figures"]["completion"]
    assert completion["numerator"] == 3
    assert completion["denominator"] == 5
    assert completion["yoy"] == pytest.approx(-0.4)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2026", "2026"),
        ("2026-06", "2026-06"),
        ("2026-q2", "2026-Q2"),
        ("2026-H1", "2026-H1"),
        ("2026-06-01..2026-06-15", "2026-06-01..2026-06-15"),
    ],
)
def test_periods_are_parsed(text: str, key: str) -> None:
    assert kpis.parse_period(text).key == key


@pytest.mark.parametrize("text", ["", "June", "2026-13", "1999", "2026-06-15..2026-06-01"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (each refusal has its own message)
        kpis.parse_period(text)


def test_loading_takes_three_queries(story: Story, django_assert_num_queries: Any) -> None:
    cut = kpis.Cut(unit=story.cast.unit)
    story.cast.sam.role_set  # noqa: B018  (roles cached before counting)
    # The appeals, the follow-ups, and the clock lengths the warning rule needs (a few seeks
    # in an index: casework.levels.fraction_days); as many for any number of appeals.
    with django_assert_num_queries(3):
        kpis.load(story.cast.sam, cut, since=local(2025, 1, 1), as_of=local(*AS_OF))


# --- Grouped in the database, as the report loads them ------------------------------------------


def both_loads(
    story: Story, wanted: list[periods.Period], as_of: dt.datetime, **cut: Any
) -> tuple[list[kpis.Evaluation], kpis.Loaded, kpis.Loaded]:
    """What the report evaluates, with one row per appeal (`load`) and grouped."""
    actor = story.cast.sam
    the_cut = kpis.Cut(unit=cut.pop("unit", story.cast.unit), **cut)
    evaluated = [x for triple in kpis.evaluations(wanted, as_of) for x in triple]
    rows = kpis.load(actor, the_cut, since=min(p.start for p, _ in evaluated), as_of=as_of)
    grouped = kpis.load_grouped(
        actor,
        the_cut,
        bounds=[bound for p, _ in evaluated for bound in (p.start, p.end)],
        as_ofs=[when for _, when in evaluated],
    )
    return evaluated, rows, grouped


def assert_same_figures(
    story: Story, wanted: list[periods.Period], as_of: dt.datetime, **cut: Any
) -> None:
    evaluated, rows, grouped = both_loads(story, wanted, as_of, **cut)
    assert grouped.rows.weight.sum() == len(rows.rows)
    assert grouped.followups.weight.sum() == len(rows.followups)
    for p, when in evaluated:
        expected = kpis.figures_for(rows, p, when)
        if when != as_of:  # open now is grouped for the report's instant only
            expected = dataclasses.replace(expected, open_now=None)
        assert kpis.figures_for(grouped, p, when) == expected, (p, when)


ZONE = kpis.tz()
WANTED = [
    kpis.standard_periods(dt.date(2026, 6, 20)),
    [periods.days(dt.date(2026, 6, 3), dt.date(2026, 6, 10), ZONE)],
    [periods.half_year(2026, 1, ZONE), periods.month(2026, 7, ZONE)],
]


@pytest.mark.parametrize(
    "as_of",
    [
        AS_OF,
        (2026, 6, 30, 12),
        (2026, 6, 3, 10),  # A1 closes at this very instant
        (2026, 6, 8, 10),  # A1's follow-up is done at this very instant
        (2026, 7, 1, 9),  # A6 closes at this very instant
        (2026, 7, 1, 0),  # a period bound
    ],
)
def test_grouped_figures_equal_those_of_one_row_per_appeal(story: Story, as_of: Any) -> None:
    for wanted in WANTED:
        assert_same_figures(story, wanted, local(*as_of))
    assert_same_figures(story, WANTED[0], local(*as_of), unit=story.cast.child)
    assert_same_figures(story, WANTED[0], local(*as_of), category=story.cast.located)


def test_ties_fall_as_defined(story: Story) -> None:
    """Received at a period's first instant, closed at the as-of instant, due at the closing
    instant, no due time, merged, a follow-up at a bound and one at the as-of instant."""
    c = {name: Case.objects.get(pk=case.pk) for name, case in story.cases.items()}
    Case.objects.filter(pk=c["A4"].pk).update(received_at=local(2026, 7, 1))  # July's
    Case.objects.filter(pk=c["A1"].pk).update(resolve_due=c["A1"].closed_at)  # on time
    Case.objects.filter(pk=c["A6"].pk).update(resolve_due=None)  # cannot be late
    Case.objects.filter(pk=c["A2"].pk).update(status="merged")
    FollowUp.objects.filter(case=c["A7"]).update(done_at=local(2026, 7, 1))  # July's
    FollowUp.objects.filter(case=c["A2"]).update(done_at=local(2026, 7, 1, 9))
    june = periods.month(2026, 6, ZONE)
    as_of = local(2026, 7, 1, 9)  # A6 closes at this instant
    assert c["A6"].closed_at == as_of

    rep = kpis.report(story.cast.sam, kpis.Cut(unit=story.cast.unit), [june], as_of=as_of)
    f = lines(rep)
    figures = rep.periods[0].figures
    assert (figures.received, figures.excluded) == (3, 2)  # A1 A3 A6; A2 merged, A5
    assert counts(f["completion"].value) == (2, 3)  # A1, and A6 at as-of
    assert counts(f["on_time"].value) == (2, 3)  # A1 due at its closing, A6 with no due
    assert counts(f["satisfaction"].value) == (1, 2)  # A1 satisfied, A3 not
    july = kpis.report(
        story.cast.sam,
        kpis.Cut(unit=story.cast.unit),
        [periods.month(2026, 7, ZONE)],
        as_of=as_of,
    )
    assert july.periods[0].figures.received == 1  # A4
    assert counts(lines(july)["satisfaction"].value) == (2, 2)  # A7 at 00:00, A2 at as-of
    just_before = kpis.report(
        story.cast.sam,
        kpis.Cut(unit=story.cast.unit),
        [june, periods.month(2026, 7, ZONE)],
        as_of=as_of - dt.timedelta(microseconds=1),
    )
    assert counts(lines(just_before)["completion"].value) == (1, 3)  # A6 not yet
    assert counts(just_before.periods[1].lines[5].value) == (1, 1)  # only A7 in July so far
    for when in (as_of, local(2026, 7, 1), local(2026, 6, 30, 12)):
        for wanted in WANTED:
            assert_same_figures(story, wanted, when)


def test_grouped_rows_answer_only_for_what_they_were_grouped_by(story: Story) -> None:
    june = periods.month(2026, 6, ZONE)
    _, _, grouped = both_loads(story, [june], local(*AS_OF))
    kpis.figures_for(grouped, june, local(*AS_OF))
    with pytest.raises(ValueError, match="bounds"):
        kpis.figures_for(grouped, periods.month(2026, 7, ZONE), local(*AS_OF))
    with pytest.raises(ValueError, match="as of"):
        kpis.figures_for(grouped, june, local(2026, 7, 14))


def test_grouped_loading_stays_in_scope(story: Story) -> None:
    june = periods.month(2026, 6, ZONE)
    with pytest.raises(NotFound):
        kpis.load_grouped(
            story.cast.sam,
            kpis.Cut(unit=story.cast.other),
            bounds=[june.start, june.end],
            as_ofs=[local(*AS_OF)],
        )


def test_the_report_takes_three_queries(story: Story, django_assert_num_queries: Any) -> None:
    cut = kpis.Cut(unit=story.cast.unit)
    story.cast.sam.role_set  # noqa: B018  (roles cached before counting)
    # As `load`: the appeals, the follow-ups, the clock lengths of the warning rule.
    with django_assert_num_queries(3):
        kpis.report(story.cast.sam, cut, kpis.standard_periods(dt.date(2026, 6, 20)))


def test_a_cut_with_no_appeals_has_dashes_and_nothing_open(story: Story) -> None:
    empty = Place.objects.create(
        unit=story.cast.unit, name="空村", kind=PlaceKind.VILLAGE, latitude=43.8, longitude=81.2
    )
    rep = june_report(story, place=empty)
    assert rep.periods[0].figures.received == 0
    assert lines(rep)["completion"].display == "—"
    assert rep.open_now.open == 0
    assert_same_figures(story, WANTED[0], local(*AS_OF), place=empty)


@pytest.mark.parametrize("offset", [0, kpis.MAX_FLAG_TABLE])
def test_ids_are_matched_small_or_large(offset: int) -> None:
    values = np.array([5, 3, 9, 3, 0]) + offset
    pool = np.array([3, 4, 5]) + offset
    assert kpis._among(values, pool).tolist() == [True, True, False, True, False]
    assert kpis._among(values, pool[:0]).tolist() == [False] * 5
