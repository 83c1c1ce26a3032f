"""The visit pages: list with filters, calendar, a new plan, one plan with the visit form,
a photo download, and the my-work queue's "visits due this week"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from liuqing.casework.testing import png_upload
from liuqing.core.models import Role
from liuqing.core.testing import World, login_verified
from liuqing.visits.models import Visit, VisitPlan
from liuqing.visits.testing import make_place, plan_place_visits, visit

pytestmark = pytest.mark.django_db


def test_the_list_shows_what_is_due_and_stays_in_scope(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    plan_place_visits(world.units["S1"], name="东湾村", starts_on=dt.date(2026, 1, 5))
    plan_place_visits(world.units["S3"], name="远方村")
    client = login_verified(Client(), officer)
    body = client.get(reverse("visits:list")).content.decode()
    assert "东湾村" in body
    assert "overdue" in body
    assert "远方村" not in body
    body = client.get(reverse("visits:list"), {"state": "overdue", "mine": "on"}).content.decode()
    assert "东湾村" not in body


def test_a_plan_is_made_and_a_visit_recorded_with_a_photo(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    place = make_place(world.units["S1"], "西滩村")
    client = login_verified(Client(), officer)
    page = client.get(reverse("visits:plan_new"), {"kind": "place", "target": str(place.pk)})
    assert "西滩村" in page.content.decode()
    response = client.post(
        reverse("visits:plan_new") + "?kind=place",
        {
            "target_id": place.pk,
            "cadence": "weekly",
            "responsible": officer.pk,
            "starts_on": "2026-11-02",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    plan = VisitPlan.objects.get()
    response = client.post(
        reverse("visits:plan", kwargs={"pk": plan.pk}),
        {
            "visited_on": "2026-11-03",
            "visitors": [officer.pk],
            "summary": "查看羊圈加固情况",
            "photos": [png_upload("羊圈.png")],
        },
    )
    assert response.status_code == 302
    made = Visit.objects.get()
    body = client.get(reverse("visits:plan", kwargs={"pk": plan.pk})).content.decode()
    assert "查看羊圈加固情况" in body
    photo = made.photos.get()
    download = client.get(reverse("visits:photo", kwargs={"pk": photo.pk}))
    assert download["Content-Disposition"].startswith("attachment")


def test_a_bad_visit_shows_the_reason_on_the_form(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    client = login_verified(Client(), officer)
    response = client.post(
        reverse("visits:plan", kwargs={"pk": plan.pk}),
        {"visited_on": "2025-12-01", "visitors": [officer.pk], "summary": "x"},
    )
    assert response.status_code == 200
    assert "A visit cannot be dated before its plan starts." in response.content.decode()
    assert not Visit.objects.exists()


def test_the_calendar_shows_due_days_and_visits(world: World) -> None:
    plan = plan_place_visits(world.units["S1"], name="南山村", starts_on=dt.date(2026, 1, 5))
    visit(plan, dt.date(2026, 1, 6))
    client = login_verified(Client(), world.persona(Role.SERGEANT))
    body = client.get(reverse("visits:calendar"), {"month": "2026-01"}).content.decode()
    assert "day-2026-01-06" in body
    assert "day-2026-01-18" in body  # due by the end of the second week
    assert "南山村" in body


def test_my_work_lists_the_visits_due_this_week(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    plan_place_visits(
        world.units["S1"], name="北坡村", responsible=officer, starts_on=dt.date(2026, 1, 5)
    )
    plan_place_visits(world.units["S1"], name="别人村", starts_on=dt.date(2026, 1, 5))
    body = login_verified(Client(), officer).get(reverse("casework:my_work")).content.decode()
    assert "Visits due this week" in body
    assert "北坡村" in body
    assert "别人村" not in body


def test_a_month_out_of_range_falls_back_to_this_month(world: World) -> None:
    client = login_verified(Client(), world.persona(Role.SERGEANT))
    for month in ("9999-12", "0-0", "2026-13", "x"):
        assert client.get(reverse("visits:calendar"), {"month": month}).status_code == 200
