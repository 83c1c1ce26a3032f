"""Menu entry of the import engine: the list of imports, for those who import ledgers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from liuqing.core import access
from liuqing.core.access import VIEW
from liuqing.core.navigation import NavEntry, register
from liuqing.imports.policies import IMPORT_RUN


def _may_view(member: Any) -> bool:
    return bool(getattr(member, "is_authenticated", False)) and access.can(member, IMPORT_RUN, VIEW)


register(
    NavEntry(
        section="jingqing",
        label=_("Ledger imports"),
        url_name="imports:run_list",
        allowed=_may_view,
        order=30,
    )
)
