"""The visit pages: list with filters, calendar, a new plan, one plan with the visit form,
a plan's changed terms, a photo download, and the my-work queue's "visits due this week"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from liuqing.casework.testing import png_upload
from liuqing.core.models import AuditEvent, Role
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


def test_a_chief_changes_a_plan_from_its_page(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    plan = plan_place_visits(world.units["S1"], name="东岭村", starts_on=dt.date(2026, 1, 5))
    client = login_verified(Client(), chief)
    url = reverse("visits:plan_change", kwargs={"pk": plan.pk})
    page = client.get(reverse("visits:plan", kwargs={"pk": plan.pk})).content.decode()
    assert "Change plan" in page
    assert f'action="{url}"' in page
    form = client.get(url)
    assert form.status_code == 200
    assert form.context["form"]["cadence"].value() == "weekly"
    assert form.context["form"]["responsible"].value() == plan.responsible_id
    response = client.post(
        url,
        {
            "cadence": "custom",
            "interval_days": "14",
            "responsible": chief.pk,
            "ends_on": "2026-12-31",
        },
        follow=True,
    )
    assert response.redirect_chain == [(reverse("visits:plan", kwargs={"pk": plan.pk}), 302)]
    assert "The visit plan was changed." in response.content.decode()
    plan.refresh_from_db()
    assert (plan.cadence, plan.interval_days, plan.responsible, plan.ends_on) == (
        "custom",
        14,
        chief,
        dt.date(2026, 12, 31),
    )
    assert plan.next_due == dt.date(2026, 1, 18)


def test_a_bad_change_shows_the_reasons_next_to_the_fields(world: World) -> None:
    sergeant = world.persona(Role.SERGEANT)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    visit(plan, dt.date(2026, 1, 20))
    client = login_verified(Client(), sergeant)
    url = reverse("visits:plan_change", kwargs={"pk": plan.pk})
    response = client.post(url, {"cadence": "weekly", "ends_on": "2026-01-10"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["responsible"] == ["Name a responsible member or team."]
    assert errors["ends_on"] == ["The end cannot be before the latest visit (2026-01-20)."]
    body = response.content.decode()
    assert 'id="id_change_ends_on"' in body
    assert "The end cannot be before the latest visit (2026-01-20)." in body
    response = client.post(url, {"cadence": "custom", "interval_days": "400"})
    assert "interval_days" in response.context["form"].errors
    assert VisitPlan.objects.get(pk=plan.pk).ends_on is None


def test_the_change_form_is_for_sergeants_and_chiefs_of_the_plans_jurisdiction(
    world: World,
) -> None:
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    far = plan_place_visits(world.units["S3"])
    officer = login_verified(Client(), world.persona(Role.OFFICER))
    page = officer.get(reverse("visits:plan", kwargs={"pk": plan.pk})).content.decode()
    assert "Change plan" not in page
    url = reverse("visits:plan_change", kwargs={"pk": plan.pk})
    assert officer.get(url).status_code == 403
    assert officer.post(url, {"cadence": "monthly"}).status_code == 403
    chief = login_verified(Client(), world.persona(Role.STATION_CHIEF))
    far_url = reverse("visits:plan_change", kwargs={"pk": far.pk})
    assert chief.get(far_url).status_code == 404
    assert chief.post(far_url, {"cadence": "monthly"}).status_code == 404
    assert not VisitPlan.objects.filter(cadence="monthly").exists()


def test_an_ended_plan_offers_no_change(world: World) -> None:
    from liuqing.visits import services

    chief = world.persona(Role.STATION_CHIEF)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    services.end_plan(actor=chief, plan=plan, ends_on="2026-02-01")
    client = login_verified(Client(), chief)
    page = client.get(reverse("visits:plan", kwargs={"pk": plan.pk})).content.decode()
    assert "Change plan" not in page
    url = reverse("visits:plan_change", kwargs={"pk": plan.pk})
    response = client.post(url, {"cadence": "monthly", "responsible": chief.pk}, follow=True)
    assert "This plan has ended and can no longer be changed." in response.content.decode()
    assert VisitPlan.objects.get(pk=plan.pk).cadence == "weekly"


def test_saving_the_form_unchanged_says_so(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    client = login_verified(Client(), chief)
    url = reverse("visits:plan_change", kwargs={"pk": plan.pk})
    response = client.post(
        url, {"cadence": "weekly", "responsible": plan.responsible_id}, follow=True
    )
    assert "Nothing was changed." in response.content.decode()
    assert not AuditEvent.objects.filter(action="visits.plan_change").exists()
