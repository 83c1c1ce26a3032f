"""The case pages: "my work", the supervision queue, one case with its timeline and a form for
every action the member may take, and attachment downloads.

Modules link to `casework:case_detail` (or embed its parts) for their own kinds. Each form
posts to its own URL; on success the page redirects back to the case with a message, on a
refusal it shows the case again with the errors on that form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ChoiceField
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuqing.casework import queue_hooks, selectors, services
from liuqing.casework.calendar import get_calendar
from liuqing.casework.downloads import attachment_response
from liuqing.casework.forms import (
    AssignForm,
    AttachmentForm,
    CaseRefForm,
    ContactForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    FollowUpForm,
    MergeForm,
    NoteForm,
    TransferForm,
    TransitionForm,
)
from liuqing.casework.models import Case, EntryType
from liuqing.casework.workflows import (
    ACTION_LABELS,
    RESOLVED,
    STATE_LABELS,
    WORKFLOWS,
)
from liuqing.core import access
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.auth import staff_required
from liuqing.core.forms import apply_errors
from liuqing.core.models import Member
from liuqing.core.views.common import actor_of

PER_PAGE = 25
PER_PAGE_MAX = 100


def _size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("per_page", PER_PAGE))
    except ValueError:
        size = PER_PAGE
    return max(1, min(size, PER_PAGE_MAX))


@dataclass
class Section:
    key: str
    title: str
    rows: list[Any]
    count: int


def _section(key: str, title: str, qs: QuerySet[Any], size: int) -> Section:
    return Section(key=key, title=title, rows=list(qs[:size]), count=qs.count())


# --- Queues ----------------------------------------------------------------------------------


@staff_required
def my_work(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not access.can(actor, "case", VIEW):
        raise AccessDenied
    queue = selectors.my_queue(actor)
    size = _size(request)
    sections = [
        _section("owned", _("Cases you handle"), queue.owned, size),
        _section("to_dispatch", _("To accept and assign"), queue.to_dispatch, size),
        _section("to_verify", _("Resolved, to verify and close"), queue.to_verify, size),
    ]
    return render(
        request,
        "casework/my_work.html",
        {
            "sections": sections,
            "followups": _section("followups", _("Follow-ups due"), queue.followups, size),
            "extensions": _section(
                "extensions", _("Extension requests to decide"), queue.extensions, size
            ),
            "labels": STATE_LABELS,
            "extras": queue_hooks.sections_for(actor, size),
        },
    )


@staff_required
def supervision(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    cases = selectors.supervision_queue(actor)
    return render(
        request,
        "casework/supervision.html",
        {
            "section": _section("supervision", _("Overdue cases"), cases, _size(request)),
            "level": selectors.supervision_level(actor),
            "labels": STATE_LABELS,
        },
    )


# --- One case --------------------------------------------------------------------------------


def _allowed_actions(actor: Member, case: Case) -> list[str]:
    workflow = WORKFLOWS.get(case.kind)
    if workflow is None:
        return []
    result = []
    for action in workflow.actions_from(case.status):
        transition = workflow.transitions[action]
        if actor.role_set & transition.roles or (
            transition.owner_may and case.owner_id == actor.pk
        ):
            result.append(action)
    return result


def _may(actor: Member, case: Case, action: str, *, supervision: bool = False) -> bool:
    try:
        selectors.check_case(actor, case, action, supervision=supervision)
    except (AccessDenied, NotFound):
        return False
    return True


def _clocks(case: Case) -> dict[str, Any]:
    calendar = get_calendar()
    now = timezone.now()
    end = max(filter(None, [case.resolve_due, case.closed_at, now]))
    return {
        "now": now,
        "years_without_schedule": calendar.years_without_schedule(case.received_at, end),
        "paused_hours": round(case.paused_seconds / 3600, 1),
        "handling_days": (
            round(case.handling_seconds / 86400, 1) if case.handling_seconds is not None else None
        ),
        "overdue": case.closed_at is None
        and case.resolve_due is not None
        and case.resolve_due < now,
    }


def _detail(
    request: HttpRequest, case: Case, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    bound = bound or {}
    can_change = _may(actor, case, CHANGE)
    can_supervise = _may(actor, case, CHANGE, supervision=True)
    workflow = WORKFLOWS.get(case.kind)
    is_open = workflow is not None and workflow.is_open(case.status)
    pending = selectors.pending_extension(case)
    followup = selectors.open_followup(case)
    forms: dict[str, Any] = {}
    if can_change:
        actions = _allowed_actions(actor, case)
        if actions:
            forms["act"] = bound.get("act") or TransitionForm(actions=actions)
        forms["note"] = bound.get("note") or NoteForm()
        forms["contact"] = bound.get("contact") or ContactForm()
        forms["attach"] = bound.get("attach") or AttachmentForm()
        forms["link"] = bound.get("link") or CaseRefForm(actor=actor)
        if (
            is_open
            and case.status != RESOLVED
            and pending is None
            and case.resolve_due is not None
            and case.resolve_due > timezone.now()
        ):
            forms["extension"] = bound.get("extension") or ExtensionRequestForm()
        if followup is not None:
            forms["followup"] = bound.get("followup") or FollowUpForm()
    if can_supervise and is_open:
        if case.status != RESOLVED:
            forms["assign"] = bound.get("assign") or AssignForm(case=case)
            forms["transfer"] = bound.get("transfer") or TransferForm(actor=actor, case=case)
        forms["merge"] = bound.get("merge") or MergeForm(actor=actor)
        if pending is not None and pending.requested_by_id != actor.pk:
            forms["decide"] = bound.get("decide") or ExtensionDecisionForm()
    return render(
        request,
        "casework/case_detail.html",
        {
            "case": case,
            "workflow": workflow,
            "status_label": STATE_LABELS.get(case.status, case.status),
            "entries": selectors.timeline(case),
            "links": selectors.case_links(actor, case),
            "pending": pending,
            "followup": followup,
            "forms": forms,
            "clocks": _clocks(case),
            "labels": STATE_LABELS,
            "action_labels": ACTION_LABELS,
            "entry_types": EntryType,
            "can_change": can_change,
        },
        status=status,
    )


@staff_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(actor_of(request), pk)
    return _detail(request, case)


def _done(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("casework:case_detail", pk=case.pk)


def _refused(request: HttpRequest, case: Case, key: str, form: Any) -> HttpResponse:
    case.refresh_from_db()
    return _detail(request, case, {key: form})


@staff_required
@require_POST
def case_act(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, pk, for_write=True)
    workflow = WORKFLOWS.get(case.kind)
    form = TransitionForm(
        request.POST, actions=list(workflow.transitions) if workflow is not None else []
    )
    if form.is_valid():
        try:
            services.act_on_case(
                actor=actor,
                case=case,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"],
                public=form.cleaned_data["public"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(
                request,
                case,
                _("Done: %(status)s.") % {"status": STATE_LABELS.get(case.status, case.status)},
            )
    # Show the form again offering what the member may do now (not every action).
    field = form.fields["action"]
    assert isinstance(field, ChoiceField)
    field.choices = [(a, ACTION_LABELS.get(a, a)) for a in _allowed_actions(actor, case)]
    return _refused(request, case, "act", form)


@staff_required
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, pk, for_write=True, supervision=True)
    form = AssignForm(request.POST, case=case)
    if form.is_valid():
        try:
            services.assign_case(
                actor=actor,
                case=case,
                owner=form.cleaned_data["owner"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, case, _("The case was assigned."))
    return _refused(request, case, "assign", form)


@staff_required
@require_POST
def case_note(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, pk, for_write=True)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(
                actor=actor,
                case=case,
                text=form.cleaned_data["text"],
                public=form.cleaned_data["public"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, case, _("The note was added."))
    return _refused(request, case, "note", form)


@staff_required
@require_POST
def case_contact(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, pk, for_write=True)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.record_contact(
                actor=actor,
                case=case,
                text=form.cleaned_data["text"],
                method=form.cleaned_data["method"],
                public=form.cleaned_data["public"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, case, _("The contact was recorded."))
    return _refused(request, case, "contact", form)


@staff_required
@require_POST
def case_attach(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, pk, for_write=True)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attach_file(
                actor=actor,
                case=case,
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
                public=form.cleaned_data["public"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, case, _("The file was attached."))
    return _refused(request, case, "attach", form)


@staff_required
@require_POST
def case_extension(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, pk, for_write=True)
    form = ExtensionRequestForm(request.POST)
    if form.is_valid():
        try:
            services.request_extension(
                actor=actor,
                case=case,
                days=form.cleaned_data["days"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, case, _("The extension was requested."))
    return _refused(request, case, "extension", form)


@staff_required
@require_POST
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    exception = selectors.access_extension(actor, pk, for_write=True)
    case = exception.case
    form = ExtensionDecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide_extension(
                actor=actor, exception=exception, approve=approve, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(
                request,
                case,
                _("The extension was approved.") if approve else _("The extension was refused."),
            )
    return _refused(request, selectors.access_case(actor, case.pk), "decide", form)


@staff_required
@require_POST
def followup_record(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    followup = selectors.access_followup(actor, pk, for_write=True)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_followup(
                actor=actor,
                followup=followup,
                satisfaction=data["satisfaction"],
                resolved=data["resolved"],
                note=data["note"],
                method=data["method"],
                reopen=data["reopen"],
                reopen_reason=data["reopen_reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, followup.case, _("The follow-up was recorded."))
    return _refused(request, selectors.access_case(actor, followup.case_id), "followup", form)


@staff_required
@require_POST
def case_link(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, pk, for_write=True)
    form = CaseRefForm(request.POST, actor=actor)
    if form.is_valid():
        try:
            services.link_cases(
                actor=actor,
                case=case,
                other=form.cleaned_data["other"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, case, _("The cases were linked."))
    return _refused(request, case, "link", form)


@staff_required
@require_POST
def case_merge(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, pk, for_write=True, supervision=True)
    form = MergeForm(request.POST, actor=actor)
    if form.is_valid():
        try:
            services.merge_case(
                actor=actor,
                duplicate=case,
                into=form.cleaned_data["other"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, case, _("The case was merged."))
    return _refused(request, case, "merge", form)


@staff_required
@require_POST
def case_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, pk, for_write=True, supervision=True)
    form = TransferForm(request.POST, actor=actor, case=case)
    if form.is_valid():
        try:
            services.transfer_case(
                actor=actor,
                case=case,
                to_unit=form.cleaned_data["to_unit"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The case was transferred."))
            try:
                selectors.access_case(actor, case.pk)
            except (NotFound, AccessDenied):
                return redirect("casework:my_work")  # sent above the actor: out of their sight
            return redirect("casework:case_detail", pk=case.pk)
    return _refused(request, case, "transfer", form)


@staff_required
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """The file of a timeline entry, always as a download (never rendered by the browser)."""
    actor = actor_of(request)
    return attachment_response(actor, selectors.access_attachment(actor, pk))


urlpatterns = [
    path("work/", my_work, name="my_work"),
    path("supervision/", supervision, name="supervision"),
    path("cases/<int:pk>/", case_detail, name="case_detail"),
    path("cases/<int:pk>/act/", case_act, name="case_act"),
    path("cases/<int:pk>/assign/", case_assign, name="case_assign"),
    path("cases/<int:pk>/note/", case_note, name="case_note"),
    path("cases/<int:pk>/contact/", case_contact, name="case_contact"),
    path("cases/<int:pk>/attach/", case_attach, name="case_attach"),
    path("cases/<int:pk>/extension/", case_extension, name="case_extension"),
    path("cases/<int:pk>/link/", case_link, name="case_link"),
    path("cases/<int:pk>/merge/", case_merge, name="case_merge"),
    path("cases/<int:pk>/transfer/", case_transfer, name="case_transfer"),
    path("extensions/<int:pk>/decide/", extension_decide, name="extension_decide"),
    path("followups/<int:pk>/", followup_record, name="followup_record"),
    path("attachments/<int:pk>/", attachment, name="attachment"),
]
