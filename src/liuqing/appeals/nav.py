"""Menu entries of the appeals pages (imported once, from AppealsConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.appeals.workflow import APPEAL, APPEAL_CATEGORY
from liuqing.core.access import CHANGE, VIEW
from liuqing.core.navigation import NavEntry, may, register

register(
    NavEntry(
        section="minqing",
        label=_("Record an appeal"),
        url_name="appeals:create",
        allowed=may(APPEAL, CHANGE),
        order=10,
    )
)
register(
    NavEntry(
        section="minqing",
        label=_("Appeals"),
        url_name="appeals:list",
        allowed=may(APPEAL, VIEW),
        order=11,
    )
)
register(
    NavEntry(
        section="minqing",
        label=_("Appeal figures"),
        url_name="appeals:figures",
        allowed=may(APPEAL, VIEW),
        order=12,
    )
)
register(
    NavEntry(
        section="admin",
        label=_("Appeal categories"),
        url_name="appeals:category_list",
        allowed=may(APPEAL_CATEGORY, CHANGE),
        order=50,
    )
)
