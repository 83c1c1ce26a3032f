"""The liaison pages: list with flags, registration, the organisation page and its forms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from liuqing.casework.testing import member_at
from liuqing.core.models import Role
from liuqing.core.testing import World, login_verified
from liuqing.liaison.models import Assignment, Lesson, Organisation, Problem
from liuqing.liaison.testing import category, organisation, problem
from liuqing.visits.models import VisitPlan

pytestmark = pytest.mark.django_db


def test_the_list_flags_orphans_and_stays_in_scope(world: World) -> None:
    organisation(world.units["S1"], name="孤儿企业")
    organisation(world.units["S3"], name="外地企业")
    client = login_verified(Client(), world.persona(Role.OFFICER))
    body = client.get(reverse("liaison:list")).content.decode()
    assert "孤儿企业" in body
    assert "no officer assigned" in body
    assert "外地企业" not in body


def test_register_assign_plan_raise_and_teach(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    officer = world.persona(Role.OFFICER)
    client = login_verified(Client(), chief)
    response = client.post(
        reverse("liaison:new"), {"unit": world.units["S1"].pk, "name": "二中", "kind": "school"}
    )
    assert response.status_code == 302, response.context["form"].errors
    org = Organisation.objects.get()
    client.post(
        reverse("liaison:assign", kwargs={"pk": org.pk}),
        {"officer": officer.pk, "role": "school", "starts_on": "2026-01-01"},
    )
    assert Assignment.objects.get().officer == officer
    response = client.post(reverse("liaison:plan", kwargs={"pk": org.pk}))
    assert response.status_code == 302
    assert VisitPlan.objects.get().responsible == officer
    client.post(
        reverse("liaison:problem", kwargs={"pk": org.pk}),
        {
            "category": category().pk,
            "title": "围墙破损",
            "description": "东侧围墙倒塌",
            "estimated_savings": "300",
        },
    )
    assert Problem.objects.get().case.kind == "liaison_problem"
    bad = client.post(
        reverse("liaison:lesson", kwargs={"pk": org.pk}),
        {"given_on": "2026-03-01", "topic": "禁毒", "class_name": "初一", "attendance": 0},
    )
    assert bad.status_code == 200
    assert not Lesson.objects.exists()
    client.post(
        reverse("liaison:lesson", kwargs={"pk": org.pk}),
        {"given_on": "2026-03-01", "topic": "禁毒", "class_name": "初一", "attendance": 40},
    )
    body = client.get(reverse("liaison:detail", kwargs={"pk": org.pk})).content.decode()
    assert "禁毒" in body
    assert "40 pupils" in body


def test_savings_are_recorded_on_the_organisation_page(world: World) -> None:
    org = organisation(world.units["S1"], name="供销社")
    raised = problem(org)
    client = login_verified(Client(), world.persona(Role.STATION_CHIEF))
    page = client.get(reverse("liaison:detail", kwargs={"pk": org.pk})).content.decode()
    action = reverse("liaison:problem_savings", kwargs={"pk": raised.case_id})
    assert f'action="{action}"' in page
    bad = client.post(action, {"estimated_savings": "-3"}, follow=True)
    assert bad.status_code == 200
    raised.refresh_from_db()
    assert raised.estimated_savings == Decimal("0")
    assert "greater than or equal to 0" in bad.content.decode()
    done = client.post(action, {"estimated_savings": "4200.50"}, follow=True)
    raised.refresh_from_db()
    assert raised.estimated_savings == Decimal("4200.50")
    assert f"The savings of {raised.case.number} were recorded." in done.content.decode()
    # A chief of another station's line does not even learn that the problem exists.
    outsider = login_verified(Client(), member_at(world.units["S3"], Role.STATION_CHIEF, "外站"))
    assert outsider.post(action, {"estimated_savings": "1"}).status_code == 404
