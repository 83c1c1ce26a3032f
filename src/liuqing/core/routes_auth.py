"""Matrix routes of the authentication and profile pages (owned with core/views/auth.py)."""

from liuqing.core.matrix import Route

ROUTES: list[Route] = []
PUBLIC: set[str] = set()
