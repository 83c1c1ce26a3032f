"""Demo data: the Ili border management detachment, its ten brigades and everything below.

Deterministic: every step draws from its own `random.Random` seeded with the demo seed and the
step's name, and dates are fixed offsets from `ANCHOR`, never `now()`. The same seed gives the
same units, places, usernames and teams on every machine (passwords hashes and TOTP secrets
are the exception: they are secrets and drawn fresh).

Volume: at scale 1 each brigade gets 2–4 police stations, each station 2–3 community offices,
each office 2–3 grids. `scale=N` multiplies the stations per brigade by N (everything below a
station follows), so N=100 gives about 3,000 stations, 19,000 grids and 55,000 members. The
detachment, its ten brigades and the named demo accounts stay the same at every scale.

The tree's top (detachment, brigades) and the named demo accounts go through
`liuqing.core.services`, one audit event each; the bulk rows go in with `bulk_create`, with
the same invariants (paths, roles, encrypted phones, valid teams) and one audit event per bulk
operation summarising the counts.

Extension point: other apps add their demo records with a `demo.py` module of their own that
registers steps, which run after the core steps (order ≥ 100)::

    from liuqing.core import demo

    @demo.step("appeals", order=200)
    def build_appeals(ctx: demo.DemoContext, rng: random.Random, scale: int) -> None:
        for station in ctx.stations: ...
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from math import cos, radians
from pathlib import Path
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from liuqing.core import audit, pii, services
from liuqing.core.discovery import app_modules
from liuqing.core.models import (
    Member,
    MemberRole,
    Place,
    PlaceKind,
    Role,
    Team,
    TeamMembership,
    TeamPosition,
    Unit,
    UnitKind,
)

DATA_FILE = Path(__file__).parent / "data" / "ili_units.csv"
DEFAULT_SEED = 6540
# Business dates in demo records are offsets from this moment (Beijing time).
ANCHOR = dt.datetime(2025, 6, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
# Shared by every demo account. Passes the password validators (≥ 12 characters, not on the
# deny-list); printed by `liuqing demo`, so it protects nothing: demo use only.
DEMO_PASSWORD = "Nalati-grassland-25"  # noqa: S105 (public by design)
PREFECTURE_ADCODE = "654000"
BATCH = 1000

# --- Geography ------------------------------------------------------------------------------


@dataclass(frozen=True)
class County:
    """A county-level division of the Ili valley and what its brigade's stations are named
    after (towns and townships of the county; border counties' stations are 边境派出所)."""

    adcode: str
    short: str
    towns: tuple[str, ...]
    border: bool = False
    scenic: tuple[str, ...] = ()


COUNTIES: tuple[County, ...] = (
    County(
        "654002",
        "伊宁市",
        ("墩买里", "喀赞其", "巴彦岱", "英也尔", "潘津", "达达木图"),
        scenic=("喀赞其民俗旅游区", "六星街"),
    ),
    County(
        "654021", "伊宁县", ("吉里于孜", "墩麻扎", "英塔木", "胡地亚于孜", "巴依托海", "喀拉亚尕奇")
    ),
    County(
        "654022",
        "察布查尔",
        ("察布查尔镇", "孙扎齐", "琼博拉", "爱新舍里", "加尕斯台", "都拉塔"),
        border=True,
    ),
    County(
        "654023",
        "霍城",
        ("清水河", "芦草沟", "惠远", "萨尔布拉克", "三道河子", "大西沟"),
        border=True,
        scenic=("果子沟", "惠远古城", "薰衣草庄园"),
    ),
    County("654004", "霍尔果斯", ("卡拉苏", "伊车嘎善", "亚欧", "口岸", "合作中心"), border=True),
    County(
        "654024",
        "巩留",
        ("巩留镇", "阿尕尔森", "库尔德宁", "莫合尔", "东买里", "提克阿热克"),
        scenic=("库尔德宁景区",),
    ),
    County(
        "654025",
        "新源",
        ("新源镇", "那拉提", "阿热勒托别", "肖尔布拉克", "则克台", "喀拉布拉"),
        scenic=("那拉提景区",),
    ),
    County(
        "654026",
        "昭苏",
        ("昭苏镇", "洪纳海", "喀夏加尔", "阿克达拉", "夏特", "察汗乌苏"),
        border=True,
        scenic=("夏塔景区",),
    ),
    County(
        "654027",
        "特克斯",
        ("特克斯镇", "喀拉达拉", "齐勒乌泽克", "乔拉克铁热克", "喀拉托海", "阔克苏"),
        scenic=("喀拉峻景区", "八卦城"),
    ),
    County(
        "654028",
        "尼勒克",
        ("尼勒克镇", "乌赞", "加哈乌拉斯台", "喀拉苏", "苏布台", "克令"),
        scenic=("唐布拉景区",),
    ),
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


VILLAGE_STEMS = _words(
    "阿克塔木 喀拉墩 托格拉克 阔克托别 克孜勒 阿勒玛勒 布拉克 团结 幸福 "
    "和平 友谊 红星 新华 光明 东风 向阳 胜利 丰收 园艺 塔斯特 "
    "萨尔布拉克 喀拉苏 奥依托别 阿克苏 加勒格孜 新村 果园 草原 天山 河畔"
)
ENTERPRISES = _words(
    "农机专业合作社 乳业有限公司 薰衣草精油加工厂 牧业合作社 物流园 "
    "马业合作社 建材有限公司 果蔬冷链中心 蜂业合作社 农产品加工厂"
)


@dataclass(frozen=True)
class Seat:
    adcode: str
    name: str
    longitude: Decimal
    latitude: Decimal


def load_seats() -> dict[str, Seat]:
    """The seats in data/ili_units.csv (from cpca 0.5.5, MIT) by six-digit adcode."""
    lines = [
        line
        for line in DATA_FILE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    seats = {}
    for row in csv.DictReader(lines):
        code = row["adcode"][:6]
        seats[code] = Seat(
            adcode=code,
            name=row["name"],
            longitude=Decimal(row["longitude"]),
            latitude=Decimal(row["latitude"]),
        )
    return seats


def jitter(
    rng: random.Random, lat: Decimal, lon: Decimal, min_km: float, max_km: float
) -> tuple[Decimal, Decimal]:
    """A point between `min_km` and `max_km` from (lat, lon) in a random direction."""
    distance = rng.uniform(min_km, max_km)
    north = rng.uniform(-1.0, 1.0)
    east = rng.choice((-1.0, 1.0)) * (1.0 - north * north) ** 0.5
    dlat = distance * north / 111.0
    dlon = distance * east / (111.0 * cos(radians(float(lat))))
    q = Decimal("0.000001")
    return (
        (lat + Decimal(str(dlat))).quantize(q),
        (lon + Decimal(str(dlon))).quantize(q),
    )


# --- Names ----------------------------------------------------------------------------------

HAN_SURNAMES = _words(
    "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 马 朱 胡 郭 何 高 林 "
    "罗 郑 梁 谢 宋 唐 韩 冯 于 董 程 曹 袁 邓 许 沈 彭 吕 苏 "
    "蒋 蔡 贾 丁 魏 薛 叶 余 潘 杜 夏 钟 田 任 姜 范 方 石 姚 "
    "谭 金 陆"
)
HAN_GIVEN = _words(
    "建军 建国 志强 海燕 丽娟 秀兰 文静 伟 磊 敏 静 军 勇 洋 艳 杰 "
    "娜 涛 明 超 秀英 桂英 玉兰 红梅 晓东 晓燕 国庆 新民 春华 立新 "
    "卫东 志刚 丽萍 雪梅 俊 斌 浩 鑫 宇 婷 欣怡 子涵 天佑 振华 永刚 "
    "淑芬"
)
# Given names and fathers' names in the Chinese transliteration used in Xinjiang
# ("given·father"), as they appear on staff lists.
UYGHUR_GIVEN = _words(
    "艾力 买买提 阿不都 艾尔肯 热合曼 艾克拜尔 阿迪力 努尔艾力 麦麦提江 "
    "亚森 肉孜 库尔班 艾买提 帕尔哈提 迪力夏提 塔依尔 吾买尔 阿里木 依明 "
    "玉素甫 古丽娜尔 阿依古丽 帕提古丽 热依拉 迪丽努尔 努尔古丽 米热古丽 "
    "阿依努尔 祖丽皮亚 玛依拉 阿尔祖古丽"
)
UYGHUR_FATHER = _words(
    "买买提 吐尔逊 艾则孜 热合曼 阿不都拉 玉素甫 肉孜 库尔班 司马义 依明 "
    "吾甫尔 卡德尔 亚森 阿西木 托乎提"
)
KAZAKH_GIVEN = _words(
    "努尔兰 叶尔兰 阿斯哈尔 叶尔江 达吾列提 哈那提 赛力克 加尔肯 "
    "努尔波拉提 叶尔波拉提 巴合提 阿依达尔 木拉提 阿依达娜 古丽巴哈尔 "
    "加娜尔 阿依江 古丽米拉 努尔加玛丽 哈丽达 加米拉 沙吾丽"
)
KAZAKH_FATHER = _words(
    "哈力别克 努尔别克 吐尔逊别克 哈布都拉 叶尔肯 加肯 阿曼 别克波拉提 "
    "吐尔洪 达吾提 木哈买提 哈孜汗"
)


def person_name(rng: random.Random) -> str:
    """A realistic name from the valley's mix of naming traditions (nothing else is implied
    or stored: Liuqing has no ethnicity field)."""
    pick = rng.random()
    if pick < 0.45:
        return rng.choice(HAN_SURNAMES) + rng.choice(HAN_GIVEN)
    if pick < 0.8:
        return f"{rng.choice(UYGHUR_GIVEN)}·{rng.choice(UYGHUR_FATHER)}"
    return f"{rng.choice(KAZAKH_GIVEN)}·{rng.choice(KAZAKH_FATHER)}"


def demo_phone(n: int) -> str:
    """Mobile numbers 199 0xxx xxxx: valid for `phonenumbers`, obviously made up."""
    return f"1990{n:07d}"


# --- Named accounts -------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    full_name: str
    role: str
    where: str  # detachment | brigade | station | community | grid (of the home station)


ACCOUNTS: tuple[Account, ...] = (
    Account("chief", "王建军", Role.STATION_CHIEF, "station"),
    Account("sergeant", "艾力·买买提", Role.SERGEANT, "station"),
    Account("officer", "努尔兰·哈力别克", Role.OFFICER, "community"),
    Account("auxiliary", "古丽娜尔·吐尔逊", Role.AUXILIARY, "community"),
    Account("grid", "阿依古丽·艾则孜", Role.GRID_WORKER, "grid"),
    Account("mediator", "李秀兰", Role.MEDIATOR, "station"),
    Account("brigade", "张海燕", Role.BRIGADE_STAFF, "brigade"),
    Account("detachment", "叶尔兰·努尔别克", Role.DETACHMENT_STAFF, "detachment"),
    Account("analyst", "陈文静", Role.ANALYST, "detachment"),
    Account("auditor", "热依拉·吐尔逊", Role.AUDITOR, "detachment"),
    Account("admin", "刘志强", Role.SYSADMIN, "detachment"),
)
ACCOUNT_NAMES = tuple(a.username for a in ACCOUNTS)
HOME_COUNTY = "654002"  # the named station-level accounts work at the first 伊宁市 station


# --- Steps ----------------------------------------------------------------------------------


@dataclass
class DemoContext:
    """What the steps build, for the steps after them."""

    seed: int
    scale: int
    anchor: dt.datetime
    log: Callable[[str], None]
    seats: dict[str, Seat] = field(default_factory=dict)
    detachment: Unit | None = None
    brigades: list[Unit] = field(default_factory=list)
    stations: list[Unit] = field(default_factory=list)
    communities: list[Unit] = field(default_factory=list)
    grids: list[Unit] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    accounts: dict[str, Member] = field(default_factory=dict)
    teams: list[Team] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    # Filled as units are made: each station's county, and each unit's children (by pk).
    county_of: dict[int, County] = field(default_factory=dict)
    children: dict[int, list[Unit]] = field(default_factory=dict)

    @property
    def root(self) -> Unit:
        assert self.detachment is not None
        return self.detachment

    @property
    def home_station(self) -> Unit:
        brigade = next(b for b in self.brigades if b.code == HOME_COUNTY)
        return self.children[brigade.pk][0]

    def members_with(self, role: str) -> list[Member]:
        return [m for m in self.members if role in m.role_set]

    def record(self, action: str, **details: Any) -> None:
        """One audit event for a bulk operation, at the detachment."""
        audit.record(
            action,
            unit=self.root,
            object_type="demo",
            details={"seed": self.seed, "scale": self.scale, **details},
        )


StepFunc = Callable[[DemoContext, random.Random, int], None]


@dataclass(frozen=True)
class Step:
    name: str
    func: StepFunc
    order: int


STEPS: dict[str, Step] = {}


def step(name: str, *, order: int) -> Callable[[StepFunc], StepFunc]:
    """Register a demo step; steps run by `order` (core uses < 100), each with its own
    random generator seeded from the demo seed and the step's name."""

    def decorate(func: StepFunc) -> StepFunc:
        STEPS[name] = Step(name=name, func=func, order=order)
        return func

    return decorate


def discover() -> None:
    """Import `<app>.demo` of every installed Liuqing app, which registers its steps."""
    app_modules("demo")


def core_and(*names: str) -> list[str]:
    """The core's steps and the named ones: what a module's tests build when they need only
    that module's demo data on top of the core (`build_demo(steps=...)`)."""
    discover()
    return [name for name in STEPS if name.startswith("core.")] + list(names)


def _bulk_units(ctx: DemoContext, units: list[Unit]) -> list[Unit]:
    """Insert units whose parents already have paths, each with its final path.

    The path holds the unit's own primary key, so the keys are assigned here (after the
    highest existing one) rather than by the database; the sequence is reset afterwards
    (`_reset_sequences`). Cheaper by far than inserting placeholders and updating 30,000
    paths afterwards, and the demo build is the only writer while it runs.
    """
    next_pk = (Unit.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    for offset, unit in enumerate(units):
        assert unit.parent is not None
        unit.pk = next_pk + offset
        unit.path = f"{unit.parent.path}{unit.pk:08d}."
        unit.depth = unit.path.count(".") - 1
        unit.created_at = ctx.anchor - dt.timedelta(days=365)
        ctx.children.setdefault(unit.parent.pk, []).append(unit)
    Unit.objects.bulk_create(units, batch_size=BATCH)
    _reset_sequences(Unit)
    return units


def _reset_sequences(*models: type[Model]) -> None:
    """Move the primary-key sequences past explicitly assigned keys (PostgreSQL; SQLite's
    AUTOINCREMENT follows by itself and gets no statements)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@step("core.units", order=10)
def build_units(ctx: DemoContext, rng: random.Random, scale: int) -> None:
    """Detachment and brigades through the services; stations, offices and grids in bulk."""
    seats = ctx.seats
    prefecture = seats[PREFECTURE_ADCODE]
    ctx.detachment = services.create_unit(
        actor=None,
        code=PREFECTURE_ADCODE,
        name="伊犁边境管理支队",
        kind=UnitKind.DETACHMENT,
        parent=None,
        latitude=prefecture.latitude,
        longitude=prefecture.longitude,
        duty_phone="0999-8020110",
    )
    for county in COUNTIES:
        seat = seats[county.adcode]
        brigade = services.create_unit(
            actor=None,
            code=county.adcode,
            name=f"{county.short}边境管理大队",
            kind=UnitKind.BRIGADE,
            parent=ctx.detachment,
            latitude=seat.latitude,
            longitude=seat.longitude,
            duty_phone=f"0999-{rng.randint(8000000, 8999999)}",
        )
        ctx.brigades.append(brigade)
        ctx.children.setdefault(ctx.root.pk, []).append(brigade)

    stations: list[Unit] = []
    station_counties: list[County] = []
    for brigade, county in zip(ctx.brigades, COUNTIES, strict=True):
        seat = seats[county.adcode]
        for i in range(rng.randint(2, 4) * scale):
            town = county.towns[i % len(county.towns)]
            cycle = i // len(county.towns)
            kind_name = "边境派出所" if county.border else "派出所"
            name = f"{town}{kind_name}" + (f"（{cycle + 1}）" if cycle else "")
            lat, lon = jitter(rng, seat.latitude, seat.longitude, 2, 8)
            station = Unit(
                code=f"{county.adcode}-{i + 1:02d}",
                name=name,
                kind=UnitKind.STATION,
                parent=brigade,
                latitude=lat,
                longitude=lon,
                duty_phone=f"0999-{rng.randint(8000000, 8999999)}",
            )
            stations.append(station)
            station_counties.append(county)
    ctx.stations = _bulk_units(ctx, stations)
    ctx.county_of = {s.pk: c for s, c in zip(ctx.stations, station_counties, strict=True)}

    communities: list[Unit] = []
    for station in ctx.stations:
        stems = rng.sample(VILLAGE_STEMS, rng.randint(2, 3))
        for j, stem in enumerate(stems):
            village = rng.random() < 0.7
            assert station.latitude is not None
            assert station.longitude is not None
            lat, lon = jitter(rng, station.latitude, station.longitude, 1, 3)
            communities.append(
                Unit(
                    code=f"{station.code}-{j + 1:02d}",
                    name=f"{stem}{'村' if village else '社区'}警务室",
                    kind=UnitKind.COMMUNITY,
                    parent=station,
                    latitude=lat,
                    longitude=lon,
                )
            )
    ctx.communities = _bulk_units(ctx, communities)

    grids: list[Unit] = []
    for office in ctx.communities:
        area = office.name.removesuffix("警务室")
        for k in range(rng.randint(2, 3)):
            assert office.latitude is not None
            assert office.longitude is not None
            lat, lon = jitter(rng, office.latitude, office.longitude, 0.3, 1.0)
            grids.append(
                Unit(
                    code=f"{office.code}-{k + 1:02d}",
                    name=f"{area}第{k + 1}网格",
                    kind=UnitKind.GRID,
                    parent=office,
                    latitude=lat,
                    longitude=lon,
                )
            )
    ctx.grids = _bulk_units(ctx, grids)
    ctx.counts.update(
        stations=len(ctx.stations), communities=len(ctx.communities), grids=len(ctx.grids)
    )
    ctx.record(
        "demo.units",
        created={
            "station": len(ctx.stations),
            "community": len(ctx.communities),
            "grid": len(ctx.grids),
        },
    )


@step("core.places", order=20)
def build_places(ctx: DemoContext, rng: random.Random, scale: int) -> None:
    """Villages and communities for each office; a school, an enterprise and a market for each
    station; each county's scenic areas at its first stations."""
    places: list[Place] = []

    def add(unit: Unit, name: str, kind: str, near_km: tuple[float, float]) -> None:
        assert unit.latitude is not None
        assert unit.longitude is not None
        lat, lon = jitter(rng, unit.latitude, unit.longitude, *near_km)
        places.append(
            Place(
                unit=unit,
                name=name,
                kind=kind,
                latitude=lat,
                longitude=lon,
                created_at=ctx.anchor - dt.timedelta(days=300),
            )
        )

    first_of_county: dict[str, list[Unit]] = {}
    for station in ctx.stations:
        county = ctx.county_of[station.pk]
        first_of_county.setdefault(county.adcode, []).append(station)
        town = station.name.split("派出所")[0].removesuffix("边境")
        add(station, f"{town}中心学校", PlaceKind.SCHOOL, (0.2, 1.5))
        add(station, f"{town}{rng.choice(ENTERPRISES)}", PlaceKind.ENTERPRISE, (0.5, 3))
        add(station, f"{town}{rng.choice(('农贸市场', '巴扎'))}", PlaceKind.MARKET, (0.1, 1))
    for office in ctx.communities:
        area = office.name.removesuffix("警务室")
        kind = PlaceKind.VILLAGE if area.endswith("村") else PlaceKind.COMMUNITY
        add(office, area, kind, (0.0, 0.3))
    for county in COUNTIES:
        for n, scenic in enumerate(county.scenic):
            county_stations = first_of_county[county.adcode]
            station = county_stations[n % len(county_stations)]
            add(station, scenic, PlaceKind.SCENIC, (1, 6))
    Place.objects.bulk_create(places, batch_size=BATCH)
    ctx.places = places
    by_kind = Counter(p.kind for p in places)
    ctx.counts.update(places=len(places))
    ctx.record("demo.places", created=dict(sorted(by_kind.items())))


@dataclass
class _Slot:
    unit: Unit
    role: str
    username: str


def _slots(ctx: DemoContext, rng: random.Random) -> list[_Slot]:
    """Every position to fill, in a fixed order."""
    slots: list[_Slot] = []
    for i in range(2):
        slots.append(_Slot(ctx.root, Role.DETACHMENT_STAFF, f"u{ctx.root.code}-staff{i + 1}"))
    slots.append(_Slot(ctx.root, Role.ANALYST, f"u{ctx.root.code}-analyst1"))
    for brigade in ctx.brigades:
        for i in range(2):
            slots.append(_Slot(brigade, Role.BRIGADE_STAFF, f"u{brigade.code}-staff{i + 1}"))
    for station in ctx.stations:
        slots.append(_Slot(station, Role.STATION_CHIEF, f"u{station.code}-chief"))
        for i in range(2):
            slots.append(_Slot(station, Role.SERGEANT, f"u{station.code}-sergeant{i + 1}"))
        slots.append(_Slot(station, Role.MEDIATOR, f"u{station.code}-mediator"))
        for office in ctx.children.get(station.pk, []):
            slots.append(_Slot(office, Role.OFFICER, f"u{office.code}-officer"))
            for i in range(rng.randint(2, 3)):
                slots.append(_Slot(office, Role.AUXILIARY, f"u{office.code}-aux{i + 1}"))
            for grid in ctx.children.get(office.pk, []):
                slots.append(_Slot(grid, Role.GRID_WORKER, f"u{grid.code}-grid"))
    return slots


def _named_unit(ctx: DemoContext, where: str) -> Unit:
    station = ctx.home_station
    office = ctx.children[station.pk][0]
    assert station.parent is not None
    return {
        "detachment": ctx.root,
        "brigade": station.parent,
        "station": station,
        "community": office,
        "grid": ctx.children[office.pk][0],
    }[where]


@step("core.members", order=30)
def build_members(ctx: DemoContext, rng: random.Random, scale: int) -> None:
    """The named accounts through the services (so the demo password meets the validators),
    then one member per position in bulk, sharing the named accounts' password hash."""
    named_slots: set[tuple[int, str]] = set()
    for account in ACCOUNTS:
        unit = _named_unit(ctx, account.where)
        member = services.create_member(
            actor=None,
            username=account.username,
            full_name=account.full_name,
            unit=unit,
            roles=[account.role],
            password=DEMO_PASSWORD,
            phone=demo_phone(len(ctx.accounts) + 1),
        )
        ctx.accounts[account.username] = member
        named_slots.add((unit.pk, account.role))
    password_hash = ctx.accounts[ACCOUNTS[0].username].password
    now = timezone.now()

    members: list[Member] = []
    roles: list[str] = []
    badge = 100000
    for slot in _slots(ctx, rng):
        if (slot.unit.pk, slot.role) in named_slots:
            named_slots.discard((slot.unit.pk, slot.role))  # the named account fills it
            continue
        police = slot.role not in {Role.AUXILIARY, Role.GRID_WORKER, Role.MEDIATOR}
        badge += rng.randint(1, 9)
        member = Member(
            username=slot.username,
            full_name=person_name(rng),
            unit=slot.unit,
            badge_number=f"{badge:06d}" if police else "",
            password=password_hash,
            password_changed_at=now,
            date_joined=ctx.anchor - dt.timedelta(days=rng.randint(30, 3650)),
        )
        member._role_cache = frozenset({slot.role})
        members.append(member)
        roles.append(slot.role)
    Member.objects.bulk_create(members, batch_size=BATCH)
    _store_phones(members, first=len(ACCOUNTS) + 1)
    MemberRole.objects.bulk_create(
        [MemberRole(member=m, role=r) for m, r in zip(members, roles, strict=True)],
        batch_size=BATCH,
    )
    ctx.members = list(ctx.accounts.values()) + members
    by_role = Counter(roles)
    ctx.counts.update(members=len(ctx.members))
    ctx.record("demo.members", created=dict(sorted(by_role.items())), named=len(ctx.accounts))


def _store_phones(members: list[Member], *, first: int) -> None:
    """Give the bulk members their demo mobile numbers, encrypted and blind-indexed.

    The same values the PhoneNumberField would store (`pii.encrypt` under the active key and
    `pii.blind_index`, with the field's purpose), written with one batched UPDATE. Going
    through the field would parse every number with `phonenumbers` twice, which is most of
    the cost of a 55,000-member build; the numbers are generated here already in E.164 form
    (checked against the parser below), so there is nothing to parse.
    """
    field = Member._meta.get_field("phone")
    index = Member._meta.get_field("phone_index")
    assert isinstance(field, pii.EncryptedField)
    rows = []
    for n, member in enumerate(members, start=first):
        e164 = "+86" + demo_phone(n)
        if n in (first, first + len(members) - 1):
            assert pii.normalise_phone(demo_phone(n)) == e164
        rows.append(
            (pii.encrypt(e164, field.purpose), pii.blind_index(e164, field.purpose), member.pk)
        )
        member.phone = pii.Protected(e164, field.kind)
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Member._meta.db_table)} SET {quote(field.column)} = %s, "  # noqa: S608
        f"{quote(index.column)} = %s WHERE {quote(Member._meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


@step("core.teams", order=40)
def build_teams(ctx: DemoContext, rng: random.Random, scale: int) -> None:
    """One team per community office: its officer, up to three auxiliaries and the grid
    workers of its grids, each checked by services.validate_team."""
    by_unit: dict[int, list[Member]] = {}
    for member in ctx.members:
        by_unit.setdefault(member.unit_id, []).append(member)
    teams: list[Team] = []
    line_ups: list[list[tuple[Member, str]]] = []
    for office in ctx.communities:
        here = by_unit.get(office.pk, [])
        officers = [m for m in here if Role.OFFICER in m.role_set]
        auxiliaries = [m for m in here if Role.AUXILIARY in m.role_set][:3]
        grid_workers = [
            m
            for grid in ctx.children.get(office.pk, [])
            for m in by_unit.get(grid.pk, [])
            if Role.GRID_WORKER in m.role_set
        ]
        if not officers:
            continue
        line_up: list[tuple[Member, str]] = [(officers[0], TeamPosition.OFFICER)]
        line_up += [(m, TeamPosition.AUXILIARY) for m in auxiliaries]
        line_up += [(m, TeamPosition.GRID_WORKER) for m in grid_workers]
        services.validate_team(office, line_up)
        teams.append(
            Team(
                unit=office,
                name=office.name.removesuffix("警务室") + "警务团队",
                created_at=ctx.anchor - dt.timedelta(days=200),
            )
        )
        line_ups.append(line_up)
    Team.objects.bulk_create(teams, batch_size=BATCH)
    TeamMembership.objects.bulk_create(
        [
            TeamMembership(team=team, member=m, position=p)
            for team, line_up in zip(teams, line_ups, strict=True)
            for m, p in line_up
        ],
        batch_size=BATCH,
    )
    ctx.teams = teams
    ctx.counts.update(teams=len(teams))
    ctx.record("demo.teams", created=len(teams), members=sum(len(line_up) for line_up in line_ups))


@step("core.devices", order=50)
def build_devices(ctx: DemoContext, rng: random.Random, scale: int) -> None:
    """A confirmed TOTP device for each named account (`liuqing otp USERNAME` shows the code).

    The secrets are random, not derived from the seed: they are the second factor."""
    devices = [
        TOTPDevice(user=member, name="demo", confirmed=True) for member in ctx.accounts.values()
    ]
    TOTPDevice.objects.bulk_create(devices)
    ctx.record("demo.devices", created=len(devices), usernames=sorted(ctx.accounts))


# --- Entry points ---------------------------------------------------------------------------


def has_data() -> bool:
    return Unit.objects.exists()


def build_demo(
    *,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    log: Callable[[str], None] | None = None,
    steps: Iterable[str] | None = None,
) -> DemoContext:
    """Build the demo data set into an empty database, in one transaction.

    `steps` limits the run to the named steps (their predecessors must be among them).
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    if has_data():
        raise ValueError("The database already holds units; flush it first (seed --flush).")
    discover()
    ctx = DemoContext(seed=seed, scale=scale, anchor=ANCHOR, log=log or (lambda _msg: None))
    ctx.seats = load_seats()
    wanted = set(steps) if steps is not None else None
    with transaction.atomic():
        for item in sorted(STEPS.values(), key=lambda s: (s.order, s.name)):
            if wanted is not None and item.name not in wanted:
                continue
            started = timezone.now()
            item.func(ctx, random.Random(f"{seed}:{item.name}"), scale)
            seconds = (timezone.now() - started).total_seconds()
            ctx.log(f"  {item.name}: {seconds:.1f}s")
    if not connection.in_atomic_block:
        # Fresh planner statistics: without them PostgreSQL plans the scoped lists of a
        # freshly loaded 30,000-unit tree as if the tables were empty (ten times slower)
        # until autovacuum gets round to it. A second or two at scale 100.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return ctx


@dataclass(frozen=True)
class AccountRow:
    username: str
    full_name: str
    unit: str
    roles: list[str]
    has_device: bool


def account_rows() -> list[AccountRow]:
    """The named demo accounts as stored (for printing), in the order of ACCOUNTS."""
    found = {
        m.username: m
        for m in Member.objects.filter(username__in=ACCOUNT_NAMES)
        .select_related("unit")
        .prefetch_related("role_grants")
    }
    with_device = set(
        TOTPDevice.objects.filter(user__username__in=ACCOUNT_NAMES, confirmed=True).values_list(
            "user__username", flat=True
        )
    )
    return [
        AccountRow(
            username=m.username,
            full_name=m.full_name,
            unit=m.unit.name,
            roles=[str(Role(r).label) for r in sorted(m.role_set)],
            has_device=m.username in with_device,
        )
        for name in ACCOUNT_NAMES
        if (m := found.get(name)) is not None
    ]
