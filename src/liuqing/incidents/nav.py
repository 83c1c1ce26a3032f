"""Menu entries of incidents in the 降警情 section (imported from IncidentsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from liuqing.core import access
from liuqing.core.access import VIEW
from liuqing.core.navigation import NavEntry, register
from liuqing.incidents.policies import INCIDENT, INCIDENT_CATEGORY


def _may(kind: str, action: str) -> Any:
    def allowed(member: Any) -> bool:
        return bool(getattr(member, "is_authenticated", False)) and access.can(member, kind, action)

    return allowed


register(
    NavEntry(
        section="jingqing",
        label=_("Incident ledger"),
        url_name="incidents:list",
        allowed=_may(INCIDENT, VIEW),
        order=10,
    )
)
register(
    NavEntry(
        section="jingqing",
        label=_("Incident categories"),
        url_name="incidents:category_mappings",
        allowed=_may(INCIDENT_CATEGORY, VIEW),
        order=31,
    )
)
