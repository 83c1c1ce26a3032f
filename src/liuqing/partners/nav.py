"""Menu entries of partners and alerts in the 增感情 section (from PartnersConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.core.access import VIEW
from liuqing.core.navigation import NavEntry, may, register
from liuqing.partners.policies import ALERT, PARTNER, PARTNER_GROUP

register(
    NavEntry(
        section="ganqing",
        label=_("Alerts"),
        url_name="partners:alerts",
        allowed=may(ALERT, VIEW),
        order=10,
    )
)
register(
    NavEntry(
        section="ganqing",
        label=_("Partner groups"),
        url_name="partners:groups",
        allowed=may(PARTNER_GROUP, VIEW),
        order=11,
    )
)
register(
    NavEntry(
        section="ganqing",
        label=_("Safety partners"),
        url_name="partners:list",
        allowed=may(PARTNER, VIEW),
        order=12,
    )
)
