"""The residents' pages through the real test client: the landing page, the request form (with
and without a contact card), the receipt, the status lookup and the notice boards."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from liuqing.appeals import services as staff_services
from liuqing.appeals.models import Appeal, AppealChannel
from liuqing.appeals.pdf_script import visual_line
from liuqing.appeals.public.testing import (
    pdf_text,
    public_category,
    reset_rate_limits,
    submit,
    village,
)
from liuqing.appeals.public.views import board_link
from liuqing.appeals.public_selectors import board_scope
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework import services as casework
from liuqing.casework.models import Case
from liuqing.casework.testing import member_at
from liuqing.core.models import Place, PlaceKind, Role

pytestmark = pytest.mark.django_db

PHONE = "13987654321"


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    reset_rate_limits()
    yield
    reset_rate_limits()


@pytest.fixture
def place(cast: Cast) -> Place:
    return village(cast.child, "红星村")


def form_data(where: Place | None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": public_category().pk,
        "place": where.pk if where is not None else "",
        "description": "村口的路灯坏了三天了。",
        "resident_name": "王建军",
        "resident_phone": PHONE,
        "anonymous": "on",
        "latitude": "",
        "longitude": "",
        "consent": "on",
    }
    data.update(overrides)
    return data


def inline_code(html: str) -> list[str]:
    """Inline scripts and styles, which the CSP forbids (script-src/style-src 'self')."""
    found = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    found += re.findall(r"\sstyle\s*=", html)
    found += re.findall(r"<style[\s>]", html)
    found += re.findall(r"\son[a-z]+\s*=", html)
    return found


# --- Landing page and languages --------------------------------------------------------------


def test_the_landing_page_lists_what_residents_can_do(client: Client) -> None:
    page = client.get(reverse("appeals:public_home"))
    assert page.status_code == 200
    html = page.content.decode()
    for target in ("appeals:public_submit", "appeals:public_track", "appeals:public_boards"):
        assert reverse(target) in html
    assert "110" in html
    assert inline_code(html) == []


@pytest.mark.parametrize(
    ("language", "direction"), [("zh-hans", "ltr"), ("ug", "rtl"), ("kk-arab", "rtl")]
)
def test_every_residents_page_speaks_the_residents_languages(
    client: Client, cast: Cast, place: Place, language: str, direction: str
) -> None:
    case = submit(place)
    pages = [
        reverse("appeals:public_home"),
        reverse("appeals:public_submit"),
        reverse("appeals:public_track"),
        reverse("appeals:public_status", kwargs={"code": case.public_code}),
        reverse("appeals:public_receipt", kwargs={"code": case.public_code}),
        reverse("appeals:public_boards"),
        reverse("appeals:public_board", kwargs={"scope": "place", "pk": place.pk}),
    ]
    with translation.override(language):
        english = {
            "appeals:public_home": "Make a request",
            "appeals:public_submit": "How we use your information",
        }
    for url in pages:
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert f'<html lang="{language}" dir="{direction}">' in html, url
        assert 'name="language"' in html  # the language switcher
        assert inline_code(html) == [], url
    home = client.get(pages[0], HTTP_ACCEPT_LANGUAGE=language).content.decode()
    form = client.get(pages[1], HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert english["appeals:public_home"] not in home
    assert english["appeals:public_submit"] not in form


# --- The request form ------------------------------------------------------------------------


def test_the_form_offers_categories_and_villages_grouped_by_station(
    client: Client, cast: Cast, place: Place, world: Any
) -> None:
    public_category()
    village(world.units["S2"], "远方村")
    html = client.get(reverse("appeals:public_submit")).content.decode()
    assert 'name="category"' in html
    assert "test.public 类" in html
    assert '<optgroup label="测试一大队 · 测试一所">' in html
    assert '<optgroup label="测试一大队 · 测试二所">' in html
    assert re.search(r'name="anonymous"[^>]*checked', html)
    assert re.search(r'name="consent"[^>]*required', html)
    assert "data-locate" in html  # the "use my location" button, shown by public.js


def test_a_resident_submits_and_gets_a_printable_receipt(
    client: Client, cast: Cast, place: Place
) -> None:
    response = client.post(reverse("appeals:public_submit"), form_data(place))
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == reverse(
        "appeals:public_receipt", kwargs={"code": case.public_code}
    )
    receipt = client.get(response["Location"])
    html = receipt.content.decode()
    assert receipt.status_code == 200
    code = case.public_code or ""
    assert f"{code[:5]}-{code[5:]}" in html
    assert case.number in html
    assert "data-print" in html
    assert "王建军" not in html
    assert PHONE not in html
    assert "no-store" in receipt["Cache-Control"]
    assert case.channel == AppealChannel.ONLINE
    assert Appeal.objects.get(case=case).anonymous is True


def test_the_form_works_with_csrf_enforced(cast: Cast, place: Place) -> None:
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(reverse("appeals:public_submit"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    refused = browser.post(reverse("appeals:public_submit"), form_data(place))
    assert refused.status_code == 403
    accepted = browser.post(
        reverse("appeals:public_submit"),
        {**form_data(place), "csrfmiddlewaretoken": token.group(1)},
    )
    assert accepted.status_code == 302


def test_extra_fields_cannot_set_unit_owner_status_or_publication(
    client: Client, cast: Cast, place: Place, world: Any
) -> None:
    data = form_data(
        place,
        unit=world.units["S3"].pk,
        owner=cast.alice.pk,
        status="closed",
        is_public="on",
        public_summary="伪造的公示",
        public_result="伪造的结果",
        number="SQ-2026-999999",
        public_code="AAAAAAAAAA",
        officer=cast.alice.pk,
        channel="reception",
        kind="dispute",
    )
    response = client.post(reverse("appeals:public_submit"), data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.unit == cast.child  # the village's unit
    assert case.owner is None
    assert case.status == "received"
    assert case.is_public is False
    assert case.public_summary == ""
    assert case.public_result == ""
    assert case.number != "SQ-2026-999999"
    assert case.public_code != "AAAAAAAAAA"
    assert case.kind == "appeal"
    assert case.channel == AppealChannel.ONLINE
    assert case.appeal.contact_officer is None


def test_bad_input_shows_field_errors_and_writes_nothing(
    client: Client, cast: Cast, place: Place
) -> None:
    data = form_data(place, description="长" * 4001, resident_phone="12345", consent="")
    data.pop("consent")
    response = client.post(reverse("appeals:public_submit"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="errorlist"') >= 3
    assert Case.objects.count() == 0
    # An unknown category or place is a field error too, never a 500.
    response = client.post(
        reverse("appeals:public_submit"), form_data(place, category="999999", place="abc")
    )
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_a_contact_card_link_prefills_the_officer_and_the_unit(
    client: Client, cast: Cast, place: Place, world: Any
) -> None:
    village(world.units["S2"], "远方村")
    url = reverse("appeals:public_submit") + f"?officer={cast.alice.pk}&unit={cast.unit.pk}"
    html = client.get(url).content.decode()
    assert cast.alice.full_name in html
    assert cast.unit.name in html
    assert "红星村" in html
    assert "远方村" not in html
    response = client.post(url, form_data(None))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.unit == cast.unit
    assert case.channel == AppealChannel.QR_CARD
    assert case.appeal.contact_officer == cast.alice


@pytest.mark.parametrize("query", ["officer=abc&unit=1", "officer=999999&unit=999999", "unit=1"])
def test_a_broken_card_link_says_so_and_asks_for_the_village(
    client: Client, cast: Cast, place: Place, query: str
) -> None:
    url = reverse("appeals:public_submit") + "?" + query
    page = client.get(url)
    assert page.status_code == 200
    assert "contact-card link is not valid" in page.content.decode()
    response = client.post(url, form_data(None))
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_a_card_link_for_an_officer_outside_the_unit_is_not_honoured(
    client: Client, cast: Cast, place: Place
) -> None:
    url = reverse("appeals:public_submit") + f"?officer={cast.olga.pk}&unit={cast.unit.pk}"
    assert "contact-card link is not valid" in client.get(url).content.decode()


# --- Receipt and status ----------------------------------------------------------------------


def test_status_lookup_by_code_shows_progress_but_nothing_personal(
    client: Client, cast: Cast, place: Place
) -> None:
    case = submit(place, f"我是王建军，电话{PHONE}，家住幸福路8号。", resident_name="王建军")
    casework.act_on_case(actor=cast.sam, case=case, action="accept")
    casework.add_note(actor=cast.sam, case=case, text="内部备注：王建军有前科")
    casework.add_note(actor=cast.sam, case=case, text=f"已电话联系王建军 {PHONE}", public=True)
    code = case.public_code or ""
    look = client.get(reverse("appeals:public_track"), {"code": f"{code[:5].lower()} {code[5:]}"})
    assert look.status_code == 302
    assert look["Location"] == reverse("appeals:public_status", kwargs={"code": code})
    page = client.get(look["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert case.number in html
    assert "test.public 类" in html
    assert "Accepted" in html
    assert "已电话联系王**" in html
    for secret in ("王建军", PHONE, "幸福路", "内部备注", "前科"):
        assert secret not in html
    assert 'name="robots" content="noindex' in html


@pytest.mark.parametrize("code", ["not-a-code", "ABCDE-FGHJK", "0000000000", "x" * 200])
def test_an_invalid_or_unknown_code_is_a_clear_404(client: Client, code: str) -> None:
    lookup = client.get(reverse("appeals:public_track"), {"code": code})
    assert lookup.status_code == 404
    assert "tracking code" in lookup.content.decode()
    status = client.get(f"/p/track/{code}/")
    assert status.status_code == 404
    receipt = client.get(f"/p/receipt/{code}/")
    assert receipt.status_code == 404


def test_the_result_shows_once_the_request_is_closed(
    client: Client, cast: Cast, place: Place
) -> None:
    case = submit(place)
    officer = member_at(cast.child, Role.OFFICER)
    casework.act_on_case(actor=cast.sam, case=case, action="accept")
    casework.assign_case(actor=cast.sam, case=case, owner=officer)
    casework.act_on_case(actor=officer, case=case, action="start")
    casework.act_on_case(
        actor=officer, case=case, action="resolve", note="路灯已更换。", public=True
    )
    url = reverse("appeals:public_status", kwargs={"code": case.public_code})
    before = client.get(url).content.decode()
    assert "<h2>Result</h2>" not in before
    assert "Resolved, being checked" in before
    casework.act_on_case(actor=cast.sam, case=case, action="verify")
    html = client.get(url).content.decode()
    assert re.search(r"<h2>Result</h2><p>路灯已更换。</p>", html)
    assert "Completed" in html


# --- Notice boards ---------------------------------------------------------------------------


def publish(cast: Cast, case: Case, summary: str, result: str = "") -> None:
    staff_services.set_public_notice(
        actor=cast.sam, case=case, summary=summary, result=result, show=True
    )


def test_the_board_lists_public_requests_only(client: Client, cast: Cast, place: Place) -> None:
    shown = submit(place, "路灯坏了", resident_name="王建军")
    publish(cast, shown, "村口路灯损坏，王建军反映", "已更换")
    submit(place, "不公开的事")
    boards = client.get(reverse("appeals:public_boards")).content.decode()
    board_url = reverse("appeals:public_board", kwargs={"scope": "place", "pk": place.pk})
    assert board_url in boards
    page = client.get(board_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "村口路灯损坏" in html
    assert "王建军" not in html
    assert "不公开的事" not in html
    assert shown.number in html
    unit_page = client.get(
        reverse("appeals:public_board", kwargs={"scope": "unit", "pk": cast.unit.pk})
    )
    assert "村口路灯损坏" in unit_page.content.decode()


def test_the_board_page_costs_the_same_queries_at_any_size(
    client: Client, cast: Cast, place: Place
) -> None:
    url = reverse("appeals:public_board", kwargs={"scope": "place", "pk": place.pk})
    publish(cast, submit(place), "第一件")
    client.get(url)  # warm up (sessions, content types)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for k in range(15):
        publish(cast, submit(place), f"第{k}件")
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert len(many.captured_queries) == len(one.captured_queries)
    assert 'class="pagination"' not in html  # 16 rows fit one page of 20
    for k in range(10):
        publish(cast, submit(place), f"后{k}件")
    second = client.get(url, {"page": 2})
    assert second.status_code == 200
    assert 'class="pagination"' in second.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"start": "2026-13-01"}, {"start": "2026-03-01", "end": "2025-01-01"}, {"page": "abc"}],
)
def test_a_bad_period_or_page_falls_back_never_a_500(
    client: Client, cast: Cast, place: Place, query: dict[str, str]
) -> None:
    url = reverse("appeals:public_board", kwargs={"scope": "place", "pk": place.pk})
    assert client.get(url, query).status_code == 200


@pytest.mark.parametrize(
    "url", ["/p/board/place/999999/", "/p/board/street/1/", "/p/board/unit/0/pdf/"]
)
def test_an_unknown_board_is_a_404(client: Client, db: None, url: str) -> None:
    assert client.get(url).status_code == 404


def test_a_school_has_no_board(client: Client, cast: Cast) -> None:
    school = village(cast.child, "第一小学", kind=PlaceKind.SCHOOL)
    url = reverse("appeals:public_board", kwargs={"scope": "place", "pk": school.pk})
    assert client.get(url).status_code == 404


def test_the_printable_board_is_an_a4_pdf_with_a_qr_code_to_the_page(
    client: Client, cast: Cast, place: Place
) -> None:
    case = submit(place, "路灯坏了", resident_name="王建军")
    publish(cast, case, f"王建军反映路灯损坏（{PHONE}）", "已更换")
    url = reverse("appeals:public_board_pdf", kwargs={"scope": "place", "pk": place.pk})
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="ug")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF-")
    text = pdf_text(body)
    assert "路灯损坏" in text
    assert case.number in text
    assert "王建军" not in text
    assert PHONE not in text
    assert "红星村" in text
    # Printed in the visitor's language: Uyghur, shaped, right to left.
    with translation.override("ug"):
        title = translation.gettext("Public notice of residents' requests")
        number = translation.gettext("Number")
    assert "/Lang (ug)" in text
    assert visual_line(number, rtl=True) in text
    assert visual_line(title.split()[0], rtl=True) in text


@pytest.mark.parametrize("language", ["zh-hans", "ug", "kk-arab"])
def test_the_printed_boards_qr_link_opens_the_board_in_the_sheets_language(
    client: Client, cast: Cast, place: Place, language: str
) -> None:
    where = board_scope("place", place.pk)
    assert where is not None
    request = RequestFactory().get("/")
    with translation.override(language):
        link = board_link(request, where, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    parts = urlsplit(link)
    assert parts.path == reverse("appeals:public_board", kwargs={"scope": "place", "pk": place.pk})
    query = parse_qs(parts.query)
    assert query["lang"] == [language]
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    direction = "ltr" if language == "zh-hans" else "rtl"
    assert f'<html lang="{language}" dir="{direction}">' in page.content.decode()


def test_an_unknown_lang_parameter_is_ignored(client: Client, place: Place) -> None:
    url = reverse("appeals:public_board", kwargs={"scope": "place", "pk": place.pk})
    page = client.get(url, {"lang": "xx-evil"}, HTTP_ACCEPT_LANGUAGE="ug")
    assert page.status_code == 200
    assert '<html lang="ug" dir="rtl">' in page.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in page.cookies
