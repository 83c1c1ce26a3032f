"""Menu entries of the casework pages (imported once, from CaseworkConfig.ready).

Placed in the "know residents' needs" section for now; each module that handles cases links
its own lists there too.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.casework.policies import CASE, SUPERVISION
from liuqing.core import access
from liuqing.core.access import VIEW
from liuqing.core.navigation import NavEntry, register


def _may(kind: str, member: object) -> bool:
    return bool(getattr(member, "is_authenticated", False)) and access.can(member, kind, VIEW)  # type: ignore[arg-type]


register(
    NavEntry(
        section="minqing",
        label=_("My work"),
        url_name="casework:my_work",
        allowed=lambda member: _may(CASE, member),
        order=1,
    )
)
register(
    NavEntry(
        section="minqing",
        label=_("Supervision"),
        url_name="casework:supervision",
        allowed=lambda member: _may(SUPERVISION, member),
        order=2,
    )
)
