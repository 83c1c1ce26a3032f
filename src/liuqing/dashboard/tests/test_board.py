"""The six-situation board: the appeals section against a hand count, changes, the page, the
CSV export, the API and its bad input.

Station S1 of the standing world, calendar weekends only. Appeals received (category "noise",
5 working days):

| appeal | received | closed |
|---|---|---|
| J1 | Mon 1 Jun 2026 09:00 | Wed 3 Jun 2026 10:00 |
| J2 | Tue 2 Jun 2026 09:00 | open |
| J3 | Wed 3 Jun 2026 09:00 | open |
| M1 | Mon 4 May 2026 09:00 | open |
| M2 | Tue 5 May 2026 09:00 | open |
| Y1 | Wed 10 Jun 2025 09:00 | open |
| O1 at S2 | Mon 8 Jun 2026 09:00 | another station: outside the cut |

As of Wed 15 Jul 2026 10:00, June 2026: received 3, year on year 3 against 1 (+200.0 %),
on May 2 (+50.0 %); completion 1/3, against 0/1 a year before (change undefined: "—").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from liuqing.analytics import periods
from liuqing.analytics.rates import Rate
from liuqing.appeals.testing import appeal_category, submit
from liuqing.casework import services as casework
from liuqing.casework.calendar import use_calendar
from liuqing.casework.models import Case
from liuqing.casework.testing import member_at, shanghai_calendar
from liuqing.core import figures
from liuqing.core import services as core_services
from liuqing.core.models import Member, Role
from liuqing.core.testing import World, login_verified
from liuqing.dashboard import board as boards
from liuqing.dashboard import selectors

pytestmark = pytest.mark.django_db

AS_OF = (2026, 7, 15, 10)


def local(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture(autouse=True)
def weekends_only() -> Iterator[None]:
    with use_calendar(shanghai_calendar()):
        yield


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = local(2026, 6, 1, 8)
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def at(self, *args: int) -> None:
        self.now = local(*args)


@pytest.fixture
def story(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    clock = Clock(monkeypatch)
    category = appeal_category("test.noise", resolve_days=5)
    s1, s2 = world.units["S1"], world.units["S2"]

    def receive(unit: Any, *when: int) -> Case:
        clock.at(*when)
        return submit(unit, category=category)

    j1 = receive(s1, 2026, 6, 1, 9)
    receive(s1, 2026, 6, 2, 9)
    receive(s1, 2026, 6, 3, 9)
    receive(s1, 2026, 5, 4, 9)
    receive(s1, 2026, 5, 5, 9)
    receive(s1, 2025, 6, 10, 9)
    receive(s2, 2026, 6, 8, 9)
    clock.at(2026, 6, 3, 10)
    sam, owner = member_at(s1, Role.SERGEANT), member_at(s1, Role.OFFICER)
    casework.act_on_case(actor=sam, case=j1, action="accept")
    casework.assign_case(actor=sam, case=j1, owner=owner)
    casework.act_on_case(actor=owner, case=j1, action="start")
    casework.act_on_case(actor=owner, case=j1, action="resolve", note="done")
    casework.act_on_case(actor=sam, case=j1, action="verify")
    clock.at(*AS_OF)
    return world


def june() -> periods.Period:
    return periods.month(2026, 6, selectors.tz())


def appeals_lines(board: boards.Board) -> dict[str, boards.Line]:
    (section,) = [s for s in board.sections if s.key == "appeals"]
    return {line.key: line for line in section.lines}


def test_the_appeals_section_against_the_hand_count(story: World) -> None:
    chief = story.persona(Role.STATION_CHIEF)
    board = selectors.board_for(chief, story.units["S1"], june(), as_of=local(*AS_OF))
    assert board.year_before.key == "2025-06"
    assert board.period_before.key == "2026-05"
    lines = appeals_lines(board)
    received = lines["received"]
    assert (received.value, received.year_before, received.period_before) == (3, 1, 2)
    assert received.yoy_display == "+200.0%"
    assert received.mom_display == "+50.0%"
    assert received.yoy_tone == ""  # more requests is neither good nor bad news
    # 3 against 1: no change of four requests in all can be significant; 3 against 2 (June
    # against May's 31 days) could be, at the extremes, and is not.
    assert (received.yoy_note, received.mom_note) == ("too_few", "not_significant")
    assert str(received.yoy_note_label) == "too few to tell"
    completion = lines["completion"]
    assert (completion.value.numerator, completion.value.denominator) == (1, 3)
    assert completion.display == "33.3%"
    assert completion.hover == "1 / 3"
    assert completion.year_before.numerator == 0
    assert completion.yoy_display == "—"
    assert (completion.yoy_note, completion.mom_note) == ("", "")  # a rate: no count test


def test_a_change_of_counts_carries_the_exact_tests_note() -> None:
    # Equal exposures (30 days each): 3 → 1 is too few to tell, 105 → 100 within chance,
    # 200 → 100 significant; a rate or an undefined value gets no note.
    assert boards.count_note(1, 3, 30, 30) == "too_few"
    assert boards.count_note(105, 100, 30, 30) == "not_significant"
    assert boards.count_note(200, 100, 30, 30) == "significant"
    assert boards.count_note(200, 100, 30, 0) == ""
    assert boards.count_note(Rate(1, 3), Rate(1, 2), 30, 30) == ""
    assert boards.count_note(5, None, 30, 30) == ""
    # More incidents is bad news only when the test says the rise is real.
    noisy = boards.Line("x", "x", 105, 100, 100, False, "not_significant", "significant")
    assert (noisy.yoy_tone, noisy.mom_tone) == ("", "bad")
    assert noisy.yoy_display == "+5.0%"  # the change is still shown, with its note
    assert str(noisy.yoy_note_label) == "within chance"
    assert noisy.mom_note_label == ""


def test_a_member_sees_only_the_sections_their_roles_allow(story: World) -> None:
    sid = story.persona(Role.SYSADMIN)
    board = selectors.board_for(sid, None, june(), as_of=local(*AS_OF))
    assert "appeals" not in [s.key for s in board.sections]
    assert [s.key for s in figures.sections_for(sid)] == [s.key for s in board.sections]


def test_changes_against_zero_or_undefined_are_undefined() -> None:
    assert boards.change(5, 0) is None
    assert boards.change(None, 3) is None
    line = boards.Line("x", "x", 4, 0, 2, rise_is_good=False)
    assert line.yoy_display == "—"
    assert line.mom_display == "+100.0%"
    assert line.mom_tone == "bad"


def test_the_page_and_the_csv(story: World) -> None:
    chief = story.persona(Role.STATION_CHIEF)
    client = login_verified(Client(), chief)
    page = client.get("/board/", {"kind": "month", "on": "2026-06-15"})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-section="appeals"' in text
    assert "+200.0%" in text
    assert 'title="1 / 3"' in text
    assert 'data-note="too_few"' in text
    exported = client.get("/board.csv", {"kind": "month", "on": "2026-06-15"})
    assert exported.status_code == 200
    rows = {r["figure"]: r for r in csv.DictReader(io.StringIO(exported.content.decode()))}
    assert rows["received"]["display"] == "3"
    assert rows["received"]["yoy"] == "+200.0%"
    assert rows["received"]["yoy_note"] == "too_few"
    assert (rows["completion"]["numerator"], rows["completion"]["denominator"]) == ("1", "3")
    assert rows["completion"]["period"] == "2026-06"


def test_bad_filters_fall_back_with_a_field_error(story: World) -> None:
    chief = story.persona(Role.STATION_CHIEF)
    client = login_verified(Client(), chief)
    outside = story.units["S2"].pk
    page = client.get("/board/", {"unit": outside, "kind": "decade", "on": "1900-01-01"})
    assert page.status_code == 200
    form = page.context["form"]
    assert set(form.errors) == {"unit", "kind", "on"}
    assert page.context["board"].unit == chief.unit  # the member's own unit, this month


def api_get(member: Member, params: dict[str, Any]) -> Any:
    _token, secret = core_services.create_api_token(actor=member, name="test")
    return Client().get("/api/v1/dashboard", params, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_the_api(story: World) -> None:
    chief = story.persona(Role.STATION_CHIEF)
    response = api_get(chief, {"period": "2026-06", "unit": story.units["S1"].pk})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["period"], data["year_before"], data["period_before"]) == (
        "2026-06",
        "2025-06",
        "2026-05",
    )
    (section,) = [s for s in data["sections"] if s["key"] == "appeals"]
    got = {f["key"]: f for f in section["figures"]}
    assert got["received"]["value"] == {"type": "count", "value": 3, "display": "3"}
    assert got["received"]["yoy"] == 2.0
    assert got["received"]["mom"] == 0.5
    assert (got["received"]["yoy_note"], got["received"]["mom_note"]) == (
        "too_few",
        "not_significant",
    )
    assert got["completion"]["yoy_note"] is None
    assert got["completion"]["value"]["numerator"] == 1
    assert got["completion"]["value"]["denominator"] == 3
    assert got["completion"]["yoy"] is None
    json.dumps(data)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "last week"}, "period"),
        ({"period": "1999"}, "period"),
        ({"unit": 0}, "unit"),
        ({"unit": "abc"}, "unit"),
    ],
)
def test_bad_api_input_is_a_field_error(story: World, params: dict[str, Any], field: str) -> None:
    response = api_get(story.persona(Role.STATION_CHIEF), params)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_a_unit_outside_the_jurisdiction_is_a_field_error(story: World) -> None:
    response = api_get(story.persona(Role.STATION_CHIEF), {"unit": story.units["S2"].pk})
    assert response.status_code == 422
    assert "unit" in response.json()["error"]["fields"]


def test_a_year_without_records_opens_on_the_newest_one(
    story: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: local(2027, 3, 1, 9))
    chief = story.persona(Role.STATION_CHIEF)
    client = login_verified(Client(), chief)
    page = client.get("/board/")
    assert page.context["moved"] is True
    assert page.context["board"].period.key == "2026-06"  # J3, received 3 June 2026
    assert "Nothing was recorded this year" in page.content.decode()
    data = api_get(chief, {}).json()
    assert data["period"] == "2026-06"
    asked = client.get("/board/", {"on": "2027-02-01"})
    assert asked.context["moved"] is False
    assert asked.context["board"].period.key == "2027-02"
