"""The care register: registration with the minimum data, the labels that hide it, audited
reads and reveals, services, and a need that becomes an appeal in one step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from liuqing.care import selectors, services
from liuqing.care.models import Need, Recipient, Service
from liuqing.care.testing import grant, register
from liuqing.casework.models import Case, Category
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.models import AuditEvent, AuditOutcome, Role
from liuqing.core.testing import World

pytestmark = pytest.mark.django_db


def appeal_category() -> Category:
    return Category.objects.get_or_create(
        kind="appeal", code="care-help", defaults={"name": "生活求助"}
    )[0]


def test_personal_data_is_encrypted_and_masked(world: World) -> None:
    recipient = register(world.units["S1"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, phone, address, notes FROM care_recipient")
        row = cursor.fetchone()
    assert all(value.startswith("lq1$") for value in row)
    assert "王秀兰" not in "".join(row)
    assert str(recipient.phone) == "138****1234"
    assert str(recipient.notes) == "••••"
    fields = {f.name for f in Recipient._meta.get_fields()}
    assert not fields & {"ethnicity", "religion", "nation", "identity_number"}


def test_without_the_grant_the_register_is_invisible_and_a_look_is_audited(world: World) -> None:
    recipient = register(world.units["S1"])
    officer = world.persona(Role.OFFICER)
    assert list(selectors.recipients_visible_to(officer)) == []
    with pytest.raises(NotFound):
        selectors.access_recipient(officer, recipient.pk)
    denied = AuditEvent.objects.get(action="care.view", outcome=AuditOutcome.DENIED)
    assert denied.object_id == str(recipient.pk)
    assert denied.member_username == officer.username
    grant(officer)
    assert selectors.access_recipient(officer, recipient.pk) == recipient


def test_a_restricted_label_needs_its_own_grant(world: World) -> None:
    child = register(world.units["S1"], category="left_behind_child", restricted_label="minor")
    officer = grant(world.persona(Role.OFFICER))
    assert child not in selectors.recipients_visible_to(officer)
    with pytest.raises(NotFound):
        selectors.access_recipient(officer, child.pk)
    grant(officer, "minor")
    assert child in selectors.recipients_visible_to(officer)


def test_a_visit_plan_carries_the_restricted_label_of_its_recipient(world: World) -> None:
    from liuqing.casework.testing import root_staff
    from liuqing.visits import selectors as visit_selectors
    from liuqing.visits import services as visit_services

    child = register(world.units["S1"], category="left_behind_child", restricted_label="minor")
    boss = grant(root_staff(world.units["S1"]), "minor")
    plan = visit_services.schedule_visits(
        actor=boss,
        target_kind="care_recipient",
        target_id=child.pk,
        cadence="weekly",
        responsible=boss,
        starts_on=dt.date(2026, 1, 5),
    )
    assert (plan.sensitive_label, plan.restricted_label) == ("care", "minor")
    officer = grant(world.persona(Role.OFFICER))  # the care grant, not the minor one
    assert plan not in visit_selectors.plans_visible_to(officer)
    with pytest.raises(NotFound):
        visit_selectors.access_plan(officer, plan.pk)
    grant(officer, "minor")
    assert plan in visit_selectors.plans_visible_to(officer)
    minor_only = grant(world.persona(Role.AUXILIARY), "minor")  # the minor grant alone
    assert plan not in visit_selectors.plans_visible_to(minor_only)


def test_registration_refuses_bad_input_and_writes_nothing(world: World) -> None:
    officer = grant(world.persona(Role.OFFICER))
    with pytest.raises(ValidationError) as caught:
        services.register_recipient(
            actor=officer,
            unit=world.units["S1"],
            category="rich",
            name=" ",
            phone="12",
            legal_basis="",
            basis_recorded_on=dt.date.today() + dt.timedelta(days=5),
            restricted_label="minor",
        )
    assert set(caught.value.message_dict) == {
        "category",
        "name",
        "phone",
        "legal_basis",
        "basis_recorded_on",
        "restricted_label",
    }
    with pytest.raises(NotFound):
        services.register_recipient(
            actor=officer,
            unit=world.units["S3"],
            category="other",
            name="张三",
            legal_basis="consent",
            basis_recorded_on="2026-01-01",
        )
    assert not Recipient.objects.exists()


def test_reveal_needs_a_reason_and_is_audited(world: World) -> None:
    recipient = register(world.units["S1"])
    officer = grant(world.persona(Role.OFFICER))
    with pytest.raises(ValidationError):
        services.reveal(actor=officer, recipient=recipient, field="phone", reason="")
    assert (
        services.reveal(actor=officer, recipient=recipient, field="phone", reason="电话回访")
        == "+8613800001234"
    )
    assert (
        services.reveal(actor=officer, recipient=recipient, field="notes", reason="送药前核对")
        == "高血压，需每周送药"
    )
    events = AuditEvent.objects.filter(action="pii.reveal", object_id=str(recipient.pk))
    assert events.count() == 2
    with pytest.raises(ValidationError):
        services.reveal(actor=officer, recipient=recipient, field="category", reason="好奇心理")


def test_services_and_a_need_that_becomes_an_appeal(world: World) -> None:
    recipient = register(world.units["C1"])
    officer = grant(world.persona(Role.OFFICER))
    service = services.record_service(
        actor=officer, recipient=recipient, kind="medicine", given_on="2026-03-02"
    )
    assert service.given_on == dt.date(2026, 3, 2)
    need = services.raise_need(
        actor=officer,
        recipient=recipient,
        category=appeal_category(),
        description="屋顶漏雨需要修缮",
    )
    case = Case.objects.get(pk=need.case_id)
    assert case.kind == "appeal"
    assert case.unit == world.units["C1"]
    assert case.number.startswith("SQ-")
    assert AuditEvent.objects.filter(action="appeal.submit", object_id=str(case.pk)).exists()
    with pytest.raises(ValidationError) as caught:
        services.raise_need(
            actor=officer, recipient=recipient, category=appeal_category(), description=" "
        )
    assert "description" in caught.value.message_dict
    assert Need.objects.count() == 1
    with pytest.raises(ValidationError):
        services.record_service(
            actor=officer, recipient=recipient, kind="massage", given_on="2099-01-01"
        )
    assert Service.objects.count() == 1
    with pytest.raises(AccessDenied):
        services.record_service(
            actor=grant(world.persona(Role.AUDITOR)),
            recipient=recipient,
            kind="medicine",
            given_on="2026-03-02",
        )


def test_taking_off_the_register_ends_the_plans_and_needs_a_reason(world: World) -> None:
    from liuqing.casework.testing import root_staff
    from liuqing.visits import services as visit_services

    recipient = register(world.units["S1"])
    boss = root_staff(world.units["S1"])
    plan = visit_services.schedule_visits(
        actor=grant(boss),
        target_kind="care_recipient",
        target_id=recipient.pk,
        cadence="weekly",
        responsible=boss,
        starts_on=dt.date(2026, 1, 5),
    )
    officer = grant(world.persona(Role.OFFICER))
    with pytest.raises(ValidationError):
        services.take_off_register(actor=officer, recipient=recipient, reason=" ")
    services.take_off_register(actor=officer, recipient=recipient, reason="本人撤回同意")
    recipient.refresh_from_db()
    plan.refresh_from_db()
    assert not recipient.is_active
    assert not plan.is_active
    assert recipient not in selectors.recipients_visible_to(officer)
    event = AuditEvent.objects.get(action="care.take_off")
    assert event.reason == "本人撤回同意"
