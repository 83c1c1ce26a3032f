"""The mediation services: the whole lifecycle for each outcome, and bad input refused with
field errors and nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from liuqing.casework.models import Case, Entry
from liuqing.casework.testing import member_at, root_staff
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.audit import AuditEvent
from liuqing.core.models import Role
from liuqing.core.testing import World
from liuqing.mediation import followup, services
from liuqing.mediation.models import (
    Agreement,
    Confirmation,
    Dispute,
    Extension,
    Level,
    MediatorKind,
    Obligation,
    Outcome,
    Party,
    PartyRole,
    Payment,
    Source,
)
from liuqing.mediation.testing import (
    APPLICANT,
    RESPONDENT,
    accepted,
    agree,
    agreed,
    committee,
    confirmed_application,
    dispute_type,
    handler,
    in_mediation,
    obligation_rows,
    start,
)
from liuqing.notify.models import Delivery


def _counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Dispute.objects.count(),
        Party.objects.count(),
        Agreement.objects.count(),
        Obligation.objects.count(),
        Extension.objects.count(),
        Confirmation.objects.count(),
        Payment.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_dispute_is_recorded_with_its_parties_encrypted(world: World) -> None:
    unit = world.units["S1"]
    case = start(unit, title="院墙排水纠纷")
    dispute = case.dispute
    assert case.status == "received"
    assert case.number.startswith("TJ-")
    assert dispute.level == Level.VILLAGE
    applicant = dispute.parties.get(role=PartyRole.APPLICANT)
    assert applicant.name.reveal() == "王建军"
    assert str(applicant.phone) == "139****5678"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, phone, id_number FROM mediation_party WHERE id = %s", [applicant.pk]
        )
        raw = cursor.fetchone()
    assert all("王建军" not in v and "13912345678" not in v and "110105" not in v for v in raw)
    assert not any(f.name in {"ethnicity", "religion"} for f in Party._meta.get_fields())


def test_refusal_ends_it_as_not_accepted_with_advice(world: World) -> None:
    case = start(world.units["S1"])
    services.refuse_dispute(actor=handler(case.unit), case=case, advice="建议向人民法院起诉。")
    case.refresh_from_db()
    assert case.status == "not_accepted"
    assert case.dispute.outcome == Outcome.NOT_ACCEPTED
    assert case.dispute.refusal_advice == "建议向人民法院起诉。"


def test_refusal_needs_advice(world: World) -> None:
    case = start(world.units["S1"])
    officer = handler(case.unit)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.refuse_dispute(actor=officer, case=case, advice="  ")
    assert "advice" in exc.value.message_dict
    assert _counts() == before


def test_acceptance_sets_a_one_month_deadline(world: World, settings) -> None:
    settings.MEDIATION_DEADLINE_DAYS = 30
    case = accepted(world.units["S1"])
    dispute = Dispute.objects.get(pk=case.pk)
    assert dispute.deadline - dispute.accepted_at == dt.timedelta(days=30)
    case.refresh_from_db()
    assert case.resolve_due == dispute.deadline


def test_the_engine_pages_cannot_move_a_dispute(world: World) -> None:
    from liuqing.casework.services import act_on_case

    case = start(world.units["S1"])
    with pytest.raises(ValidationError):
        act_on_case(actor=world.persona(Role.SERGEANT), case=case, action="accept")


def test_written_agreement_lifecycle_to_closure(world: World) -> None:
    unit = world.units["S1"]
    case, agreement = agreed(unit)
    case.refresh_from_db()
    dispute = case.dispute
    assert case.status == "agreed"
    assert dispute.outcome == Outcome.WRITTEN
    assert dispute.resolved_level == Level.VILLAGE
    assert agreement.number.endswith("调字第1号")
    officer = handler(unit)
    confirmation = followup.apply_confirmation(
        actor=officer, agreement=agreement, applied_on=timezone.localdate(), court="伊宁市人民法院"
    )
    followup.record_confirmation_result(
        actor=officer,
        confirmation=confirmation,
        result="confirmed",
        decided_on=timezone.localdate(),
        number="（2026）新4002民特1号",
    )
    obligation = agreement.obligations.get()
    followup.record_performance(
        actor=officer, obligation=obligation, performed_on=timezone.localdate(), amount="500"
    )
    case.refresh_from_db()
    assert case.status == "agreed"  # 1,500 still owed
    followup.record_visit(
        actor=officer, case=case, visited_on=timezone.localdate(), performing=True, satisfied=True
    )
    followup.record_performance(
        actor=officer, obligation=obligation, performed_on=timezone.localdate(), amount="1500"
    )
    case.refresh_from_db()
    obligation.refresh_from_db()
    assert obligation.performed_on == timezone.localdate()
    assert sum(p.amount for p in obligation.payments.all()) == Decimal("2000.00")
    assert case.status == "closed"
    assert case.followups.count() == 1  # the engine's follow-up is scheduled on closure


def test_the_dispute_keeps_its_first_confirmation_day_for_the_figures(world: World) -> None:
    unit = world.units["S1"]
    officer = handler(unit)
    rejected_case, rejected = confirmed_application(unit)
    followup.record_confirmation_result(
        actor=officer,
        confirmation=rejected.confirmation,
        result="rejected",
        decided_on=timezone.localdate(),
    )
    assert Dispute.objects.get(pk=rejected_case.pk).confirmed_on is None
    case, agreement = confirmed_application(unit)
    assert Dispute.objects.get(pk=case.pk).confirmed_on is None  # applied, not decided
    followup.record_confirmation_result(
        actor=officer,
        confirmation=agreement.confirmation,
        result="confirmed",
        decided_on=timezone.localdate(),
        number="（2026）新4002民特2号",
    )
    assert Dispute.objects.get(pk=case.pk).confirmed_on == timezone.localdate()


def test_oral_agreement_is_recorded_by_the_mediator(world: World) -> None:
    case, agreement = agreed(world.units["S1"], written=False)
    assert not agreement.written
    assert Dispute.objects.get(pk=case.pk).outcome == Outcome.ORAL
    with pytest.raises(ValidationError):
        followup.apply_confirmation(
            actor=handler(case.unit),
            agreement=agreement,
            applied_on=timezone.localdate(),
            court="法院",
        )


def test_termination_records_the_channels_advised(world: World) -> None:
    case = in_mediation(world.units["S1"])
    services.terminate_dispute(
        actor=handler(case.unit),
        case=case,
        reason="双方分歧过大。",
        channels=["court", "arbitration"],
    )
    case.refresh_from_db()
    assert case.status == "terminated"
    assert case.dispute.outcome == Outcome.TERMINATED
    assert case.dispute.channels == "arbitration,court"


def test_termination_needs_a_channel(world: World) -> None:
    case = in_mediation(world.units["S1"])
    with pytest.raises(ValidationError) as exc:
        services.terminate_dispute(actor=handler(case.unit), case=case, reason="x", channels=[])
    assert "channels" in exc.value.message_dict


def test_withdrawal(world: World) -> None:
    case = accepted(world.units["S1"])
    services.withdraw_dispute(actor=handler(case.unit), case=case, reason="申请人撤回。")
    case.refresh_from_db()
    assert case.status == "withdrawn"
    assert case.dispute.outcome == Outcome.WITHDRAWN


def test_default_leads_to_re_mediation(world: World) -> None:
    case = in_mediation(world.units["S1"])
    agreement = agree(case, days=0)
    Obligation.objects.filter(agreement=agreement).update(
        due_date=timezone.localdate() - dt.timedelta(days=3)
    )
    services_case = Case.objects.get(pk=case.pk)
    followup.handle_default(
        actor=handler(case.unit), case=services_case, remedy="remediate", note="未按期赔偿。"
    )
    services_case.refresh_from_db()
    agreement.refresh_from_db()
    assert services_case.status == "in_progress"
    assert agreement.defaulted_at is not None
    assert services_case.dispute.remediations == 1
    second = agree(services_case)
    assert second.number.endswith("调字第2号")


def test_default_with_advice_to_sue_closes_it(world: World) -> None:
    case = in_mediation(world.units["S1"])
    agreement = agree(case)
    Obligation.objects.filter(agreement=agreement).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    followup.handle_default(actor=handler(case.unit), case=case, remedy="sue", note="拒不履行。")
    case.refresh_from_db()
    assert case.status == "closed"
    assert agreement.obligations.get().defaulted


def test_default_needs_an_overdue_obligation(world: World) -> None:
    case, _agreement = agreed(world.units["S1"])
    with pytest.raises(ValidationError):
        followup.handle_default(actor=handler(case.unit), case=case, remedy="sue", note="x")


# --- Bad input of the issue ---------------------------------------------------------------------


def test_an_agreement_without_obligations_is_refused(world: World) -> None:
    case = in_mediation(world.units["S1"])
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.record_agreement(
            actor=handler(case.unit),
            case=case,
            written=True,
            facts="f",
            matters="m",
            responsibilities="r",
            content="c",
            obligations=[],
            parties_signed=True,
            mediator_signed=True,
            sealed=True,
        )
    assert "obligations" in exc.value.message_dict
    assert _counts() == before
    case.refresh_from_db()
    assert case.status == "in_progress"


def test_a_written_agreement_without_signatures_is_refused(world: World) -> None:
    case = in_mediation(world.units["S1"])
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.record_agreement(
            actor=handler(case.unit),
            case=case,
            written=True,
            facts="f",
            matters="m",
            responsibilities="r",
            content="c",
            obligations=obligation_rows(case),
            parties_signed=False,
            mediator_signed=True,
            sealed=True,
        )
    assert "parties_signed" in exc.value.message_dict
    assert _counts() == before


def test_obligation_errors_name_the_row(world: World) -> None:
    case = in_mediation(world.units["S1"])
    rows = obligation_rows(case)
    rows[0]["obligee"] = rows[0]["obligor"]
    rows[0]["amount"] = "-5"
    agree_kwargs = {"written": False, "facts": "f", "matters": "m", "responsibilities": ""}
    with pytest.raises(ValidationError) as exc:
        services.record_agreement(
            actor=handler(case.unit), case=case, content="c", obligations=rows, **agree_kwargs
        )
    assert {"obligations.0.obligee", "obligations.0.amount"} <= set(exc.value.message_dict)


def test_a_confirmation_application_after_30_days_is_refused(world: World) -> None:
    case, agreement = agreed(world.units["S1"])
    Agreement.objects.filter(pk=agreement.pk).update(
        effective_at=timezone.now() - dt.timedelta(days=31)
    )
    agreement.refresh_from_db()
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        followup.apply_confirmation(
            actor=handler(case.unit),
            agreement=agreement,
            applied_on=timezone.localdate(),
            court="伊宁市人民法院",
        )
    assert "applied_on" in exc.value.message_dict
    assert "30 days" in exc.value.message_dict["applied_on"][0]
    assert _counts() == before


def test_an_extension_without_both_consents_is_refused(world: World) -> None:
    case = accepted(world.units["S1"])
    deadline = Dispute.objects.get(pk=case.pk).deadline
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.extend_deadline(
            actor=handler(case.unit),
            case=case,
            days=10,
            applicant_consent=True,
            respondent_consent=False,
            reason="需要鉴定。",
        )
    assert set(exc.value.message_dict) == {"respondent_consent"}
    assert _counts() == before
    assert Dispute.objects.get(pk=case.pk).deadline == deadline


def test_an_extension_with_both_consents_moves_the_deadline(world: World) -> None:
    case = accepted(world.units["S1"])
    deadline = Dispute.objects.get(pk=case.pk).deadline
    services.extend_deadline(
        actor=handler(case.unit),
        case=case,
        days=10,
        applicant_consent=True,
        respondent_consent=True,
        reason="需要鉴定。",
    )
    assert Dispute.objects.get(pk=case.pk).deadline == deadline + dt.timedelta(days=10)


def test_bad_parties_get_field_errors(world: World) -> None:
    unit = world.units["S1"]
    actor, at, kind = root_staff(unit), committee(unit), dispute_type()
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.start_dispute(
            actor=actor,
            unit=unit,
            committee=at,
            dispute_type=kind,
            source=Source.REFERRAL,
            title="",
            facts="x",
            parties=[
                {**APPLICANT, "id_number": "110105194912310021"},
                {**RESPONDENT, "phone": "12"},
            ],
        )
    errors = exc.value.message_dict
    assert {"referrer", "title", "parties.0.id_number", "parties.1.phone"} <= set(errors)
    assert _counts() == before


def test_a_dispute_needs_both_sides(world: World) -> None:
    unit = world.units["S1"]
    with pytest.raises(ValidationError) as exc:
        services.start_dispute(
            actor=root_staff(unit),
            unit=unit,
            committee=committee(unit),
            dispute_type=dispute_type(),
            source=Source.APPLICATION,
            title="t",
            facts="x",
            parties=[APPLICANT],
        )
    assert "parties" in exc.value.message_dict


# --- Mediators, sessions, risk, escalation --------------------------------------------------------


def test_a_party_may_have_a_mediator_replaced(world: World) -> None:
    case = accepted(world.units["S1"])
    old = case.dispute.mediators.get()
    party = case.dispute.parties.get(role=PartyRole.RESPONDENT)
    new = services.replace_mediator(
        actor=handler(case.unit),
        mediator=old,
        party=party,
        reason="调解员系申请人亲属。",
        name="马老汉",
        kind=MediatorKind.ELDER,
    )
    old.refresh_from_db()
    assert old.ended_at is not None
    assert old.replaced_for == party
    assert new.lead
    assert new.kind == MediatorKind.ELDER


def test_a_session_needs_a_mediator_and_starts_the_mediation(world: World) -> None:
    unit = world.units["S1"]
    case = start(unit)
    services.accept_dispute(actor=handler(unit), case=case)
    kwargs = {"held_at": timezone.now(), "location": "村委会", "attendees": "双方", "minutes": "m"}
    with pytest.raises(ValidationError):
        services.record_session(actor=handler(unit), case=case, **kwargs)
    services.add_mediator(actor=handler(unit), case=case, name="李书记", kind=MediatorKind.CADRE)
    services.record_session(actor=handler(unit), case=case, private=True, **kwargs)
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert case.dispute.sessions.get().private


def test_the_risk_flag_escalates_to_the_station(world: World) -> None:
    community = world.units["C1"]
    case = accepted(community)
    chief = world.persona(Role.STATION_CHIEF)
    services.flag_risk(actor=handler(community), case=case, note="一方扬言报复。")
    dispute = Dispute.objects.get(pk=case.pk)
    assert dispute.risk_flag
    assert dispute.risk_station == world.units["S1"]
    assert Delivery.objects.filter(member=chief, kind="dispute.risk").exists()
    assert Entry.objects.filter(case=case, text__contains="一方扬言报复").exists()
    assert AuditEvent.objects.filter(action="dispute.risk").exists()


def test_escalation_goes_up_a_level_and_is_recorded(world: World) -> None:
    community = world.units["C1"]
    station = committee(world.units["S1"], Level.TOWNSHIP)
    case = accepted(community)
    with pytest.raises(ValidationError):
        services.escalate_dispute(
            actor=handler(community), case=case, committee=committee(community), reason="x"
        )
    services.escalate_dispute(actor=handler(community), case=case, committee=station, reason="复杂")
    in_mediation_case = Case.objects.get(pk=case.pk)
    services.record_session(
        actor=handler(community),
        case=in_mediation_case,
        held_at=timezone.now(),
        location="镇调解中心",
        attendees="双方",
        minutes="m",
    )
    agree(in_mediation_case)
    dispute = Dispute.objects.get(pk=case.pk)
    assert dispute.level == Level.TOWNSHIP
    assert dispute.resolved_level == Level.TOWNSHIP
    assert dispute.escalations.get().to_committee == station


def test_outsiders_and_read_only_members_are_refused(world: World) -> None:
    case = start(world.units["S1"])
    with pytest.raises(NotFound):
        services.accept_dispute(actor=member_at(world.units["S2"], Role.OFFICER), case=case)
    with pytest.raises(AccessDenied):
        services.accept_dispute(actor=world.persona(Role.AUDITOR), case=case)


def test_the_confirmation_reminder_goes_out_once(world: World) -> None:
    case, agreement = agreed(world.units["S1"])
    Agreement.objects.filter(pk=agreement.pk).update(
        effective_at=timezone.now() - dt.timedelta(days=21)
    )
    assert followup.send_confirmation_reminders() == 1
    assert followup.send_confirmation_reminders() == 0
    assert (
        Delivery.objects.filter(kind="dispute.confirmation", member=handler(case.unit)).count() == 1
    )
