"""The board's filter form: a unit of the member's jurisdiction, a kind of period and a day
inside it (default today), or a period key such as 2026-Q1."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.analytics import periods
from liuqing.core.forms import UnitFilterField
from liuqing.core.models import Member
from liuqing.core.widgets import IsoDateInput

KIND_CHOICES = [
    (periods.Kind.MONTH.value, _("Month")),
    (periods.Kind.QUARTER.value, _("Quarter")),
    (periods.Kind.HALF.value, _("Half-year")),
    (periods.Kind.YEAR.value, _("Year")),
]


class BoardForm(forms.Form):
    unit = UnitFilterField(empty_label=_("My unit"))
    kind = forms.ChoiceField(choices=KIND_CHOICES, required=False, label=_("period"))
    on = forms.DateField(
        required=False,
        label=_("containing the day"),
        widget=IsoDateInput(),
        help_text=_("Default: today."),
    )

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))

    def clean_on(self) -> Any:
        day = self.cleaned_data.get("on")
        if day is not None and not (periods.MIN_YEAR <= day.year <= periods.MAX_YEAR):
            raise forms.ValidationError(_("Choose a day between 2000 and 2100."))
        return day

    def period(self, tz: Any, default_day: Any = None) -> periods.Period:
        kind = self.cleaned_data.get("kind") or periods.Kind.MONTH.value
        day = self.cleaned_data.get("on") or default_day or timezone.localdate()
        return periods.containing(kind, day, tz)
