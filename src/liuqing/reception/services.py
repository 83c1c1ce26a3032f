"""Writes of the reception desk and talk points.

The desk never touches another module's tables: a request goes through
`liuqing.appeals.services.submit_appeal`, a dispute through
`liuqing.mediation.services.start_dispute`, an incident report through
`liuqing.incidents.services.report_incident` (one incident reported in person, which the
officers and sergeants at the desk may record); each of those checks its own permissions and
fields, and their errors come back on the desk's form. Everything a routing writes (the
matter and the walk-in's log entry) is one transaction: a refused matter leaves the walk-in
waiting, unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.appeals import services as appeals
from liuqing.casework.models import Case
from liuqing.core import access, audit
from liuqing.core import services as core_services
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.models import Member, Place, Unit
from liuqing.incidents import services as incidents
from liuqing.mediation import services as mediation
from liuqing.notify import services as notify
from liuqing.reception import supervision
from liuqing.reception.models import (
    LABEL_OF,
    ComplaintHandover,
    ComplaintOutcome,
    ComplaintStatus,
    ConductComplaint,
    ReportKind,
    RestrictedReport,
    Route,
    TalkMatter,
    TalkSession,
    WalkIn,
)
from liuqing.reception.policies import COMPLAINT, RESTRICTED, TALK_SESSION, WALK_IN

TEXT_MAX = 4000
NOTE_MAX = 2000
MAX_ATTENDEES = 10_000


def check_in(*, actor: Member, unit: Unit) -> WalkIn:
    """A visitor arrives at the desk of `unit`: the waiting time starts."""
    access.check(actor, unit, "unit", VIEW)
    if not access.can(actor, WALK_IN, CHANGE):
        raise AccessDenied
    with transaction.atomic():
        walk_in = WalkIn.objects.create(unit=unit)
        audit.record("reception.check_in", actor=actor, obj=walk_in)
    return walk_in


def serve(*, actor: Member, walk_in: WalkIn) -> WalkIn:
    """Handling starts: the waiting time ends."""
    access.check(actor, walk_in, WALK_IN, CHANGE)
    with transaction.atomic():
        walk_in = WalkIn.objects.select_for_update().get(pk=walk_in.pk)
        if walk_in.served_at is not None:
            raise ValidationError({NON_FIELD_ERRORS: _("This visitor is already being served.")})
        walk_in.served_at = timezone.now()
        walk_in.served_by = actor
        walk_in.save(update_fields=["served_at", "served_by"])
        audit.record("reception.serve", actor=actor, obj=walk_in)
    return walk_in


def route_walk_in(*, actor: Member, walk_in: WalkIn, route: str, **fields: Any) -> WalkIn:
    """Send the visitor's matter where it belongs and close the walk-in (handling ends).

    `fields` by route: appeal — category, title, description, resident_name,
    resident_phone, place; dispute — committee, dispute_type, title, facts, parties (as
    `start_dispute`); incident — category (code), occurred_at, place, description;
    complaint — about_unit, text; restricted — kind, text (an appeal or a dispute may also
    carry `received_at`, which only the demo's history passes)."""
    access.check(actor, walk_in, WALK_IN, CHANGE)
    if route not in Route.values:
        raise ValidationError({"route": _("Choose where the matter goes.")})
    now = timezone.now()
    with transaction.atomic():
        walk_in = WalkIn.objects.select_for_update().select_related("unit").get(pk=walk_in.pk)
        if walk_in.finished_at is not None:
            raise ValidationError({NON_FIELD_ERRORS: _("This visitor has already been helped.")})
        unit = walk_in.unit
        case: Case | None = None
        if route == Route.APPEAL:
            case = appeals.submit_appeal(
                actor=actor,
                unit=unit,
                category=fields.get("category"),  # type: ignore[arg-type]
                title=str(fields.get("title") or ""),
                description=str(fields.get("description") or ""),
                channel="reception",
                place=fields.get("place"),
                resident_name=str(fields.get("resident_name") or ""),
                resident_phone=str(fields.get("resident_phone") or ""),
                received_at=_received(fields),
            )
            reference = case.number
        elif route == Route.DISPUTE:
            case = mediation.start_dispute(
                actor=actor,
                unit=unit,
                committee=fields.get("committee"),  # type: ignore[arg-type]
                dispute_type=fields.get("dispute_type"),  # type: ignore[arg-type]
                source="application",
                title=str(fields.get("title") or ""),
                facts=str(fields.get("facts") or ""),
                parties=list(fields.get("parties") or []),
                received_at=_received(fields),
            )
            reference = case.number
        elif route == Route.INCIDENT:
            reference = _report_incident(actor, walk_in, fields)
        elif route == Route.COMPLAINT:
            reference = _complaint(walk_in, fields)
        else:
            reference = _restricted(walk_in, fields)
        walk_in.served_at = walk_in.served_at or now
        walk_in.served_by = walk_in.served_by or actor
        walk_in.finished_at = now
        walk_in.route = route
        walk_in.reference = reference[:64]
        walk_in.case = case
        walk_in.save()
        # The log says where the matter went, never what it is about (a complaint or a
        # restricted report stays out of the desk's audit details).
        audit.record("reception.route", actor=actor, obj=walk_in, details={"route": route})
    return walk_in


def _received(fields: dict[str, Any]) -> dt.datetime | None:
    """When the matter was received, for the demo's history (`received_at`, an aware time);
    None (now) otherwise. The desk's forms and the API never pass it."""
    value = fields.get("received_at")
    return value if isinstance(value, dt.datetime) and timezone.is_aware(value) else None


def _report_incident(actor: Member, walk_in: WalkIn, fields: dict[str, Any]) -> str:
    """One incident through `incidents.services.report_incident`, which the desk's officers
    and sergeants may use at their own unit (the bulk push stays with the importers). Its
    "category" error is the desk's "incident_category" (the desk's "category" is a request's)."""
    source_id = f"walk-in-{walk_in.pk}"
    try:
        incidents.report_incident(
            actor=actor,
            unit=walk_in.unit,
            source_system="reception",
            source_id=source_id,
            category=str(fields.get("category") or ""),
            occurred_at=fields.get("occurred_at"),
            place=fields.get("place"),
            description=str(fields.get("description") or ""),
        )
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {
                ("incident_category" if name == "category" else name): items
                for name, items in exc.message_dict.items()
            }
        ) from None
    return f"reception:{source_id}"


def _text(fields: dict[str, Any], name: str = "text") -> str:
    text = str(fields.get(name) or "").strip()
    if not text:
        raise ValidationError({name: _("This field is required.")})
    if len(text) > TEXT_MAX:
        raise ValidationError({name: _("At most %(max)d characters.") % {"max": TEXT_MAX}})
    return text


def _complaint(walk_in: WalkIn, fields: dict[str, Any]) -> str:
    about = fields.get("about_unit")
    if not isinstance(about, Unit):
        raise ValidationError({"about_unit": _("Choose the station the complaint is about.")})
    text = _text(fields)
    complaint = ConductComplaint.objects.create(
        unit=supervision.supervising_unit(about), about_unit=about, text=text, walk_in=walk_in
    )
    return f"complaint:{complaint.pk}"


def _restricted(walk_in: WalkIn, fields: dict[str, Any]) -> str:
    kind = fields.get("kind")
    if kind not in ReportKind.values:
        raise ValidationError({"kind": _("Choose domestic violence or school bullying.")})
    text = _text(fields)
    report = RestrictedReport.objects.create(
        unit=walk_in.unit,
        kind=kind,
        label=LABEL_OF[ReportKind(kind)],
        text=text,
        walk_in=walk_in,
    )
    return f"report:{report.pk}"


def reveal_text(
    *,
    actor: Member,
    item: ConductComplaint | RestrictedReport,
    reason: str,
    field: str = "text",
) -> str:
    """The clear text of a complaint or a restricted report (or of a complaint's outcome
    note, `field` "outcome_note"), for a member who may see the item (a report's label grant
    included), with a reason; the reveal is audited (``pii.reveal``, naming the field) in the
    same transaction. No reason, no reveal and no audit record; outside the scope or without
    the grant, NotFound before anything is written; a field that is not protected (only the
    encrypted notes are) is refused by `reveal_personal_data`."""
    kind = COMPLAINT if isinstance(item, ConductComplaint) else RESTRICTED
    return core_services.reveal_personal_data(
        actor=actor, obj=item, kind=kind, field=field, reason=reason
    )


# --- The supervision queue ---------------------------------------------------------------------


def _complaint_for_write(actor: Member, complaint: ConductComplaint) -> ConductComplaint:
    """The complaint locked for a change by `actor`: NotFound outside the queue's scope and for
    a member of the unit the complaint is about (or of a unit below it: the station concerned
    never acts on, nor sees, a complaint about itself), AccessDenied without a supervising
    role."""
    access.check(actor, complaint, COMPLAINT, CHANGE)
    locked = (
        ConductComplaint.objects.select_for_update()
        .select_related("unit", "about_unit")
        .get(pk=complaint.pk)
    )
    if supervision.is_concerned(actor, locked.about_unit):
        raise NotFound
    return locked


def take_complaint(*, actor: Member, complaint: ConductComplaint) -> ConductComplaint:
    """`actor` takes the complaint and handles it from now on (owner). Refused when it is
    closed or already taken by someone else; taking one's own again changes nothing."""
    with transaction.atomic():
        complaint = _complaint_for_write(actor, complaint)
        if complaint.status == ComplaintStatus.CLOSED:
            raise ValidationError({NON_FIELD_ERRORS: _("This complaint is closed.")})
        if complaint.owner_id == actor.pk:
            return complaint
        if complaint.owner_id is not None:
            raise ValidationError(
                {NON_FIELD_ERRORS: _("Someone else is already handling this complaint.")}
            )
        complaint.owner = actor
        complaint.taken_at = timezone.now()
        complaint.status = ComplaintStatus.IN_HAND
        complaint.save(update_fields=["owner", "taken_at", "status"])
        audit.record("reception.complaint_take", actor=actor, obj=complaint)
    return complaint


REASON_MIN = 4
REASON_MAX = 500


def take_over_complaint(
    *, actor: Member, complaint: ConductComplaint, reason: str
) -> ConductComplaint:
    """`actor`, a supervisor of the complaint's queue, takes over a complaint another member
    is handling (the handler is away, or the handling stalls), with a reason. The take-over
    is recorded (ComplaintHandover) and audited with the reason, and the previous handler is
    told through the notify outbox, all in one transaction. Refused, with nothing written,
    for a closed complaint, one that nobody handles yet (take it instead), one `actor`
    already handles, and without a reason."""
    reason = str(reason or "").strip()
    if len(reason) < REASON_MIN:
        raise ValidationError({"reason": _("Say why you take it over (at least 4 characters).")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("At most %(max)d characters.") % {"max": REASON_MAX}})
    with transaction.atomic():
        complaint = _complaint_for_write(actor, complaint)
        if complaint.status == ComplaintStatus.CLOSED:
            raise ValidationError({NON_FIELD_ERRORS: _("This complaint is closed.")})
        if complaint.owner_id is None:
            raise ValidationError(
                {NON_FIELD_ERRORS: _("Nobody is handling this complaint yet: take it.")}
            )
        if complaint.owner_id == actor.pk:
            raise ValidationError({NON_FIELD_ERRORS: _("You are already handling this complaint.")})
        previous = complaint.owner_id
        now = timezone.now()
        complaint.owner = actor
        complaint.taken_at = now
        complaint.status = ComplaintStatus.IN_HAND
        complaint.save(update_fields=["owner", "taken_at", "status"])
        handover = ComplaintHandover.objects.create(
            complaint=complaint, from_member_id=previous, to_member=actor, reason=reason, at=now
        )
        audit.record(
            "reception.complaint_take_over",
            actor=actor,
            obj=complaint,
            reason=reason,
            details={"from": previous, "to": actor.pk},
        )
        # The message names the queue and the new handler, never what the complaint says.
        notify.publish(
            kind="reception.complaint_taken_over",
            subject=_("A complaint you were handling was taken over by %(name)s")
            % {"name": actor.full_name or actor.username},
            body=reason,
            link=str(reverse("reception:complaint", kwargs={"pk": complaint.pk})),
            members=[previous],
            dedupe_key=f"complaint:{complaint.pk}:take_over:{handover.pk}",
        )
    return complaint


def _owned(actor: Member, complaint: ConductComplaint) -> None:
    if complaint.status == ComplaintStatus.CLOSED:
        raise ValidationError({NON_FIELD_ERRORS: _("This complaint is closed.")})
    if complaint.owner_id != actor.pk:
        raise ValidationError(
            {NON_FIELD_ERRORS: _("Take the complaint first: only its handler may do this.")}
        )


def record_complaint_outcome(
    *, actor: Member, complaint: ConductComplaint, outcome: str, note: str
) -> ConductComplaint:
    """The handler records (or corrects, until closing) the outcome with a note. The note is
    staff-only, encrypted at rest and shown masked (reveal_text with "outcome_note"); the
    audit record names no resident."""
    errors: dict[str, list[str]] = {}
    if outcome not in ComplaintOutcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    note = str(note or "").strip()
    if not note:
        errors["note"] = [_("This field is required.")]
    elif len(note) > NOTE_MAX:
        errors["note"] = [_("At most %(max)d characters.") % {"max": NOTE_MAX}]
    with transaction.atomic():
        complaint = _complaint_for_write(actor, complaint)
        _owned(actor, complaint)
        if errors:
            raise ValidationError(errors)
        complaint.outcome = outcome
        complaint.outcome_note = note
        complaint.save(update_fields=["outcome", "outcome_note"])
        audit.record(
            "reception.complaint_outcome",
            actor=actor,
            obj=complaint,
            details={"outcome": outcome},
        )
    return complaint


def close_complaint(*, actor: Member, complaint: ConductComplaint) -> ConductComplaint:
    """The handler closes the complaint once its outcome is recorded."""
    with transaction.atomic():
        complaint = _complaint_for_write(actor, complaint)
        _owned(actor, complaint)
        if not complaint.outcome:
            raise ValidationError(
                {NON_FIELD_ERRORS: _("Record the outcome before closing the complaint.")}
            )
        complaint.status = ComplaintStatus.CLOSED
        complaint.closed_at = timezone.now()
        complaint.save(update_fields=["status", "closed_at"])
        audit.record(
            "reception.complaint_close",
            actor=actor,
            obj=complaint,
            details={"outcome": complaint.outcome},
        )
    return complaint


# --- Talk points --------------------------------------------------------------------------------


def record_talk_session(
    *, actor: Member, place: Place, held_on: Any, attendees: Any, officers: list[Member]
) -> TalkSession:
    """A session at the talk point `place`: date, number of attendees, officers present."""
    if not access.can(actor, TALK_SESSION, CHANGE):
        raise AccessDenied
    access.check(actor, place, "place", VIEW)
    errors: dict[str, list[str]] = {}
    if not isinstance(held_on, dt.date) or held_on > timezone.localdate():
        errors["held_on"] = [_("Enter the date of the session (not in the future).")]
    try:
        count = int(attendees)
        if isinstance(attendees, bool) or not 0 <= count <= MAX_ATTENDEES:
            raise ValueError
    except (TypeError, ValueError):
        errors["attendees"] = [_("Enter the number of attendees.")]
        count = 0
    people = list(officers or [])
    if not people or any(
        not isinstance(m, Member) or not m.is_active or not access.in_jurisdiction(actor, m.unit)
        for m in people
    ):
        errors["officers"] = [_("Choose the officers present.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        session = TalkSession.objects.create(
            unit=place.unit, place=place, held_on=held_on, attendees=count
        )
        session.officers.set(people)
        audit.record("reception.talk_session", actor=actor, obj=session)
    return session


def raise_matter(*, actor: Member, session: TalkSession, kind: str, **fields: Any) -> TalkMatter:
    """A matter raised at the session becomes a request ("appeal") or a dispute in one step,
    through the owning module's service, and is listed with the session."""
    access.check(actor, session, TALK_SESSION, CHANGE)
    unit = session.unit
    with transaction.atomic():
        if kind == "appeal":
            case = appeals.submit_appeal(
                actor=actor,
                unit=unit,
                category=fields.get("category"),  # type: ignore[arg-type]
                title=str(fields.get("title") or ""),
                description=str(fields.get("description") or ""),
                channel="talk_point",
                place=session.place,
                resident_name=str(fields.get("resident_name") or ""),
                resident_phone=str(fields.get("resident_phone") or ""),
                received_at=_received(fields),
            )
        elif kind == "dispute":
            case = mediation.start_dispute(
                actor=actor,
                unit=unit,
                committee=fields.get("committee"),  # type: ignore[arg-type]
                dispute_type=fields.get("dispute_type"),  # type: ignore[arg-type]
                source="initiative",
                title=str(fields.get("title") or ""),
                facts=str(fields.get("facts") or ""),
                parties=list(fields.get("parties") or []),
                place=session.place,
                received_at=_received(fields),
            )
        else:
            raise ValidationError({"kind": _("Choose a request or a dispute.")})
        matter = TalkMatter.objects.create(session=session, case=case)
        audit.record("reception.talk_matter", actor=actor, obj=session, details={"case": case.pk})
    return matter
