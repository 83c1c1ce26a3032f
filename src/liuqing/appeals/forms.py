"""Forms of the appeals staff pages: they parse and present; the services validate and write.

Choices that name rows (units, places, categories, owners) come from the selectors, so a
forged id is an invalid choice. The recording form puts the few fields a grid worker fills
on a phone first (category, place, description, resident's name and phone, channel); the rest
sits in a collapsed section (`MORE_FIELDS`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.appeals import selectors, services
from liuqing.appeals.models import AppealChannel
from liuqing.casework import selectors as casework_selectors
from liuqing.casework.models import Category, WarningLevel
from liuqing.casework.workflows import ACTION_LABELS, STATE_LABELS
from liuqing.core import access
from liuqing.core import selectors as core_selectors
from liuqing.core.forms import (
    MemberChoiceField,
    UnitChoiceField,
    UnitFilterField,
    latitude_field,
    longitude_field,
)
from liuqing.core.models import Member, MemberRole, Place, Role, Unit
from liuqing.core.widgets import IsoDateInput, IsoDateTimeInput, QuickSelect

# Channels staff pick from (online and Open311 submissions arrive by themselves).
STAFF_CHANNELS = [
    (value, label)
    for value, label in AppealChannel.choices
    if value not in {AppealChannel.ONLINE, AppealChannel.OPEN311}
]
BULK_ACTIONS = ["accept", "verify", "park", "unpark", "withdraw"]
PII_FIELDS = ("resident_name", "resident_phone", "resident_address")


def category_choices(member: Member, *, blank: Any = None, grouped: bool = True) -> list[Any]:
    """Active categories: grouped under their top category (an <optgroup> each) for picking
    one to record; flat in tree order, tops selectable, for filtering by a subtree."""
    rows = selectors.category_rows(selectors.category_choices(member))
    head = [("", blank or _("Choose…"))]
    if not grouped:
        return head + [(c.pk, ("· " if c.parent_id else "") + c.name) for c in rows]
    groups: list[Any] = []
    by_top: dict[int, list[tuple[int, str]]] = {}
    for c in rows:
        if c.parent_id is None:
            by_top.setdefault(c.pk, [])
        else:
            by_top.setdefault(c.parent_id, []).append((c.pk, c.name))
    tops = {c.pk for c in rows if c.parent_id is None}
    for c in rows:
        if c.parent_id is None:
            children = by_top.get(c.pk, [])
            groups.append((c.name, children) if children else (c.pk, c.name))
    for top, children in by_top.items():  # children of a retired top category
        if top not in tops and children:
            groups.append((str(_("Other")), children))
    return head + groups


class CategoryField(forms.TypedChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, empty_value=None, **kwargs)


def _resolve_category(form: forms.Form, member: Member, value: int | None) -> Category | None:
    if value is None:
        return None
    found = selectors.category_choices(member).filter(pk=value).first()
    if found is None:
        raise forms.ValidationError(_("Choose one of the categories offered."))
    return found


class PlaceChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Place) -> str:
        return f"{obj.name} · {obj.unit.name}"


def _place_queryset(member: Member) -> Any:
    return core_selectors.places_visible_to(member, active=True).order_by("unit__path", "name")


class AppealForm(forms.Form):
    """Recording (and, without unit and time of receipt, editing) an appeal."""

    category = CategoryField(label=_("category"))
    place = PlaceChoiceField(
        label=_("village or place"),
        queryset=Place.objects.none(),
        required=False,
        empty_label=_("(none)"),
    )
    description = forms.CharField(
        label=_("what the resident asks"),
        max_length=services.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    resident_name = forms.CharField(
        label=_("resident's name"),
        max_length=services.NAME_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    resident_phone = forms.CharField(
        label=_("resident's phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off", "dir": "ltr"}
        ),
    )
    channel = forms.ChoiceField(label=_("how it reached you"), choices=STAFF_CHANNELS)
    # Collapsed under "More details".
    title = forms.CharField(
        label=_("title"),
        max_length=services.TITLE_MAX,
        required=False,
        help_text=_("Leave empty to use the first words of the description."),
    )
    unit = UnitChoiceField(label=_("unit"), queryset=Unit.objects.none())
    resident_address = forms.CharField(
        label=_("resident's address"), max_length=services.ADDRESS_MAX, required=False
    )
    anonymous = forms.BooleanField(label=_("the resident asked not to be named"), required=False)
    latitude = latitude_field(required=False)
    longitude = longitude_field(required=False)
    received_at = forms.DateTimeField(
        label=_("received at"),
        required=False,
        widget=IsoDateTimeInput(),
        help_text=_("When recording later from a notebook; empty means now."),
    )

    FIRST_FIELDS = ["category", "place", "description", "resident_name", "resident_phone"]
    MORE_FIELDS = [
        "title",
        "unit",
        "resident_address",
        "anonymous",
        "latitude",
        "longitude",
        "received_at",
    ]
    EDIT_FIELDS = [
        "category",
        "place",
        "description",
        "resident_name",
        "resident_phone",
        "channel",
        "title",
        "resident_address",
        "anonymous",
        "latitude",
        "longitude",
    ]

    def __init__(self, *args: Any, actor: Member, case: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["category"].choices = category_choices(actor)  # type: ignore[attr-defined]
        self.fields["place"].queryset = _place_queryset(actor)  # type: ignore[attr-defined]
        if case is not None:
            del self.fields["unit"]
            del self.fields["received_at"]
            for name in PII_FIELDS:
                stored = str(getattr(case.appeal, name) or "")
                self.fields[name].help_text = (
                    _("Stored: %(masked)s. Type a new value to replace it; leave empty to keep it.")
                    % {"masked": stored}
                    if stored
                    else _("Nothing stored yet.")
                )
        else:
            self.fields["unit"].queryset = casework_unit_choices(actor)  # type: ignore[attr-defined]
            self.fields["unit"].initial = actor.unit_id
            if actor.has_role(Role.GRID_WORKER):
                self.fields["channel"].initial = AppealChannel.GRID_REPORT
            else:
                self.fields["channel"].initial = AppealChannel.HOME_VISIT

    def clean_category(self) -> Category | None:
        return _resolve_category(self, self.actor, self.cleaned_data.get("category"))

    def first(self) -> list[forms.BoundField]:
        return [self[n] for n in [*self.FIRST_FIELDS, "channel"] if n in self.fields]

    def more(self) -> list[forms.BoundField]:
        return [self[n] for n in self.MORE_FIELDS if n in self.fields]

    def more_has_errors(self) -> bool:
        return any(self[n].errors for n in self.MORE_FIELDS if n in self.fields)

    def received(self) -> dt.datetime | None:
        value = self.cleaned_data.get("received_at")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def changes(self, case: Any) -> dict[str, Any]:
        """The edited fields whose value differs from what is stored. The resident's name,
        phone and address start empty on the edit page (they are stored encrypted and shown
        masked): a value typed in replaces the stored one, an empty field keeps it."""
        appeal = case.appeal
        current: dict[str, Any] = {
            "category": case.category,
            "place": case.place,
            "description": case.description,
            "title": case.title,
            "channel": appeal.channel,
            "latitude": case.latitude,
            "longitude": case.longitude,
            "anonymous": appeal.anonymous,
        }
        result = {}
        for name in self.EDIT_FIELDS:
            if name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            if name in PII_FIELDS:
                if value:
                    result[name] = value
            elif value != current[name] and not (value in ("", None) and not current[name]):
                result[name] = value
        return result


def casework_unit_choices(actor: Member) -> Any:
    """Units where the actor may record appeals: their jurisdiction, active units only."""
    return core_selectors.unit_choices(actor).filter(is_active=True)


def edit_initial(case: Any) -> dict[str, Any]:
    """The edit form's initial values (personal data stays out: see `AppealForm.changes`)."""
    appeal = case.appeal
    return {
        "category": case.category_id,
        "place": case.place_id,
        "description": case.description,
        "title": case.title,
        "channel": appeal.channel,
        "latitude": case.latitude,
        "longitude": case.longitude,
        "anonymous": appeal.anonymous,
    }


class NoticeForm(forms.Form):
    summary = forms.CharField(
        label=_("public summary"),
        max_length=services.PUBLIC_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What the village notice board shows. Names, phone and identity numbers are masked "
            "when saved."
        ),
    )
    result = forms.CharField(
        label=_("public result"),
        max_length=services.PUBLIC_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    show = forms.BooleanField(label=_("show on the notice board"), required=False)


class FilterForm(forms.Form):
    """The list's filters (GET); invalid values are ignored, never an error page."""

    q = forms.CharField(
        required=False,
        label=_("Search"),
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text=_("A number, tracking code, words of the title or description, or a phone."),
    )
    # The selects are QuickSelects (their HTML built in Python): with Django's Select the
    # option templates were a good part of every list page's time.
    status = forms.ChoiceField(required=False, label=_("status"), widget=QuickSelect)
    category = CategoryField(required=False, label=_("category"), widget=QuickSelect)
    unit = UnitFilterField()
    channel = forms.ChoiceField(
        required=False,
        label=_("channel"),
        choices=[("", _("All channels")), *AppealChannel.choices],
        widget=QuickSelect,
    )
    warning = forms.ChoiceField(
        required=False,
        label=_("warning"),
        choices=[("", _("Any warning")), *WarningLevel.choices],
        widget=QuickSelect,
    )
    owner = forms.ChoiceField(
        required=False,
        label=_("owner"),
        choices=[("", _("Anyone")), ("me", _("Mine")), ("none", _("Nobody yet"))],
        widget=QuickSelect,
    )
    received_from = forms.DateField(required=False, label=_("received from"), widget=IsoDateInput())
    received_to = forms.DateField(required=False, label=_("received until"), widget=IsoDateInput())
    overdue = forms.BooleanField(required=False, label=_("overdue only"))

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", _("Any status")),
            *[(s, STATE_LABELS[s]) for s in STATE_LABELS],
        ]
        self.fields["category"].choices = category_choices(  # type: ignore[attr-defined]
            actor, blank=_("All categories"), grouped=False
        )
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))

    def clean_category(self) -> Category | None:
        value = self.cleaned_data.get("category")
        if value is None:
            return None
        found = selectors.categories_visible_to(self.actor).filter(pk=value).first()
        if found is None:
            raise forms.ValidationError(_("Choose one of the categories offered."))
        return found

    def filters(self) -> selectors.AppealFilters:
        """The filters of the valid fields (an invalid field is left out, not an error)."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        owner = data.get("owner") or ""
        return selectors.AppealFilters(
            status=data.get("status") or "",
            category=data.get("category"),
            unit=data.get("unit"),
            channel=data.get("channel") or "",
            warning=data.get("warning") or "",
            owner=self.actor if owner == "me" else None,
            unassigned=owner == "none",
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            overdue=bool(data.get("overdue")),
            q=data.get("q") or "",
        )


BULK_OWNERS_OFFERED = 200


class BulkForm(forms.Form):
    """The sergeant's bulk action on the appeals ticked in the list."""

    ids = forms.TypedMultipleChoiceField(label=_("appeals"), coerce=int, choices=[])
    action = forms.ChoiceField(label=_("action"), widget=QuickSelect)
    owner = MemberChoiceField(
        label=_("assign to"), queryset=Member.objects.none(), required=False, widget=QuickSelect
    )
    note = forms.CharField(
        label=_("note or reason"),
        max_length=services.casework.REASON_MAX,
        required=False,
        widget=forms.TextInput(),
    )

    def __init__(
        self, *args: Any, actor: Member, within: Unit | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [  # type: ignore[attr-defined]
            ("assign", _("Assign to")),
            *[(a, ACTION_LABELS[a]) for a in BULK_ACTIONS],
        ]
        owner = self.fields["owner"]
        assert isinstance(owner, MemberChoiceField)
        owner.queryset = bulk_owners(actor)
        # The select offers the handlers of the unit the list is cut to (the actor's own by
        # default) while there are few enough to pick from; any handler in reach is accepted.
        # Only what the options show: a member's row otherwise decrypts their phone.
        offered = owner.queryset.filter(access.subtree_q(within or actor.unit, "unit__path")).only(
            "pk", "full_name", "username", "unit__name", "unit__path"
        )
        if offered[:BULK_OWNERS_OFFERED].count() >= BULK_OWNERS_OFFERED:
            offered = offered.none()
            owner.help_text = _("Cut the list to a unit in the filters to choose a handler.")
        owner.offer(offered)

    def full_clean(self) -> None:
        # Any integer id may be ticked; the selector keeps those in reach.
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw if str(v).isdigit()]  # type: ignore[attr-defined]
        super().full_clean()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "assign" and not data.get("owner"):
            self.add_error("owner", _("Choose who handles these appeals."))
        return data


def bulk_owners(actor: Member) -> Any:
    """Active handlers in the actor's jurisdiction (the services check each case's unit).

    The role is checked member by member (EXISTS on the (member, role) index) rather than
    by a list of every handler's id: that list read the whole role table on each list page
    (15 ms at scale 22), where the jurisdiction's members are a few."""
    handler = MemberRole.objects.filter(
        member_id=OuterRef("pk"), role__in=sorted(casework_selectors.HANDLERS)
    )
    return (
        Member.objects.filter(Exists(handler), is_active=True)
        .filter(access.subtree_q(actor.unit, "unit__path"))
        .select_related("unit")
        .order_by("unit__path", "full_name")
    )


class CategoryForm(forms.Form):
    code = forms.CharField(
        label=_("code"),
        max_length=services.CATEGORY_CODE_MAX,
        widget=forms.TextInput(attrs={"dir": "ltr"}),
        help_text=_("Letters, digits, dots: for example farm.pens. It cannot change later."),
    )
    name = forms.CharField(label=_("name"), max_length=services.CATEGORY_NAME_MAX)
    parent = forms.ModelChoiceField(
        label=_("under"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("(a top category)"),
    )
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    accept_hours = forms.IntegerField(
        label=_("acceptance within (working hours)"), required=False, min_value=1
    )
    contact_hours = forms.IntegerField(
        label=_("first contact within (working hours)"), required=False, min_value=1
    )
    resolve_days = forms.IntegerField(
        label=_("resolution within (working days)"),
        required=False,
        min_value=1,
        help_text=_("Empty: the parent's, else the default (10 working days)."),
    )
    needs_location = forms.BooleanField(label=_("needs a location"), required=False)
    is_public = forms.BooleanField(label=_("residents may choose it"), required=False)
    is_active = forms.BooleanField(label=_("active"), required=False)
    order = forms.IntegerField(label=_("order"), required=False, min_value=0)

    FIELDS = [
        "name",
        "parent",
        "description",
        "accept_hours",
        "contact_hours",
        "resolve_days",
        "needs_location",
        "is_public",
        "is_active",
        "order",
    ]

    def __init__(self, *args: Any, actor: Member, category: Category | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        tops = selectors.categories_visible_to(actor).filter(parent__isnull=True)
        if category is not None:
            tops = tops.exclude(pk=category.pk)
            del self.fields["code"]
        else:
            del self.fields["is_active"]
        self.fields["parent"].queryset = tops  # type: ignore[attr-defined]


class FiguresForm(forms.Form):
    unit = UnitFilterField(empty_label=_("My unit"))
    category = CategoryField(required=False, label=_("category"))
    on = forms.DateField(
        required=False,
        label=_("periods around"),
        widget=IsoDateInput(),
        help_text=_("The month, quarter and year containing this day (default today)."),
    )

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))
        self.fields["category"].choices = category_choices(  # type: ignore[attr-defined]
            actor, blank=_("All categories"), grouped=False
        )

    def clean_category(self) -> Category | None:
        value = self.cleaned_data.get("category")
        if value is None:
            return None
        found = selectors.categories_visible_to(self.actor).filter(pk=value).first()
        if found is None:
            raise forms.ValidationError(_("Choose one of the categories offered."))
        return found
