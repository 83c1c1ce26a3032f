"""Every write of the casework engine: one business operation per function.

Services take the acting member (`actor`) first and keyword-only arguments, check access
through `liuqing.casework.selectors.check_case` (the ``case`` policy, the kind's own policy,
and ``case_supervision`` for the supervisors' decisions), validate with field-level
`ValidationError`s, and then do everything inside one transaction: the change, its timeline
`Entry`, its audit event and any notification (the outbox row is written in the same
transaction). A refused operation writes nothing.

Every state change goes through `act_on_case`, which asks the kind's workflow whether the
action is allowed from the current state and for the actor's roles. The named services for
the controlled exceptions (`return_case`, `park_case`, `unpark_case`) are that call with the
right action.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.casework import clocks, uploads
from liuqing.casework.calendar import get_calendar
from liuqing.casework.models import (
    Case,
    CaseAlert,
    CaseCounter,
    CaseException,
    CaseLink,
    Category,
    Entry,
    EntryType,
    ExceptionKind,
    ExceptionStatus,
    FollowUp,
    Satisfaction,
)
from liuqing.casework.policies import CASE
from liuqing.casework.selectors import check_case, supervisors_of
from liuqing.casework.workflows import (
    ACTION_LABELS,
    HANDLERS,
    IN_PROGRESS,
    MERGED,
    PARKED,
    RECEIVED,
    RESOLVED,
    STATE_LABELS,
    WAITING,
    WORKFLOWS,
    Transition,
    Workflow,
    workflow_for,
)
from liuqing.core import access, audit, retention
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.models import Member, Place, Role, Unit, validate_latitude, validate_longitude
from liuqing.notify.services import publish, redact_linked

# Public codes: no 0/O, 1/I/L, so that a code read out over the phone cannot be misheard.
PUBLIC_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PUBLIC_CODE_LENGTH = 10
TITLE_MAX = 200
TEXT_MAX = 4000
REASON_MAX = 2000
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_EXTENSION_DAYS = 30
# Actions whose note is required, and what the note is.
NOTE_REQUIRED = {
    "resolve": "resolution",
    "reject": "reason",
    "reopen": "reason",
    "return": "reason",
    "park": "reason",
    "withdraw": "reason",
}
# States in which somebody works on the case, so it must have an owner.
OWNED_STATES = frozenset({IN_PROGRESS, WAITING, RESOLVED})

CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}


# --- Small helpers ---------------------------------------------------------------------------


def _text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > max_length:
        raise ValidationError(
            {
                field: _("At most %(max)d characters (it has %(length)d).")
                % {"max": max_length, "length": len(text)}
            }
        )
    if CONTROL.intersection(text):
        raise ValidationError({field: _("The text cannot contain control characters.")})
    return text


def _coordinate(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError({field: _("Enter a number.")})
    try:
        number = Decimal(str(value).strip()).quantize(Decimal("0.000001"))
    except (ArithmeticError, InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    try:
        (validate_latitude if field == "latitude" else validate_longitude)(number)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    return number


def _merge_errors(errors: dict[str, list[str]], exc: ValidationError) -> None:
    for name, messages in exc.message_dict.items():
        errors.setdefault(name, []).extend(messages)


def _workflow(case: Case) -> Workflow:
    try:
        return workflow_for(case.kind)
    except KeyError:
        raise ValidationError(
            {NON_FIELD_ERRORS: _("Cases of this kind cannot be changed here.")}
        ) from None


def case_link(case: Case | int) -> str:
    """The staff page of `case` (an object or an id): what its notifications link to."""
    pk = case if isinstance(case, int) else case.pk
    return str(reverse("casework:case_detail", kwargs={"pk": pk}))


def _entry(
    case: Case,
    type: str,
    actor: Member | None,
    *,
    text: str = "",
    public: bool = False,
    at: dt.datetime | None = None,
    from_status: str = "",
    to_status: str = "",
    data: dict[str, Any] | None = None,
) -> Entry:
    return Entry.objects.create(
        case=case,
        type=type,
        author=actor,
        text=text,
        is_public=public,
        at=at or timezone.now(),
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )


def _lock(case: Case) -> Case:
    """Take the case's row lock and reload it, so that checks see the committed state."""
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()
    case.refresh_from_db()
    return case


def _save(case: Case, now: dt.datetime, *fields: str) -> None:
    case.updated_at = now
    case.save(update_fields=[*fields, "updated_at"])


def _record(action: str, actor: Member | None, case: Case, **details: Any) -> None:
    audit.record(
        f"case.{action}",
        actor=actor,
        obj=case,
        details={"number": case.number, "kind": case.kind, **details},
    )


def _end_pending_exceptions(case: Case, now: dt.datetime, kinds: list[str] | None = None) -> None:
    qs = case.exceptions.filter(status__in=[ExceptionStatus.PENDING, ExceptionStatus.APPROVED])
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    else:
        # Approved extensions stay approved (they are a record); pending ones and parkings end.
        qs = qs.exclude(kind=ExceptionKind.EXTENSION, status=ExceptionStatus.APPROVED)
    qs.update(status=ExceptionStatus.ENDED, decided_at=now)


def _calm(case: Case) -> None:
    """Forget the warning the sweep recorded for a case whose clock stops (closed, excluded,
    paused): when it runs again, the sweep records and notifies its level afresh."""
    CaseAlert.objects.filter(case=case).delete()


# --- Opening ---------------------------------------------------------------------------------


def _issue_number(prefix: str, unit: Unit, year: int) -> str:
    """The next number of `prefix` at `unit` in `year`, under the counter's row lock."""
    CaseCounter.objects.get_or_create(prefix=prefix, unit=unit, year=year)
    counter = CaseCounter.objects.select_for_update().get(prefix=prefix, unit=unit, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}-{year}-{counter.last:06d}"


def new_public_code() -> str:
    while True:
        code = "".join(secrets.choice(PUBLIC_CODE_ALPHABET) for _i in range(PUBLIC_CODE_LENGTH))
        if not Case.objects.filter(public_code=code).exists():
            return code


def open_case(
    *,
    actor: Member | None,
    kind: str,
    unit: Unit,
    category: Category,
    title: str,
    description: str,
    place: Place | None = None,
    channel: str = "",
    received_at: dt.datetime | None = None,
    latitude: Any = None,
    longitude: Any = None,
    public: bool = False,
) -> Case:
    """Open a case of `kind` at `unit` and start its clocks from `received_at` (default now).

    The number is the next of the kind's prefix at that unit in the year of receipt
    ("SQ-2026-000123"); the public tracking code is random. `actor=None` is a resident's own
    submission: the module's public service has already decided the unit and category and
    checked the rate limit; nobody's jurisdiction applies.
    """
    workflow = WORKFLOWS.get(kind)
    if workflow is None:
        raise ValidationError({"kind": _("Unknown kind of case.")})
    if actor is not None:
        access.check(actor, unit, "unit", VIEW)
        if not (
            access.can(actor, CASE, CHANGE) and access.can(actor, workflow.policy_kind, CHANGE)
        ):
            raise AccessDenied
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if not isinstance(category, Category) or category.kind != kind or not category.is_active:
        errors["category"] = [_("Choose one of the categories offered.")]
    for name, value, length in (
        ("title", title, TITLE_MAX),
        ("description", description, TEXT_MAX),
    ):
        try:
            _text(value, name, max_length=length, required=True)
        except ValidationError as exc:
            _merge_errors(errors, exc)
    try:
        channel = _text(channel, "channel", max_length=24)
    except ValidationError as exc:
        _merge_errors(errors, exc)
    coordinates: dict[str, Decimal | None] = {}
    for name, value in (("latitude", latitude), ("longitude", longitude)):
        try:
            coordinates[name] = _coordinate(value, name)
        except ValidationError as exc:
            _merge_errors(errors, exc)
    if not errors.keys() & {"latitude", "longitude"} and (coordinates["latitude"] is None) != (
        coordinates["longitude"] is None
    ):
        errors["latitude"] = [_("Give both latitude and longitude, or neither.")]
    if not unit.is_active:
        errors["unit"] = [_("This unit is no longer active.")]
    if place is not None:
        related = place.unit.is_ancestor_of(unit) or unit.is_ancestor_of(place.unit)
        if actor is not None and related:
            try:
                access.check(actor, place, "place", VIEW)
            except (NotFound, AccessDenied):
                related = False
        if not related or not place.is_active:
            errors["place"] = [_("Choose a place of this unit.")]
    elif (
        "category" not in errors and category.needs_location and coordinates.get("latitude") is None
    ):
        errors["place"] = [
            _("This category needs a location: choose a place or put a pin on the map.")
        ]
    if received_at is None:
        received_at = now
    elif received_at > now + FUTURE_TOLERANCE:
        errors["received_at"] = [_("The time of receipt cannot be in the future.")]
    if errors:
        raise ValidationError(errors)

    year = timezone.localtime(received_at).year
    with transaction.atomic():
        case = Case(
            number=_issue_number(workflow.prefix, unit, year),
            number_unit=unit,
            kind=kind,
            unit=unit,
            place=place,
            category=category,
            title=str(title).strip(),
            description=str(description).strip(),
            status=RECEIVED,
            created_by=actor,
            channel=channel,
            received_at=received_at,
            updated_at=now,
            public_code=new_public_code(),
            is_public=bool(public),
            **coordinates,
        )
        clocks.start_clocks(case, clocks.sla_for(category, workflow), received_at)
        case.save(force_insert=True)
        _entry(case, EntryType.STATUS, actor, at=now, to_status=RECEIVED)
        _record(
            "open",
            actor,
            case,
            unit=unit.pk,
            category=category.pk,
            channel=channel,
            resolve_due=case.resolve_due.isoformat() if case.resolve_due else None,
        )
    return case


# --- Assignment and transitions --------------------------------------------------------------


def _may_own(case: Case, member: Member) -> bool:
    return member.is_active and member.has_role(*HANDLERS) and case.unit.is_ancestor_of(member.unit)


def assign_case(*, actor: Member, case: Case, owner: Member, note: str = "") -> Case:
    """Give the case to `owner`: an active member with a handler role in the case unit's
    subtree. Supervisors assign; the new owner is notified."""
    check_case(actor, case, CHANGE, supervision=True)
    note = _text(note, "note", max_length=REASON_MAX)
    now = timezone.now()
    with transaction.atomic():
        _lock(case)
        workflow = _workflow(case)
        if not workflow.is_open(case.status) or case.status == RESOLVED:
            raise ValidationError(
                {"owner": _("A case that is resolved or closed cannot be reassigned.")}
            )
        if not isinstance(owner, Member) or not _may_own(case, owner):
            raise ValidationError(
                {"owner": _("Choose an active handler of this case's unit or a unit below it.")}
            )
        if case.owner_id == owner.pk:
            raise ValidationError({"owner": _("The case is already assigned to this member.")})
        previous = case.owner_id
        case.owner = owner
        _save(case, now, "owner")
        _entry(
            case,
            EntryType.ASSIGNMENT,
            actor,
            text=note,
            at=now,
            data={"from": previous, "to": owner.pk, "to_name": owner.full_name},
        )
        _record("assign", actor, case, owner=[previous, owner.pk])
        if owner.pk != actor.pk:
            publish(
                kind="case.assigned",
                subject=_("Assigned to you: %(number)s %(title)s")
                % {"number": case.number, "title": case.title},
                link=case_link(case),
                members=[owner],
                dedupe_key=f"case:{case.pk}:assigned:{now.timestamp():.6f}",
            )
    return case


def _role_allows(actor: Member, case: Case, transition: Transition) -> bool:
    return bool(actor.role_set & transition.roles) or (
        transition.owner_may and case.owner_id is not None and case.owner_id == actor.pk
    )


def _reopen(case: Case, workflow: Workflow, now: dt.datetime, *, count: bool = True) -> None:
    """Open the clocks again for 重办: a fresh resolution time from now."""
    if count:
        case.reopened_count += 1
    case.closed_at = None
    case.closed_on_time = None
    case.handling_seconds = None
    case.resolved_at = None
    case.resolved_by = None
    case.paused_since = None
    clocks.restart_resolution(case, clocks.sla_for(case.category, workflow), now)
    _calm(case)
    FollowUp.objects.filter(case=case, done_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=now
    )


CHANGED_FIELDS = [
    "status",
    "owner",
    "accepted_at",
    "resolved_at",
    "resolved_by",
    "closed_at",
    "closed_on_time",
    "handling_seconds",
    "accept_due",
    "contact_due",
    "resolve_due",
    "paused_since",
    "paused_seconds",
    "allowed_days",
    "reopened_count",
    "public_result",
]


def act_on_case(
    *, actor: Member, case: Case, action: str, note: str = "", public: bool = False
) -> Case:
    """Make one workflow transition: "accept", "start", "wait", "resume", "park", "unpark",
    "return", "resolve", "verify", "reject", "reopen", "withdraw", or a module's own.

    Refused with ValidationError({"action": ...}) when the workflow does not allow it from
    the current state or for the actor's roles. Resolving needs a resolution note; rejecting,
    reopening, returning, parking and withdrawing need a reason (`note`). Verification must
    be by someone other than the member who resolved the case (and its owner).

    Clocks: entering a paused state stops them; leaving it pushes every running due time
    later by the working time the pause lasted. Verification closes the case, records
    whether it closed on time and its handling time, and schedules the follow-up.
    """
    check_case(actor, case, CHANGE)
    workflow = _workflow(case)
    if action not in workflow.transitions:
        raise ValidationError({"action": _("Unknown action.")})
    needed = NOTE_REQUIRED.get(action)
    note = _text(note, "note", max_length=TEXT_MAX, required=needed is not None)
    now = timezone.now()
    with transaction.atomic():
        _lock(case)
        transition = workflow.allowed(action, case.status)
        if transition is None:
            raise ValidationError(
                {
                    "action": _("“%(action)s” is not possible while the case is %(status)s.")
                    % {
                        "action": ACTION_LABELS.get(action, action),
                        "status": STATE_LABELS.get(case.status, case.status),
                    }
                }
            )
        if not _role_allows(actor, case, transition):
            raise ValidationError(
                {"action": _("Your role does not allow this action on this case.")}
            )
        _apply_transition(actor, case, workflow, action, transition.target, note, public, now)
    return case


def _apply_transition(
    actor: Member,
    case: Case,
    workflow: Workflow,
    action: str,
    target: str,
    note: str,
    public: bool,
    now: dt.datetime,
    *,
    entry_data: dict[str, Any] | None = None,
) -> None:
    source = case.status
    if target in OWNED_STATES and case.owner_id is None:
        if not _may_own(case, actor):
            raise ValidationError({"action": _("Assign the case to a handler first.")})
        case.owner = actor
        _entry(case, EntryType.ASSIGNMENT, actor, at=now, data={"from": None, "to": actor.pk})
    if action == "verify" and actor.pk in {case.resolved_by_id, case.owner_id}:
        raise ValidationError(
            {"action": _("Someone other than the member who resolved the case must verify it.")}
        )
    leaving_pause = source in workflow.paused and target not in workflow.paused
    entering_pause = target in workflow.paused and source not in workflow.paused
    paused_for = clocks.unpause(case, now) if leaving_pause else 0
    if entering_pause:
        clocks.pause(case, now)
        _calm(case)

    if action == "accept" and case.accepted_at is None:
        case.accepted_at = now
    elif action == "return":
        case.owner = None
        CaseException.objects.create(
            case=case,
            kind=ExceptionKind.RETURN,
            status=ExceptionStatus.ENDED,
            reason=note,
            requested_by=actor,
            requested_at=now,
            decided_by=actor,
            decided_at=now,
        )
    elif action == "park":
        CaseException.objects.create(
            case=case,
            kind=ExceptionKind.PARKING,
            status=ExceptionStatus.APPROVED,
            reason=note,
            requested_by=actor,
            requested_at=now,
            decided_by=actor,
            decided_at=now,
        )
    elif action == "unpark":
        _end_pending_exceptions(case, now, [ExceptionKind.PARKING])
    elif action == "resolve":
        case.resolved_at = now
        case.resolved_by = actor
        if public:
            case.public_result = note[:1000]
    elif action == "reject":
        case.resolved_at = None
        case.resolved_by = None
    elif action == "reopen":
        _reopen(case, workflow, now)

    if target in workflow.closed:
        case.closed_at = now
        case.closed_on_time = case.resolve_due is None or now <= case.resolve_due
        case.handling_seconds = clocks.handling_seconds(case, now)
        _calm(case)
        _end_pending_exceptions(case, now)
        FollowUp.objects.create(
            case=case, due_at=get_calendar().add_working_days(now, workflow.followup_days)
        )
    elif target in workflow.excluded:
        _calm(case)
        _end_pending_exceptions(case, now)
    case.status = target
    _save(case, now, *CHANGED_FIELDS)
    data = dict(entry_data or {})
    if paused_for:
        data["paused_seconds"] = paused_for
    _entry(
        case,
        EntryType.STATUS,
        actor,
        text=note,
        public=public,
        at=now,
        from_status=source,
        to_status=target,
        data={"action": action, **data},
    )
    _record(
        action,
        actor,
        case,
        status=[source, target],
        paused_seconds=paused_for or None,
        resolve_due=case.resolve_due.isoformat() if case.resolve_due else None,
    )
    if action in {"reject", "reopen"} and case.owner_id and case.owner_id != actor.pk:
        publish(
            kind=f"case.{action}",
            subject=(
                _("Resolution rejected: %(number)s %(title)s")
                if action == "reject"
                else _("Reopened: %(number)s %(title)s")
            )
            % {"number": case.number, "title": case.title},
            body=note,
            link=case_link(case),
            members=[case.owner_id],
            dedupe_key=f"case:{case.pk}:{action}:{now.timestamp():.6f}",
        )


def return_case(*, actor: Member, case: Case, reason: str) -> Case:
    """回退: a misrouted case goes back to dispatch (status returned, owner cleared); the
    clocks keep running, so dispatch should route it again quickly."""
    return act_on_case(actor=actor, case=case, action="return", note=reason)


def park_case(*, actor: Member, case: Case, reason: str) -> Case:
    """挂账: a supervisor parks the case in the tracked backlog; its clocks stand still."""
    return act_on_case(actor=actor, case=case, action="park", note=reason)


def unpark_case(*, actor: Member, case: Case, note: str = "") -> Case:
    """A supervisor takes the case out of the backlog; the due times move later by the
    working time it spent parked."""
    return act_on_case(actor=actor, case=case, action="unpark", note=note)


# --- Timeline --------------------------------------------------------------------------------


def add_note(*, actor: Member, case: Case, text: str, public: bool = False) -> Entry:
    """A progress note on the timeline (public notes reach the resident after redaction)."""
    check_case(actor, case, CHANGE)
    text = _text(text, "text", max_length=TEXT_MAX, required=True)
    now = timezone.now()
    with transaction.atomic():
        entry = _entry(case, EntryType.NOTE, actor, text=text, public=public, at=now)
        Case.objects.filter(pk=case.pk).update(updated_at=now)
        _record("note", actor, case, entry=entry.pk, public=public)
    return entry


def record_contact(
    *, actor: Member, case: Case, text: str, method: str = "", public: bool = False
) -> Entry:
    """Contact with the resident (call, visit, message). The first one stops the first-
    contact clock."""
    check_case(actor, case, CHANGE)
    text = _text(text, "text", max_length=TEXT_MAX, required=True)
    method = _text(method, "method", max_length=16)
    now = timezone.now()
    with transaction.atomic():
        _lock(case)
        first = case.first_contact_at is None
        if first:
            case.first_contact_at = now
            _save(case, now, "first_contact_at")
        entry = _entry(
            case,
            EntryType.CONTACT,
            actor,
            text=text,
            public=public,
            at=now,
            data={"method": method, "first": first},
        )
        _record("contact", actor, case, entry=entry.pk, first=first)
    return entry


def attach_file(
    *, actor: Member, case: Case, upload: Any, note: str = "", public: bool = False
) -> Entry:
    """Attach a photo (JPEG, PNG, WebP) or a PDF of at most 10 MB, typed by its content and
    stored under a random name; it is only ever served to staff as a download (see
    uploads.py). A photo marked public also gets a copy stripped of its metadata
    (`uploads.public_copy`, path in the entry's data as "public_file"): the one file a public
    surface may show (Open311's media_url)."""
    check_case(actor, case, CHANGE)
    note = _text(note, "note", max_length=REASON_MAX)
    stored = uploads.store(upload)
    public_file = uploads.public_copy(stored) if public else None
    now = timezone.now()
    data: dict[str, Any] = {"size": stored.size}
    if public_file:
        data["public_file"] = public_file
    try:
        with transaction.atomic():
            entry = Entry(
                case=case,
                type=EntryType.ATTACHMENT,
                author=actor,
                text=note,
                is_public=public,
                at=now,
                attachment_name=stored.original_name,
                attachment_type=stored.kind.mime,
                data=data,
            )
            entry.attachment.name = stored.path
            entry.save()
            Case.objects.filter(pk=case.pk).update(updated_at=now)
            _record(
                "attach",
                actor,
                case,
                entry=entry.pk,
                type=stored.kind.mime,
                size=stored.size,
            )
    except BaseException:
        uploads.discard(stored)
        if public_file:
            uploads.discard_path(public_file)
        raise
    return entry


# --- Extensions ------------------------------------------------------------------------------


def request_extension(*, actor: Member, case: Case, days: Any, reason: str) -> CaseException:
    """Ask for `days` more working days. Only before the resolution deadline, and one request
    at a time; a supervisor other than the requester decides."""
    check_case(actor, case, CHANGE)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"days": _("Enter a whole number of working days.")}) from None
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ValidationError(
            {"days": _("Between 1 and %(max)d working days.") % {"max": MAX_EXTENSION_DAYS}}
        )
    reason = _text(reason, "reason", max_length=REASON_MAX, required=True)
    now = timezone.now()
    with transaction.atomic():
        _lock(case)
        workflow = _workflow(case)
        if not workflow.is_open(case.status) or case.status == RESOLVED:
            raise ValidationError({NON_FIELD_ERRORS: _("Only an open case can be extended.")})
        if case.resolve_due is None or now >= case.resolve_due:
            raise ValidationError(
                {NON_FIELD_ERRORS: _("An extension must be asked for before the deadline.")}
            )
        if case.exceptions.filter(
            kind=ExceptionKind.EXTENSION, status=ExceptionStatus.PENDING
        ).exists():
            raise ValidationError(
                {NON_FIELD_ERRORS: _("An extension request is already waiting for a decision.")}
            )
        exception = CaseException.objects.create(
            case=case,
            kind=ExceptionKind.EXTENSION,
            status=ExceptionStatus.PENDING,
            reason=reason,
            days=days,
            requested_by=actor,
            requested_at=now,
        )
        _entry(
            case,
            EntryType.EXCEPTION,
            actor,
            text=reason,
            at=now,
            data={
                "exception": exception.pk,
                "kind": "extension",
                "status": "pending",
                "days": days,
            },
        )
        Case.objects.filter(pk=case.pk).update(updated_at=now)
        _record("extension.request", actor, case, exception=exception.pk, days=days)
        deciders = [
            pk
            for pk in supervisors_of(case.unit, (Role.SERGEANT, Role.STATION_CHIEF))
            if pk != actor.pk
        ]
        publish(
            kind="case.extension",
            subject=_("Extension requested: %(number)s (%(days)d working days)")
            % {"number": case.number, "days": days},
            body=reason,
            link=case_link(case),
            members=deciders,
            dedupe_key=f"extension:{exception.pk}",
        )
    return exception


def decide_extension(
    *, actor: Member, exception: CaseException, approve: bool, note: str = ""
) -> CaseException:
    """A supervisor other than the requester approves or refuses a pending extension. On
    approval the deadline moves later by the requested working days."""
    case = exception.case
    check_case(actor, case, CHANGE, supervision=True)
    note = _text(note, "note", max_length=REASON_MAX, required=not approve)
    now = timezone.now()
    with transaction.atomic():
        _lock(case)
        exception = CaseException.objects.select_for_update().get(pk=exception.pk)
        if exception.kind != ExceptionKind.EXTENSION or exception.status != ExceptionStatus.PENDING:
            raise ValidationError({NON_FIELD_ERRORS: _("This request was already decided.")})
        if exception.requested_by_id == actor.pk:
            raise ValidationError(
                {NON_FIELD_ERRORS: _("Someone other than the requester must decide.")}
            )
        workflow = _workflow(case)
        if not workflow.is_open(case.status):
            raise ValidationError({NON_FIELD_ERRORS: _("The case is no longer open.")})
        days = int(exception.days or 0)
        exception.status = ExceptionStatus.APPROVED if approve else ExceptionStatus.REFUSED
        exception.decided_by = actor
        exception.decided_at = now
        exception.decision_note = note
        exception.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        before = case.resolve_due
        if approve and case.resolve_due is not None:
            case.resolve_due = get_calendar().add_working_days(case.resolve_due, days)
            case.extended_days += days
            case.allowed_days += days
            _save(case, now, "resolve_due", "extended_days", "allowed_days")
        else:
            _save(case, now)
        _entry(
            case,
            EntryType.EXCEPTION,
            actor,
            text=note,
            at=now,
            data={
                "exception": exception.pk,
                "kind": "extension",
                "status": exception.status,
                "days": days,
            },
        )
        _record(
            "extension.decide",
            actor,
            case,
            exception=exception.pk,
            approved=approve,
            resolve_due=[
                before.isoformat() if before else None,
                case.resolve_due.isoformat() if case.resolve_due else None,
            ],
        )
        publish(
            kind="case.extension_decided",
            subject=(
                _("Extension approved: %(number)s")
                if approve
                else _("Extension refused: %(number)s")
            )
            % {"number": case.number},
            body=note,
            link=case_link(case),
            members=[exception.requested_by_id],
            dedupe_key=f"extension:{exception.pk}:decided",
        )
    return exception


# --- Follow-up -------------------------------------------------------------------------------


def record_followup(
    *,
    actor: Member,
    followup: FollowUp,
    satisfaction: str,
    resolved: bool | None,
    note: str = "",
    method: str = "",
    reopen: bool = False,
    reopen_reason: str = "",
) -> FollowUp:
    """回访: record the resident's satisfaction and whether the matter was really resolved.

    A dissatisfied or unresolved answer may reopen the case (重办) with a reason: the
    clocks start again from now and the owner is notified.
    """
    case = followup.case
    check_case(actor, case, CHANGE)
    errors: dict[str, list[str]] = {}
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = [_("Choose how satisfied the resident is.")]
    if not isinstance(resolved, bool):
        errors["resolved"] = [_("Say whether the matter was resolved.")]
    for name, value, length in (("note", note, REASON_MAX), ("method", method, 16)):
        try:
            _text(value, name, max_length=length)
        except ValidationError as exc:
            _merge_errors(errors, exc)
    if reopen:
        if not errors and satisfaction != Satisfaction.DISSATISFIED and resolved is not False:
            errors["reopen"] = [_("Only a dissatisfied or unresolved answer can reopen the case.")]
        try:
            _text(reopen_reason, "reopen_reason", max_length=REASON_MAX, required=True)
        except ValidationError as exc:
            _merge_errors(errors, exc)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        _lock(case)
        followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if followup.done_at is not None or followup.cancelled_at is not None:
            raise ValidationError({NON_FIELD_ERRORS: _("This follow-up was already made.")})
        workflow = _workflow(case)
        transition = workflow.allowed("reopen", case.status) if reopen else None
        if reopen and transition is None:
            raise ValidationError({"reopen": _("This case cannot be reopened now.")})
        followup.done_at = now
        followup.done_by = actor
        followup.satisfaction = satisfaction
        followup.resolved = resolved
        followup.note = str(note or "").strip()
        followup.method = str(method or "").strip()
        followup.led_to_reopen = bool(reopen)
        followup.save()
        _entry(
            case,
            EntryType.FOLLOWUP,
            actor,
            text=followup.note,
            at=now,
            data={
                "followup": followup.pk,
                "satisfaction": satisfaction,
                "resolved": resolved,
                "method": followup.method,
            },
        )
        _record(
            "followup",
            actor,
            case,
            followup=followup.pk,
            satisfaction=satisfaction,
            resolved=resolved,
            reopen=bool(reopen),
        )
        if transition is not None:
            _apply_transition(
                actor,
                case,
                workflow,
                "reopen",
                transition.target,
                str(reopen_reason).strip(),
                False,
                now,
                entry_data={"followup": followup.pk},
            )
        else:
            _save(case, now)
    return followup


# --- Links, merge, transfer ------------------------------------------------------------------


def _other_case(actor: Member, other: Any, field: str, *, supervision: bool = False) -> Case:
    if not isinstance(other, Case):
        raise ValidationError({field: _("There is no such case in your jurisdiction.")})
    try:
        check_case(actor, other, VIEW)
        if supervision:
            check_case(actor, other, CHANGE, supervision=True)
    except (NotFound, AccessDenied):
        raise ValidationError({field: _("There is no such case in your jurisdiction.")}) from None
    return other


def link_cases(*, actor: Member, case: Case, other: Case, note: str = "") -> CaseLink:
    """Link two related cases (both on the timeline of each)."""
    check_case(actor, case, CHANGE)
    other = _other_case(actor, other, "other")
    note = _text(note, "note", max_length=REASON_MAX)
    if other.pk == case.pk:
        raise ValidationError({"other": _("A case cannot be linked to itself.")})
    now = timezone.now()
    with transaction.atomic():
        if (
            CaseLink.objects.filter(source=case, target=other).exists()
            or CaseLink.objects.filter(source=other, target=case).exists()
        ):
            raise ValidationError({"other": _("These cases are already linked.")})
        link = CaseLink.objects.create(source=case, target=other, created_by=actor, created_at=now)
        for one, two in ((case, other), (other, case)):
            _entry(
                one,
                EntryType.LINK,
                actor,
                text=note,
                at=now,
                data={"linked": two.pk, "number": two.number},
            )
        _record("link", actor, case, other=other.pk)
    return link


def merge_case(*, actor: Member, duplicate: Case, into: Case, note: str = "") -> Case:
    """Merge a duplicate into the case that carries on. The duplicate's status becomes
    merged, with `merged_into` set; it leaves every figure (KPIS.md) and its clocks stop.
    A supervisor's decision, on two open cases of the same kind."""
    check_case(actor, duplicate, CHANGE, supervision=True)
    into = _other_case(actor, into, "into", supervision=True)
    note = _text(note, "note", max_length=REASON_MAX)
    if into.pk == duplicate.pk:
        raise ValidationError({"into": _("A case cannot be merged into itself.")})
    now = timezone.now()
    with transaction.atomic():
        for one in sorted((duplicate, into), key=lambda c: c.pk):  # one order: no deadlock
            _lock(one)
        workflow = _workflow(duplicate)
        if into.kind != duplicate.kind:
            raise ValidationError({"into": _("Only cases of the same kind can be merged.")})
        if not workflow.is_open(duplicate.status):
            raise ValidationError(
                {NON_FIELD_ERRORS: _("A closed or withdrawn case cannot be merged.")}
            )
        if into.status in workflow.excluded:
            raise ValidationError({"into": _("That case was itself withdrawn or merged.")})
        source = duplicate.status
        if source in workflow.paused:
            clocks.unpause(duplicate, now)
        duplicate.status = MERGED
        duplicate.merged_into = into
        _calm(duplicate)
        _end_pending_exceptions(duplicate, now)
        _save(duplicate, now, *CHANGED_FIELDS, "merged_into")
        CaseLink.objects.get_or_create(
            source=duplicate, target=into, defaults={"created_by": actor, "created_at": now}
        )
        _entry(
            duplicate,
            EntryType.STATUS,
            actor,
            text=note,
            at=now,
            from_status=source,
            to_status=MERGED,
            data={"action": "merge", "into": into.pk, "number": into.number},
        )
        _entry(
            into,
            EntryType.LINK,
            actor,
            text=note,
            at=now,
            data={"merged": duplicate.pk, "number": duplicate.number},
        )
        _record("merge", actor, duplicate, into=into.pk, status=[source, MERGED])
    return duplicate


def transfer_case(*, actor: Member, case: Case, to_unit: Unit, reason: str) -> Case:
    """Send the case to another unit: one in the actor's jurisdiction, or a unit above the
    actor (a parent's dispatch desk). The receiving unit accepts it again (status received,
    no owner).

    The clocks keep running from the original receipt: a transfer neither restarts nor
    extends any due time (a misrouting costs the sender, not the resident). A waiting case's
    pause ends with the transfer.
    """
    check_case(actor, case, CHANGE, supervision=True)
    reason = _text(reason, "reason", max_length=REASON_MAX, required=True)
    if not isinstance(to_unit, Unit) or not to_unit.is_active:
        raise ValidationError({"to_unit": _("Choose an active unit.")})
    allowed = access.in_jurisdiction(actor, to_unit) or to_unit.is_ancestor_of(actor.unit)
    if not allowed:
        raise ValidationError({"to_unit": _("You cannot transfer cases to that unit.")})
    now = timezone.now()
    with transaction.atomic():
        _lock(case)
        workflow = _workflow(case)
        if to_unit.pk == case.unit_id:
            raise ValidationError({"to_unit": _("The case is already at this unit.")})
        if not workflow.is_open(case.status) or case.status == RESOLVED:
            raise ValidationError(
                {NON_FIELD_ERRORS: _("Only an open case that is not resolved can be transferred.")}
            )
        source = case.status
        from_unit = case.unit
        if source in workflow.paused:
            clocks.unpause(case, now)
        if source == PARKED:
            _end_pending_exceptions(case, now, [ExceptionKind.PARKING])
        case.unit = to_unit
        case.owner = None
        case.status = RECEIVED
        if case.place is not None and not (
            case.place.unit.is_ancestor_of(to_unit) or to_unit.is_ancestor_of(case.place.unit)
        ):
            case.place = None
        _save(case, now, *CHANGED_FIELDS, "unit", "place")
        _entry(
            case,
            EntryType.TRANSFER,
            actor,
            text=reason,
            at=now,
            from_status=source,
            to_status=RECEIVED,
            data={
                "from_unit": from_unit.pk,
                "from_name": from_unit.name,
                "to_unit": to_unit.pk,
                "to_name": to_unit.name,
            },
        )
        _record("transfer", actor, case, unit=[from_unit.pk, to_unit.pk], status=[source, RECEIVED])
    return case


# --- Retention -------------------------------------------------------------------------------

# Every free text of a case and of what hangs off it: model, the column naming the case, and
# the texts. Retention rules redact them all (`redact_case_texts`); a text added to the engine
# belongs here too, or it outlives its case's personal data.
CASE_TEXTS: tuple[tuple[type[Any], str, tuple[str, ...]], ...] = (
    (Case, "pk", ("title", "description", "public_summary", "public_result")),
    (Entry, "case_id", ("text", "attachment_name")),
    (FollowUp, "case_id", ("note",)),
    (CaseException, "case_id", ("reason", "decision_note")),
)


def redact_case_texts(*, names: Mapping[int, Collection[str]]) -> None:
    """Pass every free text of the cases `names` maps (case id -> the names of the people of
    that case; none still masks numbers and e-mail addresses) through `core.redact` with
    their names: the case's title, description, public summary and result, its timeline
    entries' texts and attachments' file names, its follow-up notes, and its exceptions'
    reasons and decisions; and the notifications linking to the case. The files and
    everything else stay; rows that do not change are not written. For retention rules: runs
    inside the caller's transaction (the purge's batch), writes no audit event of its own
    (the purge's names the records)."""
    for model, key, fields in CASE_TEXTS:
        retention.redact_columns(model._default_manager.all(), key, fields, names)
    redact_linked(names={case_link(pk): of_case for pk, of_case in names.items()})


def delete_case_files(*, case_ids: Collection[int]) -> int:
    """Delete the files attached to these cases' timelines, for retention rules (inside the
    purge's transaction; the files go once it commits). Every original upload goes: it may
    show people, documents, or carry location and camera data in its metadata. A photo on
    the public record (`is_public`) keeps its public copy (`uploads.public_copy`: pixels
    only), so what the public sees does not change; an entry no longer public loses its copy
    too. The entries stay on the timeline without a file. Returns the number of entries
    that had one."""
    entries = list(
        Entry.objects.filter(case_id__in=list(case_ids))
        .exclude(attachment="")
        .only("pk", "attachment", "attachment_name", "is_public", "data")
    )
    doomed: list[str] = []
    for entry in entries:
        doomed.append(entry.attachment.name)
        data = dict(entry.data or {})
        copy = data.get("public_file")
        if copy and not entry.is_public:
            doomed.append(copy)
            del data["public_file"]
        Entry.objects.filter(pk=entry.pk).update(
            attachment="",
            attachment_type="",
            attachment_name=entry.attachment_name if entry.is_public else "",
            data=data,
        )
    if doomed:
        transaction.on_commit(lambda: [uploads.discard_path(path) for path in doomed])
    return len(entries)
