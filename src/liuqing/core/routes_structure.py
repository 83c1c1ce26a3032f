"""Matrix routes of the structure pages and API (owned with core/views/structure.py)."""

from liuqing.core.matrix import Route, TargetFactory

ROUTES: list[Route] = []
PUBLIC: set[str] = set()
TARGETS: dict[str, TargetFactory] = {}
