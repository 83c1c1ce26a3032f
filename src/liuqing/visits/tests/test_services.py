"""The visits engine's services: plans, visits and their refusals, the due job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from liuqing.casework.testing import member_at, png_upload, root_staff
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World
from liuqing.visits import selectors, services
from liuqing.visits.models import Visit, VisitPhoto, VisitPlan
from liuqing.visits.testing import make_place, plan_place_visits, visit

pytestmark = pytest.mark.django_db


def test_a_plan_falls_due_by_the_end_of_its_first_period(world: World) -> None:
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    assert plan.next_due == dt.date(2026, 1, 11)
    assert plan.unit == world.units["S1"]
    assert AuditEvent.objects.filter(action="visits.plan", object_id=str(plan.pk)).exists()


def test_a_visit_moves_the_next_due_day_and_stores_its_photos(world: World) -> None:
    plan = plan_place_visits(world.units["S1"], cadence="monthly", starts_on=dt.date(2026, 1, 20))
    made = visit(plan, dt.date(2026, 2, 3), photo=True, latitude="43.8", longitude="87.6")
    plan.refresh_from_db()
    assert plan.next_due == dt.date(2026, 3, 31)
    photo = VisitPhoto.objects.get(visit=made)
    assert photo.mime == "image/png"
    assert photo.file.name.startswith("cases/")
    assert "photo" not in photo.file.name
    assert AuditEvent.objects.filter(action="visits.visit", object_id=str(made.pk)).exists()


def test_impossible_dates_are_refused_with_the_reason(world: World) -> None:
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    for day, reason in [
        (tomorrow, "A visit cannot be dated in the future."),
        (dt.date(2026, 1, 4), "A visit cannot be dated before its plan starts."),
        ("2026-02-30", "Give a date as YYYY-MM-DD."),
    ]:
        with pytest.raises(ValidationError) as caught:
            visit(plan, day)  # type: ignore[arg-type]
        assert caught.value.message_dict["visited_on"] == [reason]
    assert not Visit.objects.exists()


def test_a_visitor_outside_the_plans_unit_is_refused_by_name(world: World) -> None:
    plan = plan_place_visits(world.units["C1"])
    sibling = member_at(world.units["S2"], Role.OFFICER, "outsider")
    below = member_at(world.units["G1"], Role.GRID_WORKER, "gridder")
    with pytest.raises(ValidationError) as caught:
        visit(plan, dt.date(2026, 1, 6), visitors=[below, sibling])
    [message] = caught.value.message_dict["visitors"]
    assert sibling.full_name in message
    assert "测试社区" in message
    assert not Visit.objects.exists()
    visit(plan, dt.date(2026, 1, 6), visitors=[below, world.persona(Role.OFFICER)])


def test_bad_input_changes_nothing(world: World) -> None:
    plan = plan_place_visits(world.units["S1"])
    html = SimpleUploadedFile("x.png", b"<html><script>alert(1)</script>", "image/png")
    with pytest.raises(ValidationError) as caught:
        visit(plan, dt.date(2026, 1, 6), summary=" ", latitude="91", photos=[html])
    errors = caught.value.message_dict
    assert set(errors) == {"summary", "latitude", "photos"}
    with pytest.raises(ValidationError) as caught:
        visit(plan, dt.date(2026, 1, 6), latitude="43.8")
    assert "latitude" in caught.value.message_dict
    assert not Visit.objects.exists()
    assert not VisitPhoto.objects.exists()


def test_plan_refusals(world: World) -> None:
    u = world.units
    boss = root_staff(u["S1"])
    place = make_place(u["S1"])
    with pytest.raises(ValidationError) as caught:
        services.schedule_visits(
            actor=boss, target_kind="place", target_id=place.pk, cadence="custom", interval_days=0
        )
    assert set(caught.value.message_dict) == {"interval_days", "responsible"}
    with pytest.raises(ValidationError) as caught:
        services.schedule_visits(actor=boss, target_kind="planet", target_id=1, cadence="weekly")
    assert "target_kind" in caught.value.message_dict
    officer = world.persona(Role.OFFICER)
    far = make_place(u["S3"])
    with pytest.raises(ValidationError) as caught:
        services.schedule_visits(
            actor=officer,
            target_kind="place",
            target_id=far.pk,
            cadence="weekly",
            responsible=officer,
        )
    assert "target_id" in caught.value.message_dict
    services.schedule_visits(
        actor=officer,
        target_kind="place",
        target_id=place.pk,
        cadence="weekly",
        responsible=officer,
    )
    with pytest.raises(ValidationError) as caught:
        services.schedule_visits(
            actor=officer,
            target_kind="place",
            target_id=place.pk,
            cadence="weekly",
            responsible=officer,
        )
    assert caught.value.message_dict["target_id"] == [
        "This target already has an active visit plan."
    ]
    with pytest.raises(AccessDenied):
        services.schedule_visits(
            actor=world.persona(Role.ANALYST),
            target_kind="place",
            target_id=place.pk,
            cadence="weekly",
        )
    assert VisitPlan.objects.count() == 1


def test_the_due_job_recomputes_and_counts(world: World) -> None:
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 11, 2))
    other = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 11, 25))
    VisitPlan.objects.filter(pk=plan.pk).update(next_due=None)  # drifted
    counts = services.refresh_due(today=dt.date(2026, 11, 30))
    plan.refresh_from_db()
    assert plan.next_due == dt.date(2026, 11, 8)
    assert counts == {"plans": 2, "changed": 1, "due": 1, "overdue": 1}
    assert other.next_due == dt.date(2026, 12, 1)
    assert services.refresh_due(today=dt.date(2026, 11, 30))["changed"] == 0


def test_scope_and_the_due_list(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    mine = plan_place_visits(world.units["S1"], responsible=officer, starts_on=dt.date(2026, 1, 5))
    plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    far = plan_place_visits(world.units["S3"])
    assert list(selectors.due_for(officer)) == [mine]
    assert far not in selectors.plans_visible_to(officer)
    with pytest.raises(NotFound):
        selectors.access_plan(officer, far.pk)
    with pytest.raises(AccessDenied):
        selectors.plans_visible_to(world.persona(Role.MEDIATOR))


def test_visit_figures_of_a_kind(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    visit(plan, dt.date(2026, 1, 6))
    visit(plan, dt.date(2026, 1, 20))
    figures = selectors.visit_figures(
        officer,
        "place",
        world.units["S1"],
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    )
    # Periods ending 11, 18, 25 Jan and 1 Feb? No: 26 Jan–1 Feb ends on 1 Feb, outside.
    assert (figures.on_time, figures.due) == (2, 3)
    assert figures.overdue_now == 1  # due by 1 Feb, as of 1 March


def test_png_upload_helper_is_a_real_photo() -> None:
    assert png_upload().read(4) == b"\x89PNG"


def test_impossible_plan_dates_are_refused(world: World) -> None:
    boss = root_staff(world.units["S1"])
    place = make_place(world.units["S1"])
    with pytest.raises(ValidationError) as caught:
        services.schedule_visits(
            actor=boss,
            target_kind="place",
            target_id=place.pk,
            cadence="weekly",
            responsible=boss,
            starts_on="9999-12-31",
            ends_on="9999-12-31",
        )
    assert set(caught.value.message_dict) == {"starts_on", "ends_on"}
    assert not VisitPlan.objects.exists()


def test_the_due_job_is_registered_with_the_worker(world: World) -> None:
    from liuqing.core import worker

    worker.discover()
    plan_place_visits(world.units["S1"])
    outcome = worker.run_job(worker.JOBS["visits.due"], force=True)
    assert outcome.ok
    assert outcome.result.startswith("1 plans")
