"""Forms of the structure pages: they parse and present; the services validate and write.

Choices that name other rows (units, members) come from the selectors, so a form can never
offer (or accept) a row outside the actor's jurisdiction: a forged id is an invalid choice.
`apply_errors` puts a service's `ValidationError` back onto the form, field by field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.core import selectors, services
from liuqing.core.access import CHANGE
from liuqing.core.models import (
    TEAM_MAX_AUXILIARIES,
    AuditOutcome,
    Member,
    PlaceKind,
    Role,
    SensitiveLabel,
    Team,
    TeamPosition,
    Unit,
    UnitKind,
    validate_geojson_boundary,
)
from liuqing.core.widgets import IsoDateInput, QuickSelect


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's errors on the form: on their field when the form has it, otherwise
    above the form."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            target = name if name in form.fields and name != NON_FIELD_ERRORS else None
            form.add_error(target, messages)
    else:
        form.add_error(None, exc.messages)


def changed(form: forms.Form, names: list[str], current: dict[str, Any]) -> dict[str, Any]:
    """The cleaned values among `names` that differ from `current` (for update services)."""
    return {n: form.cleaned_data[n] for n in names if form.cleaned_data.get(n) != current.get(n)}


class UnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A unit picked from the actor's jurisdiction, shown indented as a tree."""

    def label_from_instance(self, obj: Unit) -> str:
        return f"{'· ' * obj.depth}{obj.name} ({obj.code})"


class OfferedChoiceIterator(ModelChoiceIterator):
    """Iterates the rows a field offers (`field.offered`, when set) rather than all it
    accepts (`field.queryset`): a select stays short while any valid value is accepted."""

    def __init__(self, field: Any) -> None:
        super().__init__(field)
        if getattr(field, "offered", None) is not None:
            self.queryset = field.offered


class UnitFilterField(UnitChoiceField):
    """A list's unit filter: accepts any unit of the actor's jurisdiction, offers the top of
    the tree and the way down to the unit picked (`selectors.unit_filter_options`)."""

    iterator = OfferedChoiceIterator

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Unit.objects.none())
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("unit"))
        kwargs.setdefault("empty_label", _("All units"))
        kwargs.setdefault("widget", QuickSelect)  # a list page's filter: no include per unit
        self.offered: Any = None
        super().__init__(**kwargs)

    def offer_to(self, actor: Member, raw: Any) -> None:
        """Accept the actor's jurisdiction; offer what `unit_filter_options` gives for the
        unit picked in `raw` (the submitted value, which may be anything)."""
        self.queryset = selectors.unit_choices(actor)
        selected = None
        if isinstance(raw, str) and raw.isdigit() and len(raw) < 19:
            selected = self.queryset.filter(pk=int(raw)).first()
        self.offered = selectors.unit_filter_options(actor, selected)
        self.widget.choices = self.choices


class MemberChoiceMixin:
    def label_from_instance(self, obj: Member) -> str:
        return f"{obj.full_name} ({obj.username}) · {obj.unit.name}"


class MemberChoiceField(MemberChoiceMixin, forms.ModelChoiceField):  # type: ignore[type-arg]
    iterator = OfferedChoiceIterator
    offered: Any = None

    def offer(self, offered: Any) -> None:
        """Offer `offered` (a part of the queryset) in the select; accept the queryset."""
        self.offered = offered
        self.widget.choices = self.choices


class MemberMultipleChoiceField(MemberChoiceMixin, forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    pass


def latitude_field(required: bool) -> forms.DecimalField:
    return forms.DecimalField(
        label=_("latitude"),
        required=required,
        min_value=Decimal(-90),
        max_value=Decimal(90),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("Decimal degrees, WGS 84, for example 43.825592."),
    )


def longitude_field(required: bool) -> forms.DecimalField:
    return forms.DecimalField(
        label=_("longitude"),
        required=required,
        min_value=Decimal(-180),
        max_value=Decimal(180),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("Decimal degrees, WGS 84, for example 87.616848."),
    )


# --- Units -----------------------------------------------------------------------------------


class UnitForm(forms.Form):
    """Create a unit (with `parent` and `kind`) or edit one (without them, with `is_active`)."""

    parent = UnitChoiceField(queryset=Unit.objects.none(), label=_("parent unit"))
    kind = forms.ChoiceField(choices=UnitKind.choices, label=_("kind"))
    code = forms.CharField(max_length=32, label=_("code"))
    name = forms.CharField(max_length=100, label=_("name"))
    latitude = latitude_field(required=False)
    longitude = longitude_field(required=False)
    duty_phone = forms.CharField(max_length=32, required=False, label=_("duty phone"))
    boundary = forms.CharField(
        required=False,
        label=_("boundary (GeoJSON)"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "dir": "ltr"}),
        validators=[validate_geojson_boundary],
        help_text=_(
            "Optional: the jurisdiction's outline, a GeoJSON Polygon or MultiPolygon of"
            " [longitude, latitude] pairs. Incidents are located in it."
        ),
    )
    is_active = forms.BooleanField(required=False, label=_("active"))

    EDIT_FIELDS = ["code", "name", "latitude", "longitude", "duty_phone", "boundary", "is_active"]

    def __init__(self, *args: Any, actor: Member, create: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if create:
            self.fields["parent"].queryset = selectors.unit_choices(actor, CHANGE)  # type: ignore[attr-defined]
            del self.fields["is_active"]
        else:
            del self.fields["parent"]
            del self.fields["kind"]

    def clean_boundary(self) -> str:
        return str(self.cleaned_data.get("boundary") or "").strip()


class UnitMoveForm(forms.Form):
    parent = UnitChoiceField(queryset=Unit.objects.none(), label=_("new parent unit"))

    def __init__(self, *args: Any, actor: Member, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        low, high = unit.subtree_range()
        self.fields["parent"].queryset = (  # type: ignore[attr-defined]
            selectors.unit_choices(actor, CHANGE).exclude(path__gte=low, path__lt=high)
        )


class UnitFilterForm(forms.Form):
    q = forms.CharField(
        required=False, label=_("Search"), widget=forms.TextInput(attrs={"type": "search"})
    )
    kind = forms.ChoiceField(
        choices=[("", _("All kinds")), *UnitKind.choices], required=False, label=_("kind")
    )


# --- Places ----------------------------------------------------------------------------------


class PlaceForm(forms.Form):
    unit = UnitChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    name = forms.CharField(max_length=100, label=_("name"))
    kind = forms.ChoiceField(choices=PlaceKind.choices, label=_("kind"))
    latitude = latitude_field(required=True)
    longitude = longitude_field(required=True)
    boundary = forms.CharField(
        required=False,
        label=_("boundary (GeoJSON)"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "dir": "ltr"}),
        validators=[validate_geojson_boundary],
        help_text=_("Optional: a GeoJSON Polygon or MultiPolygon, [longitude, latitude] pairs."),
    )
    is_active = forms.BooleanField(required=False, label=_("active"))

    EDIT_FIELDS = ["name", "kind", "latitude", "longitude", "boundary", "is_active"]

    def __init__(self, *args: Any, actor: Member, create: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if create:
            self.fields["unit"].queryset = selectors.unit_choices(actor)  # type: ignore[attr-defined]
            del self.fields["is_active"]
        else:
            del self.fields["unit"]

    def clean_boundary(self) -> str:
        return str(self.cleaned_data.get("boundary") or "").strip()


class PlaceFilterForm(forms.Form):
    q = forms.CharField(
        required=False, label=_("Search"), widget=forms.TextInput(attrs={"type": "search"})
    )
    unit = UnitFilterField()
    kind = forms.ChoiceField(
        choices=[("", _("All kinds")), *PlaceKind.choices], required=False, label=_("kind")
    )

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))


# --- Members ---------------------------------------------------------------------------------


def roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, label=_("roles")
    )


def offer_grantable_roles(form: forms.Form, actor: Member) -> None:
    """Offer only the roles the actor may grant (the service refuses the others anyway)."""
    grantable = set(services.grantable_roles(actor))
    field = form.fields["roles"]
    field.choices = [(value, label) for value, label in Role.choices if value in grantable]  # type: ignore[attr-defined]


class MemberCreateForm(forms.Form):
    username = forms.CharField(
        max_length=64, label=_("username"), widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    full_name = forms.CharField(max_length=64, label=_("full name"))
    unit = UnitChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    roles = roles_field()
    password = forms.CharField(
        label=_("initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters. The member enrols an authenticator at first login."),
    )
    phone = forms.CharField(
        max_length=32,
        required=False,
        label=_("mobile phone"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    badge_number = forms.CharField(max_length=16, required=False, label=_("badge number"))

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.unit_choices(actor)  # type: ignore[attr-defined]
        offer_grantable_roles(self, actor)


class MemberEditForm(forms.Form):
    """The phone field starts empty: the stored number is never put into a page unrevealed.
    Empty keeps it; "remove" clears it."""

    full_name = forms.CharField(max_length=64, label=_("full name"))
    unit = UnitChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    phone = forms.CharField(
        max_length=32,
        required=False,
        label=_("new mobile phone"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    remove_phone = forms.BooleanField(required=False, label=_("remove the phone number"))
    badge_number = forms.CharField(max_length=16, required=False, label=_("badge number"))

    def __init__(self, *args: Any, actor: Member, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.unit_choices(actor)  # type: ignore[attr-defined]
        if member.phone:
            self.fields["phone"].help_text = _(
                "Leave empty to keep the current number (%(masked)s)."
            ) % {"masked": member.phone}
        else:
            del self.fields["remove_phone"]

    def changes(self, member: Member) -> dict[str, Any]:
        data = self.cleaned_data
        result = changed(
            self,
            ["full_name", "badge_number"],
            {
                "full_name": member.full_name,
                "badge_number": member.badge_number,
            },
        )
        if data["unit"].pk != member.unit_id:
            result["unit"] = data["unit"]
        if data.get("remove_phone"):
            result["phone"] = ""
        elif data.get("phone"):
            result["phone"] = data["phone"]
        return result


class MemberRolesForm(forms.Form):
    roles = roles_field()

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_grantable_roles(self, actor)


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label=_("Search"),
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text=_("Part of a name or username, a badge number, or a whole phone number."),
    )
    unit = UnitFilterField()
    role = forms.ChoiceField(
        choices=[("", _("All roles")), *Role.choices], required=False, label=_("role")
    )
    active = forms.ChoiceField(
        choices=[("", _("Active and deactivated")), ("yes", _("Active")), ("no", _("Deactivated"))],
        required=False,
        label=_("status"),
    )

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))

    def active_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("active") or "")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label=_("reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RevealForm(ReasonForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = _(
            "Why you need the full number. Your name, the time and this reason are recorded."
        )


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label=_("new password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("new password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class GrantForm(forms.Form):
    label = forms.ChoiceField(choices=SensitiveLabel.choices, label=_("label"))
    expires_on = forms.DateField(
        required=False,
        label=_("valid until (inclusive)"),
        widget=IsoDateInput(),
        help_text=_("Leave empty for a grant without end."),
    )

    def expires_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


# --- Teams -----------------------------------------------------------------------------------


class TeamForm(forms.Form):
    """A team's name and unit (creation only) and its members by position."""

    name = forms.CharField(max_length=64, label=_("name"))
    unit = UnitChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    officer = MemberChoiceField(queryset=Member.objects.none(), label=_("officer"))
    auxiliaries = MemberMultipleChoiceField(
        queryset=Member.objects.none(),
        required=False,
        label=_("auxiliary officers"),
        help_text=_("Up to %(n)d.") % {"n": TEAM_MAX_AUXILIARIES},
    )
    grid_workers = MemberMultipleChoiceField(
        queryset=Member.objects.none(), required=False, label=_("grid workers")
    )

    def __init__(self, *args: Any, actor: Member, team: Team | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope_unit = team.unit if team is not None else None
        self.fields["officer"].queryset = selectors.team_candidates(  # type: ignore[attr-defined]
            actor, TeamPosition.OFFICER, scope_unit
        )
        self.fields["auxiliaries"].queryset = selectors.team_candidates(  # type: ignore[attr-defined]
            actor, TeamPosition.AUXILIARY, scope_unit
        )
        self.fields["grid_workers"].queryset = selectors.team_candidates(  # type: ignore[attr-defined]
            actor, TeamPosition.GRID_WORKER, scope_unit
        )
        for name in ("auxiliaries", "grid_workers"):
            self.fields[name].widget.attrs["size"] = 6
        if team is None:
            self.fields["unit"].queryset = selectors.unit_choices(actor)  # type: ignore[attr-defined]
        else:
            del self.fields["name"]
            del self.fields["unit"]

    def members(self) -> list[tuple[Member, str]]:
        data = self.cleaned_data
        result: list[tuple[Member, str]] = [(data["officer"], TeamPosition.OFFICER)]
        result += [(m, TeamPosition.AUXILIARY) for m in data.get("auxiliaries") or []]
        result += [(m, TeamPosition.GRID_WORKER) for m in data.get("grid_workers") or []]
        return result


class TeamFilterForm(forms.Form):
    q = forms.CharField(
        required=False, label=_("Search"), widget=forms.TextInput(attrs={"type": "search"})
    )
    unit = UnitFilterField()

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))


# --- Audit log -------------------------------------------------------------------------------


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(required=False, label=_("from"), widget=IsoDateInput())
    date_to = forms.DateField(required=False, label=_("to"), widget=IsoDateInput())
    username = forms.CharField(required=False, max_length=64, label=_("username"))
    action = forms.CharField(
        required=False,
        max_length=64,
        label=_("action"),
        help_text=_("The beginning is enough: member. finds every member event."),
    )
    outcome = forms.ChoiceField(
        choices=[("", _("Any outcome")), *AuditOutcome.choices], required=False, label=_("outcome")
    )
    object_type = forms.CharField(required=False, max_length=64, label=_("object type"))
    object_id = forms.CharField(required=False, max_length=64, label=_("object id"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end comes before the start."))
        return data

    def filters(self) -> selectors.AuditFilters:
        """The valid filters (an invalid field is left out rather than failing the page)."""
        data = getattr(self, "cleaned_data", {})
        return selectors.AuditFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            username=(data.get("username") or "").strip(),
            action=(data.get("action") or "").strip(),
            outcome=data.get("outcome") or "",
            object_type=(data.get("object_type") or "").strip(),
            object_id=(data.get("object_id") or "").strip(),
        )
