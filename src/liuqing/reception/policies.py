"""Access policies of the reception desk and talk points, registered from ReceptionConfig.

* ``walk_in`` and ``talk_session``: the desk log and the talk sessions of a unit; every
  staff role looks (the auditor read-only), handlers and supervisors write.
* ``conduct_complaint``: the supervision queue, owned by the unit above the station
  concerned; brigade and detachment staff (and the station chiefs of a unit above, where a
  station sits under another) see and handle it. The station concerned is outside its scope;
  a complaint about the detachment itself goes to its designated supervisors only
  (`liuqing.reception.supervision` holds the whole rule).
* ``restricted_report``: domestic violence and school bullying; every staff role may look,
  but a report is visible only to members granted its sensitive label.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from liuqing.casework.workflows import STAFF
from liuqing.core.access import ALL_STAFF, Policy, register
from liuqing.reception.models import ConductComplaint, RestrictedReport, TalkSession, WalkIn
from liuqing.reception.supervision import SUPERVISION

WALK_IN = "walk_in"
TALK_SESSION = "talk_session"
COMPLAINT = "conduct_complaint"
RESTRICTED = "restricted_report"


def _hidden(labels: frozenset[str]) -> Q:
    return ~Q(label__in=sorted(labels))


def _labels(report: Any) -> Iterable[str]:
    return [report.label]


register(Policy(kind=WALK_IN, model=WalkIn, view=ALL_STAFF, change=STAFF, resident_data=True))
register(
    Policy(kind=TALK_SESSION, model=TalkSession, view=ALL_STAFF, change=STAFF, resident_data=True)
)
register(
    Policy(
        kind=COMPLAINT,
        model=ConductComplaint,
        view=SUPERVISION,
        change=SUPERVISION,
        resident_data=True,
    )
)
register(
    Policy(
        kind=RESTRICTED,
        model=RestrictedReport,
        view=ALL_STAFF,
        change=STAFF,
        resident_data=True,
        sensitive_q=_hidden,
        labels_of=_labels,
    )
)
