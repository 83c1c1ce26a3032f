"""Template context shared by every staff page: the navigation of the six areas."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from liuqing.core.navigation import menu_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    return {"nav_sections": menu_for(request)}
