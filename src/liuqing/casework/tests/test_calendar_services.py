"""Entering a year's national schedule: who may, what is refused, the audit record, the
shipped data loaded by the migration, and the per-process cache."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liuqing.casework import calendar as calendar_module
from liuqing.casework import calendar_services as services
from liuqing.casework.calendar import (
    get_calendar,
    reset_calendar_cache,
    use_calendar,
    weekends_only,
)
from liuqing.casework.calendar_services import SHIPPED_SOURCE, ScheduleDay
from liuqing.casework.models import CalendarDay, CalendarYear
from liuqing.core.access import AccessDenied
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World

D = dt.date
# The 2027 schedule as a State Council notice might give it (hypothetical dates).
DAYS_2027 = [
    (D(2027, 1, 1), False, "元旦"),
    (D(2027, 2, 8), False, "春节"),
    (D(2027, 2, 9), False, "春节"),
    (D(2027, 2, 20), True, "春节"),  # a Saturday
]


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The deployment's own calendar, freshly loaded: these tests are about it, so no
    calendar pinned by the casework conftest (`use_calendar`) applies here."""
    monkeypatch.setattr(calendar_module, "_override", None)
    reset_calendar_cache()
    yield
    reset_calendar_cache()


def admin(world: World) -> Any:
    return world.persona(Role.DETACHMENT_STAFF)


def field_errors(exc: pytest.ExceptionInfo[ValidationError], name: str) -> str:
    return " ".join(exc.value.message_dict[name])


# --- The shipped calendar ------------------------------------------------------------------------


def test_the_migration_loads_the_shipped_years(db: None) -> None:
    years = dict(CalendarYear.objects.values_list("year", "source"))
    assert sorted(years) == list(range(2004, 2027))
    assert set(years.values()) == {SHIPPED_SOURCE}
    calendar = get_calendar()
    assert calendar.has_schedule(2026)
    assert not calendar.has_schedule(2027)
    assert not calendar.is_workday(D(2026, 2, 16))  # Spring Festival
    assert calendar.is_workday(D(2026, 2, 28))  # make-up Saturday
    assert calendar.day_name(D(2026, 2, 16)) == "春节"
    assert CalendarDay.objects.count() == 557


def test_loading_the_shipped_calendar_again_changes_nothing(world: World) -> None:
    assert services.load_shipped_calendar(actor=admin(world)) == []
    assert CalendarDay.objects.count() == 557
    assert not AuditEvent.objects.filter(action="calendar.load_shipped").exists()


def test_reloading_restores_a_shipped_year_when_asked(world: World) -> None:
    services.set_year_schedule(
        actor=admin(world), year=2026, days=[(D(2026, 3, 2), False, "x")], source="wrong"
    )
    assert services.load_shipped_calendar(actor=admin(world)) == []  # left alone
    years = services.load_shipped_calendar(actor=admin(world), replace=True)
    assert years == list(range(2004, 2027))
    assert CalendarDay.objects.count() == 557
    assert get_calendar().is_workday(D(2026, 3, 2))
    assert AuditEvent.objects.filter(action="calendar.load_shipped").count() == 1


# --- Entering a year ----------------------------------------------------------------------------


def test_detachment_staff_enter_the_next_year(world: World) -> None:
    assert get_calendar().is_workday(D(2027, 2, 8))  # weekends only so far
    saved = services.set_year_schedule(
        actor=admin(world), year=2027, days=DAYS_2027, source="国办发明电〔2026〕7号"
    )
    assert (saved.holidays, saved.makeup_days, saved.ignored) == (3, 1, [])
    assert saved.calendar_year.source == "国办发明电〔2026〕7号"
    calendar = get_calendar()  # this process sees the change at once
    assert calendar.has_schedule(2027)
    assert not calendar.is_workday(D(2027, 2, 8))
    assert calendar.is_workday(D(2027, 2, 20))
    event = AuditEvent.objects.get(action="calendar.set_year")
    assert event.member_id_value == admin(world).pk
    assert '"2027-02-08":[null,"off 春节"]' in event.details


def test_a_system_administrator_may_enter_a_year(world: World) -> None:
    services.set_year_schedule(
        actor=world.persona(Role.SYSADMIN), year=2027, days=DAYS_2027, source="notice"
    )
    assert CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.parametrize(
    "role", [Role.OFFICER, Role.STATION_CHIEF, Role.BRIGADE_STAFF, Role.AUDITOR, Role.ANALYST]
)
def test_other_roles_may_not(world: World, role: str) -> None:
    with pytest.raises(AccessDenied):
        services.set_year_schedule(
            actor=world.persona(role), year=2027, days=DAYS_2027, source="notice"
        )
    with pytest.raises(AccessDenied):
        services.import_year_csv(actor=world.persona(role), upload=b"", source="x")
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_entering_a_year_again_replaces_all_its_days(world: World) -> None:
    services.set_year_schedule(actor=admin(world), year=2027, days=DAYS_2027, source="first")
    services.set_year_schedule(
        actor=admin(world), year=2027, days=[(D(2027, 2, 10), False, "春节")], source="second"
    )
    days = list(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True))
    assert days == [D(2027, 2, 10)]
    assert CalendarYear.objects.get(year=2027).source == "second"
    assert get_calendar().is_workday(D(2027, 2, 8))
    # Other years are untouched.
    assert CalendarDay.objects.filter(date__year=2026).count() == 25


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ([(D(2027, 2, 6), False, "春节")], "2027-02-06 is a Saturday: a day off on a weekend"),
        ([(D(2027, 2, 8), True, "春节")], "2027-02-08 is a Monday, a working day already"),
        ([(D(2026, 12, 31), False, "")], "2026-12-31 is not in 2027"),
        ([(D(2027, 2, 8), False, ""), (D(2027, 2, 8), False, "")], "appears more than once"),
        ([], "Enter at least one"),
        ([(D(2027, 2, 8), False, "x" * 65)], "longer than 64"),
    ],
)
def test_bad_days_are_refused_and_nothing_is_written(
    world: World, days: list[Any], message: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.set_year_schedule(actor=admin(world), year=2027, days=days, source="x")
    assert message in field_errors(exc, "days")
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert not AuditEvent.objects.filter(action="calendar.set_year").exists()


def test_every_problem_is_listed_at_once(world: World) -> None:
    days = [(D(2027, 2, 6), False, ""), (D(2027, 2, 8), True, ""), (D(2028, 1, 3), False, "")]
    with pytest.raises(ValidationError) as exc:
        services.set_year_schedule(actor=admin(world), year=2027, days=days, source="x")
    assert len(exc.value.message_dict["days"]) == 3


def test_redundant_days_may_be_ignored(world: World) -> None:
    notice = [
        *DAYS_2027,
        (D(2027, 2, 6), False, "春节"),  # Saturday
        (D(2027, 2, 7), False, "春节"),  # Sunday
    ]
    saved = services.set_year_schedule(
        actor=admin(world), year=2027, days=notice, source="notice", ignore_redundant=True
    )
    assert saved.ignored == [D(2027, 2, 6), D(2027, 2, 7)]
    assert CalendarDay.objects.filter(date__year=2027).count() == 4


@pytest.mark.parametrize(
    ("year", "source", "field"), [(1800, "x", "year"), (2027, "x" * 201, "source")]
)
def test_bad_year_or_source(world: World, year: int, source: str, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        services.set_year_schedule(actor=admin(world), year=year, days=DAYS_2027, source=source)
    assert field in exc.value.message_dict


def test_clearing_a_year_falls_back_to_weekends(world: World) -> None:
    services.set_year_schedule(actor=admin(world), year=2027, days=DAYS_2027, source="x")
    assert services.clear_year_schedule(actor=admin(world), year=2027) is True
    assert not get_calendar().has_schedule(2027)
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert services.clear_year_schedule(actor=admin(world), year=2027) is False
    assert AuditEvent.objects.filter(action="calendar.clear_year").count() == 1


# --- Text and CSV ------------------------------------------------------------------------------


def test_parsing_lines_of_text() -> None:
    text = (
        "# 2027\n"
        "date,is_workday,name\n"
        "2027-02-08,off,春节\n"
        "2027-02-20 ，班， 春节\n"
        "2027-10-01\t0\t国庆节\n"
        "\n"
        "2027-05-03,休\n"
    )
    assert services.parse_schedule(text) == [
        ScheduleDay(D(2027, 2, 8), False, "春节"),
        ScheduleDay(D(2027, 2, 20), True, "春节"),
        ScheduleDay(D(2027, 10, 1), False, "国庆节"),
        ScheduleDay(D(2027, 5, 3), False, ""),
    ]


def test_bad_lines_are_reported_with_their_numbers() -> None:
    with pytest.raises(ValidationError) as exc:
        services.parse_schedule("2027-02-08,off\n2027-02-30,off\n2027-02-09,maybe\nnonsense")
    errors = exc.value.message_dict["days"]
    assert errors == [
        "Line 2: “2027-02-30” is not a date (YYYY-MM-DD).",
        "Line 3: “maybe” should be off (a holiday) or on (a working day).",
        "Line 4: write the date, then off or on, then the name.",
    ]


def test_a_long_list_of_problems_is_cut_short() -> None:
    with pytest.raises(ValidationError) as exc:
        services.parse_schedule("\n".join(["bad,line"] * 30))
    errors = exc.value.message_dict["days"]
    assert len(errors) == 21
    assert "10 more" in errors[-1]


def test_importing_a_csv_in_the_shipped_format(world: World) -> None:
    upload = "\ufeffdate,is_workday,name\n2027-02-08,0,春节\n2027-02-20,1,春节\n".encode()
    [saved] = services.import_year_csv(actor=admin(world), upload=upload, year=2027, source="csv")
    assert (saved.holidays, saved.makeup_days) == (1, 1)
    assert get_calendar().is_workday(D(2027, 2, 20))


def test_a_gb18030_csv_from_a_spreadsheet(world: World) -> None:
    upload = "date,is_workday,name\n2027-02-08,0,春节\n".encode("gb18030")
    services.import_year_csv(actor=admin(world), upload=upload, year=2027, source="csv")
    assert CalendarDay.objects.get(date=D(2027, 2, 8)).name == "春节"


def test_a_csv_for_another_year_is_refused(world: World) -> None:
    upload = b"date,is_workday,name\n2027-02-08,0,x\n2028-01-03,0,y\n"
    with pytest.raises(ValidationError) as exc:
        services.import_year_csv(actor=admin(world), upload=upload, year=2027, source="csv")
    assert "2028" in field_errors(exc, "file")
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_a_csv_of_several_years_enters_each_or_none(world: World) -> None:
    good = b"2027-02-08,0,x\n2028-01-03,0,y\n"
    saved = services.import_year_csv(actor=admin(world), upload=good, source="csv")
    assert [s.calendar_year.year for s in saved] == [2027, 2028]
    bad = b"2029-02-08,0,x\n2030-01-05,0,y\n"  # 5 Jan 2030 is a Saturday
    with pytest.raises(ValidationError) as exc:
        services.import_year_csv(actor=admin(world), upload=bad, source="csv")
    assert "2030-01-05 is a Saturday" in field_errors(exc, "file")
    assert not CalendarYear.objects.filter(year__in=[2029, 2030]).exists()


def test_row_problems_in_a_csv_show_on_the_file_field(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.import_year_csv(actor=admin(world), upload=b"2027-13-01,0,x", source="csv")
    assert "Line 1" in field_errors(exc, "file")
    with pytest.raises(ValidationError) as exc:
        services.import_year_csv(actor=admin(world), upload=b"\xff\xfe\x00bad", source="csv")
    assert "file" in exc.value.message_dict


# --- The cache ------------------------------------------------------------------------------------


def test_the_calendar_is_loaded_once_per_process(db: None) -> None:
    first = get_calendar()
    with CaptureQueriesContext(connection) as queries:
        assert get_calendar() is first
    assert len(queries) == 0


def test_a_change_by_another_process_is_noticed_at_the_next_check(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_calendar()
    # Another process writes the rows (no reset in this one) ...
    CalendarYear.objects.create(year=2027, source="elsewhere")
    CalendarDay.objects.create(date=D(2027, 2, 8), is_workday=False, name="春节")
    assert get_calendar() is first  # ... unseen until the check interval passes
    monkeypatch.setattr(calendar_module, "CHECK_INTERVAL", 0.0)
    fresh = get_calendar()
    assert fresh is not first
    assert not fresh.is_workday(D(2027, 2, 8))
    with CaptureQueriesContext(connection) as queries:
        assert get_calendar() is fresh  # unchanged: one version check, no reload
    assert len(queries) == 2


def test_use_calendar_overrides_the_deployments_calendar(db: None) -> None:
    plain = weekends_only()
    with use_calendar(plain):
        assert get_calendar() is plain
    assert get_calendar() is not plain
