"""Writes after the agreement: judicial confirmation, performance and payments, follow-up
visits, defaults (re-mediation or advice to sue), and the confirmation reminder job.

The same rules as `liuqing.mediation.services`: the acting member first, keyword-only
arguments, field-level errors, one transaction with its timeline entry and audit record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.casework import services as casework
from liuqing.casework.models import Case
from liuqing.core import audit
from liuqing.core.models import Member
from liuqing.mediation.models import (
    Agreement,
    Confirmation,
    ConfirmationResult,
    Dispute,
    Obligation,
    Payment,
    Visit,
)
from liuqing.mediation.services import (
    NOTE_MAX,
    Errors,
    _add,
    _amount,
    _check,
    _date,
    _deadline_from,
    _entry,
    _lock,
    _raise,
    _record,
    _require,
    _text,
    _today,
    _transition,
)
from liuqing.mediation.workflow import AGREED
from liuqing.notify.services import publish

CONFIRMATION_DAYS = 30


def current_agreement(dispute: Dispute) -> Agreement | None:
    return dispute.agreements.filter(defaulted_at__isnull=True).order_by("-pk").first()


def apply_confirmation(
    *, actor: Member, agreement: Agreement, applied_on: Any, court: str
) -> Confirmation:
    """The parties' joint application for judicial confirmation of a written agreement: due
    within 30 days of the agreement taking effect (Art. 33); later is refused."""
    case = agreement.dispute.case
    _check(actor, case)
    errors: Errors = {}
    court = _text(errors, "court", court, max_length=100, required=True)
    day = _date(errors, "applied_on", applied_on)
    if day is not None:
        effective = timezone.localtime(agreement.effective_at).date()
        if day < effective:
            _add(errors, "applied_on", _("The application is before the agreement took effect."))
        elif day > agreement.confirmation_due:
            _add(
                errors,
                "applied_on",
                _(
                    "The joint application was due by %(date)s, "
                    "30 days after the agreement took effect."
                )
                % {"date": agreement.confirmation_due.isoformat()},
            )
        elif day > _today():
            _add(errors, "applied_on", _("The date cannot be in the future."))
    if not agreement.written:
        _add(errors, NON_FIELD_ERRORS, _("Only a written agreement can be confirmed by a court."))
    with transaction.atomic():
        _lock(case)
        if Confirmation.objects.filter(agreement=agreement).exists():
            _add(errors, NON_FIELD_ERRORS, _("The application has already been recorded."))
        if agreement.defaulted_at is not None:
            _add(errors, NON_FIELD_ERRORS, _("This agreement is no longer in force."))
        _raise(errors)
        assert day is not None
        confirmation = Confirmation.objects.create(agreement=agreement, applied_on=day, court=court)
        _entry(
            case,
            actor,
            _("Judicial confirmation applied for at %(court)s.") % {"court": court},
            timezone.now(),
        )
        _record("confirmation_apply", actor, case, agreement=agreement.pk)
    return confirmation


def record_confirmation_result(
    *, actor: Member, confirmation: Confirmation, result: str, decided_on: Any, number: str = ""
) -> Confirmation:
    """The court's decision: confirmed (with its 调确字 number) or not confirmed."""
    case = confirmation.agreement.dispute.case
    _check(actor, case)
    errors: Errors = {}
    if result not in ConfirmationResult.values:
        _add(errors, "result", _("Choose confirmed or not confirmed."))
    number = _text(errors, "number", number, max_length=64, required=result == "confirmed")
    day = _date(errors, "decided_on", decided_on)
    if day is not None and (day < confirmation.applied_on or day > _today()):
        _add(
            errors, "decided_on", _("The decision date must be between the application and today.")
        )
    with transaction.atomic():
        _lock(case)
        confirmation.refresh_from_db()
        if confirmation.result:
            _add(errors, NON_FIELD_ERRORS, _("The result has already been recorded."))
        _raise(errors)
        confirmation.result = result
        confirmation.decided_on = day
        confirmation.number = number
        confirmation.save(update_fields=["result", "decided_on", "number"])
        if result == ConfirmationResult.CONFIRMED:
            # The dispute keeps its first confirmation's day, for the figures (kpis).
            first = Confirmation.objects.filter(
                agreement__dispute_id=case.pk, result=ConfirmationResult.CONFIRMED
            ).aggregate(first=Min("decided_on"))["first"]
            Dispute.objects.filter(pk=case.pk).update(confirmed_on=first)
        _entry(case, actor, str(ConfirmationResult(result).label), timezone.now())
        _record("confirmation_result", actor, case, result=result)
    return confirmation


def record_performance(
    *, actor: Member, obligation: Obligation, performed_on: Any, amount: Any = None
) -> Obligation:
    """Record performance of one obligation. A money obligation takes payments (the amounts
    recovered) and counts as performed once paid in full; another is performed at once. When
    every obligation of the agreement is performed the dispute closes."""
    agreement = obligation.agreement
    case = agreement.dispute.case
    _check(actor, case)
    errors: Errors = {}
    day = _date(errors, "performed_on", performed_on)
    if day is not None and day > _today():
        _add(errors, "performed_on", _("The date cannot be in the future."))
    value = _amount(errors, "amount", amount, required=obligation.amount is not None)
    if obligation.amount is None and value is not None:
        _add(errors, "amount", _("This obligation has no amount to pay."))
    now = timezone.now()
    with transaction.atomic():
        _lock(case)
        _require(case, {AGREED})
        obligation.refresh_from_db()
        if obligation.performed_on is not None or obligation.defaulted:
            _add(errors, NON_FIELD_ERRORS, _("This obligation is already settled."))
        if agreement.defaulted_at is not None:
            _add(errors, NON_FIELD_ERRORS, _("This agreement is no longer in force."))
        paid = obligation.paid
        if value is not None and obligation.amount is not None and paid + value > obligation.amount:
            _add(
                errors,
                "amount",
                _("Only %(left)s yuan remain to be paid.") % {"left": obligation.amount - paid},
            )
        _raise(errors)
        assert day is not None
        if value is not None:
            Payment.objects.create(
                obligation=obligation,
                dispute_id=obligation.dispute_id,
                paid_on=day,
                amount=value,
                recorded_by=actor,
            )
            paid += value
        if obligation.amount is None or paid >= obligation.amount:
            obligation.performed_on = day
            obligation.save(update_fields=["performed_on"])
        _entry(
            case,
            actor,
            _("Performance recorded: %(action)s") % {"action": obligation.action},
            now,
            obligation=obligation.pk,
            amount=str(value) if value is not None else None,
        )
        _record("perform", actor, case, obligation=obligation.pk, amount=str(value or ""))
        left = agreement.obligations.filter(performed_on__isnull=True).exists()
        if not left:
            _transition(actor, case, "perform", _("Every obligation has been performed."), now)
    return obligation


def record_visit(
    *,
    actor: Member,
    case: Case,
    visited_on: Any,
    performing: bool,
    satisfied: bool | None,
    risks: str = "",
    actions: str = "",
) -> Visit:
    """A follow-up visit (回访) on performance: whether the obligations are being performed,
    the parties' satisfaction, remaining risks and actions taken."""
    _check(actor, case)
    errors: Errors = {}
    day = _date(errors, "visited_on", visited_on)
    if day is not None and day > _today():
        _add(errors, "visited_on", _("The date cannot be in the future."))
    risks = _text(errors, "risks", risks, max_length=NOTE_MAX)
    actions = _text(errors, "actions", actions, max_length=NOTE_MAX)
    with transaction.atomic():
        dispute = _lock(case)
        if dispute.agreed_at is None:
            _add(errors, NON_FIELD_ERRORS, _("Follow-up visits come after an agreement."))
        _raise(errors)
        assert day is not None
        visit = Visit.objects.create(
            dispute=dispute,
            visited_on=day,
            performing=bool(performing),
            satisfied=satisfied,
            risks=risks,
            actions=actions,
            visitor=actor,
        )
        _entry(case, actor, _("Follow-up visit recorded."), timezone.now(), visit=visit.pk)
        _record("visit", actor, case, visit=visit.pk)
    return visit


def handle_default(*, actor: Member, case: Case, remedy: str, note: str) -> Case:
    """A party defaulted on an obligation past its due date: mediate again (`remedy`
    "remediate": the agreement is set aside, a new one-month deadline runs) or advise the
    obligee to sue or seek enforcement ("sue": the dispute closes)."""
    _check(actor, case)
    errors: Errors = {}
    note = _text(errors, "note", note, max_length=NOTE_MAX, required=True)
    if remedy not in {"remediate", "sue"}:
        _add(errors, "remedy", _("Choose re-mediation or advice to sue."))
    now = timezone.now()
    with transaction.atomic():
        dispute = _lock(case)
        _require(case, {AGREED})
        agreement = current_agreement(dispute)
        overdue = (
            agreement.obligations.filter(performed_on__isnull=True, due_date__lt=_today())
            if agreement
            else Obligation.objects.none()
        )
        if not overdue.exists():
            _add(errors, NON_FIELD_ERRORS, _("No obligation is past its due date unperformed."))
        _raise(errors)
        assert agreement is not None
        overdue.update(defaulted=True)
        if remedy == "remediate":
            agreement.defaulted_at = now
            agreement.save(update_fields=["defaulted_at"])
            _transition(actor, case, "remediate", note, now)
            dispute.remediations += 1
            dispute.deadline = _deadline_from(now)
            dispute.save(update_fields=["remediations", "deadline"])
            case.resolve_due = dispute.deadline
            case.save(update_fields=["resolve_due"])
        else:
            _transition(actor, case, "perform", _("Advised to sue: %(note)s") % {"note": note}, now)
        _record("default", actor, case, remedy=remedy)
    return case


# --- The judicial-confirmation reminder (worker job) ------------------------------------------


def send_confirmation_reminders(now: dt.datetime | None = None) -> int:
    """Remind the lead mediator (or the case owner) of written agreements in force, without a
    confirmation application, once MEDIATION_CONFIRMATION_REMINDER_DAYS have passed since they
    took effect and while the 30 days last. Each agreement is reminded once."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=CONFIRMATION_DAYS)
    until = now - dt.timedelta(days=settings.MEDIATION_CONFIRMATION_REMINDER_DAYS)
    due = (
        Agreement.objects.filter(
            written=True,
            defaulted_at__isnull=True,
            reminded_at__isnull=True,
            confirmation__isnull=True,
            effective_at__gt=since,
            effective_at__lte=until,
        )
        .select_related("dispute__case")
        .order_by("pk")
    )
    sent = 0
    for agreement in due:
        with transaction.atomic():
            case = agreement.dispute.case
            lead = (
                agreement.dispute.mediators.filter(
                    ended_at__isnull=True, lead=True, member__isnull=False
                )
                .values_list("member_id", flat=True)
                .first()
            )
            targets = [m for m in (lead, case.owner_id) if m]
            Agreement.objects.filter(pk=agreement.pk).update(reminded_at=now)
            if targets:
                publish(
                    kind="dispute.confirmation",
                    subject=_("Judicial confirmation due by %(date)s: %(number)s")
                    % {"date": agreement.confirmation_due.isoformat(), "number": case.number},
                    link=casework.case_link(case),
                    members=sorted(set(targets)),
                    dedupe_key=f"agreement:{agreement.pk}:confirmation",
                )
            audit.record(
                "dispute.confirmation_reminder",
                obj=case,
                details={"agreement": agreement.pk, "members": targets},
            )
            sent += 1
    return sent
