"""Menu entries of incidents in the 降警情 section (imported from IncidentsConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.core.access import VIEW
from liuqing.core.navigation import NavEntry, may, register
from liuqing.incidents.policies import INCIDENT, INCIDENT_CATEGORY

register(
    NavEntry(
        section="jingqing",
        label=_("Incident ledger"),
        url_name="incidents:list",
        allowed=may(INCIDENT, VIEW),
        order=10,
    )
)
register(
    NavEntry(
        section="jingqing",
        label=_("Incident categories"),
        url_name="incidents:category_mappings",
        allowed=may(INCIDENT_CATEGORY, VIEW),
        order=31,
    )
)
