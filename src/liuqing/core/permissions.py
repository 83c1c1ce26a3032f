"""Permission-matrix declarations of core (see liuqing.core.matrix)."""

from liuqing.core.routes_auth import PUBLIC as AUTH_PUBLIC
from liuqing.core.routes_auth import ROUTES as AUTH_ROUTES
from liuqing.core.routes_auth import TARGETS as AUTH_TARGETS
from liuqing.core.routes_structure import PUBLIC as STRUCTURE_PUBLIC
from liuqing.core.routes_structure import ROUTES as STRUCTURE_ROUTES
from liuqing.core.routes_structure import TARGETS as STRUCTURE_TARGETS

ROUTES = [*AUTH_ROUTES, *STRUCTURE_ROUTES]
TARGETS = {**AUTH_TARGETS, **STRUCTURE_TARGETS}
PUBLIC = {*AUTH_PUBLIC, *STRUCTURE_PUBLIC, "set_language", "javascript-catalog", "api:openapi-json"}

__all__ = ["PUBLIC", "ROUTES", "TARGETS"]
