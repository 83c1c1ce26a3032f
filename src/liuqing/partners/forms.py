"""Forms of the partner pages (staff and partners). They shape the input; the rules are the
services', whose field errors the views put back on these forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.core import selectors as core_selectors
from liuqing.core.forms import UnitChoiceField
from liuqing.core.models import Member, Place, Unit
from liuqing.core.widgets import IsoDateTimeInput
from liuqing.notify.models import Channel
from liuqing.partners import selectors
from liuqing.partners.models import (
    LANGUAGES,
    AlertKind,
    AlertScope,
    Certainty,
    Language,
    PartnerChannel,
    PartnerGroup,
    PartnerKind,
    Severity,
    Urgency,
)
from liuqing.partners.services import AlertInput

LANGUAGE_LABELS = {
    "zh-hans": _("Chinese"),
    "ug": _("Uyghur"),
    "kk-arab": _("Kazakh"),
}


def field_key(language: str) -> str:
    return language.replace("-", "_")


class GroupForm(forms.Form):
    unit = UnitChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    name = forms.CharField(label=_("name"), max_length=100)
    description = forms.CharField(label=_("description"), max_length=300, required=False)

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = core_selectors.unit_choices(actor)  # type: ignore[attr-defined]


class EndpointForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("channel"),
        choices=[
            (Channel.WECOM, _("WeCom group bot")),
            (Channel.DINGTALK, _("DingTalk group bot")),
            (Channel.WEBHOOK, _("Webhook")),
        ],
    )
    name = forms.CharField(label=_("name"), max_length=100)
    url = forms.CharField(
        label=_("web address"), max_length=500, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    secret = forms.CharField(
        # Required for a DingTalk bot and a webhook (the service says so on the field).
        label=_("signing secret (DingTalk bots and webhooks)"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


class EndpointEditForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    url = forms.CharField(
        label=_("new web address (empty: keep the present one)"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    is_active = forms.BooleanField(label=_("active (alerts are sent to it)"), required=False)


class SecretForm(forms.Form):
    secret = forms.CharField(
        label=_("new signing secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class MultipleGroups(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: PartnerGroup) -> str:
        return obj.name


class MultiplePlaces(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Place) -> str:
        return obj.name


class AlertForm(forms.Form):
    unit = UnitChoiceField(queryset=Unit.objects.none(), label=_("unit"))
    kind = forms.ChoiceField(label=_("kind"), choices=AlertKind.choices)
    scope = forms.ChoiceField(label=_("audience"), choices=AlertScope.choices)
    severity = forms.ChoiceField(
        label=_("severity"), choices=[("", "—"), *Severity.choices], required=False
    )
    urgency = forms.ChoiceField(
        label=_("urgency"), choices=[("", "—"), *Urgency.choices], required=False
    )
    certainty = forms.ChoiceField(
        label=_("certainty"), choices=[("", "—"), *Certainty.choices], required=False
    )
    expires_at = forms.DateTimeField(
        label=_("expires"),
        required=False,
        widget=IsoDateTimeInput(),
    )
    groups = MultipleGroups(queryset=PartnerGroup.objects.none(), label=_("groups"), required=False)
    places = MultiplePlaces(
        queryset=Place.objects.none(), label=_("villages and communities"), required=False
    )
    circle = forms.CharField(
        label=_("radius: “latitude,longitude km”"),
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"dir": "ltr", "placeholder": "43.9169,81.3241 5"}),
    )
    place_radius_km = forms.FloatField(
        label=_("radius around villages without a boundary (km)"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.5", "dir": "ltr"}),
    )
    polygon = forms.CharField(
        label=_("polygon: “lat,lon lat,lon …”, the first point repeated last"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
    )
    note = forms.CharField(label=_("what changed (updates)"), required=False, max_length=300)

    def __init__(self, *args: Any, actor: Member, unit: Unit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = core_selectors.unit_choices(actor)  # type: ignore[attr-defined]
        scope_unit = unit or actor.unit
        self.fields["groups"].queryset = selectors.groups_for_unit(scope_unit)  # type: ignore[attr-defined]
        self.fields["places"].queryset = selectors.places_for_unit(scope_unit)  # type: ignore[attr-defined]
        for language in LANGUAGES:
            key, label = field_key(language), LANGUAGE_LABELS[language]
            attrs = {"lang": language, "dir": "auto"}
            self.fields[f"headline_{key}"] = forms.CharField(
                label=_("headline (%(language)s)") % {"language": label},
                required=False,
                max_length=120,
                widget=forms.TextInput(attrs=attrs),
            )
            self.fields[f"description_{key}"] = forms.CharField(
                label=_("description (%(language)s)") % {"language": label},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={**attrs, "rows": 3}),
            )
            self.fields[f"instruction_{key}"] = forms.CharField(
                label=_("what to do (%(language)s)") % {"language": label},
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={**attrs, "rows": 2}),
            )

    def alert_input(self) -> AlertInput:
        data = self.cleaned_data
        return AlertInput(
            kind=data["kind"],
            scope=data["scope"],
            expires_at=data.get("expires_at"),
            texts={
                language: (
                    data.get(f"headline_{field_key(language)}", ""),
                    data.get(f"description_{field_key(language)}", ""),
                    data.get(f"instruction_{field_key(language)}", ""),
                )
                for language in LANGUAGES
            },
            groups=list(data.get("groups") or []),
            places=list(data.get("places") or []),
            circle=data.get("circle", ""),
            polygon=data.get("polygon", ""),
            severity=data.get("severity", ""),
            urgency=data.get("urgency", ""),
            certainty=data.get("certainty", ""),
            place_radius_km=data.get("place_radius_km"),
        )


def initial_for(kind: str, unit: Unit) -> dict[str, Any]:
    from liuqing.partners.templates_text import template_for

    spec = template_for(kind)
    initial: dict[str, Any] = {
        "kind": kind,
        "unit": unit.pk,
        "scope": AlertScope.RESTRICTED,
        "expires_at": (timezone.localtime() + dt.timedelta(days=1)).replace(
            second=0, microsecond=0
        ),
    }
    for language, texts in spec["texts"].items():
        for name, value in texts.items():
            initial[f"{name}_{field_key(language)}"] = value
    return initial


def initial_from(alert: Any) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "unit": alert.unit_id,
        "kind": alert.kind,
        "scope": alert.scope,
        "severity": alert.severity,
        "urgency": alert.urgency,
        "certainty": alert.certainty,
        "expires_at": timezone.localtime(alert.expires_at).replace(second=0, microsecond=0),
        "groups": list(alert.groups.values_list("pk", flat=True)),
        "places": list(alert.places.values_list("pk", flat=True)),
        "polygon": alert.polygon,
        "place_radius_km": alert.place_radius_km,
        "circle": f"{alert.circle_lat},{alert.circle_lon} {alert.radius_km:g}"
        if alert.radius_km is not None
        else "",
    }
    for text in alert.texts.all():
        key = field_key(text.language)
        initial[f"headline_{key}"] = text.headline
        initial[f"description_{key}"] = text.description
        initial[f"instruction_{key}"] = text.instruction
    return initial


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), max_length=300, required=False)


# --- The partners' pages -------------------------------------------------------------------------


class InviteForm(forms.Form):
    invite_code = forms.CharField(
        label=_("Invite code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"dir": "ltr", "autocapitalize": "characters", "autocomplete": "off"}
        ),
    )


class JoinForm(forms.Form):
    display_name = forms.CharField(label=_("Your name or shop name"), max_length=64, required=False)
    kind = forms.ChoiceField(label=_("What do you do?"), choices=PartnerKind.choices)
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "dir": "ltr", "autocomplete": "tel"}
        ),
    )
    email = forms.CharField(
        label=_("E-mail address (optional)"),
        max_length=200,
        required=False,
        widget=forms.EmailInput(attrs={"dir": "ltr"}),
    )
    language = forms.ChoiceField(label=_("Language of the alerts"), choices=Language.choices)
    channels = forms.MultipleChoiceField(
        label=_("Also send alerts by"),
        choices=PartnerChannel.choices,
        required=False,
        initial=[PartnerChannel.SMS],
        widget=forms.CheckboxSelectMultiple,
    )
    place = forms.ChoiceField(label=_("Your village or community"), required=False)
    consent = forms.BooleanField(
        label=_(
            "I agree that the police station keeps my name, phone number and village "
            "to send me alerts"
        ),
        required=False,
    )

    def __init__(self, *args: Any, group: PartnerGroup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", _("Choose…"))] + [
            (p.pk, p.name) for p in selectors.places_for_unit(group.unit)[:500]
        ]


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "dir": "ltr", "autocomplete": "tel"}
        ),
    )


class CodeForm(forms.Form):
    phone = forms.CharField(max_length=30, widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("Sign-in code"),
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "dir": "ltr", "autocomplete": "one-time-code"}
        ),
    )


class SightingForm(forms.Form):
    text = forms.CharField(
        label=_("What did you see, where and when?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    latitude = forms.CharField(
        label=_("Latitude (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
    )
    longitude = forms.CharField(
        label=_("Longitude (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


class TipForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it about?"))
    place = forms.ChoiceField(label=_("Where?"))
    text = forms.CharField(
        label=_("Your tip"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    latitude = forms.CharField(
        label=_("Latitude (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
    )
    longitude = forms.CharField(
        label=_("Longitude (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
    )

    def __init__(
        self, *args: Any, categories: list[dict[str, Any]], places: list[Place], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Choose…"))] + [
            (c["pk"], c["name"]) for c in categories
        ]
        self.fields["place"].choices = [("", _("Choose…"))] + [(p.pk, p.name) for p in places]
