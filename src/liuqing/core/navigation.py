"""The staff navigation, grouped by the six situations (六情) plus administration.

Modules register their entries at import time (in their AppConfig.ready). A section with no
entry the member may use is not shown: modules not yet built never appear as dead links.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

SECTIONS: list[tuple[str, Any]] = [
    ("overview", _("Overview")),
    ("minqing", _("Know residents' needs")),
    ("ganqing", _("Build trust")),
    ("jingqing", _("Reduce incidents")),
    ("fangqing", _("Reduce petitions")),
    ("yuqing", _("Answer public concerns")),
    ("weiqing", _("Prevent danger")),
    ("admin", _("Administration")),
]


# The six situations, in order: the sections a module's figures may belong to.
QING = ("minqing", "ganqing", "jingqing", "fangqing", "yuqing", "weiqing")


@dataclass(frozen=True)
class NavEntry:
    section: str
    label: Any
    url_name: str
    allowed: Callable[[Any], bool]
    order: int = 100


ENTRIES: list[NavEntry] = []


def may(kind: str, action: str) -> Callable[[Any], bool]:
    """An entry's `allowed`: a signed-in member whose roles may `action` on `kind`."""
    from liuqing.core import access

    def allowed(member: Any) -> bool:
        return bool(getattr(member, "is_authenticated", False)) and access.can(member, kind, action)

    return allowed


def register(entry: NavEntry) -> None:
    ENTRIES.append(entry)


def menu_for(request: HttpRequest) -> list[dict[str, Any]]:
    member = request.user
    result = []
    for key, label in SECTIONS:
        items = [
            {
                "label": e.label,
                "url": reverse(e.url_name),
                "active": request.path.startswith(reverse(e.url_name)),
            }
            for e in sorted(ENTRIES, key=lambda e: e.order)
            if e.section == key and e.allowed(member)
        ]
        if items:
            result.append({"key": key, "label": label, "items": items})
    return result
