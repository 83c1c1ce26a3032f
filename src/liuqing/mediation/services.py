"""Every write of dispute mediation: one business operation per function.

Services take the acting member (`actor`) and keyword-only arguments, check access through
the casework engine (`check_case`: the ``case`` and ``dispute`` policies), validate with
field-level `ValidationError`s (every problem of a form at once), and write inside one
transaction with the timeline entry and the audit record. A refused call writes nothing.

The status of a dispute changes only here (the workflow's transitions are closed to the
engine's generic pages): each transition comes with the mediation record that justifies it.
Assignment of an owner, notes and attachments are the engine's (`liuqing.casework.services`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.casework import services as casework
from liuqing.casework.models import Case, Category, EntryType
from liuqing.casework.selectors import check_case, supervisors_of
from liuqing.casework.workflows import ACCEPTED, IN_PROGRESS, RECEIVED
from liuqing.core import access, audit, pii
from liuqing.core.access import CHANGE, VIEW, AccessDenied
from liuqing.core.models import Member, Role, Unit, UnitKind
from liuqing.core.validation import add_error as _add
from liuqing.core.validation import clean_phone
from liuqing.core.validation import clean_text as _text
from liuqing.mediation.defaults import KIND
from liuqing.mediation.models import (
    Agreement,
    Channel,
    Committee,
    Dispute,
    Escalation,
    Extension,
    Level,
    Mediator,
    MediatorKind,
    Obligation,
    Outcome,
    Party,
    PartyRole,
    Referrer,
    Session,
    Source,
)
from liuqing.mediation.workflow import AGREED, DISPUTE, WORKFLOW
from liuqing.notify.services import publish

TEXT_MAX = 4000
NOTE_MAX = 2000
MINUTES_MAX = 8000
NAME_MAX = 64
MAX_AMOUNT = Decimal("999999999999.99")
MAX_EXTENSION_DAYS = 30
CONFIRMATION_DAYS = 30
CHANNELS = tuple(Channel.values)
CONTROL = casework.CONTROL
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

Errors = dict[str, list[str]]


# --- Validation helpers -----------------------------------------------------------------------


def _amount(errors: Errors, field: str, value: Any, *, required: bool = False) -> Decimal | None:
    if value is None or value == "":
        if required:
            _add(errors, field, _("This field is required."))
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise InvalidOperation
        number = number.quantize(Decimal("0.01"))
    except (ArithmeticError, InvalidOperation, ValueError):
        _add(errors, field, _("Enter an amount in yuan, such as 1200.50."))
        return None
    if number <= 0 or number > MAX_AMOUNT:
        _add(errors, field, _("Enter an amount greater than zero."))
        return None
    return number


def _date(errors: Errors, field: str, value: Any, *, required: bool = True) -> dt.date | None:
    if value is None or value == "":
        if required:
            _add(errors, field, _("This field is required."))
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        _add(errors, field, _("Enter a date such as 2026-03-01."))
        return None


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _today() -> dt.date:
    return timezone.localdate()


def _lock(case: Case) -> Dispute:
    """Take the case's row lock, reload case and dispute (checks see the committed state)."""
    casework._lock(case)
    dispute = Dispute.objects.select_related("committee").get(pk=case.pk)
    dispute.case = case
    return dispute


def _check(actor: Member, case: Case) -> None:
    check_case(actor, case, CHANGE)


def _transition(actor: Member, case: Case, action: str, note: str, now: dt.datetime) -> None:
    """Make a workflow transition from this module (the engine's own pages cannot)."""
    transition = WORKFLOW.transitions[action]
    if case.status not in transition.source:
        from liuqing.mediation.workflow import STATE_LABELS

        raise ValidationError(
            {
                NON_FIELD_ERRORS: _("This is not possible while the dispute is %(status)s.")
                % {"status": str(STATE_LABELS.get(case.status, case.status)).lower()}
            }
        )
    # The engine's transition step: clocks, closure, follow-up scheduling, entry and audit.
    casework._apply_transition(actor, case, WORKFLOW, action, transition.target, note, False, now)


def _record(action: str, actor: Member, case: Case, **details: Any) -> None:
    audit.record(
        f"dispute.{action}",
        actor=actor,
        obj=case,
        details={"number": case.number, **details},
    )


def _entry(case: Case, actor: Member, text: str, now: dt.datetime, **data: Any) -> None:
    casework._entry(case, EntryType.NOTE, actor, text=text, at=now, data=data)


def _require(case: Case, states: Iterable[str]) -> None:
    from liuqing.mediation.workflow import STATE_LABELS

    if case.status not in set(states):
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _("This is not possible while the dispute is %(status)s.")
                % {"status": str(STATE_LABELS.get(case.status, case.status)).lower()}
            }
        )


def _deadline_from(start: dt.datetime) -> dt.datetime:
    return start + dt.timedelta(days=settings.MEDIATION_DEADLINE_DAYS)


# --- Committees -------------------------------------------------------------------------------


def create_committee(
    *, actor: Member, unit: Unit, name: str, level: str, place: Any = None
) -> Committee:
    """A mediation organisation of `unit` on a '1+4+N' level (village room, township station,
    county centre), optionally at one of the unit's places."""
    from liuqing.mediation.workflow import COMMITTEE

    access.check(actor, unit, "unit", VIEW)
    if not access.can(actor, COMMITTEE, CHANGE):
        raise AccessDenied
    errors: Errors = {}
    name = _text(errors, "name", name, max_length=100, required=True)
    if level not in Level.values:
        _add(errors, "level", _("Choose a level."))
    if place is not None and not (place.unit_id == unit.pk and place.is_active):
        _add(errors, "place", _("Choose a place of this unit."))
    if name and Committee.objects.filter(unit=unit, name=name).exists():
        _add(errors, "name", _("This unit already has a committee of this name."))
    _raise(errors)
    with transaction.atomic():
        committee = Committee.objects.create(unit=unit, name=name, level=level, place=place)
        audit.record(
            "mediation.committee_create",
            actor=actor,
            obj=committee,
            details={"name": name, "level": level},
        )
    return committee


def committees_for(unit: Unit) -> list[Committee]:
    """Active committees that may mediate a dispute of `unit`: those of the unit and of the
    units above it (the village room, the township station, the county centre)."""
    parts = unit.path.split(".")[:-1]
    prefixes = [".".join(parts[: i + 1]) + "." for i in range(len(parts))]
    return list(
        Committee.objects.filter(unit__path__in=prefixes, is_active=True)
        .select_related("unit")
        .order_by("unit__path", "name")
    )


# --- Intake -----------------------------------------------------------------------------------


def _parties(errors: Errors, parties: Any) -> list[Party]:
    if not isinstance(parties, list | tuple) or not parties:
        _add(errors, "parties", _("Name at least one applicant and one respondent."))
        return []
    result = []
    for i, raw in enumerate(parties):
        prefix = f"parties.{i}"
        data = raw if isinstance(raw, dict) else {}
        role = str(data.get("role") or "")
        if role not in PartyRole.values:
            _add(errors, f"{prefix}.role", _("Choose applicant, respondent or third party."))
        name = _text(
            errors,
            f"{prefix}.name",
            pii.plain(data.get("name")),
            max_length=NAME_MAX,
            required=True,
        )
        agent = _text(
            errors, f"{prefix}.agent_name", pii.plain(data.get("agent_name")), max_length=NAME_MAX
        )
        address = _text(errors, f"{prefix}.address", pii.plain(data.get("address")), max_length=200)
        id_number = pii.plain(data.get("id_number")).strip()
        if id_number:
            try:
                id_number = pii.normalise_identity_number(id_number)
            except ValidationError as exc:
                for message in exc.messages:
                    _add(errors, f"{prefix}.id_number", message)
        phone = clean_phone(errors, f"{prefix}.phone", data.get("phone"))
        result.append(
            Party(
                role=role,
                is_organisation=bool(data.get("is_organisation")),
                name=name,
                id_number=id_number,
                phone=phone,
                address=address,
                agent_name=agent,
            )
        )
    roles = {p.role for p in result}
    if result and not {PartyRole.APPLICANT, PartyRole.RESPONDENT} <= roles:
        _add(errors, "parties", _("Name at least one applicant and one respondent."))
    return result


def start_dispute(
    *,
    actor: Member,
    unit: Unit,
    committee: Committee,
    dispute_type: Category,
    source: str,
    title: str,
    facts: str,
    parties: list[dict[str, Any]],
    referrer: str = "",
    claims: str = "",
    amount: Any = None,
    place: Any = None,
    received_at: dt.datetime | None = None,
) -> Case:
    """Record a dispute at `unit`: a party applied, the mediator started it, or it was
    referred (110 dispatch, a court, the township government, the hotline, a grid worker).
    Opens the case (status received) with its parties in one transaction."""
    access.check(actor, unit, "unit", VIEW)
    if not (access.can(actor, DISPUTE, CHANGE)):
        raise AccessDenied
    errors: Errors = {}
    if source not in Source.values:
        _add(errors, "source", _("Choose how the dispute reached you."))
    if source == Source.REFERRAL and referrer not in Referrer.values:
        _add(errors, "referrer", _("Choose who referred the dispute."))
    if source != Source.REFERRAL:
        referrer = ""
    if (
        not isinstance(committee, Committee)
        or not committee.is_active
        or not committee.unit.is_ancestor_of(unit)
    ):
        _add(errors, "committee", _("Choose a mediation committee of this unit or above it."))
    if not isinstance(dispute_type, Category) or dispute_type.kind != KIND:
        _add(errors, "dispute_type", _("Choose one of the dispute types offered."))
    claims = _text(errors, "claims", claims, max_length=TEXT_MAX)
    value = _amount(errors, "amount", amount)
    people = _parties(errors, parties)
    # The engine checks these too; checking them here reports them with the others at once.
    _text(errors, "title", title, max_length=casework.TITLE_MAX, required=True)
    _text(errors, "description", facts, max_length=TEXT_MAX, required=True)
    if received_at is not None and received_at > timezone.now() + FUTURE_TOLERANCE:
        _add(errors, "received_at", _("The time of receipt cannot be in the future."))
    _raise(errors)
    with transaction.atomic():
        case = casework.open_case(
            actor=actor,
            kind=DISPUTE,
            unit=unit,
            category=dispute_type,
            title=title,
            description=facts,
            place=place,
            channel=source,
            received_at=received_at,
        )
        dispute = Dispute.objects.create(
            case=case,
            committee=committee,
            level=committee.level,
            source=source,
            referrer=referrer,
            claims=claims,
            amount=value,
        )
        for party in people:
            party.dispute = dispute
            party.save()
        _record("start", actor, case, source=source, committee=committee.pk)
    return case


def refuse_dispute(*, actor: Member, case: Case, advice: str) -> Case:
    """A party explicitly refused mediation: the dispute ends as not accepted, with the
    referral advice given (a court, arbitration, an administrative body)."""
    _check(actor, case)
    errors: Errors = {}
    advice = _text(errors, "advice", advice, max_length=NOTE_MAX, required=True)
    _raise(errors)
    now = timezone.now()
    with transaction.atomic():
        dispute = _lock(case)
        _transition(actor, case, "refuse", advice, now)
        dispute.refusal_advice = advice
        dispute.outcome = Outcome.NOT_ACCEPTED
        dispute.concluded_at = now
        dispute.save(update_fields=["refusal_advice", "outcome", "concluded_at"])
        _record("refuse", actor, case)
    return case


def accept_dispute(*, actor: Member, case: Case) -> Case:
    """Accept the dispute for mediation; the deadline is one month from now (a setting)."""
    _check(actor, case)
    now = timezone.now()
    with transaction.atomic():
        dispute = _lock(case)
        _transition(actor, case, "accept", "", now)
        dispute.accepted_at = now
        dispute.deadline = _deadline_from(now)
        dispute.save(update_fields=["accepted_at", "deadline"])
        case.resolve_due = dispute.deadline
        case.save(update_fields=["resolve_due"])
        _record("accept", actor, case, deadline=dispute.deadline.isoformat())
    return case


# --- Mediators --------------------------------------------------------------------------------


def _mediator(
    errors: Errors, dispute: Dispute, name: Any, kind: Any, member: Any, prefix: str = ""
) -> Mediator:
    if isinstance(member, Member):
        if not member.is_active:
            _add(errors, f"{prefix}member", _("Choose an active member."))
        name = name or member.full_name
    elif member is not None:
        _add(errors, f"{prefix}member", _("Choose an active member."))
        member = None
    name = _text(errors, f"{prefix}name", name, max_length=NAME_MAX, required=True)
    if kind not in MediatorKind.values:
        _add(errors, f"{prefix}kind", _("Choose what kind of mediator this is."))
    return Mediator(dispute=dispute, name=name, kind=str(kind or ""), member=member)


def add_mediator(
    *,
    actor: Member,
    case: Case,
    name: str = "",
    kind: str,
    member: Member | None = None,
    lead: bool = False,
) -> Mediator:
    """Add a mediator (a police officer, village cadre, senior party member, judicial office
    staff, lawyer, judge or a member of the elders' team); the first one leads."""
    _check(actor, case)
    errors: Errors = {}
    with transaction.atomic():
        dispute = _lock(case)
        _require(case, {RECEIVED, ACCEPTED, IN_PROGRESS, AGREED})
        mediator = _mediator(errors, dispute, name, kind, member)
        _raise(errors)
        active = dispute.mediators.filter(ended_at__isnull=True)
        mediator.lead = bool(lead) or not active.exists()
        if mediator.lead:
            active.update(lead=False)
        mediator.save()
        now = timezone.now()
        _entry(case, actor, _("Mediator added: %(name)s") % {"name": mediator.name}, now)
        _record("mediator_add", actor, case, mediator=mediator.pk, kind=mediator.kind)
    return mediator


def replace_mediator(
    *,
    actor: Member,
    mediator: Mediator,
    party: Party,
    reason: str,
    name: str = "",
    kind: str,
    member: Member | None = None,
) -> Mediator:
    """A party asked for `mediator` to be replaced (回避): the request forces the
    replacement, recorded with the party and the reason, and the new mediator takes over."""
    case = mediator.dispute.case
    _check(actor, case)
    errors: Errors = {}
    reason = _text(errors, "reason", reason, max_length=NOTE_MAX, required=True)
    with transaction.atomic():
        dispute = _lock(case)
        _require(case, {RECEIVED, ACCEPTED, IN_PROGRESS, AGREED})
        mediator.refresh_from_db()
        if mediator.ended_at is not None:
            _add(errors, "mediator", _("This mediator has already been replaced."))
        if not isinstance(party, Party) or party.dispute_id != dispute.pk:
            _add(errors, "party", _("Choose a party of this dispute."))
        new = _mediator(errors, dispute, name, kind, member)
        _raise(errors)
        now = timezone.now()
        mediator.ended_at = now
        mediator.end_reason = reason
        mediator.replaced_for = party
        was_lead = mediator.lead
        mediator.lead = False
        mediator.save(update_fields=["ended_at", "end_reason", "replaced_for", "lead"])
        new.lead = was_lead or not dispute.mediators.filter(ended_at__isnull=True).exists()
        new.save()
        _entry(
            case,
            actor,
            _("Mediator %(old)s replaced by %(new)s at a party's request: %(reason)s")
            % {"old": mediator.name, "new": new.name, "reason": reason},
            now,
        )
        _record("mediator_replace", actor, case, old=mediator.pk, new=new.pk, party=party.pk)
    return new


# --- Mediation --------------------------------------------------------------------------------


def record_session(
    *,
    actor: Member,
    case: Case,
    held_at: dt.datetime | None,
    location: str,
    attendees: str,
    minutes: str,
    private: bool = False,
) -> Session:
    """Record a session with its minutes. The first session of an accepted dispute starts the
    mediation (status in mediation)."""
    _check(actor, case)
    errors: Errors = {}
    location = _text(errors, "location", location, max_length=200, required=True)
    attendees = _text(errors, "attendees", attendees, max_length=NOTE_MAX, required=True)
    minutes = _text(errors, "minutes", minutes, max_length=MINUTES_MAX, required=True)
    now = timezone.now()
    if not isinstance(held_at, dt.datetime):
        _add(errors, "held_at", _("Enter the date and time of the session."))
    elif held_at > now + FUTURE_TOLERANCE:
        _add(errors, "held_at", _("A session cannot be recorded before it is held."))
    _raise(errors)
    assert isinstance(held_at, dt.datetime)
    with transaction.atomic():
        dispute = _lock(case)
        _require(case, {ACCEPTED, IN_PROGRESS})
        if not dispute.mediators.filter(ended_at__isnull=True).exists():
            raise ValidationError({NON_FIELD_ERRORS: _("Add a mediator first.")})
        if dispute.accepted_at and held_at < dispute.accepted_at - dt.timedelta(days=1):
            raise ValidationError({"held_at": _("The session is before the dispute was accepted.")})
        if case.status == ACCEPTED:
            _transition(actor, case, "start", "", now)
        session = Session.objects.create(
            dispute=dispute,
            held_at=held_at,
            location=location,
            attendees=attendees,
            minutes=minutes,
            private=bool(private),
            recorded_by=actor,
        )
        _entry(case, actor, _("Session recorded at %(place)s.") % {"place": location}, now)
        _record("session", actor, case, session=session.pk, private=bool(private))
    return session


def _station_of(unit: Unit) -> Unit:
    """The police station responsible for `unit`: itself or the nearest station above it (a
    unit above station level handles it itself)."""
    if unit.kind == UnitKind.STATION:
        return unit
    for ancestor in reversed(list(unit.ancestors())):
        if ancestor.kind == UnitKind.STATION:
            return ancestor
    return unit


def flag_risk(*, actor: Member, case: Case, note: str) -> Case:
    """Flag a dispute that may turn into a public-order or criminal matter (Art. 25): it is
    reported to the police station of its unit, whose sergeants and chief are notified, and
    the report is recorded on the timeline and in the audit log."""
    _check(actor, case)
    errors: Errors = {}
    note = _text(errors, "note", note, max_length=NOTE_MAX, required=True)
    _raise(errors)
    now = timezone.now()
    with transaction.atomic():
        dispute = _lock(case)
        _require(case, {RECEIVED, ACCEPTED, IN_PROGRESS, AGREED})
        if dispute.risk_flag:
            raise ValidationError({"note": _("The risk has already been reported.")})
        station = _station_of(case.unit)
        dispute.risk_flag = True
        dispute.risk_note = note
        dispute.risk_reported_at = now
        dispute.risk_station = station
        dispute.save(update_fields=["risk_flag", "risk_note", "risk_reported_at", "risk_station"])
        _entry(
            case,
            actor,
            _("Risk reported to %(station)s: %(note)s") % {"station": station.name, "note": note},
            now,
            risk_station=station.pk,
        )
        _record("risk", actor, case, station=station.pk)
        members = supervisors_of(station, (Role.SERGEANT, Role.STATION_CHIEF))
        if members:
            publish(
                kind="dispute.risk",
                subject=_("Dispute at risk of escalating: %(number)s %(title)s")
                % {"number": case.number, "title": case.title},
                body=note,
                link=casework.case_link(case),
                members=members,
                dedupe_key=f"dispute:{case.pk}:risk",
            )
    return case


def escalate_dispute(*, actor: Member, case: Case, committee: Committee, reason: str) -> Case:
    """Move the dispute to a committee of a higher level (village room → township station →
    county centre) that covers its unit; recorded with the reason."""
    _check(actor, case)
    errors: Errors = {}
    reason = _text(errors, "reason", reason, max_length=NOTE_MAX, required=True)
    with transaction.atomic():
        dispute = _lock(case)
        _require(case, {RECEIVED, ACCEPTED, IN_PROGRESS})
        current = dispute.committee
        if (
            not isinstance(committee, Committee)
            or not committee.is_active
            or not committee.unit.is_ancestor_of(case.unit)
        ):
            _add(errors, "committee", _("Choose a mediation committee of this unit or above it."))
        elif committee.rank <= current.rank:
            _add(errors, "committee", _("Choose a committee of a higher level."))
        _raise(errors)
        now = timezone.now()
        Escalation.objects.create(
            dispute=dispute,
            from_committee=current,
            to_committee=committee,
            reason=reason,
            at=now,
            by=actor,
        )
        dispute.committee = committee
        dispute.level = committee.level
        dispute.save(update_fields=["committee", "level"])
        _entry(
            case,
            actor,
            _("Escalated from %(old)s to %(new)s: %(reason)s")
            % {"old": current.name, "new": committee.name, "reason": reason},
            now,
        )
        _record("escalate", actor, case, committee=[current.pk, committee.pk])
    return case


def extend_deadline(
    *,
    actor: Member,
    case: Case,
    days: Any,
    applicant_consent: bool,
    respondent_consent: bool,
    reason: str,
) -> Extension:
    """Extend the mediation deadline by `days` (at most 30): only with both parties' consent
    recorded."""
    _check(actor, case)
    errors: Errors = {}
    reason = _text(errors, "reason", reason, max_length=NOTE_MAX, required=True)
    try:
        number = int(days)
        if isinstance(days, bool) or not 1 <= number <= MAX_EXTENSION_DAYS:
            raise ValueError
    except (TypeError, ValueError):
        _add(errors, "days", _("Enter a number of days from 1 to 30."))
        number = 0
    if applicant_consent is not True:
        _add(errors, "applicant_consent", _("The applicant's consent to the extension is needed."))
    if respondent_consent is not True:
        _add(
            errors, "respondent_consent", _("The respondent's consent to the extension is needed.")
        )
    _raise(errors)
    with transaction.atomic():
        dispute = _lock(case)
        _require(case, {ACCEPTED, IN_PROGRESS})
        assert dispute.deadline is not None
        old = dispute.deadline
        extension = Extension.objects.create(
            dispute=dispute,
            days=number,
            applicant_consent=True,
            respondent_consent=True,
            reason=reason,
            old_deadline=old,
            new_deadline=old + dt.timedelta(days=number),
        )
        dispute.deadline = extension.new_deadline
        dispute.save(update_fields=["deadline"])
        case.resolve_due = extension.new_deadline
        case.save(update_fields=["resolve_due"])
        now = timezone.now()
        _entry(
            case,
            actor,
            _("Deadline extended by %(days)d days with both parties' consent: %(reason)s")
            % {"days": number, "reason": reason},
            now,
        )
        _record("extend", actor, case, days=number, deadline=extension.new_deadline.isoformat())
    return extension


# --- Outcomes ---------------------------------------------------------------------------------


def _agreement_number(dispute: Dispute, year: int) -> str:
    count = Agreement.objects.filter(
        dispute__committee=dispute.committee, effective_at__year=year
    ).count()
    return f"（{year}）{dispute.committee.name}调字第{count + 1}号"


def record_agreement(
    *,
    actor: Member,
    case: Case,
    written: bool,
    facts: str,
    matters: str,
    responsibilities: str,
    content: str,
    obligations: list[dict[str, Any]],
    parties_signed: bool = False,
    mediator_signed: bool = False,
    sealed: bool = False,
    effective_at: dt.datetime | None = None,
) -> Agreement:
    """Record the agreement reached (化解). A written one needs every party's signature, seal
    or fingerprint, the mediator's signature and the committee seal recorded; an oral one is
    recorded by the mediator and takes effect when the parties agree. Either needs at least
    one obligation (obligor, obligee, action, optional amount and method, due date)."""
    _check(actor, case)
    errors: Errors = {}
    facts = _text(errors, "facts", facts, max_length=TEXT_MAX, required=True)
    matters = _text(errors, "matters", matters, max_length=TEXT_MAX, required=True)
    responsibilities = _text(
        errors, "responsibilities", responsibilities, max_length=TEXT_MAX, required=bool(written)
    )
    content = _text(errors, "content", content, max_length=TEXT_MAX, required=True)
    if written:
        if not parties_signed:
            _add(errors, "parties_signed", _("A written agreement needs every party's signature."))
        if not mediator_signed:
            _add(
                errors, "mediator_signed", _("A written agreement needs the mediator's signature.")
            )
        if not sealed:
            _add(errors, "sealed", _("A written agreement needs the committee's seal."))
    now = timezone.now()
    effective = effective_at or now
    if effective > now + FUTURE_TOLERANCE:
        _add(errors, "effective_at", _("An agreement cannot take effect in the future."))
    with transaction.atomic():
        dispute = _lock(case)
        _require(case, {IN_PROGRESS})
        parties = {p.pk: p for p in dispute.parties.all()}
        rows = []
        if not isinstance(obligations, list | tuple) or not obligations:
            _add(errors, "obligations", _("An agreement needs at least one obligation."))
            obligations = []
        for i, raw in enumerate(obligations):
            prefix = f"obligations.{i}"
            data = raw if isinstance(raw, dict) else {}
            obligor = parties.get(_int(data.get("obligor")))
            obligee = parties.get(_int(data.get("obligee")))
            if obligor is None:
                _add(errors, f"{prefix}.obligor", _("Choose a party of this dispute."))
            if obligee is None:
                _add(errors, f"{prefix}.obligee", _("Choose a party of this dispute."))
            if obligor is not None and obligor is obligee:
                _add(errors, f"{prefix}.obligee", _("The obligee must be another party."))
            action = _text(
                errors, f"{prefix}.action", data.get("action"), max_length=500, required=True
            )
            method = _text(errors, f"{prefix}.method", data.get("method"), max_length=200)
            amount = _amount(errors, f"{prefix}.amount", data.get("amount"))
            due = _date(errors, f"{prefix}.due_date", data.get("due_date"))
            if due is not None and due < timezone.localtime(effective).date():
                _add(errors, f"{prefix}.due_date", _("The due date is before the agreement."))
            rows.append((obligor, obligee, action, method, amount, due))
        _raise(errors)
        year = timezone.localtime(effective).year
        agreement = Agreement.objects.create(
            dispute=dispute,
            number=_agreement_number(dispute, year),
            written=bool(written),
            facts=facts,
            matters=matters,
            responsibilities=responsibilities,
            content=content,
            parties_signed=bool(parties_signed),
            mediator_signed=bool(mediator_signed),
            sealed=bool(sealed),
            effective_at=effective,
            recorded_by=actor,
        )
        Obligation.objects.bulk_create(
            Obligation(
                agreement=agreement,
                dispute=dispute,
                obligor=obligor,
                obligee=obligee,
                action=action,
                method=method,
                amount=amount,
                due_date=due,
            )
            for obligor, obligee, action, method, amount, due in rows
        )
        _transition(actor, case, "agree", content[:200], now)
        if dispute.agreed_at is None:
            dispute.agreed_at = effective
            dispute.resolved_level = dispute.level
            dispute.outcome = Outcome.WRITTEN if written else Outcome.ORAL
        dispute.concluded_at = dispute.concluded_at or effective
        dispute.save(update_fields=["agreed_at", "resolved_level", "outcome", "concluded_at"])
        _record(
            "agree",
            actor,
            case,
            agreement=agreement.pk,
            written=bool(written),
            obligations=len(rows),
        )
    return agreement


def _int(value: Any) -> int | None:
    try:
        return int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def terminate_dispute(*, actor: Member, case: Case, reason: str, channels: list[str]) -> Case:
    """End the mediation without agreement (Art. 26), with the channels advised: arbitration,
    a court, an administrative body."""
    _check(actor, case)
    errors: Errors = {}
    reason = _text(errors, "reason", reason, max_length=NOTE_MAX, required=True)
    chosen = [c for c in CHANNELS if c in set(channels or [])]
    if not chosen or len(chosen) != len(set(channels or [])):
        _add(
            errors,
            "channels",
            _("Choose the channels advised: arbitration, court, an administrative body."),
        )
    _raise(errors)
    now = timezone.now()
    with transaction.atomic():
        dispute = _lock(case)
        _transition(actor, case, "terminate", reason, now)
        dispute.outcome = Outcome.TERMINATED
        dispute.channels = ",".join(chosen)
        dispute.concluded_at = now
        dispute.save(update_fields=["outcome", "channels", "concluded_at"])
        _record("terminate", actor, case, channels=chosen)
    return case


def withdraw_dispute(*, actor: Member, case: Case, reason: str) -> Case:
    """The applicant withdrew: the dispute leaves the figures."""
    _check(actor, case)
    errors: Errors = {}
    reason = _text(errors, "reason", reason, max_length=NOTE_MAX, required=True)
    _raise(errors)
    now = timezone.now()
    with transaction.atomic():
        dispute = _lock(case)
        _transition(actor, case, "withdraw", reason, now)
        dispute.outcome = Outcome.WITHDRAWN
        dispute.concluded_at = now
        dispute.save(update_fields=["outcome", "concluded_at"])
        _record("withdraw", actor, case)
    return case
