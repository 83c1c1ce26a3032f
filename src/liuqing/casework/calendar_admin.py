"""The working-day calendar pages: every year's state, one year's months, entering a year.

Every staff member may look; system administrators and detachment staff may enter or replace a
year (access policy ``calendar``, see `liuqing.casework.calendar_services`). The pages are
included by ``casework/urls.py`` as `calendar_urlpatterns`, so their names are
``casework:calendar``, ``casework:calendar_year`` and ``casework:calendar_edit``. The year is a
query parameter (``?year=2027``, default: this year) so that the permission matrix can call
every page without a target object: the calendar belongs to no unit.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from liuqing.casework import calendar_services
from liuqing.casework.calendar import WorkCalendar, get_calendar
from liuqing.casework.calendar_services import (
    CALENDAR,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_SOURCE,
    ScheduleSaved,
)
from liuqing.casework.models import CalendarDay, CalendarYear
from liuqing.core import access
from liuqing.core.access import CHANGE, VIEW, AccessDenied
from liuqing.core.auth import staff_required
from liuqing.core.forms import apply_errors
from liuqing.core.views.common import actor_of, posted

GET_POST = require_http_methods(["GET", "POST"])

# Column heads of a month grid, Monday first: as short as the language allows (一 … 日 in
# Chinese), which Django's abbreviated weekday names are not.
WEEKDAY_HEADS = [
    pgettext_lazy("weekday in a month grid", "Mo"),
    pgettext_lazy("weekday in a month grid", "Tu"),
    pgettext_lazy("weekday in a month grid", "We"),
    pgettext_lazy("weekday in a month grid", "Th"),
    pgettext_lazy("weekday in a month grid", "Fr"),
    pgettext_lazy("weekday in a month grid", "Sa"),
    pgettext_lazy("weekday in a month grid", "Su"),
]


def _today() -> dt.date:
    return timezone.localdate()


def _year_param(request: HttpRequest) -> int:
    """?year= (GET, or the form's field on POST), default this year; 404 when absurd."""
    raw = request.POST.get("year") or request.GET.get("year") or ""
    if not raw:
        return _today().year
    try:
        year = int(raw)
    except ValueError:
        raise Http404(_("No such year.")) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404(_("No such year."))
    return year


def _require(request: HttpRequest, action: str) -> None:
    if not access.can(actor_of(request), CALENDAR, action):
        raise AccessDenied


# --- The overview --------------------------------------------------------------------------------


def year_states(today: dt.date) -> list[dict[str, Any]]:
    """One row per year worth showing (every scheduled year, plus last, this and next year),
    newest first: whether it is scheduled, by whom, and its counts. Two queries."""
    rows = {y.year: y for y in CalendarYear.objects.all()}
    counts = {
        c["y"]: c
        for c in CalendarDay.objects.annotate(y=ExtractYear("date"))
        .values("y")
        .annotate(
            holidays=Count("id", filter=Q(is_workday=False)),
            makeup=Count("id", filter=Q(is_workday=True)),
        )
    }
    years = set(rows) | {today.year - 1, today.year, today.year + 1}
    result = []
    for year in sorted(years, reverse=True):
        row = rows.get(year)
        count = counts.get(year, {})
        result.append(
            {
                "year": year,
                "scheduled": row is not None,
                "source": row.source if row is not None else "",
                "entered_at": row.entered_at if row is not None else None,
                "holidays": count.get("holidays", 0),
                "makeup": count.get("makeup", 0),
                "current": year == today.year,
                "next": year == today.year + 1,
            }
        )
    return result


def missing_years(calendar: WorkCalendar, today: dt.date) -> list[int]:
    """This year and next year, where their schedule is still missing."""
    return [y for y in (today.year, today.year + 1) if not calendar.has_schedule(y)]


@staff_required
@require_GET
def calendar_overview(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    today = _today()
    return render(
        request,
        "casework/calendar/overview.html",
        {
            "years": year_states(today),
            "missing": missing_years(get_calendar(), today),
            "today": today,
            "can_change": access.can(actor_of(request), CALENDAR, CHANGE),
        },
    )


# --- One year ------------------------------------------------------------------------------------


def month_grids(calendar: WorkCalendar, year: int) -> list[dict[str, Any]]:
    """Twelve months of weeks (Monday first), each cell a date with its kind: "workday",
    "weekend", "holiday" (a weekday off) or "makeup" (a weekend working day)."""
    weeks_of = pycalendar.Calendar(firstweekday=0)
    today = _today()
    months = []
    for number in range(1, 13):
        weeks = []
        for week in weeks_of.monthdatescalendar(year, number):
            cells: list[dict[str, Any] | None] = []
            for d in week:
                if d.month != number:
                    cells.append(None)
                    continue
                working = calendar.is_workday(d)
                weekend = d.weekday() >= 5
                if working and weekend:
                    kind = "makeup"
                elif working:
                    kind = "workday"
                elif weekend:
                    kind = "weekend"
                else:
                    kind = "holiday"
                cells.append(
                    {
                        "date": d,
                        "kind": kind,
                        "working": working,
                        "name": calendar.day_name(d),
                        "today": d == today,
                    }
                )
            weeks.append(cells)
        months.append({"number": number, "name": MONTHS[number], "weeks": weeks})
    return months


def special_days(year: int) -> list[dict[str, Any]]:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return [
        {
            "date": day.date,
            "weekday": WEEKDAYS[day.date.weekday()],
            "is_workday": day.is_workday,
            "name": day.name,
        }
        for day in CalendarDay.objects.filter(date__gte=first, date__lte=last)
    ]


@staff_required
@require_GET
def calendar_year(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    year = _year_param(request)
    calendar = get_calendar()
    return render(
        request,
        "casework/calendar/year.html",
        {
            "year": year,
            "row": CalendarYear.objects.filter(year=year).first(),
            "scheduled": calendar.has_schedule(year),
            "months": month_grids(calendar, year),
            "weekdays": WEEKDAY_HEADS,
            "days": special_days(year),
            "can_change": access.can(actor_of(request), CALENDAR, CHANGE),
            "previous_year": year - 1 if year > FIRST_YEAR else None,
            "next_year": year + 1 if year < LAST_YEAR else None,
        },
    )


# --- Entering a year -----------------------------------------------------------------------------


class YearScheduleForm(forms.Form):
    """A year's holidays and make-up days, as lines of text or an uploaded CSV file."""

    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    days = forms.CharField(
        label=gettext_lazy("Holidays and make-up working days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "dir": "ltr", "spellcheck": "false"}),
        help_text=gettext_lazy(
            "One day per line: the date, off (a holiday on a weekday) or on (a make-up working "
            "day on a weekend), and the holiday's name. For example: 2027-02-08,off,春节"
        ),
    )
    file = forms.FileField(
        label=gettext_lazy("Or upload a CSV file"),
        required=False,
        help_text=gettext_lazy(
            "Columns date,is_workday,name (is_workday 0 or 1), as in the shipped calendar file."
            " The file replaces the lines above."
        ),
    )
    source = forms.CharField(
        label=gettext_lazy("Source"),
        max_length=MAX_SOURCE,
        help_text=gettext_lazy(
            "Where the schedule comes from, for example the State Council notice's number."
        ),
    )
    ignore_redundant = forms.BooleanField(
        label=gettext_lazy("Ignore weekend days off"),
        required=False,
        help_text=gettext_lazy(
            "Drop days off that fall on a Saturday or Sunday (and working days on a weekday) "
            "instead of refusing them: the official notice lists every day of a break."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not (data.get("days") or "").strip():
            self.add_error("days", _("Enter the days, or upload a file."))
        return data


def _current_text(year: int) -> str:
    return "\n".join(
        f"{d['date'].isoformat()},{'on' if d['is_workday'] else 'off'},{d['name']}"
        for d in special_days(year)
    )


def _saved_message(saved: ScheduleSaved) -> str:
    message = _(
        "The %(year)d schedule was saved: %(holidays)d holidays and %(makeup)d make-up "
        "working days."
    ) % {
        "year": saved.calendar_year.year,
        "holidays": saved.holidays,
        "makeup": saved.makeup_days,
    }
    if saved.ignored:
        message += " " + ngettext(
            "%(count)d redundant day was ignored.",
            "%(count)d redundant days were ignored.",
            len(saved.ignored),
        ) % {"count": len(saved.ignored)}
    return message


@staff_required
@GET_POST
def calendar_edit(request: HttpRequest) -> HttpResponse:
    _require(request, CHANGE)
    actor = actor_of(request)
    year = _year_param(request)
    row = CalendarYear.objects.filter(year=year).first()
    initial = {
        "year": year,
        "days": _current_text(year),
        "source": row.source if row is not None else "",
    }
    form = YearScheduleForm(posted(request), request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("file"):
                saved = calendar_services.import_year_csv(
                    actor=actor,
                    upload=data["file"],
                    year=data["year"],
                    source=data["source"],
                    ignore_redundant=data["ignore_redundant"],
                )[0]
            else:
                saved = calendar_services.set_year_schedule_from_text(
                    actor=actor,
                    year=data["year"],
                    text=data["days"],
                    source=data["source"],
                    ignore_redundant=data["ignore_redundant"],
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _saved_message(saved))
            return redirect(f"{reverse('casework:calendar_year')}?year={data['year']}")
    return render(
        request,
        "casework/calendar/edit.html",
        {"form": form, "year": year, "row": row},
    )


calendar_urlpatterns = [
    path("calendar/", calendar_overview, name="calendar"),
    path("calendar/year/", calendar_year, name="calendar_year"),
    path("calendar/edit/", calendar_edit, name="calendar_edit"),
]
urlpatterns = calendar_urlpatterns
