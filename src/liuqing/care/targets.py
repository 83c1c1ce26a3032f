"""The care register's target kind for the visits engine ("care_recipient")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.care import selectors
from liuqing.care.models import CARE_LABEL
from liuqing.core.access import AccessDenied
from liuqing.core.models import Member
from liuqing.visits.targets import Target, TargetKind, register

CARE_RECIPIENT_TARGET = "care_recipient"
CHOICES_MAX = 500


def _resolve(member: Member, pk: int) -> Target:
    recipient = selectors.access_recipient(member, pk)
    return Target(
        unit=recipient.unit,
        title=recipient.title,
        sensitive_label=CARE_LABEL,
        restricted_label=recipient.restricted_label,
    )


def _choices(member: Member) -> list[tuple[int, str]]:
    try:
        qs = selectors.recipients_visible_to(member)
    except AccessDenied:
        return []
    return [(r.pk, r.title) for r in qs[:CHOICES_MAX]]


register(
    TargetKind(
        key=CARE_RECIPIENT_TARGET, label=_("Care recipient"), resolve=_resolve, choices=_choices
    )
)
