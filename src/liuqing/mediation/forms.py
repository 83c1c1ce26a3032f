"""Forms of the dispute pages: the list's filters, recording a dispute, and one form per step
of mediation on the detail page. They only parse; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liuqing.casework.models import Case, Category
from liuqing.core.forms import UnitFilterField
from liuqing.core.models import Member
from liuqing.core.selectors import unit_choices
from liuqing.core.widgets import IsoDateInput, IsoDateTimeInput, QuickSelect
from liuqing.mediation import selectors
from liuqing.mediation.models import (
    Channel,
    ConfirmationResult,
    Level,
    MediatorKind,
    Outcome,
    Party,
    PartyRole,
    Referrer,
    Source,
)
from liuqing.mediation.workflow import STATE_LABELS

DATE = IsoDateInput()
DATETIME = IsoDateTimeInput()
TEXT = forms.Textarea(attrs={"rows": 3})


def _blank(label: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class FilterForm(forms.Form):
    status = forms.ChoiceField(required=False, label=_("status"), widget=QuickSelect)
    level = forms.ChoiceField(required=False, label=_("level"), widget=QuickSelect)
    outcome = forms.ChoiceField(required=False, label=_("outcome"), widget=QuickSelect)
    unit = UnitFilterField()
    q = forms.CharField(required=False, max_length=100, label=_("search"))

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _blank(_("Any status"), STATE_LABELS.items())  # type: ignore[attr-defined]
        self.fields["level"].choices = _blank(_("Any level"), Level.choices)  # type: ignore[attr-defined]
        self.fields["outcome"].choices = _blank(_("Any outcome"), Outcome.choices)  # type: ignore[attr-defined]
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))

    def filters(self) -> selectors.DisputeFilters:
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return selectors.DisputeFilters(
            status=data.get("status") or "",
            level=data.get("level") or "",
            outcome=data.get("outcome") or "",
            unit=data.get("unit"),
            q=data.get("q") or "",
        )


class NameChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "name", obj))


PARTY_SLOTS = (
    ("applicant", PartyRole.APPLICANT, True),
    ("respondent", PartyRole.RESPONDENT, True),
    ("third", PartyRole.THIRD, False),
)


class DisputeForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Case.objects.none(), label=_("unit"))
    committee = NameChoice(queryset=Case.objects.none(), label=_("mediation committee"))
    dispute_type = NameChoice(queryset=Category.objects.none(), label=_("dispute type"))
    source = forms.ChoiceField(choices=Source.choices, label=_("source"))
    referrer = forms.ChoiceField(
        choices=_blank("—", Referrer.choices), required=False, label=_("referred by")
    )
    title = forms.CharField(max_length=200, label=_("title"))
    facts = forms.CharField(widget=TEXT, max_length=4000, label=_("facts"))
    claims = forms.CharField(widget=TEXT, max_length=4000, required=False, label=_("claims"))
    amount = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, label=_("amount in dispute")
    )

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_choices(actor)  # type: ignore[attr-defined]
        self.fields["committee"].queryset = selectors.committee_choices(actor)  # type: ignore[attr-defined]
        self.fields["dispute_type"].queryset = selectors.dispute_types()  # type: ignore[attr-defined]
        labels = {
            "applicant": _("Applicant"),
            "respondent": _("Respondent"),
            "third": _("Third party"),
        }
        for slot, _role, required in PARTY_SLOTS:
            label = labels[slot]
            self.fields[f"{slot}_name"] = forms.CharField(
                max_length=64, required=required, label=_("%(who)s: name") % {"who": label}
            )
            self.fields[f"{slot}_organisation"] = forms.BooleanField(
                required=False, label=_("%(who)s is an organisation") % {"who": label}
            )
            self.fields[f"{slot}_phone"] = forms.CharField(
                max_length=32, required=False, label=_("%(who)s: phone") % {"who": label}
            )
            self.fields[f"{slot}_id_number"] = forms.CharField(
                max_length=32, required=False, label=_("%(who)s: identity number") % {"who": label}
            )
            self.fields[f"{slot}_address"] = forms.CharField(
                max_length=200, required=False, label=_("%(who)s: address") % {"who": label}
            )

    def parties(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        result = []
        for slot, role, _required in PARTY_SLOTS:
            if not data.get(f"{slot}_name"):
                continue
            result.append(
                {
                    "role": role,
                    "name": data[f"{slot}_name"],
                    "is_organisation": data.get(f"{slot}_organisation", False),
                    "phone": data.get(f"{slot}_phone", ""),
                    "id_number": data.get(f"{slot}_id_number", ""),
                    "address": data.get(f"{slot}_address", ""),
                }
            )
        return result


# --- Steps on the detail page -------------------------------------------------------------------


class AdviceForm(forms.Form):
    advice = forms.CharField(widget=TEXT, max_length=2000, label=_("referral advice"))


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=TEXT, max_length=2000, label=_("reason"))


class NoteForm(forms.Form):
    note = forms.CharField(widget=TEXT, max_length=2000, label=_("what is at risk"))


class MediatorForm(forms.Form):
    name = forms.CharField(max_length=64, label=_("name"))
    kind = forms.ChoiceField(choices=MediatorKind.choices, label=_("kind"))
    lead = forms.BooleanField(required=False, label=_("lead mediator"))


class ReplaceForm(forms.Form):
    mediator = forms.TypedChoiceField(coerce=int, label=_("mediator to replace"))
    party = forms.TypedChoiceField(coerce=int, label=_("at the request of"))
    reason = forms.CharField(widget=TEXT, max_length=2000, label=_("reason"))
    name = forms.CharField(max_length=64, label=_("new mediator"))
    kind = forms.ChoiceField(choices=MediatorKind.choices, label=_("kind"))

    def __init__(self, *args: Any, mediators: list[Any], parties: list[Party], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["mediator"].choices = [  # type: ignore[attr-defined]
            (m.pk, m.name) for m in mediators if m.ended_at is None
        ]
        self.fields["party"].choices = [  # type: ignore[attr-defined]
            (p.pk, f"{p.get_role_display()} {p.name}") for p in parties
        ]


class SessionForm(forms.Form):
    held_at = forms.DateTimeField(widget=DATETIME, label=_("time"))
    location = forms.CharField(max_length=200, label=_("place"))
    attendees = forms.CharField(widget=TEXT, max_length=2000, label=_("attendees"))
    minutes = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label=_("minutes"))
    private = forms.BooleanField(required=False, label=_("private session"))


class EscalateForm(forms.Form):
    committee = NameChoice(queryset=Case.objects.none(), label=_("to committee"))
    reason = forms.CharField(widget=TEXT, max_length=2000, label=_("reason"))

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = selectors.committee_choices(actor)  # type: ignore[attr-defined]


class ExtensionForm(forms.Form):
    days = forms.IntegerField(label=_("days"))
    applicant_consent = forms.BooleanField(required=False, label=_("the applicant consents"))
    respondent_consent = forms.BooleanField(required=False, label=_("the respondent consents"))
    reason = forms.CharField(widget=TEXT, max_length=2000, label=_("reason"))


OBLIGATION_ROWS = 3


class AgreementForm(forms.Form):
    written = forms.TypedChoiceField(
        choices=[("1", _("Written agreement")), ("0", _("Oral agreement"))],
        coerce=lambda v: v == "1",
        label=_("kind"),
    )
    facts = forms.CharField(widget=TEXT, max_length=4000, label=_("main facts"))
    matters = forms.CharField(widget=TEXT, max_length=4000, label=_("disputed matters"))
    responsibilities = forms.CharField(
        widget=TEXT, max_length=4000, required=False, label=_("responsibilities")
    )
    content = forms.CharField(widget=TEXT, max_length=4000, label=_("agreed content"))
    parties_signed = forms.BooleanField(
        required=False, label=_("every party has signed, sealed or fingerprinted it")
    )
    mediator_signed = forms.BooleanField(required=False, label=_("the mediator has signed it"))
    sealed = forms.BooleanField(required=False, label=_("the committee seal is applied"))

    def __init__(self, *args: Any, parties: list[Party], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _blank("—", [(p.pk, f"{p.get_role_display()} {p.name}") for p in parties])
        for i in range(OBLIGATION_ROWS):
            n = i + 1
            self.fields[f"ob{i}_obligor"] = forms.ChoiceField(
                choices=choices, required=False, label=_("obligation %(n)d: obligor") % {"n": n}
            )
            self.fields[f"ob{i}_obligee"] = forms.ChoiceField(
                choices=choices, required=False, label=_("obligation %(n)d: obligee") % {"n": n}
            )
            self.fields[f"ob{i}_action"] = forms.CharField(
                max_length=500, required=False, label=_("obligation %(n)d: action") % {"n": n}
            )
            self.fields[f"ob{i}_amount"] = forms.DecimalField(
                max_digits=14,
                decimal_places=2,
                required=False,
                label=_("obligation %(n)d: amount") % {"n": n},
            )
            self.fields[f"ob{i}_method"] = forms.CharField(
                max_length=200, required=False, label=_("obligation %(n)d: method") % {"n": n}
            )
            self.fields[f"ob{i}_due_date"] = forms.DateField(
                widget=DATE, required=False, label=_("obligation %(n)d: due date") % {"n": n}
            )

    def obligations(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        rows = []
        for i in range(OBLIGATION_ROWS):
            fields = {
                k: data.get(f"ob{i}_{k}")
                for k in ("obligor", "obligee", "action", "amount", "method", "due_date")
            }
            if any(v not in (None, "") for v in fields.values()):
                rows.append(fields)
        return rows


class TerminateForm(forms.Form):
    reason = forms.CharField(widget=TEXT, max_length=2000, label=_("reason"))
    channels = forms.MultipleChoiceField(
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("channels advised"),
    )


class ConfirmationForm(forms.Form):
    agreement = forms.IntegerField(widget=forms.HiddenInput)
    applied_on = forms.DateField(widget=DATE, label=_("applied on"))
    court = forms.CharField(max_length=100, label=_("court"))


class ConfirmationResultForm(forms.Form):
    confirmation = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(choices=ConfirmationResult.choices, label=_("result"))
    decided_on = forms.DateField(widget=DATE, label=_("decided on"))
    number = forms.CharField(max_length=64, required=False, label=_("court case number"))


class PerformanceForm(forms.Form):
    obligation = forms.IntegerField(widget=forms.HiddenInput)
    performed_on = forms.DateField(widget=DATE, label=_("date"))
    amount = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, label=_("amount paid")
    )


class VisitForm(forms.Form):
    visited_on = forms.DateField(widget=DATE, label=_("visited on"))
    performing = forms.BooleanField(required=False, label=_("obligations being performed"))
    satisfied = forms.NullBooleanField(required=False, label=_("parties satisfied"))
    risks = forms.CharField(
        widget=TEXT, max_length=2000, required=False, label=_("remaining risks")
    )
    actions = forms.CharField(
        widget=TEXT, max_length=2000, required=False, label=_("actions taken")
    )


class DefaultForm(forms.Form):
    remedy = forms.ChoiceField(
        choices=[("remediate", _("Mediate again")), ("sue", _("Advise to sue"))],
        label=_("remedy"),
    )
    note = forms.CharField(widget=TEXT, max_length=2000, label=_("what was not performed"))


class CommitteeForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Case.objects.none(), label=_("unit"))
    name = forms.CharField(max_length=100, label=_("name"))
    level = forms.ChoiceField(choices=Level.choices, label=_("level"))

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_choices(actor)  # type: ignore[attr-defined]


class FiguresForm(forms.Form):
    unit = UnitFilterField()
    start = forms.DateField(widget=DATE, label=_("from"))
    end = forms.DateField(widget=DATE, label=_("until (not included)"))

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))
