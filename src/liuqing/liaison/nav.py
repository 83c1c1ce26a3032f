"""Menu entries of liaison in the 增感情 section (imported from LiaisonConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.core.access import VIEW
from liuqing.core.navigation import NavEntry, may, register
from liuqing.liaison.workflow import ORGANISATION

register(
    NavEntry(
        section="ganqing",
        label=_("Liaison"),
        url_name="liaison:list",
        allowed=may(ORGANISATION, VIEW),
        order=20,
    )
)
