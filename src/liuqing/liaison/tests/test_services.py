"""Liaison: organisations, assignment flags, problems as cases with category deadlines,
savings, lessons, monthly visit plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from liuqing.casework.testing import member_at
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World
from liuqing.liaison import selectors, services
from liuqing.liaison.models import Lesson, Organisation, Problem
from liuqing.liaison.testing import assign, category, organisation, problem

pytestmark = pytest.mark.django_db


def test_overlapping_and_orphaned_assignments_are_flagged(world: World) -> None:
    u = world.units
    officer = world.persona(Role.OFFICER)
    other = member_at(u["S1"], Role.OFFICER, "second")
    lonely = organisation(u["S1"], name="无人企业")
    double = organisation(u["S1"], name="双警企业")
    assign(double, officer, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 6, 30))
    assign(double, other, starts_on=dt.date(2026, 6, 1))
    fine = organisation(u["S1"], name="正常企业")
    assign(fine, officer, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 5, 31))
    assign(fine, other, starts_on=dt.date(2026, 6, 1))
    left = organisation(u["C1"], name="离任企业")
    gone = member_at(u["C1"], Role.OFFICER, "gone")
    assign(left, gone)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    flags = selectors.flags_of([lonely, double, fine, left], dt.date(2026, 7, 1))
    assert flags[lonely.pk].orphan == "none"
    assert len(flags[double.pk].overlaps) == 1
    assert not flags[double.pk].orphan
    assert not flags[fine.pk]
    assert flags[left.pk].orphan == "left"
    flagged = selectors.organisations_visible_to(
        world.persona(Role.STATION_CHIEF), selectors.OrganisationFilters(flagged=True)
    )
    assert fine not in flagged


def test_a_problem_is_a_case_with_its_category_deadline(world: World) -> None:
    org = organisation(world.units["S1"])
    hazard = problem(org, code="safety_hazard", savings="2500.50")
    labour = problem(org, code="labour_dispute")
    assert hazard.case.kind == "liaison_problem"
    assert hazard.case.number.startswith("JL-")
    assert hazard.estimated_savings == Decimal("2500.50")
    assert hazard.case.resolve_due is not None
    assert labour.case.resolve_due is not None
    assert hazard.case.resolve_due < labour.case.resolve_due  # 5 against 15 working days
    with pytest.raises(ValidationError) as caught:
        services.raise_problem(
            actor=world.persona(Role.OFFICER),
            organisation=org,
            category=category(),
            title="",
            description="x",
            estimated_savings="-5",
        )
    assert set(caught.value.message_dict) == {"title", "estimated_savings"}
    assert Problem.objects.count() == 2
    services.record_savings(
        actor=world.persona(Role.OFFICER), problem=hazard, estimated_savings="3000"
    )
    hazard.refresh_from_db()
    assert hazard.estimated_savings == Decimal("3000.00")
    assert AuditEvent.objects.filter(action="liaison.savings").exists()


def test_lessons_only_at_schools_with_sane_figures(world: World) -> None:
    school = organisation(world.units["S1"], name="第一中学", kind="school")
    factory = organisation(world.units["S1"], name="纺织厂")
    officer = world.persona(Role.OFFICER)
    services.record_lesson(
        actor=officer,
        organisation=school,
        given_on="2026-03-01",
        topic="防范电信诈骗",
        class_name="初二(3)班",
        attendance=45,
    )
    with pytest.raises(ValidationError) as caught:
        services.record_lesson(
            actor=officer,
            organisation=factory,
            given_on="2099-03-01",
            topic="",
            class_name="x",
            attendance=0,
        )
    assert set(caught.value.message_dict) == {"organisation", "given_on", "topic", "attendance"}
    assert Lesson.objects.count() == 1


def test_bad_organisations_and_assignments_are_refused(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    with pytest.raises(ValidationError) as caught:
        services.register_organisation(
            actor=chief, unit=world.units["S1"], name="", kind="bank", contact_phone="999"
        )
    assert set(caught.value.message_dict) == {"name", "kind", "contact_phone"}
    org = organisation(world.units["S1"], name="重名企业")
    with pytest.raises(ValidationError):
        organisation(world.units["S1"], name="重名企业")
    outsider = member_at(world.units["S3"], Role.OFFICER, "far")
    with pytest.raises(ValidationError) as caught:
        services.assign_officer(
            actor=chief,
            organisation=org,
            officer=outsider,
            role="school",
            starts_on="2026-02-01",
            ends_on="2026-01-01",
        )
    assert set(caught.value.message_dict) == {"officer", "role", "ends_on"}
    assert Organisation.objects.count() == 1


def test_monthly_visits_are_planned_on_the_engine(world: World) -> None:
    org = organisation(world.units["S1"], name="旅游景区公司", kind="scenic")
    officer = world.persona(Role.OFFICER)
    assign(org, officer)
    plan = services.plan_monthly_visits(
        actor=world.persona(Role.SERGEANT), organisation=org, starts_on="2026-11-03"
    )
    assert (plan.target_kind, plan.target_id, plan.cadence) == ("organisation", org.pk, "monthly")
    assert plan.responsible == officer
    assert plan.next_due == dt.date(2026, 11, 30)
