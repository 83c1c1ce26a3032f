"""A text template per alert kind, offered in each of the three languages when composing
(the officer fills in the particulars). Translated through the message catalogues."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from liuqing.partners.models import LANGUAGES, AlertKind, Certainty, Severity, Urgency

TEMPLATES: dict[str, dict[str, Any]] = {
    AlertKind.MISSING_PERSON: {
        "headline": _("Missing person: please look out"),
        "description": _(
            "Last seen at … around … o'clock. Age …, height …, wearing …. Please look out "
            "and report any sighting at once."
        ),
        "instruction": _("Do not approach if in danger; report the place and time of a sighting."),
        "severity": Severity.SEVERE,
        "urgency": Urgency.IMMEDIATE,
        "certainty": Certainty.OBSERVED,
    },
    AlertKind.LIVESTOCK: {
        "headline": _("Lost livestock"),
        "description": _("… head of … (ear tag …) strayed from … on …."),
        "instruction": _("If you see them, note the place and report it."),
        "severity": Severity.MINOR,
        "urgency": Urgency.EXPECTED,
        "certainty": Certainty.OBSERVED,
    },
    AlertKind.FRAUD: {
        "headline": _("Fraud warning"),
        "description": _("Callers pretending to be … ask residents to transfer money for …."),
        "instruction": _("Never transfer money on a caller's request; call 110 or 96110."),
        "severity": Severity.MODERATE,
        "urgency": Urgency.EXPECTED,
        "certainty": Certainty.LIKELY,
    },
    AlertKind.HAZARD: {
        "headline": _("Hazard warning"),
        "description": _("A hazard at …: …."),
        "instruction": _("Keep away from the place and warn others."),
        "severity": Severity.MODERATE,
        "urgency": Urgency.IMMEDIATE,
        "certainty": Certainty.OBSERVED,
    },
    AlertKind.WEATHER: {
        "headline": _("Weather warning"),
        "description": _("… expected from … to …."),
        "instruction": _("Bring livestock to shelter and avoid travel on mountain roads."),
        "severity": Severity.MODERATE,
        "urgency": Urgency.EXPECTED,
        "certainty": Certainty.LIKELY,
    },
    AlertKind.OTHER: {
        "headline": _("Notice from the police station"),
        "description": _("…"),
        "instruction": "",
        "severity": Severity.MINOR,
        "urgency": Urgency.EXPECTED,
        "certainty": Certainty.LIKELY,
    },
}


def template_for(kind: str) -> dict[str, Any]:
    """The kind's defaults: CAP severity, urgency, certainty, and per language the headline,
    description and instruction."""
    spec = TEMPLATES.get(kind, TEMPLATES[AlertKind.OTHER])
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = {
                name: str(spec[name]) for name in ("headline", "description", "instruction")
            }
    return {
        "severity": spec["severity"],
        "urgency": spec["urgency"],
        "certainty": spec["certainty"],
        "texts": texts,
    }
