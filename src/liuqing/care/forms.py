"""Forms of the care pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liuqing.appeals import selectors as appeal_selectors
from liuqing.care.models import LegalBasis, RecipientCategory, RestrictedLabel, ServiceKind
from liuqing.care.selectors import RecipientFilters
from liuqing.casework.models import Category
from liuqing.core import selectors as core_selectors
from liuqing.core.forms import UnitFilterField
from liuqing.core.models import Member, Place, Unit
from liuqing.core.widgets import IsoDateInput

DATE = IsoDateInput()


class FilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("category"),
        required=False,
        choices=[("", _("All categories")), *RecipientCategory.choices],
    )
    unit = UnitFilterField()

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))

    def filters(self) -> RecipientFilters:
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return RecipientFilters(category=data.get("category") or "", unit=data.get("unit"))


class RecipientForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    place = forms.ModelChoiceField(queryset=Place.objects.none(), label=_("place"), required=False)
    category = forms.ChoiceField(label=_("category"), choices=RecipientCategory.choices)
    name = forms.CharField(label=_("name"), max_length=64)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("sensitive notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Health, disability or family circumstances that the visits need; encrypted."),
    )
    restricted_label = forms.ChoiceField(
        label=_("restricted label"), choices=RestrictedLabel.choices, required=False
    )
    legal_basis = forms.ChoiceField(label=_("legal basis"), choices=LegalBasis.choices)
    basis_recorded_on = forms.DateField(label=_("consent or basis recorded on"), widget=DATE)
    basis_note = forms.CharField(
        label=_("how the consent or basis was recorded"), max_length=200, required=False
    )

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = core_selectors.unit_choices(actor)  # type: ignore[attr-defined]
        self.fields["place"].queryset = core_selectors.places_visible_to(actor)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("unit", actor.unit_id)


KEEP = _("Leave empty to keep what is recorded.")


class RecipientEditForm(forms.Form):
    """Corrections to a record. The protected fields start empty (the stored values are
    never put into a page) and are replaced only when filled in; `clear` erases them."""

    category = forms.ChoiceField(label=_("category"), choices=RecipientCategory.choices)
    place = forms.ModelChoiceField(queryset=Place.objects.none(), label=_("place"), required=False)
    name = forms.CharField(label=_("name"), max_length=64, required=False, help_text=KEEP)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False, help_text=KEEP)
    address = forms.CharField(label=_("address"), max_length=200, required=False, help_text=KEEP)
    notes = forms.CharField(
        label=_("sensitive notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=KEEP,
    )
    clear = forms.MultipleChoiceField(
        label=_("erase"),
        required=False,
        choices=[
            ("phone", _("phone")),
            ("address", _("address")),
            ("notes", _("sensitive notes")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    restricted_label = forms.ChoiceField(
        label=_("restricted label"), choices=RestrictedLabel.choices, required=False
    )
    legal_basis = forms.ChoiceField(label=_("legal basis"), choices=LegalBasis.choices)
    basis_recorded_on = forms.DateField(label=_("consent or basis recorded on"), widget=DATE)
    basis_note = forms.CharField(
        label=_("how the consent or basis was recorded"), max_length=200, required=False
    )

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = core_selectors.places_visible_to(actor)  # type: ignore[attr-defined]


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        label=_("field"),
        choices=[
            ("name", _("name")),
            ("phone", _("phone")),
            ("address", _("address")),
            ("notes", _("sensitive notes")),
        ],
    )
    reason = forms.CharField(label=_("reason"), max_length=200)


class TakeOffForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label=_("service"), choices=ServiceKind.choices)
    given_on = forms.DateField(label=_("given on"), widget=DATE)
    note = forms.CharField(label=_("note"), max_length=500, required=False)


class NeedForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.none(), label=_("appeal category"))
    description = forms.CharField(label=_("the need"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = appeal_selectors.category_choices(actor)  # type: ignore[attr-defined]
