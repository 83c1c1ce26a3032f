"""The residents' pages in real headless Chromium on a 360 px phone: no sideways scrolling,
right to left in Uyghur and Kazakh, no CSP violation or script error, "use my location" fills
the pin from the browser's geolocation, and a request goes through to its receipt.
Screenshots are kept as test artefacts (var/artifacts/browser/)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect, sync_playwright

from liuqing.appeals.public.testing import public_category, reset_rate_limits, village
from liuqing.casework.models import Case
from liuqing.core.testing import World

CHROMIUM = os.environ.get("LIUQING_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(settings.VAR_DIR) / "artifacts" / "browser"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PHONE = {"width": 360, "height": 740}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    reset_rate_limits()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _watch(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    return problems


def _fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize(
    ("language", "direction"), [("zh-hans", "ltr"), ("ug", "rtl"), ("kk-arab", "rtl")]
)
def test_the_residents_pages_fit_a_phone_in_every_language(
    live_server: object, world: World, browser: Browser, language: str, direction: str
) -> None:
    place = village(world.units["C1"], "红星村")
    public_category()
    base = str(live_server)
    context = browser.new_context(viewport=PHONE, extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    problems = _watch(page)
    for path in ("/p/", "/p/new/", "/p/track/", "/p/board/", f"/p/board/place/{place.pk}/"):
        page.goto(base + path)
        assert page.locator("html").get_attribute("dir") == direction, path
        assert _fits(page), f"{path} scrolls sideways at 360 px in {language}"
        name = path.strip("/").replace("/", "-") or "home"
        page.screenshot(path=str(ARTIFACTS / f"public-{name}-{language}.png"), full_page=True)
    assert problems == []
    context.close()


def test_a_resident_sends_a_request_with_a_pin_from_the_phone(
    live_server: object, world: World, browser: Browser
) -> None:
    place = village(world.units["C1"], "红星村")
    category = public_category()
    context = browser.new_context(
        viewport=PHONE,
        geolocation={"latitude": 43.812345, "longitude": 87.612345},
        permissions=["geolocation"],
        extra_http_headers={"Accept-Language": "ug"},
    )
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{live_server}/p/new/")
    page.select_option("#id_category", str(category.pk))
    page.select_option("#id_place", str(place.pk))
    page.fill("#id_description", "村口路灯坏了。")
    page.click("[data-locate]")
    expect(page.locator("#id_latitude")).not_to_have_value("")
    assert page.input_value("#id_latitude") == "43.812345"
    assert page.input_value("#id_longitude") == "87.612345"
    page.check("#id_consent")
    page.click("main button[type=submit]")
    page.wait_for_url("**/p/receipt/**")
    assert page.locator("[data-print]").is_visible()
    assert _fits(page)
    page.screenshot(path=str(ARTIFACTS / "public-receipt-ug.png"), full_page=True)
    case = Case.objects.get()
    assert str(case.latitude) == "43.812345"
    assert case.public_code is not None
    assert case.public_code[:5] in page.content()
    assert problems == []
    context.close()
