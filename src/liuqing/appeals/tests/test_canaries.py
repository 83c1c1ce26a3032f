"""Canaries (SECURITY.md): personal data seeded everywhere a resident's details can sit —
the request text, the resident's fields, internal notes, public notes, approved notices with
an officer's slip, an Open311 client's fields — must never appear in any public answer.

The walk requests every URL name of the public allow-list (liuqing.appeals.public.permissions
.PUBLIC) with every kind of argument it takes, in the residents' languages, plus the error
pages; a name left unwalked fails the test, so a new public URL must be added here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liuqing.appeals import services as staff_services
from liuqing.appeals.defaults import ensure_default_categories
from liuqing.appeals.models import Appeal, AppealChannel
from liuqing.appeals.public.permissions import PUBLIC
from liuqing.appeals.public.testing import (
    open311_client,
    pdf_text,
    public_category,
    reset_rate_limits,
    village,
)
from liuqing.appeals.public_selectors import media_token
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework import services as casework
from liuqing.casework.models import Case, Category, Entry
from liuqing.casework.testing import member_at
from liuqing.core.models import Place, PlaceKind, Role
from liuqing.core.pii import plain

pytestmark = pytest.mark.django_db

NAME = "司马雀鸣"
NAME_LATIN = "Canarina Tursunova"
PHONE = "13911112468"
ID_NUMBER = "650102198503171238"  # a valid GB 11643 number (checksum 8)
ADDRESS = "幸福巷77号金丝雀小区"
EMAIL = "canary.sima@example.cn"
ACCOUNT = "acct-canary-5531"
DEVICE = "device-canary-8842"
SECRET_NOTE = "内部金丝雀备注"

CANARIES = [
    NAME,
    "雀鸣",  # the given name alone
    NAME_LATIN,
    "Canarina",
    "Tursunova",
    PHONE,
    "+86" + PHONE,
    "139 1111 2468",
    "1111 2468",
    ID_NUMBER,
    ID_NUMBER[4:14],  # the birth date and region digits in the middle
    ADDRESS,
    "金丝雀小区",
    EMAIL,
    "canary.sima",
    ACCOUNT,
    DEVICE,
    SECRET_NOTE,
]
TEXT = (
    f"我叫{NAME}（{NAME_LATIN}），电话{PHONE}，身份证{ID_NUMBER}，"
    f"住{ADDRESS}，邮箱{EMAIL}。羊圈倒了。"
)
LANGUAGES = ("zh-hans", "ug", "kk-arab")


@pytest.fixture(autouse=True)
def fresh_counters(settings: Any) -> Iterator[None]:
    # The walk makes hundreds of requests from one address: lift the limits (they have their
    # own tests) so every answer is the real page, not a 429.
    settings.LIUQING_RATE_LIMITS = dict.fromkeys(
        ("submit", "lookup", "board_pdf", "open311_post"), (100000, 60)
    )
    reset_rate_limits()
    yield
    reset_rate_limits()


def canary_jpeg() -> bytes:
    """A photo whose EXIF carries the canaries: the artist, a description, a copyright
    line and the GPS position of the resident's home."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x013B] = NAME_LATIN  # Artist
    exif[0x010E] = f"{PHONE} {ID_NUMBER}"  # ImageDescription
    exif[0x8298] = EMAIL  # Copyright
    exif[0x0112] = 6  # Orientation: rotated (the copy applies it)
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (43.0, 48.0, 44.44), 3: "E", 4: (87.0, 36.0, 44.44)})
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert NAME_LATIN.encode() in data
    return data


def canary_png() -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("Author", NAME)
    info.add_text("Comment", f"{PHONE} {DEVICE}")
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 90, 200, 255)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _attach(case: Case, name: str, data: bytes, *, public: bool) -> Entry:
    return casework.attach_file(
        actor=member_at(case.unit, Role.SERGEANT),
        case=case,
        upload=SimpleUploadedFile(name, data),
        note=f"{NAME}家的照片 {PHONE}",
        public=public,
    )


@dataclass
class Seeded:
    places: list[Place]
    codes: list[str]
    request_ids: list[str]
    tokens: list[str]
    key: str
    cards: list[tuple[int, int]]
    services: list[str] = field(default_factory=list)
    hidden_media: list[str] = field(default_factory=list)


def who(case: Case) -> str:
    """The resident's name as recorded: what an officer would write in a note."""
    return plain(Appeal.objects.get(case=case).resident_name)


def _publish(case: Case, summary: str, result: str = "") -> None:
    staff_services.set_public_notice(
        actor=member_at(case.unit, Role.SERGEANT),
        case=case,
        summary=summary,
        result=result,
        show=True,
    )


def _close(case: Case, result: str) -> None:
    sergeant = member_at(case.unit, Role.SERGEANT)
    chief = member_at(case.unit, Role.STATION_CHIEF)
    officer = member_at(case.unit, Role.OFFICER)
    casework.act_on_case(actor=sergeant, case=case, action="accept")
    casework.assign_case(actor=sergeant, case=case, owner=officer)
    casework.act_on_case(actor=officer, case=case, action="start")
    casework.record_contact(
        actor=officer, case=case, text=f"已致电{who(case)} {PHONE}", public=True
    )
    casework.act_on_case(actor=officer, case=case, action="resolve", note=result, public=True)
    casework.act_on_case(actor=chief, case=case, action="verify")


@pytest.fixture
def seeded(cast: Cast, world: Any) -> Seeded:
    ensure_default_categories(Category)
    home = village(cast.child, "红星村", lat=43.80, long=87.60)
    community = village(
        world.units["G1"], "幸福社区", lat=43.81, long=87.61, kind=PlaceKind.COMMUNITY
    )
    far = village(world.units["S2"], "远方村", lat=45.0, long=85.0)
    client = Client()
    codes: list[str] = []
    category = public_category()

    # 1. Residents' own submissions through the form (one through a contact card).
    for place, query in ((home, ""), (community, f"?officer={cast.alice.pk}&unit={cast.unit.pk}")):
        response = client.post(
            reverse("appeals:public_submit") + query,
            {
                "category": category.pk,
                "place": place.pk,
                "description": TEXT,
                "resident_name": NAME,
                "resident_phone": PHONE,
                "latitude": "43.812345",
                "longitude": "87.612345",
                "consent": "on",
            },
        )
        assert response.status_code == 302
    # 2. An appeal recorded by staff, with the resident's address.
    staff_case = staff_services.submit_appeal(
        actor=cast.alice,
        unit=cast.unit,
        category=category,
        title=f"{NAME}的羊圈",
        description=TEXT,
        channel=AppealChannel.HOME_VISIT,
        place=home,
        resident_name=NAME_LATIN,
        resident_phone=PHONE,
        resident_address=ADDRESS,
    )
    # 3. Open311 clients' requests with every personal field they may send.
    o311, key = open311_client("canary-app")
    api = Client(enforce_csrf_checks=True)
    request_ids: list[str] = []
    tokens: list[str] = []
    for code, extra in (
        ("neighbourhood.noise", {}),
        (
            "farm.lost_livestock",
            {"attribute[livestock_count]": "7", "attribute[tags][]": ["night"]},
        ),
        ("livelihood.household", {}),
    ):
        response = api.post(
            reverse("open311:requests", kwargs={"fmt": "json"}),
            {
                "api_key": key,
                "service_code": code,
                "lat": "45.0012",
                "long": "85.0012",
                "first_name": NAME,
                "last_name": NAME_LATIN,
                "email": EMAIL,
                "phone": PHONE,
                "account_id": ACCOUNT,
                "device_id": DEVICE,
                "description": TEXT,
                **extra,
            },
        )
        assert response.status_code == 201, response.content
        reply = response.json()[0]
        if "token" in reply:
            tokens.append(reply["token"])
        else:
            request_ids.append(reply["service_request_id"])

    cases = list(Case.objects.filter(kind="appeal").select_related("unit").order_by("pk"))
    codes = [c.public_code or "" for c in cases]
    for case in cases:
        # Internal notes full of personal data, and public notes where an officer slipped.
        casework.add_note(
            actor=member_at(case.unit, Role.SERGEANT), case=case, text=f"{SECRET_NOTE}：{TEXT}"
        )
        casework.add_note(
            actor=member_at(case.unit, Role.SERGEANT),
            case=case,
            text=f"已联系{who(case)}（{PHONE}），身份证{ID_NUMBER}。",
            public=True,
        )
        _publish(
            case, f"{who(case)}反映羊圈倒塌，电话{PHONE}，身份证{ID_NUMBER}", f"已为{who(case)}修好"
        )
    # Photos with the canaries in their metadata and file names: public ones (served as a
    # metadata-free copy), internal ones (never served), and a public PDF (never served).
    hidden_media: list[str] = []
    for case in cases:
        _attach(case, f"{NAME}.jpg", canary_jpeg(), public=True)
        _attach(case, f"{PHONE}.png", canary_png(), public=True)
        internal = _attach(case, f"{NAME}-internal.jpg", canary_jpeg(), public=False)
        pdf = _attach(case, f"{NAME}.pdf", b"%PDF-1.4\n% " + TEXT.encode() + b"\n", public=True)
        for entry in (internal, pdf):
            assert "public_file" not in entry.data
            hidden_media.append(media_token(entry.pk, entry.attachment.name))
    # An officer's slip written past the service (an import, a database edit): the read-side
    # guard must still mask the resident's name, phone and identity number.
    for case in cases[:3]:
        Case.objects.filter(pk=case.pk).update(
            public_summary=f"{who(case)}、{PHONE}、{ID_NUMBER}",
            public_result=f"{who(case)} {PHONE}",
        )
    for case in cases[:4]:
        _close(Case.objects.get(pk=case.pk), f"已为{who(case)}（{PHONE}）修复。")
    casework.act_on_case(
        actor=member_at(cases[-1].unit, Role.SERGEANT), case=cases[-1], action="accept"
    )
    # A client's update with personal data in it.
    o311_case = Case.objects.filter(appeal__client_name="canary-app", number__isnull=False).first()
    assert o311_case is not None
    from liuqing.appeals.public_services import add_client_update

    add_client_update(
        client=o311,
        case=o311_case,
        update_id="canary-1",
        status="fixed",
        description=f"{NAME}说修好了，{PHONE}",
        updated_datetime=timezone.now(),
    )
    assert staff_case.pk in [c.pk for c in cases]
    return Seeded(
        places=[home, community, far],
        codes=codes,
        request_ids=request_ids,
        tokens=tokens,
        key=key,
        cards=[(cast.alice.pk, cast.unit.pk)],
        services=["neighbourhood.noise", "farm.lost_livestock", "livelihood.household"],
        hidden_media=hidden_media,
    )


# --- The walk --------------------------------------------------------------------------------


@dataclass
class Walk:
    client: Client
    seen: set[str] = field(default_factory=set)
    answers: int = 0
    leaks: list[str] = field(default_factory=list)
    media_urls: set[str] = field(default_factory=set)
    images: int = 0

    def check(self, name: str, where: str, response: Any) -> None:
        assert response.status_code < 500, f"{where}: {response.status_code}"
        self.seen.add(name)
        self.answers += 1
        body = b"".join(response) if response.streaming else response.content
        content_type = response.get("Content-Type", "")
        if content_type.startswith("application/pdf"):
            text = pdf_text(body)
        elif content_type.startswith("image/"):
            # The bytes of the photo: any text left in its metadata would show here.
            text = body.decode("latin-1")
            text += "\n" + body.decode("utf-8", errors="ignore")
            self.images += 1
        else:
            text = body.decode("utf-8")
            self.media_urls.update(
                re.findall(r"https?://[^\s\"<>]+/open311/v2/media/[^\s\"<>]+", text)
            )
        for header in ("Location", "Content-Disposition"):
            text += "\n" + response.get(header, "")
        for canary in CANARIES:
            if canary in text:
                self.leaks.append(f"{where} ({response.status_code}) shows {canary!r}")
        # Not even a decimal place of the pin beyond what Open311 rounds to.
        if re.search(r"43\.8123|87\.6123|45\.0012|85\.0012", text):
            self.leaks.append(f"{where} shows precise coordinates")

    def get(self, name: str, url: str, **params: Any) -> Any:
        response = self.client.get(url, params or None)
        self.check(name, f"GET {url} {params or ''}", response)
        return response

    def post(self, name: str, url: str, data: dict[str, Any]) -> Any:
        response = self.client.post(url, data)
        self.check(name, f"POST {url}", response)
        return response


def _pages(walk: Walk, seeded: Seeded, language: str) -> None:
    walk.client.cookies["django_language"] = language
    p = "appeals:"
    walk.get(p + "public_home", reverse(p + "public_home"))
    walk.get(p + "public_submit", reverse(p + "public_submit"))
    for officer, unit in seeded.cards:
        walk.get(
            p + "public_submit", reverse(p + "public_submit") + f"?officer={officer}&unit={unit}"
        )
    walk.get(p + "public_submit", reverse(p + "public_submit") + "?officer=x&unit=y")
    walk.post(p + "public_submit", reverse(p + "public_submit"), {"description": "x" * 5000})
    walk.get(p + "public_track", reverse(p + "public_track"))
    walk.get(p + "public_track", reverse(p + "public_track"), code="bad")
    walk.get(p + "public_track", reverse(p + "public_track"), code="ZZZZZ-ZZZZZ")
    for code in seeded.codes:
        walk.get(p + "public_track", reverse(p + "public_track"), code=code)
        walk.get(p + "public_status", reverse(p + "public_status", kwargs={"code": code}))
        walk.get(p + "public_receipt", reverse(p + "public_receipt", kwargs={"code": code}))
    walk.get(p + "public_status", "/p/track/ZZZZZZZZZZ/")
    walk.get(p + "public_receipt", "/p/receipt/not-a-code/")
    walk.get(p + "public_boards", reverse(p + "public_boards"))
    units = {place.unit_id for place in seeded.places} | {
        place.unit.parent_id for place in seeded.places
    }
    scopes = [("place", place.pk) for place in seeded.places] + [("unit", pk) for pk in units if pk]
    for scope, pk in scopes:
        kwargs = {"scope": scope, "pk": pk}
        walk.get(p + "public_board", reverse(p + "public_board", kwargs=kwargs))
        walk.get(p + "public_board", reverse(p + "public_board", kwargs=kwargs), page="2")
        walk.get(p + "public_board_pdf", reverse(p + "public_board_pdf", kwargs=kwargs))
    walk.get(p + "public_board", "/p/board/place/999999/")
    walk.get(p + "public_board_pdf", "/p/board/unit/999999/pdf/")


def _open311(walk: Walk, seeded: Seeded, fmt: str) -> None:
    def u(name: str, **kwargs: str) -> str:
        return reverse(f"open311:{name}", kwargs={"fmt": fmt, **kwargs})

    keyed = {"api_key": seeded.key}
    walk.get("open311:discovery", u("discovery"))
    walk.get("open311:services", u("services"))
    for code in [*seeded.services, "unknown-service"]:
        walk.get("open311:service_definition", u("service_definition", code=code))
    for params in ({}, keyed, {"status": "closed"}, {"status": "open", **keyed}):
        walk.get("open311:requests", u("requests"), **params)
    walk.get("open311:requests", u("requests"), service_request_id=",".join(seeded.request_ids))
    walk.get("open311:requests", u("requests"), start_date="2000-01-01")
    for request_id in [*seeded.request_ids, "SQ-2026-999999@NOWHERE"]:
        walk.get("open311:request", u("request", request_id=request_id))
        walk.get("open311:request", u("request", request_id=request_id), **keyed)
    for token in [*seeded.tokens, "unknown-token"]:
        walk.get("open311:token", u("token", token=token))
    walk.get("open311:updates", u("updates"))
    walk.get("open311:updates", u("updates"), **keyed)
    # The extensions: attributes, extended_attributes (photos) and the notes history.
    extended = {"extensions": "true"}
    for params in (extended, {**extended, **keyed}, {**extended, "status": "closed"}):
        walk.get("open311:requests", u("requests"), **params)
    walk.get(
        "open311:requests",
        u("requests"),
        service_request_id=",".join(seeded.request_ids),
        **extended,
        **keyed,
    )
    for request_id in seeded.request_ids:
        walk.get("open311:request", u("request", request_id=request_id), **extended)
        walk.get("open311:request", u("request", request_id=request_id), **extended, **keyed)
    # Every photo a public answer points at, and the ones it must not serve.
    assert walk.media_urls, "public photos are listed"
    for media in sorted(walk.media_urls):
        response = walk.get("open311:media", media)
        assert response.status_code == 200
    for token in seeded.hidden_media:
        for ext in ("jpg", "png"):
            hidden = walk.get("open311:media", reverse("open311:media", args=[token, ext]))
            assert hidden.status_code == 404
    # Refusals echo nothing personal either.
    walk.post(
        "open311:requests",
        u("requests"),
        {**keyed, "service_code": "neighbourhood.noise", "first_name": NAME, "phone": "12"},
    )
    walk.post("open311:requests", u("requests"), {"api_key": "o311_wrong", "email": EMAIL})
    walk.post(
        "open311:updates",
        u("updates"),
        {
            **keyed,
            "service_request_id": "SQ-1@X",
            "update_id": "1",
            "status": "OPEN",
            "updated_datetime": "2026-01-01T00:00:00+08:00",
            "description": NAME,
        },
    )
    walk.get("open311:not_found", f"/open311/v2/unknown.{fmt}")


def test_no_canary_appears_on_any_public_surface(seeded: Seeded, settings: Any) -> None:
    walk = Walk(Client())
    for language in LANGUAGES:
        _pages(walk, seeded, language)
    for fmt in ("xml", "json"):
        _open311(walk, seeded, fmt)
    # The error pages of the site itself.
    walk.get("-", "/p/no-such-page/")
    walk.check("-", "GET /open311/v2/services.html", walk.client.get("/open311/v2/services.html"))
    # And the rate-limit answers (429), page and Open311 document alike.
    settings.LIUQING_RATE_LIMITS = dict.fromkeys(
        ("submit", "lookup", "board_pdf", "open311_post"), (0, 60)
    )
    code = seeded.codes[0]
    for url in (
        reverse("appeals:public_status", kwargs={"code": code}),
        reverse("appeals:public_receipt", kwargs={"code": code}),
        reverse("appeals:public_board_pdf", kwargs={"scope": "place", "pk": seeded.places[0].pk}),
    ):
        response = walk.client.get(url)
        assert response.status_code == 429
        walk.check("-", f"GET {url} (limited)", response)
    limited = walk.client.post(
        reverse("open311:requests", kwargs={"fmt": "json"}), {"api_key": seeded.key}
    )
    assert limited.status_code == 429
    walk.check("-", "POST requests.json (limited)", limited)
    assert walk.leaks == [], "\n".join(walk.leaks[:20])
    assert PUBLIC - walk.seen == set(), "public URLs the canary walk does not visit"
    assert walk.answers > 100
    assert walk.images >= 8, "the public photos were fetched and scanned"


def test_the_canaries_are_really_there(seeded: Seeded) -> None:
    """The seeds reach the records (so the walk above proves something)."""
    case = Case.objects.filter(kind="appeal").order_by("pk").first()
    assert case is not None
    assert NAME in case.description
    assert PHONE in case.description
    internal = case.entries.filter(is_public=False).values_list("text", flat=True)
    assert any(SECRET_NOTE in text for text in internal)
    slips = Case.objects.filter(public_summary__contains=PHONE)
    assert slips.count() == 3, "the read-side guard has slips to mask"
