"""Menu entries of the care register in the 知民情 section (imported from CareConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.care.policies import CARE_RECIPIENT
from liuqing.core.access import VIEW
from liuqing.core.navigation import NavEntry, may, register

register(
    NavEntry(
        section="minqing",
        label=_("Care register"),
        url_name="care:list",
        allowed=may(CARE_RECIPIENT, VIEW),
        order=50,
    )
)
