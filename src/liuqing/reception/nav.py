"""Menu entries of the reception desk and talk points (imported from ReceptionConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liuqing.core.access import VIEW
from liuqing.core.navigation import NavEntry, may, register
from liuqing.reception.policies import COMPLAINT, RESTRICTED, TALK_SESSION, WALK_IN

for label, url_name, kind, order in (
    (_("Reception desk"), "reception:desk", WALK_IN, 40),
    (_("Talk points"), "reception:talk_sessions", TALK_SESSION, 41),
    (_("Conduct complaints"), "reception:complaints", COMPLAINT, 42),
    (_("Restricted reports"), "reception:reports", RESTRICTED, 43),
):
    register(
        NavEntry(
            section="fangqing", label=label, url_name=url_name, allowed=may(kind, VIEW), order=order
        )
    )
