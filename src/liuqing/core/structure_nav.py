"""Menu entries of the structure pages (imported once, from CoreConfig.ready)."""

from __future__ import annotations

from functools import partial

from django.utils.translation import gettext_lazy as _

from liuqing.core import access
from liuqing.core.access import VIEW
from liuqing.core.navigation import NavEntry, register


def _may_view(kind: str, member: object) -> bool:
    return bool(getattr(member, "is_authenticated", False)) and access.can(member, kind, VIEW)  # type: ignore[arg-type]


for order, (label, url_name, kind) in enumerate(
    [
        (_("Units"), "core:unit_list", "unit"),
        (_("Members"), "core:member_list", "member"),
        (_("Places"), "core:place_list", "place"),
        (_("Teams"), "core:team_list", "team"),
        (_("Audit log"), "core:audit", "audit"),
    ],
    start=10,
):
    register(
        NavEntry(
            section="admin",
            label=label,
            url_name=url_name,
            allowed=partial(_may_view, kind),
            order=order,
        )
    )
