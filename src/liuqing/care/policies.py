"""The access policy of the care register, registered once from CareConfig.ready().

* ``care_recipient``: recipients (and their services and needs), in the jurisdiction of
  their unit, for the people who visit (officers, auxiliaries, grid workers) and their
  supervisors; the auditor reads. Every recipient carries the "care" label, so a member
  without the care grant sees none (lists leave them out, a page answers 404); a recipient
  with a restricted label needs that grant too. The system administrator sees none.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from liuqing.care.models import CARE_LABEL, Recipient
from liuqing.core.access import SUPERVISORS, Policy, register
from liuqing.core.models import Role

CARE_RECIPIENT = "care_recipient"
CARERS = frozenset({Role.OFFICER, Role.AUXILIARY, Role.GRID_WORKER}) | SUPERVISORS


def hidden_q(labels: frozenset[str], prefix: str = "") -> Q:
    """Recipients a member holding `labels` may not see."""
    if CARE_LABEL not in labels:
        return Q(**{f"{prefix}pk__isnull": False})
    field = f"{prefix}restricted_label"
    return Q(**{f"{field}__gt": ""}) & ~Q(**{f"{field}__in": sorted(labels)})


def labels_of(recipient: Recipient) -> Iterable[str]:
    return recipient.labels


POLICY = register(
    Policy(
        kind=CARE_RECIPIENT,
        model=Recipient,
        view=CARERS,
        change=CARERS,
        resident_data=True,
        sensitive_q=hidden_q,
        labels_of=labels_of,
    )
)
