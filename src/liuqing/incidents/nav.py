"""Menu entries of incidents in the 降警情 section (imported from IncidentsConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.core.access import CHANGE, VIEW
from liuqing.core.navigation import NavEntry, may, register
from liuqing.incidents.policies import (
    INCIDENT,
    INCIDENT_CATEGORY,
    INCIDENT_CATEGORY_SET,
    PATROL_LOG,
    PATROL_PLAN,
    TOURIST_SEASON,
)

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
register(
    NavEntry(
        section="jingqing",
        label=_("Incident category settings"),
        url_name="incidents:category_settings",
        allowed=may(INCIDENT_CATEGORY_SET, CHANGE),
        order=32,
    )
)
register(
    NavEntry(
        section="jingqing",
        label=_("Incident heat map"),
        url_name="incidents:map",
        allowed=may(INCIDENT, VIEW),
        order=12,
    )
)
register(
    NavEntry(
        section="jingqing",
        label=_("Hot spots"),
        url_name="incidents:hotspots",
        allowed=may(INCIDENT, VIEW),
        order=13,
    )
)
register(
    NavEntry(
        section="jingqing",
        label=_("Emerging hot spots"),
        url_name="incidents:emerging",
        allowed=may(INCIDENT, VIEW),
        order=14,
    )
)
register(
    NavEntry(
        section="jingqing",
        label=_("Incident trends"),
        url_name="incidents:trends",
        allowed=may(INCIDENT, VIEW),
        order=15,
    )
)
register(
    NavEntry(
        section="jingqing",
        label=_("Patrol plan"),
        url_name="incidents:patrols",
        allowed=may(PATROL_PLAN, VIEW),
        order=16,
    )
)
register(
    NavEntry(
        section="jingqing",
        label=_("Patrol logs"),
        url_name="incidents:patrol_logs",
        allowed=may(PATROL_LOG, VIEW),
        order=17,
    )
)
register(
    NavEntry(
        section="jingqing",
        label=_("Tourist seasons"),
        url_name="incidents:seasons",
        allowed=may(TOURIST_SEASON, VIEW),
        order=18,
    )
)
