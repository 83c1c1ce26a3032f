"""Menu entries of the appeals pages (imported once, from AppealsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from liuqing.appeals.workflow import APPEAL, APPEAL_CATEGORY
from liuqing.core import access
from liuqing.core.access import CHANGE, VIEW
from liuqing.core.navigation import NavEntry, register


def _may(kind: str, action: str) -> Any:
    def allowed(member: Any) -> bool:
        return bool(getattr(member, "is_authenticated", False)) and access.can(member, kind, action)

    return allowed


register(
    NavEntry(
        section="minqing",
        label=_("Record an appeal"),
        url_name="appeals:create",
        allowed=_may(APPEAL, CHANGE),
        order=10,
    )
)
register(
    NavEntry(
        section="minqing",
        label=_("Appeals"),
        url_name="appeals:list",
        allowed=_may(APPEAL, VIEW),
        order=11,
    )
)
register(
    NavEntry(
        section="minqing",
        label=_("Appeal figures"),
        url_name="appeals:figures",
        allowed=_may(APPEAL, VIEW),
        order=12,
    )
)
register(
    NavEntry(
        section="admin",
        label=_("Appeal categories"),
        url_name="appeals:category_list",
        allowed=_may(APPEAL_CATEGORY, CHANGE),
        order=50,
    )
)
