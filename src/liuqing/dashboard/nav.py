"""The board's menu entry (imported once, from DashboardConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from liuqing.core.navigation import NavEntry, register


def _staff(member: Any) -> bool:
    return bool(getattr(member, "is_authenticated", False))


register(
    NavEntry(
        section="overview",
        label=_("Six-situation board"),
        url_name="dashboard:board",
        allowed=_staff,
        order=1,
    )
)
