"""The visits engine's services: plans, changed plans, visits and their refusals, the due
job."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liuqing.casework.testing import member_at, png_upload, root_staff
from liuqing.core import services as core_services
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World
from liuqing.visits import selectors, services
from liuqing.visits.models import Visit, VisitPhoto, VisitPlan
from liuqing.visits.testing import make_place, make_team, plan_place_visits, visit

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


# --- Changing a plan -------------------------------------------------------------------------


def _terms(plan: VisitPlan, **over: Any) -> dict[str, Any]:
    """The plan's present terms, with `over` changed: what change_plan takes."""
    terms = {
        "cadence": plan.cadence,
        "interval_days": plan.interval_days,
        "responsible": plan.responsible,
        "team": plan.team,
        "ends_on": plan.ends_on,
    }
    return {**terms, **over}


def _changes_of(plan: VisitPlan) -> list[dict[str, Any]]:
    return [
        json.loads(e.details)["changes"]
        for e in AuditEvent.objects.filter(action="visits.plan_change", object_id=str(plan.pk))
    ]


def test_a_chief_changes_the_cadence_and_the_next_due_day_follows_the_latest_visit(
    world: World,
) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    visit(plan, dt.date(2026, 1, 20))
    plan.refresh_from_db()
    assert plan.next_due == dt.date(2026, 2, 1)  # weekly: the period after 19–25 Jan
    changed = services.change_plan(actor=chief, plan=plan, **_terms(plan, cadence="monthly"))
    assert changed.next_due == dt.date(2026, 2, 28)  # monthly: by the end of February
    stored = VisitPlan.objects.get(pk=plan.pk)
    assert (stored.cadence, stored.next_due) == ("monthly", dt.date(2026, 2, 28))
    assert _changes_of(plan) == [
        {"cadence": ["weekly", "monthly"], "next_due": ["2026-02-01", "2026-02-28"]}
    ]


def test_a_sergeant_sets_every_n_days_a_team_and_an_end(world: World) -> None:
    sergeant = world.persona(Role.SERGEANT)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    team = make_team(world.units["S1"])
    changed = services.change_plan(
        actor=sergeant,
        plan=plan,
        cadence="custom",
        interval_days="10",
        responsible=None,
        team=team,
        ends_on="2026-12-31",
    )
    assert (changed.interval_days, changed.team, changed.responsible) == (10, team, None)
    assert changed.ends_on == dt.date(2026, 12, 31)
    assert changed.next_due == dt.date(2026, 1, 14)  # no visit yet: the first ten days
    [changes] = _changes_of(plan)
    assert changes == {
        "cadence": ["weekly", "custom"],
        "interval_days": [7, 10],
        "responsible": [plan.responsible_id, None],
        "team": [None, team.pk],
        "ends_on": [None, "2026-12-31"],
        "next_due": ["2026-01-11", "2026-01-14"],
    }
    # Ids only: no name of a member reaches the audit log.
    assert plan.responsible is not None
    assert plan.responsible.full_name not in str(changes)


def test_the_same_terms_write_nothing_and_record_nothing(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    events = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        services.change_plan(actor=chief, plan=plan, **_terms(plan))
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert writes == []
    assert AuditEvent.objects.count() == events
    # A weekly plan's interval is not one of its terms: sending another one changes nothing.
    services.change_plan(actor=chief, plan=plan, **_terms(plan, interval_days=30))
    assert AuditEvent.objects.count() == events


DAYS = "Give a number of days from 1 to 366."


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"cadence": "daily"}, "cadence", "Choose weekly, monthly or every N days."),
        ({"cadence": "custom", "interval_days": 0}, "interval_days", DAYS),
        ({"cadence": "custom", "interval_days": 367}, "interval_days", DAYS),
        ({"cadence": "custom", "interval_days": "x"}, "interval_days", DAYS),
        ({"responsible": None, "team": None}, "responsible", "Name a responsible member or team."),
        ({"ends_on": "2026-01-04"}, "ends_on", "The end cannot be before the start."),
        ({"ends_on": "2101-01-01"}, "ends_on", "This date is impossible."),
        ({"ends_on": "2026-02-30"}, "ends_on", "Give a date as YYYY-MM-DD."),
        (
            {"ends_on": "2026-01-19"},
            "ends_on",
            "The end cannot be before the latest visit (2026-01-20).",
        ),
    ],
)
def test_each_bad_term_is_refused_on_its_field_and_changes_nothing(
    world: World, over: dict[str, Any], field: str, message: str
) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    visit(plan, dt.date(2026, 1, 20))
    plan.refresh_from_db()
    before = VisitPlan.objects.filter(pk=plan.pk).values().get()
    with pytest.raises(ValidationError) as caught:
        services.change_plan(actor=chief, plan=plan, **_terms(plan, **over))
    assert caught.value.message_dict == {field: [message]}
    assert VisitPlan.objects.filter(pk=plan.pk).values().get() == before
    assert _changes_of(plan) == []


def test_members_and_teams_off_the_plans_line_are_refused(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    plan = plan_place_visits(world.units["C1"], starts_on=dt.date(2026, 1, 5))
    sibling = member_at(world.units["S2"], Role.OFFICER, "s2officer")
    gone = member_at(world.units["C1"], Role.OFFICER, "gone")
    core_services.deactivate_member(actor=root_staff(world.units["S1"]), member=gone, reason="调离")
    for member in (sibling, gone):
        with pytest.raises(ValidationError) as caught:
            services.change_plan(actor=chief, plan=plan, **_terms(plan, responsible=member))
        assert caught.value.message_dict == {
            "responsible": ["Choose an active member of this unit's line."]
        }
    with pytest.raises(ValidationError) as caught:
        services.change_plan(
            actor=chief, plan=plan, **_terms(plan, team=make_team(world.units["S2"]))
        )
    assert caught.value.message_dict == {"team": ["Choose a team of this unit's line."]}
    # A member above the plan's unit, or below it, serves on its line.
    below = member_at(world.units["G1"], Role.GRID_WORKER, "gridder")
    for member in (world.persona(Role.SERGEANT), below):
        services.change_plan(actor=chief, plan=plan, **_terms(plan, responsible=member))
    assert VisitPlan.objects.get(pk=plan.pk).responsible == below


def test_an_ended_plan_cannot_be_changed(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    services.end_plan(actor=chief, plan=plan, ends_on="2026-03-01")
    with pytest.raises(ValidationError) as caught:
        services.change_plan(actor=chief, plan=plan, **_terms(plan, cadence="monthly"))
    assert caught.value.message_dict == {
        "__all__": ["This plan has ended and can no longer be changed."]
    }
    assert VisitPlan.objects.get(pk=plan.pk).cadence == "weekly"
    assert _changes_of(plan) == []


def test_only_sergeants_and_chiefs_of_the_jurisdiction_change_plans(world: World) -> None:
    plan = plan_place_visits(world.units["S1"], starts_on=dt.date(2026, 1, 5))
    for role in (Role.OFFICER, Role.AUXILIARY, Role.GRID_WORKER, Role.AUDITOR, Role.ANALYST):
        with pytest.raises(AccessDenied):
            services.change_plan(
                actor=world.persona(role), plan=plan, **_terms(plan, cadence="monthly")
            )
    far = plan_place_visits(world.units["S3"])
    with pytest.raises(NotFound):
        services.change_plan(
            actor=world.persona(Role.STATION_CHIEF), plan=far, **_terms(far, cadence="monthly")
        )
    assert not VisitPlan.objects.filter(cadence="monthly").exists()
    # Brigade staff above the station change it too.
    brigade = member_at(world.units["B1"], Role.BRIGADE_STAFF, "bstaff")
    services.change_plan(actor=brigade, plan=plan, **_terms(plan, cadence="monthly"))
    assert VisitPlan.objects.get(pk=plan.pk).cadence == "monthly"


def test_erasing_the_notes_of_targets_leaves_other_targets_visits_alone(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.files.storage import default_storage

    erased, kept = (plan_place_visits(world.units["S1"]) for _ in range(2))
    gone = visit(erased, dt.date(2026, 1, 6), photo=True, latitude="43.8", longitude="87.6")
    stays = visit(kept, dt.date(2026, 1, 6), photo=True, summary="帮王大爷修了水管")
    photo = VisitPhoto.objects.get(visit=gone).file.name
    # Another kind's target with the same id is not this place.
    assert services.erase_visit_notes(target_kind="other", target_ids=[erased.target_id]) == 0

    with django_capture_on_commit_callbacks(execute=True):
        touched = services.erase_visit_notes(target_kind="place", target_ids=[erased.target_id])

    assert touched == 1
    gone.refresh_from_db()
    assert (gone.summary, gone.latitude, gone.longitude) == ("", None, None)
    assert not VisitPhoto.objects.filter(visit=gone).exists()
    assert not default_storage.exists(photo)
    stays.refresh_from_db()
    assert stays.summary == "帮王大爷修了水管"
    assert VisitPhoto.objects.filter(visit=stays).exists()
    assert Visit.objects.filter(plan=erased).count() == 1  # the visit itself is kept


def test_ending_a_targets_plans_ends_its_active_ones_each_with_its_event(world: World) -> None:
    unit = world.units["S1"]
    boss = root_staff(unit)
    now = plan_place_visits(unit, starts_on=dt.date(2026, 1, 5))
    later = plan_place_visits(unit, starts_on=dt.date(2026, 6, 1))
    other = plan_place_visits(unit, starts_on=dt.date(2026, 1, 5))
    day = dt.date(2026, 3, 1)

    def end(plan: VisitPlan, kind: str = "place") -> list[int]:
        return services.end_target_plans(
            actor=boss, target_kind=kind, target_id=plan.target_id, ends_on=day
        )

    assert end(now, kind="other") == []  # another kind's target with the same id
    assert end(now) == [now.pk]
    assert end(later) == [later.pk]
    assert end(now) == []  # nothing active is left
    ended = {p.pk: p for p in VisitPlan.objects.filter(is_active=False)}
    assert ended.keys() == {now.pk, later.pk}
    assert ended[now.pk].ends_on == day
    assert ended[later.pk].ends_on == dt.date(2026, 6, 1)  # not before its start
    assert VisitPlan.objects.get(pk=other.pk).is_active
    events = AuditEvent.objects.filter(action="visits.plan_end")
    assert sorted(int(e.object_id) for e in events) == sorted([now.pk, later.pk])


def test_relabelling_a_targets_plans_leaves_other_targets_alone(world: World) -> None:
    unit = world.units["S1"]
    plan, other = (plan_place_visits(unit) for _ in range(2))
    services.end_plan(actor=root_staff(unit), plan=plan)
    assert (
        services.relabel_target_plans(
            target_kind="place", target_id=plan.target_id, restricted_label="minor"
        )
        == 1
    )
    assert VisitPlan.objects.get(pk=plan.pk).restricted_label == "minor"  # ended ones too
    assert VisitPlan.objects.get(pk=other.pk).restricted_label == ""


def test_a_visit_is_to_the_target_of_its_plan(world: World) -> None:
    plan = plan_place_visits(world.units["S1"])
    made = visit(plan, dt.date(2026, 1, 6))
    assert selectors.is_visit_to(made, target_kind="place", target_id=plan.target_id)
    assert not selectors.is_visit_to(made, target_kind="other", target_id=plan.target_id)
    assert not selectors.is_visit_to(made, target_kind="place", target_id=plan.target_id + 1)
