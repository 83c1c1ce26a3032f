"""Exact rates and changes, and how they are shown.

Rates stay fractions until display (KPIS.md): a percentage has one decimal place, rounded half
up (四舍五入: half away from zero, so -6.25 % shows as "-6.3%"), and a rate whose denominator is
zero shows as "—", never 0 or infinity. Numerator and denominator stay available for the hover
text and the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

UNDEFINED = "—"

Number = int | Fraction


def round_half_up(value: Fraction | int, places: int = 1) -> Fraction:
    """`value` rounded to `places` decimals, halves away from zero (exact, no binary floats)."""
    scale = 10**places
    scaled = abs(Fraction(value)) * scale
    rounded = Fraction((scaled.numerator * 2 + scaled.denominator) // (scaled.denominator * 2))
    return Fraction(rounded if value >= 0 else -rounded, scale)


def format_decimal(value: Fraction | int, places: int = 1, *, signed: bool = False) -> str:
    """ "12.5", "-3.0", "+0.4" (with `signed`); a value that rounds to zero has no sign."""
    rounded = round_half_up(value, places)
    scale = 10**places
    units = abs(rounded) * scale
    assert units.denominator == 1
    whole, frac = divmod(int(units), scale)
    text = f"{whole}.{frac:0{places}d}" if places else str(whole)
    if rounded < 0:
        return "-" + text
    if signed and rounded > 0:
        return "+" + text
    return text


def format_percent(value: Fraction | int | None, *, signed: bool = False) -> str:
    """A fraction (0.937) as a percentage with one decimal ("93.7%"); None as "—"."""
    if value is None:
        return UNDEFINED
    return format_decimal(Fraction(value) * 100, 1, signed=signed) + "%"


@dataclass(frozen=True)
class Rate:
    """numerator ÷ denominator, exact. `value` is None when the denominator is zero."""

    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        # Accept numpy integers from `.sum()`; keep plain ints so the object serialises.
        object.__setattr__(self, "numerator", _count(self.numerator, "numerator"))
        object.__setattr__(self, "denominator", _count(self.denominator, "denominator"))

    @property
    def value(self) -> Fraction | None:
        if self.denominator == 0:
            return None
        return Fraction(self.numerator, self.denominator)

    @property
    def defined(self) -> bool:
        return self.denominator != 0

    def percent_display(self) -> str:
        """ "93.7%", or "—" when the denominator is zero."""
        return format_percent(self.value)

    def hover(self) -> str:
        """ "45 / 48" for the tooltip beside the percentage."""
        return f"{self.numerator} / {self.denominator}"

    def as_dict(self) -> dict[str, Any]:
        """For JSON and CSV exports: the counts, the exact value as a float, and the display."""
        value = self.value
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": float(value) if value is not None else None,
            "display": self.percent_display(),
        }

    def __str__(self) -> str:
        return self.percent_display()


@dataclass(frozen=True)
class Average:
    """total ÷ count, exact (a mean such as working days per closed appeal); None when empty."""

    total: Fraction | int
    count: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", Fraction(self.total))
        object.__setattr__(self, "count", _count(self.count, "count"))

    @property
    def value(self) -> Fraction | None:
        if self.count == 0:
            return None
        return Fraction(self.total, self.count)

    def display(self, places: int = 1) -> str:
        """ "3.2" (rounded half up), or "—" when there is nothing to average."""
        value = self.value
        return UNDEFINED if value is None else format_decimal(value, places)

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        return {
            "total": float(self.total),
            "count": self.count,
            "value": float(value) if value is not None else None,
            "display": self.display(),
        }

    def __str__(self) -> str:
        return self.display()


def _value(x: Rate | Average | Number | Decimal | None) -> Fraction | None:
    if x is None:
        return None
    if isinstance(x, Rate | Average):
        return x.value
    return Fraction(x)


def change(
    now: Rate | Average | Number | Decimal | None,
    before: Rate | Average | Number | Decimal | None,
) -> Fraction | None:
    """(now − before) ÷ before, exact; None when `before` is zero or either is undefined
    (shown "—").

    Works on counts (incidents this month against last month), amounts, rates (the relative
    change of the completion rate) and averages. For a rate, a percentage-point difference
    is `points_change`.
    """
    n, b = _value(now), _value(before)
    if n is None or b is None or b == 0:
        return None
    return (n - b) / b


def points_change(now: Rate, before: Rate) -> Fraction | None:
    """now − before of two rates as a fraction (0.05 = five percentage points); None if either
    rate is undefined."""
    n, b = now.value, before.value
    if n is None or b is None:
        return None
    return n - b


def change_display(now: Rate | Number, before: Rate | Number) -> str:
    """ "+12.5%", "-3.0%", "0.0%", or "—" when the earlier figure is zero."""
    return format_percent(change(now, before), signed=True)


def _count(value: Any, name: str) -> int:
    number = int(value)
    if number != value or number < 0:
        raise ValueError(f"{name} must be a non-negative whole number, not {value!r}")
    return number
