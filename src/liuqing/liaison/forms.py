"""Forms of the liaison pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liuqing.casework.models import Category
from liuqing.core import selectors as core_selectors
from liuqing.core.forms import UnitFilterField
from liuqing.core.models import Member, Place, Unit
from liuqing.core.widgets import IsoDateInput
from liuqing.liaison import selectors
from liuqing.liaison.models import AssignmentRole, OrganisationKind
from liuqing.visits.forms import MemberField, colleagues

DATE = IsoDateInput()


class FilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"), required=False, choices=[("", _("All kinds")), *OrganisationKind.choices]
    )
    unit = UnitFilterField()
    flagged = forms.BooleanField(label=_("only flagged"), required=False)

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))

    def filters(self) -> selectors.OrganisationFilters:
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return selectors.OrganisationFilters(
            kind=data.get("kind") or "", unit=data.get("unit"), flagged=bool(data.get("flagged"))
        )


class OrganisationForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    place = forms.ModelChoiceField(queryset=Place.objects.none(), label=_("place"), required=False)
    name = forms.CharField(label=_("name"), max_length=100)
    kind = forms.ChoiceField(label=_("kind"), choices=OrganisationKind.choices)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("contact person"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=32, required=False)

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = core_selectors.unit_choices(actor)  # type: ignore[attr-defined]
        self.fields["place"].queryset = core_selectors.places_visible_to(actor)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("unit", actor.unit_id)


class AssignmentForm(forms.Form):
    officer = MemberField(queryset=Member.objects.none(), label=_("officer"))
    role = forms.ChoiceField(label=_("role"), choices=AssignmentRole.choices)
    starts_on = forms.DateField(label=_("from"), widget=DATE)
    ends_on = forms.DateField(label=_("until"), widget=DATE, required=False)

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = colleagues(actor)  # type: ignore[attr-defined]


class ProblemForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.none(), label=_("category"))
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}))
    estimated_savings = forms.DecimalField(
        label=_("estimated savings (yuan)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.problem_categories()  # type: ignore[attr-defined]


class SavingsForm(forms.Form):
    estimated_savings = forms.DecimalField(
        label=_("estimated savings (yuan)"), max_digits=14, decimal_places=2, min_value=0
    )


class LessonForm(forms.Form):
    given_on = forms.DateField(label=_("given on"), widget=DATE)
    topic = forms.CharField(label=_("topic"), max_length=100)
    class_name = forms.CharField(label=_("class"), max_length=64)
    attendance = forms.IntegerField(label=_("attendance"), min_value=1, max_value=5000)
