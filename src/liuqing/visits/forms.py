"""Forms of the visit pages: the list's filters, a new plan, a plan's changed terms, a
visit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from liuqing.core import access
from liuqing.core.forms import UnitFilterField
from liuqing.core.models import Member, Team
from liuqing.core.widgets import IsoDateInput
from liuqing.visits import selectors
from liuqing.visits.models import Cadence, VisitPlan
from liuqing.visits.targets import KINDS

DATE = IsoDateInput()


def colleagues(actor: Member, keep: int | None = None) -> QuerySet[Member]:
    """Active members the actor may name on a plan or a visit: their jurisdiction and
    themselves, and `keep` (a plan's present responsible member, who may serve above the
    actor's unit) so that a changed plan can keep them."""
    scoped = access.scope(Member.objects.filter(is_active=True), actor, "member")
    named = Q(pk__in=scoped.values("pk")) | Q(pk=actor.pk)
    if keep is not None:
        named |= Q(pk=keep)
    return Member.objects.filter(named).select_related("unit").order_by("unit__path", "full_name")


def teams_for(actor: Member, keep: int | None = None) -> QuerySet[Team]:
    """Teams the actor may name on a plan: their jurisdiction's, and `keep` (a plan's
    present team)."""
    scoped = access.scope(Team.objects.all(), actor, "team")
    named = Q(pk__in=scoped.values("pk"))
    if keep is not None:
        named |= Q(pk=keep)
    return Team.objects.filter(named).select_related("unit").order_by("unit__path", "name")


class MemberField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Member) -> str:
        return f"{obj.full_name or obj.username} · {obj.unit.name}"


class MembersField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Member) -> str:
        return f"{obj.full_name or obj.username} · {obj.unit.name}"


class FilterForm(forms.Form):
    unit = UnitFilterField()
    state = forms.ChoiceField(
        label=_("state"),
        required=False,
        choices=[
            ("", _("All plans")),
            (selectors.DUE, _("Due this week")),
            (selectors.OVERDUE, _("Overdue")),
        ],
    )
    target_kind = forms.ChoiceField(label=_("kind of target"), required=False)
    mine = forms.BooleanField(label=_("only mine"), required=False)

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = self.fields["target_kind"]
        assert isinstance(kinds, forms.ChoiceField)
        kinds.choices = [("", _("All kinds"))] + [(k.key, k.label) for k in KINDS.values()]
        unit = self.fields["unit"]
        assert isinstance(unit, UnitFilterField)
        unit.offer_to(actor, self.data.get("unit"))

    def filters(self) -> selectors.PlanFilters:
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return selectors.PlanFilters(
            unit=data.get("unit"),
            target_kind=data.get("target_kind") or "",
            state=data.get("state") or "",
            mine=bool(data.get("mine")),
        )


class PlanTermsForm(forms.Form):
    """A plan's terms: how often, who answers for it, until when."""

    cadence = forms.ChoiceField(label=_("cadence"), choices=Cadence.choices)
    interval_days = forms.IntegerField(
        label=_("every N days"), required=False, min_value=1, max_value=366
    )
    responsible = MemberField(
        queryset=Member.objects.none(), label=_("responsible member"), required=False
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), label=_("responsible team"), required=False
    )
    ends_on = forms.DateField(label=_("ends on"), required=False, widget=DATE)

    def __init__(
        self, *args: Any, actor: Member, plan: VisitPlan | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        members = colleagues(actor, plan.responsible_id if plan is not None else None)
        teams = teams_for(actor, plan.team_id if plan is not None else None)
        self.fields["responsible"].queryset = members  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class PlanForm(PlanTermsForm):
    target_id = forms.TypedChoiceField(label=_("target"), coerce=int)
    starts_on = forms.DateField(label=_("starts on"), required=False, widget=DATE)

    field_order = [
        "target_id",
        "cadence",
        "interval_days",
        "responsible",
        "team",
        "starts_on",
        "ends_on",
    ]

    def __init__(self, *args: Any, actor: Member, target_kind: str, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        target = self.fields["target_id"]
        assert isinstance(target, forms.TypedChoiceField)
        target.choices = KINDS[target_kind].choices(actor)


class ChangePlanForm(PlanTermsForm):
    """A plan's terms as they should be after the change, prefilled with the present ones."""

    def __init__(self, *args: Any, actor: Member, plan: VisitPlan, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "cadence": plan.cadence,
                "interval_days": plan.interval_days if plan.cadence == Cadence.CUSTOM else None,
                "responsible": plan.responsible_id,
                "team": plan.team_id,
                "ends_on": plan.ends_on,
            },
        )
        # Distinct ids: the plan page also holds the visit form.
        kwargs.setdefault("auto_id", "id_change_%s")
        super().__init__(*args, actor=actor, plan=plan, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; the service checks each by content."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("visited on"), widget=DATE)
    visitors = MembersField(queryset=Member.objects.none(), label=_("visitors"))
    summary = forms.CharField(label=_("what was done"), widget=forms.Textarea(attrs={"rows": 3}))
    latitude = forms.DecimalField(
        label=_("latitude"), required=False, max_digits=12, decimal_places=8
    )
    longitude = forms.DecimalField(
        label=_("longitude"), required=False, max_digits=12, decimal_places=8
    )
    photos = MultipleFileField(
        label=_("photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visitors"].queryset = colleagues(actor)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("visitors", [actor.pk])
