"""Menu entries of dispute mediation in the 减访情 section (imported from MediationConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.core.access import VIEW
from liuqing.core.navigation import NavEntry, may, register
from liuqing.mediation.workflow import COMMITTEE, DISPUTE

register(
    NavEntry(
        section="fangqing",
        label=_("Disputes"),
        url_name="mediation:list",
        allowed=may(DISPUTE, VIEW),
        order=10,
    )
)
register(
    NavEntry(
        section="fangqing",
        label=_("Dispute figures"),
        url_name="mediation:figures",
        allowed=may(DISPUTE, VIEW),
        order=20,
    )
)
register(
    NavEntry(
        section="fangqing",
        label=_("Mediation committees"),
        url_name="mediation:committees",
        allowed=may(COMMITTEE, VIEW),
        order=30,
    )
)
