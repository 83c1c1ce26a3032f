"""The six-situation board (六情看板): every registered figure section a member may see, for a
unit's subtree and a period, with year-on-year and period-on-period change.

Each section computes its readings from records (`liuqing.core.figures`); the board asks it
three times: for the period as of now, for the same span a year before and for the span just
before, each as of the instant shifted by the same distance (a cohort figure of last year's
March is read as it stood at the same point after that March). Changes follow KPIS.md:
(now − before) ÷ before, undefined ("—") when before is zero or undefined.

A change of a count (incidents, requests received) also carries the exact Poisson test's note
(`analytics.trends.compare_counts`, exposures the days each span covers up to its as-of):
"too few to tell" when the counts are too small for any change to be significant (3 → 1 is
not a 67 % drop), "within chance" when the test finds no significant change. Either way the
change is shown without its good/bad colour.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext_lazy as _

from liuqing.analytics import periods, trends
from liuqing.analytics.rates import (
    UNDEFINED,
    Average,
    Rate,
    change,
    format_decimal,
    format_percent,
)
from liuqing.core import figures
from liuqing.core.models import Member, Unit


def display(value: Any) -> str:
    if value is None:
        return UNDEFINED
    if isinstance(value, Rate):
        return value.percent_display()
    if isinstance(value, Average):
        return value.display()
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01')):,}"
    return f"{value:,}"


def hover(value: Any) -> str:
    if isinstance(value, Rate):
        return value.hover()
    if isinstance(value, Average):
        return f"{format_decimal(value.total, 1)} / {value.count}"
    return ""


def as_json(value: Any) -> dict[str, Any] | None:
    """A reading's value for the API and exports, tagged with its type."""
    if value is None:
        return None
    if isinstance(value, Rate):
        return {"type": "rate", **value.as_dict()}
    if isinstance(value, Average):
        return {"type": "average", **value.as_dict()}
    if isinstance(value, Decimal):
        return {"type": "amount", "value": str(value), "display": display(value)}
    return {"type": "count", "value": int(value), "display": display(value)}


NOTE_LABELS = {
    trends.Note.TOO_FEW: _("too few to tell"),
    trends.Note.NOT_SIGNIFICANT: _("within chance"),
}


def is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def count_note(now: Any, before: Any, now_days: float, before_days: float) -> str:
    """The exact test's note on a change of a count ("" when either is not a count)."""
    if not (is_count(now) and is_count(before)) or now_days <= 0 or before_days <= 0:
        return ""
    return str(
        trends.compare_counts(
            now,
            before,
            now_exposure=Fraction(now_days).limit_denominator(10**6),
            before_exposure=Fraction(before_days).limit_denominator(10**6),
        ).note
    )


@dataclass(frozen=True)
class Line:
    key: str
    label: Any
    value: Any
    year_before: Any
    period_before: Any
    rise_is_good: bool | None
    # trends.Note values for changes of counts, "" otherwise.
    yoy_note: str = ""
    mom_note: str = ""

    @property
    def display(self) -> str:
        return display(self.value)

    @property
    def hover(self) -> str:
        return hover(self.value)

    @property
    def yoy(self) -> Fraction | None:
        return change(self.value, self.year_before)

    @property
    def mom(self) -> Fraction | None:
        return change(self.value, self.period_before)

    @property
    def yoy_display(self) -> str:
        return format_percent(self.yoy, signed=True)

    @property
    def mom_display(self) -> str:
        return format_percent(self.mom, signed=True)

    @property
    def yoy_tone(self) -> str:
        return _tone(self.yoy, self.rise_is_good, self.yoy_note)

    @property
    def mom_tone(self) -> str:
        return _tone(self.mom, self.rise_is_good, self.mom_note)

    @property
    def yoy_note_label(self) -> Any:
        return NOTE_LABELS.get(trends.Note(self.yoy_note), "") if self.yoy_note else ""

    @property
    def mom_note_label(self) -> Any:
        return NOTE_LABELS.get(trends.Note(self.mom_note), "") if self.mom_note else ""

    @property
    def year_before_display(self) -> str:
        return display(self.year_before)

    @property
    def period_before_display(self) -> str:
        return display(self.period_before)


def _tone(delta: Fraction | None, rise_is_good: bool | None, note: str = "") -> str:
    if delta is None or delta == 0 or rise_is_good is None:
        return ""
    if note and note != trends.Note.SIGNIFICANT:
        return ""
    return "good" if (delta > 0) == rise_is_good else "bad"


@dataclass(frozen=True)
class Section:
    key: str
    qing: str
    label: Any
    lines: list[Line]


@dataclass(frozen=True)
class Board:
    unit: Unit
    period: periods.Period
    year_before: periods.Period
    period_before: periods.Period
    as_of: dt.datetime
    sections: list[Section]


def _shifted(as_of: dt.datetime, now: periods.Period, earlier: periods.Period) -> dt.datetime:
    return as_of - (now.start - earlier.start)


def board(member: Member, unit: Unit, period: periods.Period, *, as_of: dt.datetime) -> Board:
    """The board of `unit` (already checked to be in `member`'s jurisdiction) for `period`."""
    yoy, mom = periods.year_on_year(period), periods.month_on_month(period)
    spans = [
        (period.start, period.end, as_of),
        (yoy.start, yoy.end, _shifted(as_of, period, yoy)),
        (mom.start, mom.end, _shifted(as_of, period, mom)),
    ]
    days = [max((min(end, at) - start).total_seconds() / 86400, 0) for start, end, at in spans]
    sections = []
    for section in figures.sections_for(member):
        now, year_before, before = section.evaluate(member, unit, spans)
        earlier = {r.key: r.value for r in year_before}
        previous = {r.key: r.value for r in before}
        lines = [
            Line(
                key=r.key,
                label=r.label,
                value=r.value,
                year_before=earlier.get(r.key),
                period_before=previous.get(r.key),
                rise_is_good=r.rise_is_good,
                yoy_note=count_note(r.value, earlier.get(r.key), days[0], days[1]),
                mom_note=count_note(r.value, previous.get(r.key), days[0], days[2]),
            )
            for r in now
        ]
        sections.append(Section(section.key, section.qing, section.label, lines))
    return Board(unit, period, yoy, mom, as_of, sections)


def as_dict(b: Board) -> dict[str, Any]:
    return {
        "unit": {"id": b.unit.pk, "code": b.unit.code, "name": b.unit.name},
        "period": b.period.key,
        "year_before": b.year_before.key,
        "period_before": b.period_before.key,
        "as_of": b.as_of,
        "sections": [
            {
                "key": s.key,
                "qing": s.qing,
                "label": str(s.label),
                "figures": [
                    {
                        "key": line.key,
                        "label": str(line.label),
                        "value": as_json(line.value),
                        "year_before": as_json(line.year_before),
                        "period_before": as_json(line.period_before),
                        "yoy": float(line.yoy) if line.yoy is not None else None,
                        "mom": float(line.mom) if line.mom is not None else None,
                        "yoy_note": line.yoy_note or None,
                        "mom_note": line.mom_note or None,
                    }
                    for line in s.lines
                ],
            }
            for s in b.sections
        ],
    }


def _counts(value: Any) -> tuple[str, str]:
    if isinstance(value, Rate):
        return str(value.numerator), str(value.denominator)
    if isinstance(value, Average):
        return format_decimal(value.total, 2), str(value.count)
    return "", ""


def as_csv(b: Board) -> str:
    """One row per figure: the value as shown, its numerator and denominator, the earlier
    values and both changes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "unit",
            "period",
            "as_of",
            "section",
            "figure",
            "display",
            "numerator",
            "denominator",
            "year_before",
            "yoy",
            "period_before",
            "mom",
            "yoy_note",
            "mom_note",
        ]
    )
    for s in b.sections:
        for line in s.lines:
            numerator, denominator = _counts(line.value)
            writer.writerow(
                [
                    b.unit.code,
                    b.period.key,
                    b.as_of.isoformat(),
                    s.key,
                    line.key,
                    line.display,
                    numerator,
                    denominator,
                    line.year_before_display,
                    line.yoy_display,
                    line.period_before_display,
                    line.mom_display,
                    line.yoy_note,
                    line.mom_note,
                ]
            )
    return out.getvalue()
