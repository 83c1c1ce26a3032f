"""Forms of the incident pages: the ledger's filters and the category mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liuqing.core.forms import UnitFilterField
from liuqing.core.models import Member
from liuqing.core.widgets import IsoDateInput
from liuqing.incidents import selectors
from liuqing.incidents.defaults import BUILTIN_NAMES
from liuqing.incidents.models import IncidentCategory


class CategoryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: IncidentCategory) -> str:
        return obj.label


class FilterForm(forms.Form):
    category = CategoryChoiceField(
        queryset=IncidentCategory.objects.none(),
        required=False,
        label=_("category"),
        empty_label=_("All categories"),
    )
    unit = UnitFilterField()
    occurred_from = forms.DateField(required=False, label=_("from"), widget=IsoDateInput())
    occurred_to = forms.DateField(required=False, label=_("to"), widget=IsoDateInput())

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


class CategoryAddForm(forms.Form):
    """A new category (administrators): `services.add_category` checks the values."""

    code = forms.CharField(
        label=_("code"),
        max_length=32,
        help_text=_("Stable, never changed: lower-case letters, digits and _, e.g. drugs."),
    )
    name = forms.CharField(label=_("name"), max_length=64)
    order = forms.IntegerField(
        label=_("order"), initial=100, help_text=_("Smaller numbers come first.")
    )


class CategoryEditForm(forms.Form):
    """Rename, reorder, disable a category (administrators)."""

    name = forms.CharField(label=_("name"), max_length=64, required=False)
    order = forms.IntegerField(label=_("order"))
    is_active = forms.BooleanField(
        label=_("active"),
        required=False,
        help_text=_("A disabled category takes no new incidents; its history stays."),
    )

    def __init__(self, *args: Any, category: IncidentCategory, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"name": category.name, "order": category.order, "is_active": category.is_active},
        )
        super().__init__(*args, **kwargs)
        self.category = category
        name = self.fields["name"]
        if category.is_builtin:
            name.help_text = _(
                "Empty: the built-in name in the reader's language (here: %(name)s)."
            ) % {"name": BUILTIN_NAMES[category.code]}
        else:
            name.required = True
