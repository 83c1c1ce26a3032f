"""The calendar pages: everyone on staff sees every year's state and the month grids; only
system administrators and detachment staff enter a year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from liuqing.casework import calendar as calendar_module
from liuqing.casework import calendar_admin
from liuqing.casework.calendar import reset_calendar_cache
from liuqing.casework.models import CalendarDay, CalendarYear
from liuqing.core.models import Role
from liuqing.core.testing import World, login_verified

OVERVIEW = reverse("casework:calendar")
YEAR = reverse("casework:calendar_year")
EDIT = reverse("casework:calendar_edit")


@pytest.fixture(autouse=True)
def late_2026(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Today is 30 November 2026: 2026 is scheduled (shipped), 2027 not yet."""
    monkeypatch.setattr(calendar_admin, "_today", lambda: dt.date(2026, 11, 30))
    # The deployment's own calendar, not one pinned by the casework conftest.
    monkeypatch.setattr(calendar_module, "_override", None)
    reset_calendar_cache()
    yield
    reset_calendar_cache()


def client_for(world: World, role: str) -> Client:
    return login_verified(Client(), world.persona(role))


def test_the_overview_warns_that_next_year_is_missing(world: World) -> None:
    response = client_for(world, Role.OFFICER).get(OVERVIEW)
    assert response.status_code == 200
    body = response.content.decode()
    assert "No holiday schedule for 2027." in body
    assert "weekends only" in body
    assert "scheduled" in body
    assert SHIPPED in body
    assert "Ask a system administrator" in body
    assert EDIT not in body  # an officer gets no link to the form


SHIPPED = "chinesecalendar 1.11.0"


def test_administrators_get_the_link_to_enter_a_year(world: World) -> None:
    body = client_for(world, Role.SYSADMIN).get(OVERVIEW).content.decode()
    assert f"{EDIT}?year=2027" in body


def test_no_warning_once_both_years_are_scheduled(world: World) -> None:
    CalendarYear.objects.create(year=2027, source="notice")
    body = client_for(world, Role.OFFICER).get(OVERVIEW).content.decode()
    assert "No holiday schedule" not in body


def test_a_year_shows_its_months_and_special_days(world: World) -> None:
    response = client_for(world, Role.AUDITOR).get(YEAR, {"year": 2026})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="day holiday" title="春节">16<' in body
    assert 'class="day makeup" title="春节">28<' in body
    assert "2026-02-16" in body
    assert "make-up working day" in body
    assert "weekends only" not in body


def test_a_year_without_schedule_says_weekends_only(world: World) -> None:
    body = client_for(world, Role.OFFICER).get(YEAR, {"year": 2027}).content.decode()
    assert "No holiday schedule for 2027: weekends only." in body
    assert 'class="day holiday"' not in body


def test_the_year_defaults_to_this_year(world: World) -> None:
    response = client_for(world, Role.OFFICER).get(YEAR)
    assert response.context["year"] == 2026


@pytest.mark.parametrize("year", ["abc", "1800", "99999"])
def test_a_nonsense_year_is_not_found(world: World, year: str) -> None:
    assert client_for(world, Role.OFFICER).get(YEAR, {"year": year}).status_code == 404


@pytest.mark.parametrize("role", [Role.OFFICER, Role.STATION_CHIEF, Role.AUDITOR])
def test_only_administrators_may_open_the_form(world: World, role: str) -> None:
    client = client_for(world, role)
    assert client.get(EDIT, {"year": 2027}).status_code == 403
    data = {"year": 2027, "days": "2027-02-08,off,春节", "source": "x"}
    assert client.post(EDIT, data).status_code == 403
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_entering_a_year_through_the_form(world: World) -> None:
    client = client_for(world, Role.DETACHMENT_STAFF)
    form = client.get(EDIT, {"year": 2027})
    assert form.status_code == 200
    response = client.post(
        EDIT,
        {
            "year": 2027,
            "days": "2027-02-06,off,春节\n2027-02-08,off,春节\n2027-02-20,on,春节",
            "source": "国办发明电〔2026〕7号",
            "ignore_redundant": "on",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"{YEAR}?year=2027"
    body = response.content.decode()
    assert "The 2027 schedule was saved: 1 holidays and 1 make-up working days." in body
    assert "1 redundant day was ignored." in body
    assert 'class="day holiday" title="春节">8<' in body
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == [
        dt.date(2027, 2, 8),
        dt.date(2027, 2, 20),
    ]


def test_the_form_shows_field_errors_and_writes_nothing(world: World) -> None:
    client = client_for(world, Role.DETACHMENT_STAFF)
    response = client.post(
        EDIT, {"year": 2027, "days": "2027-02-06,off,春节\n2027-02-31,off,x", "source": "x"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["days"]
    assert errors == ["Line 2: “2027-02-31” is not a date (YYYY-MM-DD)."]
    response = client.post(EDIT, {"year": 2027, "days": "2027-02-06,off,春节", "source": "x"})
    assert "2027-02-06 is a Saturday" in response.context["form"].errors["days"][0]
    response = client.post(EDIT, {"year": 2027, "days": "", "source": "x"})
    assert response.context["form"].errors["days"] == ["Enter the days, or upload a file."]
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_replacing_a_shipped_year_starts_from_its_days(world: World) -> None:
    response = client_for(world, Role.SYSADMIN).get(EDIT, {"year": 2026})
    form = response.context["form"]
    assert "2026-02-16,off,春节" in form.initial["days"]
    assert form.initial["source"] == SHIPPED
    assert "saving replaces it" in response.content.decode()


def test_uploading_a_csv(world: World) -> None:
    upload = SimpleUploadedFile(
        "2027.csv", "date,is_workday,name\n2027-02-08,0,春节\n".encode(), "text/csv"
    )
    response = client_for(world, Role.DETACHMENT_STAFF).post(
        EDIT, {"year": 2027, "file": upload, "source": "csv"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=dt.date(2027, 2, 8)).name == "春节"


def test_a_bad_csv_shows_its_problems_on_the_file_field(world: World) -> None:
    upload = SimpleUploadedFile("2027.csv", b"2028-01-03,0,x\n", "text/csv")
    response = client_for(world, Role.DETACHMENT_STAFF).post(
        EDIT, {"year": 2027, "file": upload, "source": "csv"}
    )
    assert response.status_code == 200
    assert "2028" in response.context["form"].errors["file"][0]


def test_the_pages_work_right_to_left(world: World) -> None:
    client = client_for(world, Role.OFFICER)
    with translation.override("ug"):
        client.cookies["django_language"] = "ug"
        response = client.get(YEAR, {"year": 2026}, HTTP_ACCEPT_LANGUAGE="ug")
    assert response.status_code == 200
    assert 'dir="rtl"' in response.content.decode()
