"""Staff pages of dispute mediation (under /mediation/): the list, recording a dispute, one
dispute with a form for each step of mediation, the agreement documents, the committees and
the figures. Every step posts to `act` with its name; the page is shown again with the
step's field errors when the service refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liuqing.casework.models import Case
from liuqing.casework.workflows import ACCEPTED, IN_PROGRESS, RECEIVED
from liuqing.core import access
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.auth import staff_required
from liuqing.core.forms import apply_errors
from liuqing.core.models import Member
from liuqing.core.views.common import actor_of, paginate, posted, render_list
from liuqing.mediation import downloads, followup, kpis, retention, selectors, services
from liuqing.mediation import forms as f
from liuqing.mediation.models import Level
from liuqing.mediation.workflow import AGREED, COMMITTEE, DISPUTE, STATE_LABELS

GET_POST = require_http_methods(["GET", "POST"])


@staff_required
@require_GET
def dispute_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = f.FilterForm(request.GET, actor=actor)
    page = paginate(request, selectors.disputes_visible_to(actor, form.filters()))
    return render_list(
        request,
        "mediation/list.html",
        "mediation/_results.html",
        {
            "form": form,
            "page": page,
            "rows": _list_rows(list(page.object_list)),
            "can_change": access.can(actor, DISPUTE, CHANGE),
        },
    )


def _list_rows(cases: Iterable[Case]) -> list[dict[str, Any]]:
    """The list's rows with their labels, link and day worked out here: per row, a lookup
    in the template language costs many times the same in Python."""
    levels = dict(Level.choices)
    return [
        {
            "case": case,
            "url": reverse("mediation:detail", kwargs={"pk": case.pk}),
            "state": STATE_LABELS.get(case.status, case.status),
            "level": levels.get(case.dispute.level, case.dispute.level),
            "received": timezone.localtime(case.received_at).strftime("%Y-%m-%d"),
        }
        for case in cases
    ]


@staff_required
@GET_POST
def dispute_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not access.can(actor, DISPUTE, CHANGE):
        raise AccessDenied
    form = f.DisputeForm(posted(request), actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.start_dispute(
                actor=actor,
                unit=data["unit"],
                committee=data["committee"],
                dispute_type=data["dispute_type"],
                source=data["source"],
                referrer=data["referrer"],
                title=data["title"],
                facts=data["facts"],
                claims=data["claims"],
                amount=data["amount"],
                parties=form.parties(),
            )
        except ValidationError as exc:
            apply_errors(form, _party_errors(exc))
        else:
            messages.success(request, _("The dispute was recorded."))
            return redirect("mediation:detail", pk=case.pk)
    return render(request, "mediation/create.html", {"form": form})


def _party_errors(exc: ValidationError) -> ValidationError:
    """ "parties.1.phone" → "respondent_phone" (the form's field for that party)."""
    if not hasattr(exc, "error_dict"):
        return exc
    slots = [slot for slot, _role, _required in f.PARTY_SLOTS]
    errors: dict[str, list[str]] = {}
    for name, messages_ in exc.message_dict.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "parties" and parts[1].isdigit():
            index = int(parts[1])
            name = f"{slots[index]}_{parts[2]}" if index < len(slots) else "__all__"
        elif name == "parties":
            name = "__all__"
        elif name == "description":
            name = "facts"
        errors.setdefault(name, []).extend(messages_)
    return ValidationError(errors)


# --- One dispute --------------------------------------------------------------------------------


def _step_forms(actor: Member, case: Case, data: dict[str, Any]) -> dict[str, forms.Form]:
    """The empty form of every step possible now (none for a member who may only look)."""
    try:
        selectors.access_dispute(actor, case.pk, for_write=True)
    except AccessDenied:
        return {}
    status = case.status
    parties, mediators = data["parties"], data["mediators"]
    steps: dict[str, forms.Form] = {}
    if status == RECEIVED:
        steps["accept"] = forms.Form()
        steps["refuse"] = f.AdviceForm()
    if status in {RECEIVED, ACCEPTED, IN_PROGRESS, AGREED}:
        steps["mediator"] = f.MediatorForm()
        if any(m.ended_at is None for m in mediators):
            steps["replace"] = f.ReplaceForm(mediators=mediators, parties=parties)
        if not case.dispute.risk_flag:
            steps["risk"] = f.NoteForm()
    if status in {RECEIVED, ACCEPTED, IN_PROGRESS}:
        steps["escalate"] = f.EscalateForm(actor=actor)
        steps["withdraw"] = f.ReasonForm()
    if status in {ACCEPTED, IN_PROGRESS}:
        steps["session"] = f.SessionForm(initial={"held_at": timezone.localtime()})
        steps["extend"] = f.ExtensionForm()
        steps["terminate"] = f.TerminateForm()
    if status == IN_PROGRESS:
        steps["agreement"] = f.AgreementForm(parties=parties)
    if case.dispute.agreed_at is not None:
        steps["visit"] = f.VisitForm(initial={"visited_on": timezone.localdate()})
    if status == AGREED:
        steps["default"] = f.DefaultForm()
    return steps


def _detail(
    request: HttpRequest, case: Case, step: str = "", bound: forms.Form | None = None
) -> HttpResponse:
    actor = actor_of(request)
    data = selectors.dossier(case)
    steps = _step_forms(actor, case, data)
    if step and bound is not None:
        steps[step] = bound
    today = timezone.localdate()
    return render(
        request,
        "mediation/detail.html",
        {
            "case": case,
            "status_label": STATE_LABELS.get(case.status, case.status),
            "steps": steps,
            "open_step": step,
            "today": today,
            "agreed": case.status == AGREED,
            "erase_on": retention.erase_on(case, data["dispute"]),
            **data,
        },
    )


@staff_required
@require_GET
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.access_dispute(actor_of(request), pk))


Handler = Callable[[Member, Case, dict[str, Any], Any], Any]


def _agreement_kwargs(form: Any) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "written": data["written"],
        "facts": data["facts"],
        "matters": data["matters"],
        "responsibilities": data["responsibilities"],
        "content": data["content"],
        "obligations": form.obligations(),
        "parties_signed": data["parties_signed"],
        "mediator_signed": data["mediator_signed"],
        "sealed": data["sealed"],
    }


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


STEPS: dict[str, tuple[Callable[..., forms.Form], Handler]] = {
    "accept": (
        lambda data, **kw: forms.Form(data),
        lambda a, c, d, form: services.accept_dispute(actor=a, case=c),
    ),
    "refuse": (
        lambda data, **kw: f.AdviceForm(data),
        lambda a, c, d, form: services.refuse_dispute(actor=a, case=c, advice=d["advice"]),
    ),
    "mediator": (
        lambda data, **kw: f.MediatorForm(data),
        lambda a, c, d, form: services.add_mediator(
            actor=a, case=c, name=d["name"], kind=d["kind"], lead=d["lead"]
        ),
    ),
    "replace": (
        lambda data, **kw: f.ReplaceForm(data, mediators=kw["mediators"], parties=kw["parties"]),
        lambda a, c, d, form: services.replace_mediator(
            actor=a,
            mediator=selectors.access_mediator(a, c, d["mediator"]),
            party=selectors.access_party(a, c, d["party"]),
            reason=d["reason"],
            name=d["name"],
            kind=d["kind"],
        ),
    ),
    "session": (
        lambda data, **kw: f.SessionForm(data),
        lambda a, c, d, form: services.record_session(
            actor=a,
            case=c,
            held_at=_aware(d["held_at"]),
            location=d["location"],
            attendees=d["attendees"],
            minutes=d["minutes"],
            private=d["private"],
        ),
    ),
    "risk": (
        lambda data, **kw: f.NoteForm(data),
        lambda a, c, d, form: services.flag_risk(actor=a, case=c, note=d["note"]),
    ),
    "escalate": (
        lambda data, **kw: f.EscalateForm(data, actor=kw["actor"]),
        lambda a, c, d, form: services.escalate_dispute(
            actor=a, case=c, committee=d["committee"], reason=d["reason"]
        ),
    ),
    "extend": (
        lambda data, **kw: f.ExtensionForm(data),
        lambda a, c, d, form: services.extend_deadline(
            actor=a,
            case=c,
            days=d["days"],
            applicant_consent=d["applicant_consent"],
            respondent_consent=d["respondent_consent"],
            reason=d["reason"],
        ),
    ),
    "agreement": (
        lambda data, **kw: f.AgreementForm(data, parties=kw["parties"]),
        lambda a, c, d, form: services.record_agreement(actor=a, case=c, **_agreement_kwargs(form)),
    ),
    "terminate": (
        lambda data, **kw: f.TerminateForm(data),
        lambda a, c, d, form: services.terminate_dispute(
            actor=a, case=c, reason=d["reason"], channels=d["channels"]
        ),
    ),
    "withdraw": (
        lambda data, **kw: f.ReasonForm(data),
        lambda a, c, d, form: services.withdraw_dispute(actor=a, case=c, reason=d["reason"]),
    ),
    "confirm": (
        lambda data, **kw: f.ConfirmationForm(data),
        lambda a, c, d, form: followup.apply_confirmation(
            actor=a,
            agreement=selectors.access_agreement(a, c, d["agreement"]),
            applied_on=d["applied_on"],
            court=d["court"],
        ),
    ),
    "confirm_result": (
        lambda data, **kw: f.ConfirmationResultForm(data),
        lambda a, c, d, form: followup.record_confirmation_result(
            actor=a,
            confirmation=selectors.access_confirmation(a, c, d["confirmation"]),
            result=d["result"],
            decided_on=d["decided_on"],
            number=d["number"],
        ),
    ),
    "perform": (
        lambda data, **kw: f.PerformanceForm(data),
        lambda a, c, d, form: followup.record_performance(
            actor=a,
            obligation=selectors.access_obligation(a, c, d["obligation"]),
            performed_on=d["performed_on"],
            amount=d["amount"],
        ),
    ),
    "visit": (
        lambda data, **kw: f.VisitForm(data),
        lambda a, c, d, form: followup.record_visit(
            actor=a,
            case=c,
            visited_on=d["visited_on"],
            performing=d["performing"],
            satisfied=d["satisfied"],
            risks=d["risks"],
            actions=d["actions"],
        ),
    ),
    "default": (
        lambda data, **kw: f.DefaultForm(data),
        lambda a, c, d, form: followup.handle_default(
            actor=a, case=c, remedy=d["remedy"], note=d["note"]
        ),
    ),
}


@staff_required
@require_POST
def dispute_act(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One step of mediation on the dispute; the page again with errors when refused."""
    actor = actor_of(request)
    case = selectors.access_dispute(actor, pk, for_write=True)
    if step not in STEPS:
        raise Http404
    make, handle = STEPS[step]
    dispute = case.dispute
    form = make(
        request.POST,
        actor=actor,
        parties=list(dispute.parties.all()),
        mediators=list(dispute.mediators.all()),
    )
    if form.is_valid():
        try:
            handle(actor, case, form.cleaned_data, form)
        except NotFound:
            form.add_error(None, _("Not found."))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("mediation:detail", pk=case.pk)
    case = selectors.access_dispute(actor, pk)
    return _detail(request, case, step, form)


@staff_required
@require_GET
def agreement_document(request: HttpRequest, pk: int, agreement_id: int, fmt: str) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_dispute(actor, pk)
    agreement = selectors.access_agreement(actor, case, agreement_id)
    return downloads.agreement_response(actor, agreement, fmt)


# --- Committees and figures ---------------------------------------------------------------------


@staff_required
@GET_POST
def committee_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    committees = selectors.committees_visible_to(actor).order_by("unit__path", "name")
    can_change = access.can(actor, COMMITTEE, CHANGE)
    if request.method == "POST" and not can_change:
        raise AccessDenied
    form = f.CommitteeForm(posted(request), actor=actor) if can_change else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.create_committee(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The committee was added."))
            return redirect("mediation:committees")
    return render(
        request,
        "mediation/committees.html",
        {"page": paginate(request, committees), "form": form},
    )


@staff_required
@require_GET
def figures(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not access.can(actor, DISPUTE, VIEW):
        raise AccessDenied
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("start", dt.date(today.year, 1, 1).isoformat())
    data.setdefault("end", (today + dt.timedelta(days=1)).isoformat())
    form = f.FiguresForm(data, actor=actor)
    rows: list[dict[str, Any]] = []
    as_of = None
    if form.is_valid():
        unit = form.cleaned_data["unit"] or actor.unit
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        if end <= start:
            form.add_error("end", _("The end must be after the start."))
        else:
            lo, hi, as_of = downloads.period_bounds(start, end)
            rows = [downloads.reading_row(r) for r in kpis.readings(actor, unit, lo, hi, as_of)]
    return render(request, "mediation/figures.html", {"form": form, "rows": rows, "as_of": as_of})


app_name = "mediation"
urlpatterns = [
    path("mediation/", dispute_list, name="list"),
    path("mediation/new/", dispute_create, name="create"),
    path("mediation/figures/", figures, name="figures"),
    path("mediation/committees/", committee_list, name="committees"),
    path("mediation/<int:pk>/", dispute_detail, name="detail"),
    path("mediation/<int:pk>/<slug:step>/", dispute_act, name="act"),
    path(
        "mediation/<int:pk>/agreements/<int:agreement_id>/document.<slug:fmt>",
        agreement_document,
        name="document",
    ),
]
