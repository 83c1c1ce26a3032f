"""The generated permission matrix: every URL and API operation × every role × every relation.

Routes come from each app's `permissions.py` (see liuqing.core.matrix); the expectation comes
from the access policies (liuqing.core.access.POLICIES), and the test checks that each view
and operation really enforces them. A URL in neither the matrix nor the public allow-list, or
an API operation missing from the matrix, fails the suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from liuqing.api import api
from liuqing.core import services
from liuqing.core.access import POLICIES, VIEW
from liuqing.core.matrix import Route, collect
from liuqing.core.models import Member, Role
from liuqing.core.testing import RELATIONS, World, login_verified

ROUTES, PUBLIC, TARGETS = collect()
ROLES = list(Role.values)
IN_SCOPE = {"own", "child"}
OK = "ok"
REFUSED = "refused"  # an out-of-scope unit in a create form: refused without writing


def walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from walk(entry.url_patterns, full)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield (name or f"<unnamed {entry.pattern}>", entry)


def api_operations() -> Iterator[tuple[str, str, str]]:
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield operation["operationId"], method.upper(), path


API_PATHS = {op: (method, path) for op, method, path in api_operations()}
HTML_ROUTES = [r for r in ROUTES if not r.api]
API_ROUTES = [r for r in ROUTES if r.api]


def expectation(route: Route, role: str, relation: str | None) -> str | int:
    aimed = route.target is not None or route.unit_param is not None
    if aimed and relation not in IN_SCOPE:
        return 404 if route.target is not None else REFUSED
    if route.kind is None:
        return OK
    policy = POLICIES[route.kind]
    if role not in policy.roles_for(VIEW):
        return 403
    if route.action != VIEW and role not in policy.roles_for(route.action):
        return 403
    return OK


def html_url(route: Route, kwargs: dict[str, Any]) -> str:
    return reverse(route.name, kwargs=kwargs or None)


def api_url(route: Route, kwargs: dict[str, Any]) -> str:
    _method, path = API_PATHS[route.name]
    return path.format(**kwargs)


def send(client: Client, route: Route, url: str, data: dict[str, Any], token: str = "") -> Any:
    method = route.method.lower()
    if route.api:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        if method in {"get", "delete"}:
            return getattr(client, method)(url, data or None, **headers)
        if route.multipart:
            return getattr(client, method)(url, data, **headers)
        return getattr(client, method)(
            url, json.dumps(data), content_type="application/json", **headers
        )
    if method == "get":
        return client.get(url, data or None)
    return client.post(url, data)


def judge(route: Route, expected: str | int, status: int, where: str) -> str | None:
    if status >= 500:
        return f"{where}: server error {status}"
    if expected == OK:
        if status in (401, 403, 404):
            return f"{where}: expected success, got {status}"
    elif expected == REFUSED:
        success = status < 300 if route.api else status in (301, 302, 303)
        if success:
            return f"{where}: out-of-scope unit accepted ({status})"
    elif status != expected:
        return f"{where}: expected {expected}, got {status}"
    return None


class Actors:
    """One logged-in client (HTML) and one bearer token (API) per role, made on demand."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.clients: dict[str, Client] = {}
        self.tokens: dict[str, str] = {}

    def member(self, role: str) -> Member:
        return self.world.persona(role)

    def client(self, role: str) -> Client:
        if role not in self.clients:
            self.clients[role] = login_verified(Client(), self.member(role))
        return self.clients[role]

    def token(self, role: str) -> str:
        if role not in self.tokens:
            _token, secret = services.create_api_token(actor=self.member(role), name="matrix")
            self.tokens[role] = secret
        return self.tokens[role]


def exercise(world: World, route: Route) -> list[str]:
    actors = Actors(world)
    problems: list[str] = []
    relations: list[str | None]
    if route.self_only or (route.target is None and route.unit_param is None):
        relations = [None]
    else:
        relations = list(RELATIONS)
    listed: dict[str, str] = {}
    if route.lists:
        for relation in RELATIONS:
            _kwargs, marker = TARGETS[route.lists](
                world, world.unit_for(relation), f"MX{relation}Q"
            )
            listed[relation] = marker
    for relation in relations:
        unit = world.unit_for(relation or "own")
        kwargs: dict[str, Any] = {}
        if route.target is not None:
            kwargs, _marker = TARGETS[route.target](world, unit, f"MX{relation}T")
        for role in ROLES:
            data = route.data(world, unit, kwargs) if route.data else {}
            url = api_url(route, kwargs) if route.api else html_url(route, kwargs)
            where = f"{route.method} {url} as {role} on {relation or '-'}"
            expected = expectation(route, role, relation)
            client = Client() if route.api else actors.client(role)
            token = actors.token(role) if route.api else ""
            with transaction.atomic():
                response = send(client, route, url, data, token)
                transaction.set_rollback(True)
            problem = judge(route, expected, response.status_code, where)
            if problem:
                problems.append(problem)
            elif route.lists and expected == OK and response.status_code == 200:
                body = response.content.decode()
                for rel, marker in listed.items():
                    if rel in IN_SCOPE and marker not in body:
                        problems.append(f"{where}: in-scope row {marker} missing from the list")
                    if rel not in IN_SCOPE and marker in body:
                        problems.append(f"{where}: out-of-scope row {marker} leaked")
    return problems


# --- Coverage of the URL space -----------------------------------------------------------------


def test_every_url_is_in_the_matrix_or_public() -> None:
    declared = {r.name for r in HTML_ROUTES} | PUBLIC
    missing = []
    for name, _pattern in walk(get_resolver().url_patterns):
        if name.startswith("api:") and name != "api:openapi-json":
            continue  # API operations are covered through the OpenAPI schema below
        if name not in declared:
            missing.append(name)
    assert missing == [], f"URLs with no matrix route and not public: {missing}"


def test_every_api_operation_is_in_the_matrix() -> None:
    declared = {r.name for r in API_ROUTES} | PUBLIC
    missing = [op for op in API_PATHS if op not in declared]
    assert missing == [], f"API operations with no matrix route: {missing}"


def test_every_declared_route_exists() -> None:
    names = {name for name, _p in walk(get_resolver().url_patterns)}
    unknown = [r.name for r in HTML_ROUTES if r.name not in names]
    unknown += [r.name for r in API_ROUTES if r.name not in API_PATHS]
    unknown += [
        r.lists or r.target
        for r in ROUTES
        if (r.lists or r.target) and (r.lists or r.target) not in TARGETS
    ]
    assert unknown == [], f"matrix routes naming nothing: {unknown}"


def test_the_matrix_is_not_empty() -> None:
    assert len(HTML_ROUTES) >= 10
    assert len(API_ROUTES) >= 10


# --- The matrix itself -------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method}-{r.name}" for r in ROUTES])
def test_route_obeys_the_access_policy(world: World, route: Route) -> None:
    problems = exercise(world, route)
    assert problems == [], "\n".join(problems)


# --- No single-factor path ---------------------------------------------------------------------


def _any_kwargs(world: World, route: Route) -> dict[str, Any]:
    if route.target is None:
        return {}
    kwargs, _marker = TARGETS[route.target](world, world.unit_for("own"), "MXanon")
    return kwargs


@pytest.mark.parametrize("route", HTML_ROUTES, ids=[f"{r.method}-{r.name}" for r in HTML_ROUTES])
def test_staff_pages_need_both_factors(world: World, route: Route) -> None:
    kwargs = _any_kwargs(world, route)
    url = html_url(route, kwargs)
    data = route.data(world, world.unit_for("own"), kwargs) if route.data else {}
    anonymous = send(Client(), route, url, data)
    assert anonymous.status_code in (302, 303), f"anonymous {url}: {anonymous.status_code}"
    assert reverse("core:login") in anonymous["Location"]

    password_only = Client()
    password_only.force_login(world.persona(Role.STATION_CHIEF))  # password passed, no TOTP
    response = send(password_only, route, url, data)
    assert response.status_code in (302, 303), f"password-only {url}: {response.status_code}"
    assert "otp" in response["Location"]


@pytest.mark.parametrize("route", API_ROUTES, ids=[f"{r.method}-{r.name}" for r in API_ROUTES])
def test_api_operations_need_a_token_or_a_verified_session(world: World, route: Route) -> None:
    kwargs = _any_kwargs(world, route)
    url = api_url(route, kwargs)
    data = route.data(world, world.unit_for("own"), kwargs) if route.data else {}
    assert send(Client(), route, url, data).status_code == 401
    assert send(Client(), route, url, data, token="lq_0000000000_forged").status_code == 401
    password_only = Client()
    password_only.force_login(world.persona(Role.STATION_CHIEF))
    assert send(password_only, route, url, data).status_code == 401
