"""Liaison's target kind for the visits engine ("organisation")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.core.access import AccessDenied
from liuqing.core.models import Member
from liuqing.liaison import selectors
from liuqing.visits.targets import Target, TargetKind, register

ORGANISATION_TARGET = "organisation"
CHOICES_MAX = 500


def _resolve(member: Member, pk: int) -> Target:
    org = selectors.access_organisation(member, pk)
    return Target(unit=org.unit, title=org.name)


def _choices(member: Member) -> list[tuple[int, str]]:
    try:
        qs = selectors.organisations_visible_to(member)
    except AccessDenied:
        return []
    return [(o.pk, o.name) for o in qs[:CHOICES_MAX]]


register(
    TargetKind(key=ORGANISATION_TARGET, label=_("Organisation"), resolve=_resolve, choices=_choices)
)
