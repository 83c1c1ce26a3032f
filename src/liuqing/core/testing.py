"""Standing test data for every app's tests: a small jurisdiction tree and one persona per role.

The tree (built through the real services):

    D  detachment
    ├── B1 brigade
    │   ├── S1 station        ← every persona works here
    │   │   └── C1 community office
    │   │       └── G1 grid
    │   └── S2 station        (sibling of S1)
    └── B2 brigade
        └── S3 station        (another brigade)

Relations used by permission tests, seen from S1: own = S1, child = C1, sibling = S2,
parent = B1, other = S3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from liuqing.core import services
from liuqing.core.models import Member, Role, Unit, UnitKind

PASSWORD = "correct horse battery staple 9"  # noqa: S105  (test personas only)
RELATIONS = ("own", "child", "sibling", "parent", "other")


@dataclass
class World:
    units: dict[str, Unit] = field(default_factory=dict)
    personas: dict[str, Member] = field(default_factory=dict)

    def unit_for(self, relation: str) -> Unit:
        return self.units[
            {"own": "S1", "child": "C1", "sibling": "S2", "parent": "B1", "other": "S3"}[relation]
        ]

    def persona(self, role: str) -> Member:
        return self.personas[role]


def build_world() -> World:
    world = World()
    u = world.units
    u["D"] = services.create_unit(
        actor=None, code="T654000", name="测试支队", kind=UnitKind.DETACHMENT, parent=None
    )
    specs = [
        ("B1", "T654002", "测试一大队", UnitKind.BRIGADE, "D"),
        ("B2", "T654021", "测试二大队", UnitKind.BRIGADE, "D"),
        ("S1", "T654002-01", "测试一所", UnitKind.STATION, "B1"),
        ("S2", "T654002-02", "测试二所", UnitKind.STATION, "B1"),
        ("S3", "T654021-01", "测试三所", UnitKind.STATION, "B2"),
        ("C1", "T654002-01-01", "测试社区", UnitKind.COMMUNITY, "S1"),
        ("G1", "T654002-01-01-01", "测试网格", UnitKind.GRID, "C1"),
    ]
    for key, code, name, kind, parent in specs:
        u[key] = services.create_unit(actor=None, code=code, name=name, kind=kind, parent=u[parent])
    for role in Role.values:
        world.personas[role] = services.create_member(
            actor=None,
            username=f"{role}_s1",
            full_name=f"{role} S1",
            unit=u["S1"],
            roles=[role],
            password=PASSWORD,
        )
    return world


def make_member(unit: Unit, roles: list[str], username: str) -> Member:
    return services.create_member(
        actor=None,
        username=username,
        full_name=username,
        unit=unit,
        roles=roles,
        password=PASSWORD,
    )


def confirmed_device(member: Member) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=member, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=member, name="test", confirmed=True)
    return device


def login_verified(client: Client, member: Member) -> Client:
    """Log `member` in on the test client with the second factor already passed."""
    device = confirmed_device(member)
    client.force_login(member)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
