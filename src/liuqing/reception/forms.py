"""Forms of the reception desk and talk points: they only parse; the services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liuqing.appeals import selectors as appeal_selectors
from liuqing.core import selectors as core_selectors
from liuqing.core.models import Member, Unit, UnitKind
from liuqing.core.widgets import IsoDateInput, IsoDateTimeInput
from liuqing.incidents import selectors as incident_selectors
from liuqing.mediation import selectors as mediation_selectors
from liuqing.reception.models import ComplaintOutcome, ReportKind, Route

TEXT = forms.Textarea(attrs={"rows": 3})


class NameChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "name", obj))


class RouteForm(forms.Form):
    """One form for every route; the fields a route does not use are ignored."""

    route = forms.ChoiceField(choices=Route.choices, label=_("send to"))
    title = forms.CharField(max_length=200, required=False, label=_("title"))
    description = forms.CharField(widget=TEXT, required=False, label=_("what the visitor says"))
    resident_name = forms.CharField(max_length=64, required=False, label=_("visitor's name"))
    resident_phone = forms.CharField(max_length=32, required=False, label=_("visitor's phone"))
    category = NameChoice(queryset=Unit.objects.none(), required=False, label=_("request category"))
    committee = NameChoice(
        queryset=Unit.objects.none(), required=False, label=_("mediation committee")
    )
    dispute_type = NameChoice(queryset=Unit.objects.none(), required=False, label=_("dispute type"))
    respondent_name = forms.CharField(max_length=64, required=False, label=_("other party"))
    incident_category = forms.ChoiceField(required=False, label=_("incident category"))
    occurred_at = forms.DateTimeField(
        required=False,
        widget=IsoDateTimeInput(),
        label=_("when it happened"),
    )
    place = NameChoice(queryset=Unit.objects.none(), required=False, label=_("where it happened"))
    about_unit = NameChoice(
        queryset=Unit.objects.none(), required=False, label=_("station concerned")
    )
    report_kind = forms.ChoiceField(
        choices=[("", "—"), *ReportKind.choices], required=False, label=_("kind of report")
    )

    def __init__(self, *args: Any, actor: Member, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = appeal_selectors.category_choices(actor)  # type: ignore[attr-defined]
        self.fields["committee"].queryset = mediation_selectors.committee_choices(actor)  # type: ignore[attr-defined]
        self.fields["dispute_type"].queryset = mediation_selectors.dispute_types()  # type: ignore[attr-defined]
        self.fields["incident_category"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(c.code, c.label) for c in incident_selectors.categories()],
        ]
        self.fields["place"].queryset = core_selectors.places_visible_to(actor, active=True)  # type: ignore[attr-defined]
        # The stations in the actor's jurisdiction, the desk's own unit and the units above it
        # (a visitor may complain about the brigade or the detachment itself).
        above = [unit.pk, *unit.ancestors().values_list("pk", flat=True)]
        self.fields["about_unit"].queryset = core_selectors.unit_choices(actor).filter(  # type: ignore[attr-defined]
            kind=UnitKind.STATION
        ) | Unit.objects.filter(pk__in=above)

    def route_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        route = d["route"]
        text = d.get("description") or ""
        if route == Route.APPEAL:
            return {
                "category": d.get("category"),
                "title": d.get("title"),
                "description": text,
                "resident_name": d.get("resident_name"),
                "resident_phone": d.get("resident_phone"),
                "place": d.get("place"),
            }
        if route == Route.DISPUTE:
            parties = [
                {
                    "role": "applicant",
                    "name": d.get("resident_name") or "",
                    "phone": d.get("resident_phone") or "",
                },
                {"role": "respondent", "name": d.get("respondent_name") or ""},
            ]
            return {
                "committee": d.get("committee"),
                "dispute_type": d.get("dispute_type"),
                "title": d.get("title"),
                "facts": text,
                "parties": parties,
            }
        if route == Route.INCIDENT:
            return {
                "category": d.get("incident_category"),
                "occurred_at": d.get("occurred_at"),
                "place": d.get("place"),
                "description": text,
            }
        if route == Route.COMPLAINT:
            return {"about_unit": d.get("about_unit"), "text": text}
        return {"kind": d.get("report_kind"), "text": text}


class TalkSessionForm(forms.Form):
    place = NameChoice(queryset=Unit.objects.none(), label=_("talk point"))
    held_on = forms.DateField(widget=IsoDateInput(), label=_("date"))
    attendees = forms.IntegerField(min_value=0, label=_("number of attendees"))
    officers = forms.ModelMultipleChoiceField(
        queryset=Member.objects.none(), label=_("officers present")
    )

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = core_selectors.places_visible_to(actor, active=True)  # type: ignore[attr-defined]
        low, high = actor.unit.subtree_range()
        self.fields["officers"].queryset = Member.objects.filter(  # type: ignore[attr-defined]
            is_active=True, unit__path__gte=low, unit__path__lt=high
        ).order_by("full_name")


class MatterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("appeal", _("A request (appeal)")), ("dispute", _("A dispute (mediation)"))],
        label=_("becomes"),
    )
    title = forms.CharField(max_length=200, required=False, label=_("title"))
    description = forms.CharField(widget=TEXT, label=_("what was raised"))
    resident_name = forms.CharField(max_length=64, required=False, label=_("resident's name"))
    category = NameChoice(queryset=Unit.objects.none(), required=False, label=_("request category"))
    committee = NameChoice(
        queryset=Unit.objects.none(), required=False, label=_("mediation committee")
    )
    dispute_type = NameChoice(queryset=Unit.objects.none(), required=False, label=_("dispute type"))
    respondent_name = forms.CharField(max_length=64, required=False, label=_("other party"))

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = appeal_selectors.category_choices(actor)  # type: ignore[attr-defined]
        self.fields["committee"].queryset = mediation_selectors.committee_choices(actor)  # type: ignore[attr-defined]
        self.fields["dispute_type"].queryset = mediation_selectors.dispute_types()  # type: ignore[attr-defined]

    def matter_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        if d["kind"] == "appeal":
            return {
                "category": d.get("category"),
                "title": d.get("title"),
                "description": d["description"],
                "resident_name": d.get("resident_name"),
            }
        return {
            "committee": d.get("committee"),
            "dispute_type": d.get("dispute_type"),
            "title": d.get("title"),
            "facts": d["description"],
            "parties": [
                {"role": "applicant", "name": d.get("resident_name") or ""},
                {"role": "respondent", "name": d.get("respondent_name") or ""},
            ],
        }


class RevealForm(forms.Form):
    """The reason for showing one complaint's or report's text in full (audited)."""

    reason = forms.CharField(max_length=200, label=_("reason"))


class TakeOverForm(forms.Form):
    """The reason for taking over a complaint another supervisor is handling (the service
    checks it; the previous handler reads it)."""

    reason = forms.CharField(max_length=500, required=False, label=_("reason"))


class ComplaintOutcomeForm(forms.Form):
    """The outcome of a conduct complaint and its note (the service checks both)."""

    outcome = forms.ChoiceField(
        choices=[("", "—"), *ComplaintOutcome.choices], required=False, label=_("outcome")
    )
    note = forms.CharField(
        widget=TEXT,
        required=False,
        label=_("outcome note"),
        help_text=_("Staff only: what was found and done. Leave residents' names out."),
    )
