"""Writes to the working-day calendar: a year's national schedule, entered or imported.

The State Council publishes each next year's public holidays and make-up working days (调休) in
November; an administrator (system administrator or detachment staff) enters them here, as
lines of text or as a CSV file in the format of the shipped ``data/cn_calendar.csv``::

    date,is_workday,name
    2027-02-08,0,春节
    2027-02-20,1,春节

(the text form also accepts ``off`` / ``on``, ``work``, ``休`` / ``班``). Entering a year replaces
all of that year's days in one transaction with its audit record, and the calendar cache of
this process resets at once (other processes notice within a minute, see
`liuqing.casework.calendar.get_calendar`).

Who may change the calendar is the access policy ``calendar`` (registered here): every staff
member may look at it, system administrators and detachment staff may change it. The calendar
is national, owned by no unit, so only `access.can()` applies to this kind, never `scope()` or
`check()`.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from liuqing.casework.calendar import reset_calendar_cache
from liuqing.casework.models import CalendarDay, CalendarYear
from liuqing.core import access, audit
from liuqing.core.access import ALL_STAFF, CHANGE, AccessDenied, Policy, register
from liuqing.core.models import Member, Role

CALENDAR = "calendar"
CALENDAR_ADMINS = frozenset({Role.SYSADMIN, Role.DETACHMENT_STAFF})

register(
    Policy(
        kind=CALENDAR,
        model=CalendarYear,
        view=ALL_STAFF,
        change=CALENDAR_ADMINS,
        unit_field="",
        extra={"global": True},  # no owning unit: only access.can() applies
    )
)

SHIPPED_FILE = Path(__file__).resolve().parent / "data" / "cn_calendar.csv"
SHIPPED_SOURCE = "chinesecalendar 1.11.0"
SHIPPED_YEARS = range(2004, 2027)
FIRST_YEAR, LAST_YEAR = 1990, 2200  # what a year form accepts
MAX_NAME = 64
MAX_SOURCE = 200
MAX_ERRORS = 20  # listed per field; the rest are counted

OFF_WORDS = {"0", "off", "false", "no", "holiday", "休", "假", "休息"}
ON_WORDS = {"1", "on", "true", "yes", "work", "workday", "班", "上班"}


class ScheduleDay(NamedTuple):
    """One date that differs from the plain week."""

    date: dt.date
    is_workday: bool
    name: str = ""


@dataclass
class ScheduleSaved:
    """What `set_year_schedule` stored: the year row, the counts, and the weekend days off
    (or weekday working days) it dropped as redundant when asked to."""

    calendar_year: CalendarYear
    holidays: int
    makeup_days: int
    ignored: list[dt.date] = field(default_factory=list)


def may_change_calendar(member: Member) -> bool:
    return access.can(member, CALENDAR, CHANGE)


def _require_admin(actor: Member | None) -> None:
    # actor=None: the set-up commands and the data migration.
    if actor is not None and not may_change_calendar(actor):
        raise AccessDenied(
            _("Only system administrators and detachment staff can change the calendar.")
        )


# --- Parsing -------------------------------------------------------------------------------------


def _errors(messages: list[str]) -> list[str]:
    if len(messages) <= MAX_ERRORS:
        return messages
    extra = len(messages) - MAX_ERRORS
    return [*messages[:MAX_ERRORS], _("… and %(count)d more problems.") % {"count": extra}]


def _split(line: str) -> list[str]:
    for separator in ("\t", "，"):
        line = line.replace(separator, ",")
    return next(csv.reader([line]))


def parse_schedule(text: str, *, field_name: str = "days") -> list[ScheduleDay]:
    """Lines ``date,status,name`` (status 0/1, off/on, 休/班; name optional) as days.

    Blank lines, ``#`` comments and a ``date,…`` header are skipped. Every bad line is
    reported at once, with its line number, as a field error on `field_name`.
    """
    days: list[ScheduleDay] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in _split(line)]
        if parts[0].lower() == "date":
            continue
        if len(parts) < 2:
            problems.append(
                _("Line %(line)d: write the date, then off or on, then the name.")
                % {"line": number}
            )
            continue
        try:
            day = dt.date.fromisoformat(parts[0])
        except ValueError:
            problems.append(
                _("Line %(line)d: “%(value)s” is not a date (YYYY-MM-DD).")
                % {"line": number, "value": parts[0][:20]}
            )
            continue
        status = parts[1].lower()
        if status in OFF_WORDS:
            is_workday = False
        elif status in ON_WORDS:
            is_workday = True
        else:
            problems.append(
                _("Line %(line)d: “%(value)s” should be off (a holiday) or on (a working day).")
                % {"line": number, "value": parts[1][:20]}
            )
            continue
        days.append(ScheduleDay(day, is_workday, ",".join(parts[2:]).strip()))
    if problems:
        raise ValidationError({field_name: _errors(problems)})
    return days


def read_upload(upload: IO[bytes] | IO[str] | bytes | str, *, field_name: str = "file") -> str:
    """The text of an uploaded CSV (UTF-8, with or without a byte-order mark; GB18030 as
    spreadsheets in China often save it)."""
    data: Any = upload
    if hasattr(data, "read"):
        data = data.read()
    if isinstance(data, str):
        return data
    if len(data) > 1_000_000:
        raise ValidationError({field_name: _("The file is too large for a calendar (1 MB).")})
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return bytes(data).decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({field_name: _("Save the file as UTF-8 text (CSV).")})


# --- Validation --------------------------------------------------------------------------------


def _weekday(d: dt.date) -> str:
    return str(WEEKDAYS[d.weekday()])


def check_year_schedule(
    year: int, days: Sequence[ScheduleDay], *, ignore_redundant: bool = False
) -> tuple[list[ScheduleDay], list[dt.date]]:
    """The days to store for `year` and the redundant ones dropped; ValidationError (field
    ``year`` or ``days``) for anything wrong, listing every problem at once.

    A holiday must fall on a weekday (a day off on a Saturday changes nothing) and a make-up
    working day on a weekend. With `ignore_redundant` such lines are dropped instead of
    refused (the State Council's notice lists every day of a break, weekends included).
    """
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            {
                "year": _("Enter a year from %(first)d to %(last)d.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            }
        )
    problems: list[str] = []
    seen: dict[dt.date, int] = defaultdict(int)
    keep: list[ScheduleDay] = []
    ignored: list[dt.date] = []
    if not days:
        problems.append(_("Enter at least one holiday or make-up working day."))
    for day in days:
        seen[day.date] += 1
        if day.date.year != year:
            problems.append(
                _("%(date)s is not in %(year)d.") % {"date": day.date.isoformat(), "year": year}
            )
            continue
        if len(day.name) > MAX_NAME:
            problems.append(
                _("%(date)s: the name is longer than %(max)d characters.")
                % {"date": day.date.isoformat(), "max": MAX_NAME}
            )
        weekend = day.date.weekday() >= 5
        if not day.is_workday and weekend:
            if ignore_redundant:
                ignored.append(day.date)
                continue
            problems.append(
                _(
                    "%(date)s is a %(weekday)s: a day off on a weekend changes nothing. "
                    "Remove the line, or tick “ignore weekend days off”."
                )
                % {"date": day.date.isoformat(), "weekday": _weekday(day.date)}
            )
        elif day.is_workday and not weekend:
            if ignore_redundant:
                ignored.append(day.date)
                continue
            problems.append(
                _(
                    "%(date)s is a %(weekday)s, a working day already: a make-up working day "
                    "falls on a Saturday or Sunday."
                )
                % {"date": day.date.isoformat(), "weekday": _weekday(day.date)}
            )
        keep.append(day)
    duplicates = sorted(d for d, n in seen.items() if n > 1)
    problems.extend(
        _("%(date)s appears more than once.") % {"date": d.isoformat()} for d in duplicates
    )
    if problems:
        raise ValidationError({"days": _errors(problems)})
    return sorted(keep), sorted(ignored)


# --- Writes ------------------------------------------------------------------------------------


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def replace_year_rows(
    day_model: type[Model],
    year_model: type[Model],
    year: int,
    days: Iterable[ScheduleDay],
    source: str,
) -> Any:
    """Delete and rewrite one year's rows (no checks, no audit). Shared with the data
    migration, which passes its historical models."""
    first, last = _year_bounds(year)
    day_model.objects.filter(date__gte=first, date__lte=last).delete()  # type: ignore[attr-defined]
    day_model.objects.bulk_create(  # type: ignore[attr-defined]
        [day_model(date=d.date, is_workday=d.is_workday, name=d.name[:MAX_NAME]) for d in days]
    )
    row, _created = year_model.objects.update_or_create(  # type: ignore[attr-defined]
        year=year, defaults={"source": source[:MAX_SOURCE], "entered_at": timezone.now()}
    )
    return row


def _current_days(year: int) -> dict[str, str]:
    first, last = _year_bounds(year)
    return {
        d.date.isoformat(): f"{'on' if d.is_workday else 'off'} {d.name}".strip()
        for d in CalendarDay.objects.filter(date__gte=first, date__lte=last)
    }


def _after_write() -> None:
    # At once for this request (which may read the calendar again before commit), and after
    # commit so that no reader keeps a calendar built from rows that were rolled back.
    reset_calendar_cache()
    transaction.on_commit(reset_calendar_cache)


def set_year_schedule(
    *,
    actor: Member | None,
    year: int,
    days: Sequence[ScheduleDay | tuple[dt.date, bool, str]],
    source: str,
    ignore_redundant: bool = False,
) -> ScheduleSaved:
    """Replace `year`'s holidays and make-up working days and mark the year as scheduled.

    Only system administrators and detachment staff (`actor=None`: set-up commands). Every
    problem is a field error (``year``, ``days``, ``source``) and nothing is written.
    """
    _require_admin(actor)
    source = (source or "").strip()
    if len(source) > MAX_SOURCE:
        raise ValidationError({"source": _("At most %(max)d characters.") % {"max": MAX_SOURCE}})
    parsed = [ScheduleDay(d[0], bool(d[1]), str(d[2] or "").strip()) for d in days]
    keep, ignored = check_year_schedule(year, parsed, ignore_redundant=ignore_redundant)
    with transaction.atomic():
        before = _current_days(year)
        existed = CalendarYear.objects.filter(year=year).first()
        row = replace_year_rows(CalendarDay, CalendarYear, year, keep, source)
        after = {
            d.date.isoformat(): f"{'on' if d.is_workday else 'off'} {d.name}".strip() for d in keep
        }
        audit.record(
            "calendar.set_year",
            actor=actor,
            obj=row,
            details={
                "year": year,
                "source": row.source,
                "replaced": existed is not None,
                "previous_source": existed.source if existed is not None else None,
                "changes": audit.diff(before, after),
                "ignored": [d.isoformat() for d in ignored],
            },
        )
        _after_write()
    return ScheduleSaved(
        calendar_year=row,
        holidays=sum(1 for d in keep if not d.is_workday),
        makeup_days=sum(1 for d in keep if d.is_workday),
        ignored=ignored,
    )


def set_year_schedule_from_text(
    *,
    actor: Member | None,
    year: int,
    text: str,
    source: str,
    ignore_redundant: bool = False,
) -> ScheduleSaved:
    """`set_year_schedule` from lines of text (see `parse_schedule`)."""
    _require_admin(actor)
    return set_year_schedule(
        actor=actor,
        year=year,
        days=parse_schedule(text, field_name="days"),
        source=source,
        ignore_redundant=ignore_redundant,
    )


def import_year_csv(
    *,
    actor: Member | None,
    upload: IO[bytes] | IO[str] | bytes | str,
    source: str,
    year: int | None = None,
    ignore_redundant: bool = False,
) -> list[ScheduleSaved]:
    """Enter years from a CSV in the shipped file's format (``date,is_workday,name``).

    With `year`, the file must hold that year only; without, every year in the file is
    replaced, all in one transaction (one audit record per year). Problems are field errors
    on ``file`` and nothing is written.
    """
    _require_admin(actor)
    days = parse_schedule(read_upload(upload, field_name="file"), field_name="file")
    by_year: dict[int, list[ScheduleDay]] = defaultdict(list)
    for day in days:
        by_year[day.date.year].append(day)
    if year is not None:
        others = sorted(set(by_year) - {year})
        if others:
            raise ValidationError(
                {
                    "file": _("The file holds days of %(years)s, not only %(year)d.")
                    % {"years": ", ".join(str(y) for y in others), "year": year}
                }
            )
        by_year.setdefault(year, [])
    if not by_year:
        raise ValidationError({"file": _("The file holds no days.")})
    results: list[ScheduleSaved] = []
    try:
        with transaction.atomic():
            for each in sorted(by_year):
                results.append(
                    set_year_schedule(
                        actor=actor,
                        year=each,
                        days=by_year[each],
                        source=source,
                        ignore_redundant=ignore_redundant,
                    )
                )
    except ValidationError as exc:
        # Report the rows' problems on the upload field, where the form shows them.
        messages = [m for ms in exc.message_dict.values() for m in ms]
        raise ValidationError({"file": _errors(messages)}) from exc
    return results


def clear_year_schedule(*, actor: Member | None, year: int) -> bool:
    """Forget `year`'s schedule: its days fall back to weekends only. False if it had none."""
    _require_admin(actor)
    with transaction.atomic():
        row = CalendarYear.objects.filter(year=year).first()
        if row is None:
            return False
        before = _current_days(year)
        first, last = _year_bounds(year)
        CalendarDay.objects.filter(date__gte=first, date__lte=last).delete()
        audit.record(
            "calendar.clear_year",
            actor=actor,
            obj=row,
            details={"year": year, "source": row.source, "removed": before},
        )
        row.delete()
        _after_write()
    return True


# --- The shipped national calendar -----------------------------------------------------------


def shipped_schedule() -> dict[int, list[ScheduleDay]]:
    """The shipped file's days (2004-2026, from chinesecalendar 1.11.0), by year."""
    days = parse_schedule(SHIPPED_FILE.read_text(encoding="utf-8"))
    by_year: dict[int, list[ScheduleDay]] = defaultdict(list)
    for day in days:
        by_year[day.date.year].append(day)
    return dict(by_year)


def install_shipped_calendar(
    day_model: type[Model], year_model: type[Model], *, replace: bool = False
) -> list[int]:
    """Load the shipped years into the given models (the data migration's historical ones).

    Idempotent: a year already scheduled is left alone (an administrator may have corrected
    it) unless `replace`. Returns the years written.
    """
    written = []
    existing = set(year_model.objects.values_list("year", flat=True))  # type: ignore[attr-defined]
    for year, days in sorted(shipped_schedule().items()):
        if year in existing and not replace:
            continue
        replace_year_rows(day_model, year_model, year, days, SHIPPED_SOURCE)
        written.append(year)
    return written


def load_shipped_calendar(*, actor: Member | None = None, replace: bool = False) -> list[int]:
    """`install_shipped_calendar` as a service: permission, one transaction, audit, cache."""
    _require_admin(actor)
    with transaction.atomic():
        years = install_shipped_calendar(CalendarDay, CalendarYear, replace=replace)
        if years:
            audit.record(
                "calendar.load_shipped",
                actor=actor,
                object_type="casework.calendaryear",
                details={"years": years, "source": SHIPPED_SOURCE, "replace": replace},
            )
        _after_write()
    return years
