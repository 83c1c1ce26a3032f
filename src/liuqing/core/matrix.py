"""Declarations for the generated permission matrix (core/tests/test_permission_matrix.py).

Every app that serves URLs or API operations has a `permissions.py` module with:

* `ROUTES`: one `Route` per URL name (HTML) or API operationId, saying which object kind and
  action it exercises and, for detail URLs, which kind of target object its arguments name;
* `PUBLIC`: URL names that need no login (residents' pages, login, language switch);
* `TARGETS`: factories that make a target object at a given unit for the matrix to aim at.

The matrix test walks the URL resolver and the OpenAPI schema; any URL or operation that is
neither a route nor public fails the suite, so a new endpoint is tested without new test
code. For each route, each role and each relation (own, child, sibling, parent, other) it
expects: outside the jurisdiction → 404; the role may not view the kind → 403; the route
changes and the role may only view → 403; otherwise not 403/404/5xx, and for list routes the
page holds the markers of in-scope objects only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from liuqing.core.access import VIEW
from liuqing.core.discovery import app_modules
from liuqing.core.models import Unit

# A target factory makes one object at `unit` whose visible text includes `marker`, and returns
# the URL keyword arguments that point at it plus the marker to look for in list pages.
TargetFactory = Callable[[Any, Unit, str], tuple[dict[str, Any], str]]
# A data factory returns the POST body for a route against a target (kwargs) at `unit`.
DataFactory = Callable[[Any, Unit, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """How the matrix exercises one URL name or API operationId."""

    name: str
    kind: str | None  # policy kind; None = any verified staff member (home, own profile)
    action: str = VIEW
    method: str = "GET"
    target: str | None = None  # target kind named by the URL arguments; None for list/create
    lists: str | None = None  # list routes: the target kind whose markers must (not) appear
    data: DataFactory | None = None
    api: bool = False
    # Create routes aim at a unit given in the body/query: relation decides scope like target.
    unit_param: str | None = None
    # Routes that only ever act on the member themselves (profile, own tokens): no relations.
    self_only: bool = False
    # API operations taking multipart/form-data (file uploads) rather than JSON.
    multipart: bool = False


def collect() -> tuple[list[Route], set[str], dict[str, TargetFactory]]:
    """Routes, public names and target factories of every installed Liuqing app."""
    routes: list[Route] = []
    public: set[str] = set()
    targets: dict[str, TargetFactory] = {}
    for module in app_modules("permissions"):
        routes.extend(getattr(module, "ROUTES", []))
        public.update(getattr(module, "PUBLIC", set()))
        targets.update(getattr(module, "TARGETS", {}))
    return routes, public, targets
