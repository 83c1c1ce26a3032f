"""Staff pages of appeals (under /appeals/): record an appeal, the list with its filters and
the sergeants' bulk actions, one appeal with its public notice, editing, revealing the
resident's phone, the station's figures (with a CSV export), and the category tree.

The lifecycle actions (accept, assign, resolve, verify, follow-up, reopen, ...) are the
casework engine's: the appeal page shows the timeline and links to the case page, whose
forms post to the engine. Nothing here duplicates them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from liuqing.appeals import kpis, selectors, services
from liuqing.appeals.forms import (
    AppealForm,
    BulkForm,
    CategoryForm,
    FiguresForm,
    FilterForm,
    NoticeForm,
    edit_initial,
)
from liuqing.appeals.models import AppealChannel
from liuqing.appeals.workflow import APPEAL, APPEAL_CATEGORY, APPEAL_RESIDENT
from liuqing.casework.models import Case, FollowUp
from liuqing.casework.policies import SUPERVISION
from liuqing.casework.workflows import STATE_LABELS
from liuqing.core import access
from liuqing.core import selectors as core_selectors
from liuqing.core import services as core_services
from liuqing.core.access import CHANGE, VIEW, AccessDenied, NotFound
from liuqing.core.auth import staff_required
from liuqing.core.forms import RevealForm, apply_errors
from liuqing.core.views.common import actor_of, paginate, posted, render_list

GET_POST = require_http_methods(["GET", "POST"])
BULK_REPORT_MAX = 20  # per-case lines of a bulk outcome shown in the message


def _detail_url(case: Case) -> str:
    return str(reverse("appeals:detail", kwargs={"pk": case.pk}))


# --- Recording --------------------------------------------------------------------------------


@staff_required
@GET_POST
def appeal_create(request: HttpRequest) -> HttpResponse:
    """Record an appeal: the few fields first, the rest folded away (fast on a phone)."""
    actor = actor_of(request)
    if not access.can(actor, APPEAL, CHANGE):
        raise AccessDenied
    form = AppealForm(posted(request), actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.submit_appeal(
                actor=actor,
                unit=data["unit"],
                category=data["category"],
                title=data["title"],
                description=data["description"],
                channel=data["channel"],
                place=data["place"],
                resident_name=data["resident_name"],
                resident_phone=data["resident_phone"],
                resident_address=data["resident_address"],
                anonymous=data["anonymous"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                received_at=form.received(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Appeal %(number)s recorded. Tracking code for the resident: %(code)s")
                % {"number": case.number, "code": case.public_code},
            )
            return redirect(_detail_url(case))
    response = render(request, "appeals/staff/record.html", {"form": form})
    add_never_cache_headers(response)
    return response


# --- The list and bulk actions ----------------------------------------------------------------


@staff_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = FilterForm(request.GET, actor=actor)
    appeals = selectors.appeals_visible_to(actor, form.filters())
    supervisor = access.can(actor, SUPERVISION, CHANGE)
    return render_list(
        request,
        "appeals/staff/list.html",
        "appeals/staff/_results.html",
        {
            "form": form,
            "page": paginate(request, appeals),
            "can_add": access.can(actor, APPEAL, CHANGE),
            "bulk_form": BulkForm(actor=actor, within=form.filters().unit) if supervisor else None,
            "labels": STATE_LABELS,
            "channels": dict(AppealChannel.choices),
        },
    )


@staff_required
@require_POST
def appeal_bulk(request: HttpRequest) -> HttpResponse:
    """A sergeant's action on the ticked appeals; each one succeeds or fails on its own."""
    actor = actor_of(request)
    if not access.can(actor, SUPERVISION, CHANGE):
        raise AccessDenied
    back = reverse("appeals:list")
    query = request.POST.get("query", "")
    if query and all(c.isprintable() and c not in "\r\n#" for c in query):
        back = f"{back}?{query.lstrip('?')}"
    form = BulkForm(request.POST, actor=actor)
    if not form.is_valid():
        problems = [
            f"{form[n].label}: {' '.join(e)}" for n, e in form.errors.items() if n in form.fields
        ]
        problems += [" ".join(form.non_field_errors())]
        messages.error(request, " ".join(p for p in problems if p) or _("Nothing was done."))
        return redirect(back)
    data = form.cleaned_data
    ids = list(dict.fromkeys(data["ids"]))
    cases = selectors.appeals_by_ids(actor, ids)
    try:
        if data["action"] == "assign":
            outcomes = services.bulk_assign(actor=actor, cases=cases, owner=data["owner"])
        else:
            outcomes = services.bulk_act(
                actor=actor, cases=cases, action=data["action"], note=data["note"]
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    missing = len(ids) - len(cases)
    done = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if not o.ok]
    if done:
        messages.success(
            request,
            ngettext("%(count)d appeal done.", "%(count)d appeals done.", len(done))
            % {"count": len(done)},
        )
    if refused or missing:
        lines = [f"{o.case.number}: {o.message}" for o in refused[:BULK_REPORT_MAX]]
        if missing:
            lines.append(
                ngettext(
                    "%(count)d appeal is not in your jurisdiction.",
                    "%(count)d appeals are not in your jurisdiction.",
                    missing,
                )
                % {"count": missing}
            )
        messages.error(
            request,
            ngettext(
                "%(count)d appeal was not changed:",
                "%(count)d appeals were not changed:",
                len(refused) + missing,
            )
            % {"count": len(refused) + missing}
            + " "
            + " · ".join(lines),
        )
    return redirect(back)


# --- One appeal -------------------------------------------------------------------------------


def _detail(
    request: HttpRequest, case: Case, notice_form: NoticeForm | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    can_change = _may(actor, case, CHANGE)
    may_notice = can_change and services.may_approve_notice(actor, case)
    if may_notice and notice_form is None:
        notice_form = NoticeForm(
            initial={
                "summary": case.public_summary,
                "result": case.public_result,
                "show": case.is_public,
            }
        )
    followups = list(
        FollowUp.objects.filter(case=case, done_at__isnull=False).order_by("done_at", "pk")
    )
    response = render(
        request,
        "appeals/staff/detail.html",
        {
            "case": case,
            "appeal": case.appeal,
            "status_label": STATE_LABELS.get(case.status, case.status),
            "entries": selectors.timeline(case),
            "followups": followups,
            "can_change": can_change,
            "notice_form": notice_form if may_notice else None,
            "overdue": case.closed_at is None
            and case.resolve_due is not None
            and case.resolve_due < timezone.now(),
        },
        status=status,
    )
    add_never_cache_headers(response)
    return response


def _may(actor: Any, case: Case, action: str) -> bool:
    try:
        selectors.casework.check_case(actor, case, action)
    except (AccessDenied, NotFound):
        return False
    return True


@staff_required
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_appeal(actor_of(request), pk)
    return _detail(request, case)


@staff_required
@GET_POST
def appeal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_appeal(actor, pk, for_write=True)
    form = AppealForm(posted(request), actor=actor, case=case, initial=edit_initial(case))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_appeal_details(actor=actor, case=case, **form.changes(case))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The appeal was saved."))
            return redirect(_detail_url(case))
    response = render(request, "appeals/staff/edit.html", {"form": form, "case": case})
    add_never_cache_headers(response)
    return response


@staff_required
@require_POST
def appeal_notice(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_appeal(actor, pk, for_write=True)
    form = NoticeForm(request.POST)
    if form.is_valid():
        try:
            services.set_public_notice(
                actor=actor,
                case=case,
                summary=form.cleaned_data["summary"],
                result=form.cleaned_data["result"],
                show=form.cleaned_data["show"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The public notice was saved."))
            return redirect(_detail_url(case))
    case.refresh_from_db()
    if not services.may_approve_notice(actor, case):
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect(_detail_url(case))
    return _detail(request, case, notice_form=form)


@staff_required
@GET_POST
def appeal_reveal_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a reason, then show the resident's full number once (audited as pii.reveal)."""
    actor = actor_of(request)
    case = selectors.access_appeal(actor, pk)
    form = RevealForm(posted(request))
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = core_services.reveal_personal_data(
                actor=actor,
                obj=case.appeal,
                kind=APPEAL_RESIDENT,
                field="resident_phone",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
    response = render(
        request,
        "appeals/staff/reveal.html",
        {"case": case, "appeal": case.appeal, "form": form, "revealed": revealed},
    )
    add_never_cache_headers(response)  # the plain number must not linger in any cache
    return response


# --- Figures ----------------------------------------------------------------------------------


def _figures_report(request: HttpRequest) -> tuple[kpis.Report, FiguresForm, bool]:
    actor = actor_of(request)
    if not access.can(actor, APPEAL, VIEW):
        raise AccessDenied
    form = FiguresForm(request.GET, actor=actor)
    form.is_valid()
    data = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}
    unit = data.get("unit") or core_selectors.access_unit(actor, actor.unit_id)
    cut = kpis.Cut(unit=unit, category=data.get("category"))
    day = data.get("on")
    moved = False
    if day is None:
        day = timezone.localdate()
        latest = kpis.latest_received(actor, cut)
        if latest is not None and timezone.localtime(latest).year < day.year:
            day, moved = timezone.localtime(latest).date(), True
    return kpis.report(actor, cut, kpis.standard_periods(day)), form, moved


@staff_required
def appeal_figures(request: HttpRequest) -> HttpResponse:
    """The station's figures: this month, quarter and year with their year-on-year and
    period-on-period change; numerator and denominator on hover."""
    rep, form, moved = _figures_report(request)
    return render(
        request,
        "appeals/staff/figures.html",
        {
            "report": rep,
            "form": form,
            "moved": moved,
            "query": request.GET.urlencode(),
            "undefined": kpis.UNDEFINED,
        },
    )


@staff_required
def appeal_figures_csv(request: HttpRequest) -> HttpResponse:
    rep, _form, _moved = _figures_report(request)
    response = HttpResponse(kpis.as_csv(rep), content_type="text/csv; charset=utf-8")
    name = f"appeal-figures-{rep.cut.unit.code}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Categories -------------------------------------------------------------------------------


@staff_required
def category_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    rows = selectors.category_rows(selectors.categories_visible_to(actor))
    return render(
        request,
        "appeals/staff/categories.html",
        {"rows": rows, "can_change": access.can(actor, APPEAL_CATEGORY, CHANGE)},
    )


@staff_required
@GET_POST
def category_form(request: HttpRequest) -> HttpResponse:
    """Create a category, or edit the one named by `?id=` (the tree belongs to no unit, so
    the page takes no object in its path)."""
    actor = actor_of(request)
    if not access.can(actor, APPEAL_CATEGORY, CHANGE):
        raise AccessDenied
    category = None
    raw = request.GET.get("id") or request.POST.get("id")
    if raw:
        category = selectors.access_category(actor, raw, for_write=True)
    initial: dict[str, Any] = {"is_public": True}
    if category is not None:
        initial = {name: getattr(category, name) for name in CategoryForm.FIELDS}
        initial["parent"] = category.parent_id
    form = CategoryForm(posted(request), actor=actor, category=category, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if category is None:
                saved = services.create_category(actor=actor, **data)
            else:
                saved = services.update_category(
                    actor=actor,
                    category=category,
                    **{n: data[n] for n in CategoryForm.FIELDS if n in data},
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Category “%(name)s” saved.") % {"name": saved.name})
            return redirect("appeals:category_list")
    title = (
        _("Edit category “%(name)s”") % {"name": category.name}
        if category is not None
        else _("New appeal category")
    )
    return render(
        request,
        "appeals/staff/category_form.html",
        {"form": form, "category": category, "title": title},
    )


urlpatterns = [
    path("appeals/", appeal_list, name="list"),
    path("appeals/new/", appeal_create, name="create"),
    path("appeals/bulk/", appeal_bulk, name="bulk"),
    path("appeals/figures/", appeal_figures, name="figures"),
    path("appeals/figures.csv", appeal_figures_csv, name="figures_csv"),
    path("appeals/categories/", category_list, name="category_list"),
    path("appeals/categories/form/", category_form, name="category_form"),
    path("appeals/<int:pk>/", appeal_detail, name="detail"),
    path("appeals/<int:pk>/edit/", appeal_edit, name="edit"),
    path("appeals/<int:pk>/notice/", appeal_notice, name="notice"),
    path("appeals/<int:pk>/reveal-phone/", appeal_reveal_phone, name="reveal_phone"),
]
