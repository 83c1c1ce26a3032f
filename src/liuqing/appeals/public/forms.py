"""Forms of the residents' pages. They only shape the input; the rules (consent, which
categories and places, lengths, the phone number, the location) are the service's
(`submit_public_appeal`), whose field errors the views put back on these forms.

There is no unit, owner, status or publication field, and the view passes the service only
the fields below: anything else a client posts is ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liuqing.appeals.services import DESCRIPTION_MAX, NAME_MAX
from liuqing.core.widgets import IsoDateInput

# Lengths are the service's rules (reported with the other problems at once); the widgets
# carry them as `maxlength` for the browser.

MAX_PERIOD_DAYS = 366


class PublicAppealForm(forms.Form):
    # Plain text fields with a select widget: the service checks the choice (and reports it
    # together with every other problem), the form only offers the options.
    category = forms.CharField(label=_("What is it about?"), required=False, widget=forms.Select)
    place = forms.CharField(
        label=_("Your village or community"), required=False, widget=forms.Select
    )
    description = forms.CharField(
        label=_("Your request"),
        required=False,
        strip=True,
        help_text=_(
            "What happened, where, and what you would like us to do. At most 4,000 characters."
        ),
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": DESCRIPTION_MAX}),
    )
    resident_name = forms.CharField(
        label=_("Your name (optional)"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "maxlength": NAME_MAX}),
    )
    resident_phone = forms.CharField(
        label=_("Phone number (optional)"),
        required=False,
        help_text=_("So that the officer can call you back."),
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", "maxlength": 30}
        ),
    )
    anonymous = forms.BooleanField(
        label=_("Don't publish my name"),
        required=False,
        initial=True,
        help_text=_("Your name never appears on public pages; this also keeps it off notices."),
    )
    latitude = forms.CharField(
        label=_("Latitude"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr", "maxlength": 20}),
    )
    longitude = forms.CharField(
        label=_("Longitude"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr", "maxlength": 20}),
    )
    consent = forms.BooleanField(
        label=_("I have read the notice above and agree"),
        required=False,
        widget=forms.CheckboxInput(attrs={"required": True}),
    )

    def __init__(
        self,
        *args: Any,
        categories: list[dict[str, Any]],
        places: list[dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.needs_location = [c["pk"] for c in categories if c["needs_location"]]
        category_choices: list[Any] = [("", _("Choose…"))]
        groups: dict[str, list[tuple[int, str]]] = {}
        for c in categories:
            if c["group"]:
                groups.setdefault(c["group"], []).append((c["pk"], c["name"]))
            else:
                category_choices.append((c["pk"], c["name"]))
        category_choices.extend(groups.items())
        self.fields["category"].widget.choices = category_choices
        place_choices: list[Any] = [("", _("Choose…"))]
        place_choices.extend((g["label"], g["places"]) for g in places)
        self.fields["place"].widget.choices = place_choices


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "dir": "ltr",
            }
        ),
    )


class PeriodForm(forms.Form):
    """The board's period: from and to (inclusive dates), at most a year; default the last
    90 days up to today."""

    start = forms.DateField(label=_("From"), required=False, widget=IsoDateInput())
    end = forms.DateField(label=_("To"), required=False, widget=IsoDateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end of the period is before its start."))
            if (end - start).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError(_("Choose a period of at most one year."))
        return data

    def period(self, today: dt.date, default_days: int) -> tuple[dt.date, dt.date]:
        """The (first, last) day to show: the form's, or the default when it is invalid."""
        if not self.is_bound or not self.is_valid():
            return today - dt.timedelta(days=default_days), today
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        if start and end:
            return start, end
        if start:
            return start, min(start + dt.timedelta(days=default_days), today)
        if end:
            return end - dt.timedelta(days=default_days), end
        return today - dt.timedelta(days=default_days), today
