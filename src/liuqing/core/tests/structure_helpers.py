"""Helpers for the structure tests: extra members and places built through the services, a
verified client per member, and a switch that makes every audit write fail at the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from liuqing.core import services
from liuqing.core.models import Member, Place, PlaceKind, Role, Unit
from liuqing.core.testing import PASSWORD, World, login_verified, make_member

PHONE = "13812345678"
PHONE_MASKED = "138****5678"


def root(world: World) -> Member:
    """Detachment staff at the root: may place objects anywhere in the test tree."""
    actor = world.personas.get("_root")
    if actor is None:
        actor = make_member(world.units["D"], [Role.DETACHMENT_STAFF], "root_staff")
        world.personas["_root"] = actor
    return actor


def member(
    world: World, unit_key: str, username: str, roles: list[str] | None = None, phone: str = ""
) -> Member:
    return services.create_member(
        actor=None,
        username=username,
        full_name=f"{username} 姓名",
        unit=world.units[unit_key],
        roles=roles or [Role.OFFICER],
        password=PASSWORD,
        phone=phone,
    )


def place(world: World, unit_key: str, name: str, **extra: object) -> Place:
    fields: dict[str, object] = {
        "kind": PlaceKind.VILLAGE,
        "latitude": 43.825592,
        "longitude": 87.616848,
        **extra,
    }
    return services.create_place(
        actor=root(world),
        unit=world.units[unit_key],
        name=name,
        **fields,  # type: ignore[arg-type]
    )


def unit(world: World, parent_key: str, code: str, name: str, kind: str) -> Unit:
    return services.create_unit(
        actor=root(world), parent=world.units[parent_key], kind=kind, code=code, name=name
    )


def client_for(who: Member) -> Client:
    return login_verified(Client(), who)


def count_queries(client: Client, url: str, **headers: str) -> tuple[int, int]:
    """(number of queries, status) of one GET."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    return len(ctx.captured_queries), response.status_code


@contextmanager
def audit_writes_fail() -> Iterator[None]:
    """Install a real trigger that aborts every insert into the audit table."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER lq_audit_fail BEFORE INSERT ON core_auditevent "
                "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION lq_audit_fail() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'audit store unavailable'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER lq_audit_fail BEFORE INSERT ON core_auditevent "
                "FOR EACH ROW EXECUTE FUNCTION lq_audit_fail()"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("DROP TRIGGER IF EXISTS lq_audit_fail")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS lq_audit_fail ON core_auditevent")
                cursor.execute("DROP FUNCTION IF EXISTS lq_audit_fail()")
