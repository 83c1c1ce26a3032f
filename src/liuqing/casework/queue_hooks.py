"""Other engines' sections in the my-work queue ("visits due this week").

The queue page belongs to casework, yet a member owes more than cases. An engine or module
registers a `QueueSection` (from its AppConfig.ready); the page shows each section that has
rows for the member, after the case sections. Casework imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QueueItem:
    url: str
    title: str
    detail: str = ""
    overdue: bool = False


@dataclass(frozen=True)
class QueueSection:
    key: str
    title: Any
    # rows(member, size) -> (up to `size` items, total count)
    rows: Callable[[Any, int], tuple[list[QueueItem], int]]
    order: int = 100


SECTIONS: dict[str, QueueSection] = {}


def register(section: QueueSection) -> QueueSection:
    SECTIONS[section.key] = section
    return section


def sections_for(member: Any, size: int) -> list[tuple[QueueSection, list[QueueItem], int]]:
    """Each registered section with rows for `member`: (section, items, total)."""
    found = []
    for section in sorted(SECTIONS.values(), key=lambda s: (s.order, s.key)):
        items, total = section.rows(member, size)
        if total:
            found.append((section, items, total))
    return found
