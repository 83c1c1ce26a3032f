"""Staff pages of incident trends (同比 / 环比 with the exact Poisson note, the seasonal view)
and patrols (the week's plan, proposed and edited; patrol logs; coverage 见警率)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from liuqing.analytics import periods
from liuqing.core import access
from liuqing.core.access import CHANGE, VIEW, AccessDenied
from liuqing.core.auth import staff_required
from liuqing.core.forms import apply_errors
from liuqing.core.models import Member, Unit
from liuqing.core.views.common import actor_of, paginate
from liuqing.core.widgets import IsoDateInput, IsoDateTimeInput
from liuqing.incidents import kpis, patrols
from liuqing.incidents.models import PatrolMode
from liuqing.incidents.policies import INCIDENT, PATROL_LOG, PATROL_PLAN
from liuqing.incidents.refresh import last_complete_month, local_tz

GET_POST = require_http_methods(["GET", "POST"])


def _units(actor: Member, levels: int = 2) -> list[Unit]:
    return list(
        Unit.objects.filter(
            access.subtree_q(actor.unit),
            is_active=True,
            depth__lte=actor.unit.depth + levels,
        ).order_by("path")
    )


def _unit_choices(actor: Member, units: list[Unit]) -> list[tuple[str, str]]:
    return [(str(u.pk), f"{'· ' * (u.depth - actor.unit.depth)}{u.name}") for u in units]


class TrendForm(forms.Form):
    unit = forms.ChoiceField(label=gettext_lazy("unit"), required=False)
    month = forms.CharField(label=gettext_lazy("month (YYYY-MM)"), required=False)

    def __init__(self, data: Any, *, actor: Member) -> None:
        super().__init__(data)
        self.actor = actor
        self.units = _units(actor)
        field = self.fields["unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _unit_choices(actor, self.units)

    def selection(self) -> tuple[Unit, periods.Period]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        units = {str(u.pk): u for u in self.units}
        unit = units.get(data.get("unit") or "", self.actor.unit)
        last = last_complete_month()
        text = (data.get("month") or "").strip()
        if text:
            try:
                last = dt.datetime.strptime(text, "%Y-%m").date()
            except ValueError:
                self.add_error("month", _("Give a month as YYYY-MM."))
        if last.year < 2000 or last.year > 2100:
            self.add_error("month", _("Give a month as YYYY-MM."))
            last = last_complete_month()
        return unit, periods.month(last.year, last.month, local_tz())


@staff_required
def trends_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not access.can(actor, INCIDENT, VIEW):
        raise AccessDenied
    form = TrendForm(request.GET, actor=actor)
    unit, period = form.selection()
    by_category, by_unit = kpis.trend_rows(actor, unit, period)
    seasonal = kpis.seasonal_rows(actor, unit, period)
    return render(
        request,
        "incidents/trends.html",
        {
            "form": form,
            "unit": unit,
            "period": period,
            "yoy_period": periods.year_on_year(period),
            "mom_period": periods.month_on_month(period),
            "by_category": by_category,
            "by_unit": by_unit,
            "seasonal": seasonal,
        },
    )


# --- Patrols -----------------------------------------------------------------------------------


class PlanSelectForm(forms.Form):
    """Which unit's plan and which week the page shows (a GET form)."""

    unit = forms.ChoiceField(label=gettext_lazy("unit"))
    week = forms.DateField(
        label=gettext_lazy("week (any day of it)"),
        widget=IsoDateInput(),
    )

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {str(u.pk): u for u in _units(actor)}
        field = self.fields["unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _unit_choices(actor, list(self.units.values()))


class PlanForm(forms.Form):
    """The officer-hours each unit of the plan has for the week, one field per unit
    (`hours-<unit id>`); the service checks them (0 to 10,000, in half hours). The unit and
    the week travel as hidden fields."""

    unit = forms.CharField(widget=forms.HiddenInput)
    week = forms.DateField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, plan_units: list[Unit], **kwargs: Any) -> None:
        # Its own ids: the page's week picker (PlanSelectForm) is id_week already.
        kwargs.setdefault("auto_id", "plan_%s")
        super().__init__(*args, **kwargs)
        self.plan_units = plan_units
        for u in plan_units:
            self.fields[f"hours-{u.pk}"] = forms.CharField(
                label=_("Officer-hours of %(unit)s") % {"unit": u.name},
                widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": "10000"}),
            )

    def hours(self) -> dict[int, str]:
        return {u.pk: self.cleaned_data[f"hours-{u.pk}"] for u in self.plan_units}


def _this_monday() -> dt.date:
    return patrols.monday(timezone.localtime(timezone.now(), local_tz()).date())


@staff_required
@GET_POST
def patrol_plans(request: HttpRequest) -> HttpResponse:
    """The week's plan of a unit: propose it from the officer-hours each of its units has
    and the hot cells, then edit the hours line by line."""
    actor = actor_of(request)
    if not access.can(actor, PATROL_PLAN, VIEW):
        raise AccessDenied
    can_change = access.can(actor, PATROL_PLAN, CHANGE)
    if request.method == "POST" and not can_change:
        raise AccessDenied
    try:
        selected_week = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        selected_week = _this_monday()
    week = patrols.monday(selected_week)
    select = PlanSelectForm(
        actor=actor,
        initial={"unit": request.GET.get("unit") or str(actor.unit_id), "week": week},
    )
    unit = select.units.get(request.GET.get("unit") or "") or actor.unit
    here = f"{reverse('incidents:patrols')}?unit={unit.pk}&week={week.isoformat()}"
    plan = patrols.plans_visible_to(actor).filter(unit=unit, week=week).first()
    plan_units = patrols.plan_units(unit)
    initial: dict[str, Any] = {"unit": str(unit.pk), "week": week}
    if plan is not None:
        for a in plan.allocations.all():
            key = f"hours-{a.unit_id}"
            initial[key] = initial.get(key, 0) + a.hours
    form = PlanForm(plan_units=plan_units, initial=initial)
    if request.method == "POST" and request.POST.get("action") == "propose":
        # The unit comes with the form; one outside the units offered is refused.
        posted = select.units.get(request.POST.get("unit", ""))
        form = PlanForm(
            request.POST,
            plan_units=plan_units
            if posted is None or posted == unit
            else patrols.plan_units(posted),
        )
        if form.is_valid() and posted is None:
            form.add_error(None, _("There is no such unit in your jurisdiction."))
        elif form.is_valid() and posted is not None:
            try:
                plan = patrols.propose_plan(
                    actor=actor, unit=posted, week=form.cleaned_data["week"], hours=form.hours()
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The plan was proposed; adjust the hours if needed."))
                return redirect(
                    f"{reverse('incidents:patrols')}?unit={posted.pk}&week={plan.week.isoformat()}"
                )
    edit_errors: dict[str, Any] = {}
    if request.method == "POST" and request.POST.get("action") == "save" and plan is not None:
        hours = {
            int(k.split("-", 1)[1]): v
            for k, v in request.POST.items()
            if k.startswith("alloc-") and k.split("-", 1)[1].isdigit()
        }
        try:
            patrols.edit_plan(actor=actor, plan=plan, hours=hours)
        except ValidationError as exc:
            edit_errors = exc.message_dict
        else:
            messages.success(request, _("The plan was saved."))
            return redirect(here)
    rate = patrols.coverage(actor, unit, week)
    allocations = (
        list(
            plan.allocations.select_related("unit").order_by("unit__path", "-risk", "cell", "mode")
        )
        if plan
        else []
    )
    for a in allocations:
        # Shown on the line itself, beside the value that was refused.
        a.error = " ".join(edit_errors.get(f"alloc-{a.pk}", []))  # type: ignore[attr-defined]
    return render(
        request,
        "incidents/patrols.html",
        {
            "select": select,
            "form": form if can_change else None,
            "plan": plan,
            "allocations": allocations,
            "edit_errors": edit_errors,
            "unit": unit,
            "week": week,
            "coverage": rate,
            "hot": rate.denominator,
            "can_change": can_change,
        },
    )


class LogForm(forms.Form):
    unit = forms.ChoiceField(label=gettext_lazy("unit"))
    officer = forms.ModelChoiceField(queryset=Member.objects.none(), label=gettext_lazy("officer"))
    mode = forms.ChoiceField(label=gettext_lazy("mode"), choices=PatrolMode.choices)
    started_at = forms.DateTimeField(
        label=gettext_lazy("started at"),
        widget=IsoDateTimeInput(),
    )
    ended_at = forms.DateTimeField(
        label=gettext_lazy("ended at"),
        widget=IsoDateTimeInput(),
    )
    cells = forms.CharField(
        label=gettext_lazy("cells covered (H3 indexes, separated by spaces)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(label=gettext_lazy("note"), required=False, max_length=200)

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {str(u.pk): u for u in _units(actor, levels=4)}
        field = self.fields["unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _unit_choices(actor, list(self.units.values()))
        officer = self.fields["officer"]
        assert isinstance(officer, forms.ModelChoiceField)
        officer.queryset = Member.objects.filter(
            access.subtree_q(actor.unit, "unit__path"), is_active=True
        ).order_by("full_name")
        officer.label_from_instance = lambda m: m.full_name  # type: ignore[method-assign]


@staff_required
@GET_POST
def patrol_logs(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    logs = patrols.logs_visible_to(actor)
    can_change = access.can(actor, PATROL_LOG, CHANGE)
    if request.method == "POST" and not can_change:
        raise AccessDenied
    form = None
    if can_change:
        form = LogForm(
            request.POST if request.method == "POST" else None,
            actor=actor,
            initial={"unit": str(actor.unit_id), "officer": actor.pk},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                patrols.log_patrol(
                    actor=actor,
                    unit=form.units[data["unit"]],
                    officer=data["officer"],
                    mode=data["mode"],
                    started_at=data["started_at"],
                    ended_at=data["ended_at"],
                    cells=data["cells"].replace(",", " ").split(),
                    note=data["note"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The patrol was logged."))
                return redirect("incidents:patrol_logs")
    return render(
        request,
        "incidents/patrol_logs.html",
        {"page": paginate(request, logs), "form": form},
    )


urlpatterns = [
    path("incidents/trends/", trends_page, name="trends"),
    path("incidents/patrols/", patrol_plans, name="patrols"),
    path("incidents/patrols/logs/", patrol_logs, name="patrol_logs"),
]
