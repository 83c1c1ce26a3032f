"""Menu entries of the visits engine in the 知民情 section (imported from VisitsConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.core.access import VIEW
from liuqing.core.navigation import NavEntry, may, register
from liuqing.visits.policies import VISIT_PLAN

register(
    NavEntry(
        section="minqing",
        label=_("Visits"),
        url_name="visits:list",
        allowed=may(VISIT_PLAN, VIEW),
        order=40,
    )
)
register(
    NavEntry(
        section="minqing",
        label=_("Visit calendar"),
        url_name="visits:calendar",
        allowed=may(VISIT_PLAN, VIEW),
        order=41,
    )
)
