"""Forms of the incident pages: the ledger's filters and the category mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liuqing.core.forms import UnitFilterField
from liuqing.core.models import Member
from liuqing.incidents import selectors
from liuqing.incidents.models import IncidentCategory


class CategoryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: IncidentCategory) -> str:
        return obj.name


class FilterForm(forms.Form):
    category = CategoryChoiceField(
        queryset=IncidentCategory.objects.none(),
        required=False,
        label=_("category"),
        empty_label=_("All categories"),
    )
    unit = UnitFilterField()
    occurred_from = forms.DateField(
        required=False, label=_("from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    occurred_to = forms.DateField(
        required=False, label=_("to"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.categories(active=None)  # type: ignore[attr-defined]
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))

    def filters(self) -> selectors.IncidentFilters:
        """The valid filters (an invalid one is ignored and shown with its error)."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return selectors.IncidentFilters(
            category=data.get("category"),
            unit=data.get("unit"),
            occurred_from=data.get("occurred_from"),
            occurred_to=data.get("occurred_to"),
        )


class CategoryMappingForm(forms.Form):
    source_system = forms.CharField(label=_("source system"), max_length=32)
    source_text = forms.CharField(label=_("source category"), max_length=64)
    category = CategoryChoiceField(queryset=IncidentCategory.objects.none(), label=_("category"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.categories()  # type: ignore[attr-defined]
