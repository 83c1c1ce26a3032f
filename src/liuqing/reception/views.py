"""Staff pages of the reception desk and talk points (under /reception/)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liuqing.core import access
from liuqing.core.access import CHANGE, AccessDenied
from liuqing.core.auth import staff_required
from liuqing.core.forms import apply_errors
from liuqing.core.models import Member
from liuqing.core.views.common import actor_of, paginate, posted
from liuqing.reception import selectors, services, supervision
from liuqing.reception.forms import (
    ComplaintOutcomeForm,
    MatterForm,
    RevealForm,
    RouteForm,
    TakeOverForm,
    TalkSessionForm,
)
from liuqing.reception.models import ComplaintStatus, ConductComplaint, RestrictedReport
from liuqing.reception.policies import COMPLAINT, TALK_SESSION, WALK_IN

GET_POST = require_http_methods(["GET", "POST"])


@staff_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """The walk-in log of the jurisdiction, newest first, with waiting and handling times."""
    actor = actor_of(request)
    return render(
        request,
        "reception/desk.html",
        {
            "page": paginate(request, selectors.walk_ins_visible_to(actor)),
            "can_change": access.can(actor, WALK_IN, CHANGE),
        },
    )


@staff_required
@require_POST
def check_in(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    walk_in = services.check_in(actor=actor, unit=actor.unit)
    return redirect("reception:walk_in", pk=walk_in.pk)


@staff_required
@GET_POST
def walk_in(request: HttpRequest, pk: int) -> HttpResponse:
    """One visitor: start serving, and send the matter where it belongs."""
    actor = actor_of(request)
    item = selectors.access_walk_in(actor, pk, for_write=request.method == "POST")
    form = RouteForm(posted(request), actor=actor, unit=item.unit)
    if request.method == "POST" and request.POST.get("serve"):
        try:
            services.serve(actor=actor, walk_in=item)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("reception:walk_in", pk=item.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.route_walk_in(
                actor=actor, walk_in=item, route=form.cleaned_data["route"], **form.route_fields()
            )
        except AccessDenied:
            form.add_error("route", _("Your role may not record this kind of matter."))
        except ValidationError as exc:
            apply_errors(form, _route_errors(exc))
        else:
            messages.success(request, _("The matter was sent on."))
            return redirect("reception:desk")
    return render(request, "reception/walk_in.html", {"walk_in": item, "form": form})


def _route_errors(exc: ValidationError) -> ValidationError:
    """The target service's field names, on the desk form's fields."""
    if not hasattr(exc, "error_dict"):
        return exc
    names = {
        "facts": "description",
        "text": "description",
        "kind": "report_kind",
        "parties.0.name": "resident_name",
        "parties.0.phone": "resident_phone",
        "parties.1.name": "respondent_name",
    }
    errors: dict[str, list[str]] = {}
    for name, items in exc.message_dict.items():
        errors.setdefault(names.get(name, name), []).extend(items)
    return ValidationError(errors)


def _text_list(
    request: HttpRequest,
    template: str,
    queryset: QuerySet[Any],
    *,
    form: RevealForm | None = None,
    item: ConductComplaint | RestrictedReport | None = None,
    revealed: str | None = None,
) -> HttpResponse:
    """A list of complaints or reports, their text masked, each with its own reveal form
    (ids prefixed by the item, so several forms share a page); `item` is the one just
    revealed (`revealed`) or refused (`form` with its errors)."""
    page = paginate(request, queryset)
    rows = [
        {
            "item": row,
            "form": form
            if item is not None and row.pk == item.pk and form is not None
            else RevealForm(auto_id=f"reveal-{row.pk}-%s"),
            "revealed": revealed if item is not None and row.pk == item.pk else None,
        }
        for row in page.object_list
    ]
    if item is not None and not any(r["item"].pk == item.pk for r in rows):
        # The item may sit on another page of the list: show it first, with its result.
        rows.insert(0, {"item": item, "form": form, "revealed": revealed})
    return render(request, template, {"page": page, "rows": rows})


def _reveal(
    request: HttpRequest,
    actor: Member,
    item: ConductComplaint | RestrictedReport,
    queryset: QuerySet[Any],
    template: str,
) -> HttpResponse:
    form = RevealForm(request.POST, auto_id=f"reveal-{item.pk}-%s")
    revealed = None
    if form.is_valid():
        try:
            revealed = services.reveal_text(
                actor=actor, item=item, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
    return _text_list(request, template, queryset, form=form, item=item, revealed=revealed)


@staff_required
@require_GET
def complaints(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return _text_list(request, "reception/complaints.html", selectors.complaints_visible_to(actor))


@staff_required
@GET_POST
def complaint(request: HttpRequest, pk: int) -> HttpResponse:
    """One complaint of the supervision queue and its handling: take it, record the outcome
    with a note, close it, or take over one another supervisor handles (POST ``action`` =
    take, outcome, close or take_over with a reason; the same services as
    the API), or show the outcome note in full (``reveal_note``, with a reason, audited)."""
    actor = actor_of(request)
    action = request.POST.get("action") if request.method == "POST" else None
    # Revealing the outcome note is a read (with a reason, audited); everything else writes.
    item = selectors.access_complaint(
        actor, pk, for_write=request.method == "POST" and action != "reveal_note"
    )
    # The note is never put back into the form: it is kept encrypted and shown masked; the
    # handler writes it again to correct it.
    form = ComplaintOutcomeForm(initial={"outcome": item.outcome}, auto_id="outcome-%s")
    note_form = RevealForm(auto_id="note-%s")
    take_over_form = TakeOverForm(auto_id="take-over-%s")
    revealed_note: str | None = None
    errors: list[str] = []
    if action == "reveal_note":
        note_form = RevealForm(request.POST, auto_id="note-%s")
        if note_form.is_valid():
            try:
                revealed_note = services.reveal_text(
                    actor=actor,
                    item=item,
                    reason=note_form.cleaned_data["reason"],
                    field="outcome_note",
                )
            except ValidationError as exc:
                apply_errors(note_form, exc)
    elif request.method == "POST":
        try:
            if action == "take":
                services.take_complaint(actor=actor, complaint=item)
                messages.success(request, _("You are handling this complaint."))
            elif action == "take_over":
                take_over_form = TakeOverForm(request.POST, auto_id="take-over-%s")
                if take_over_form.is_valid():
                    services.take_over_complaint(
                        actor=actor, complaint=item, reason=take_over_form.cleaned_data["reason"]
                    )
                    messages.success(request, _("You took over this complaint."))
            elif action == "close":
                services.close_complaint(actor=actor, complaint=item)
                messages.success(request, _("The complaint was closed."))
            elif action == "outcome":
                form = ComplaintOutcomeForm(request.POST, auto_id="outcome-%s")
                if form.is_valid():
                    services.record_complaint_outcome(
                        actor=actor,
                        complaint=item,
                        outcome=form.cleaned_data["outcome"],
                        note=form.cleaned_data["note"],
                    )
                    messages.success(request, _("The outcome was recorded."))
            else:
                errors.append(_("Choose what to do with the complaint."))
        except ValidationError as exc:
            if action == "outcome":
                apply_errors(form, exc)
            elif action == "take_over" and "reason" in getattr(exc, "error_dict", {}):
                apply_errors(take_over_form, exc)
            else:
                errors.extend(exc.messages)
        else:
            if not errors and not form.errors and not take_over_form.errors:
                return redirect("reception:complaint", pk=item.pk)
        item = selectors.access_complaint(actor, pk)
    about_top = item.about_unit.parent_id is None
    return render(
        request,
        "reception/complaint.html",
        {
            "complaint": item,
            "form": form,
            "errors": errors,
            "can_change": access.can(actor, COMPLAINT, CHANGE),
            "is_owner": item.owner_id == actor.pk,
            "closed": item.status == ComplaintStatus.CLOSED,
            "note_form": note_form,
            "take_over_form": take_over_form,
            "revealed_note": revealed_note,
            "about_top": about_top,
            "top_designated": about_top and supervision.has_designated(item.about_unit),
        },
    )


@staff_required
@require_POST
def complaint_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """One complaint's text in full, with a reason (audited)."""
    actor = actor_of(request)
    item = selectors.access_complaint(actor, pk)
    return _reveal(
        request, actor, item, selectors.complaints_visible_to(actor), "reception/complaints.html"
    )


@staff_required
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return _text_list(request, "reception/reports.html", selectors.reports_visible_to(actor))


@staff_required
@require_POST
def report_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """One restricted report's text in full, with a reason (audited); 404 without its grant."""
    actor = actor_of(request)
    item = selectors.access_report(actor, pk)
    return _reveal(
        request, actor, item, selectors.reports_visible_to(actor), "reception/reports.html"
    )


@staff_required
@GET_POST
def talk_sessions(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    sessions = selectors.talk_sessions_visible_to(actor)
    can_change = access.can(actor, TALK_SESSION, CHANGE)
    if request.method == "POST" and not can_change:
        raise AccessDenied
    form = TalkSessionForm(posted(request), actor=actor) if can_change else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            session = services.record_talk_session(
                actor=actor,
                place=form.cleaned_data["place"],
                held_on=form.cleaned_data["held_on"],
                attendees=form.cleaned_data["attendees"],
                officers=list(form.cleaned_data["officers"]),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("reception:talk_session", pk=session.pk)
    return render(
        request,
        "reception/talk_sessions.html",
        {"page": paginate(request, sessions), "form": form},
    )


@staff_required
@GET_POST
def talk_session(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    session = selectors.access_talk_session(actor, pk, for_write=request.method == "POST")
    form = MatterForm(posted(request), actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            services.raise_matter(
                actor=actor, session=session, kind=form.cleaned_data["kind"], **form.matter_fields()
            )
        except ValidationError as exc:
            apply_errors(form, _route_errors(exc))
        else:
            messages.success(request, _("The matter was recorded."))
            return redirect("reception:talk_session", pk=session.pk)
    matters = session.matters.select_related("case").order_by("pk")
    return render(
        request,
        "reception/talk_session.html",
        {"session": session, "matters": matters, "form": form},
    )


app_name = "reception"
urlpatterns = [
    path("reception/", desk, name="desk"),
    path("reception/check-in/", check_in, name="check_in"),
    path("reception/<int:pk>/", walk_in, name="walk_in"),
    path("reception/complaints/", complaints, name="complaints"),
    path("reception/complaints/<int:pk>/", complaint, name="complaint"),
    path("reception/complaints/<int:pk>/reveal/", complaint_reveal, name="complaint_reveal"),
    path("reception/reports/", reports, name="reports"),
    path("reception/reports/<int:pk>/reveal/", report_reveal, name="report_reveal"),
    path("reception/talk/", talk_sessions, name="talk_sessions"),
    path("reception/talk/<int:pk>/", talk_session, name="talk_session"),
]
