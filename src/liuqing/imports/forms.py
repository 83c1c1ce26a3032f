"""Forms of the import flow: the upload, then the column mapping with its options."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liuqing.core import selectors as core_selectors
from liuqing.core.forms import UnitChoiceField
from liuqing.core.models import Member, Unit
from liuqing.imports import registry
from liuqing.imports.models import ColumnMapping


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("ledger"))
    unit = UnitChoiceField(
        queryset=Unit.objects.none(),
        label=_("unit"),
        help_text=_("Rows are imported into this unit's jurisdiction."),
    )
    file = forms.FileField(
        label=_("file"), help_text=_("CSV (UTF-8 or GBK) or XLSX; the first row names the columns.")
    )

    def __init__(
        self, *args: Any, actor: Member, kinds: list[registry.LedgerKind], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.key, k.label) for k in kinds]  # type: ignore[attr-defined]
        self.fields["unit"].queryset = core_selectors.unit_choices(actor)  # type: ignore[attr-defined]


def _guess(spec: registry.FieldSpec, header: list[str]) -> str:
    """The column whose name is the field's name or label (case-insensitive), if any."""
    wanted = {spec.name.lower(), str(spec.label).lower()}
    return next((c for c in header if c.strip().lower() in wanted), "")


class MappingForm(forms.Form):
    """One select per target field (which source column feeds it), the kind's options, and
    an optional name to save the mapping under. Only our fields are offered: a source column
    that no field takes (a name, an identity number, a phone) is never read."""

    mapping_name = forms.CharField(
        label=_("save this mapping as"),
        max_length=64,
        required=False,
        help_text=_("Optional: the name to reuse this mapping under next time."),
    )

    def __init__(
        self,
        *args: Any,
        ledger: registry.LedgerKind,
        header: list[str],
        saved: ColumnMapping | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.ledger = ledger
        by_field = {v: k for k, v in (saved.columns if saved else {}).items() if k in header}
        choices = [("", _("— not imported —")), *[(c, c) for c in header if c]]
        for spec in ledger.fields:
            self.fields[f"col_{spec.name}"] = forms.ChoiceField(
                label=spec.label,
                choices=choices,
                required=spec.required,
                initial=by_field.get(spec.name, _guess(spec, header)),
                help_text=spec.help,
            )
        saved_options = saved.options if saved else {}
        for option in ledger.options:
            initial = saved_options.get(option.name, option.default)
            if option.choices:
                field: forms.Field = forms.ChoiceField(
                    label=option.label, choices=list(option.choices), initial=initial
                )
            else:
                field = forms.CharField(
                    label=option.label, max_length=64, required=option.required, initial=initial
                )
            field.help_text = option.help
            self.fields[f"opt_{option.name}"] = field
        self.order_fields([f for f in self.fields if f != "mapping_name"] + ["mapping_name"])

    def columns(self) -> dict[str, str]:
        return {
            self.cleaned_data[f"col_{s.name}"]: s.name
            for s in self.ledger.fields
            if self.cleaned_data.get(f"col_{s.name}")
        }

    def options(self) -> dict[str, str]:
        return {
            o.name: str(self.cleaned_data.get(f"opt_{o.name}") or "") for o in self.ledger.options
        }
