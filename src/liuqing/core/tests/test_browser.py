"""Real headless Chromium (Debian's, driven by Playwright): log in with both factors, switch to
Uyghur, check the page runs right to left, and keep screenshots as test artefacts
(var/artifacts/browser/)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect, sync_playwright

from liuqing.core.models import Role
from liuqing.core.testing import PASSWORD, World, confirmed_device

CHROMIUM = os.environ.get("LIUQING_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(settings.VAR_DIR) / "artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; the live server's database work
    # happens in its own thread, and ours happens outside Playwright calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def log_in(page: Page, base: str, username: str, bin_key: bytes) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/otp/**")
    page.fill("input[name=otp_token]", f"{totp(bin_key):06d}")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_login_with_second_factor_then_uyghur_is_right_to_left(
    live_server: object, world: World, browser: Browser
) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    device = confirmed_device(chief)
    base = str(live_server)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    log_in(page, base, chief.username, device.bin_key)
    assert "/login/" not in page.url
    assert "/otp/" not in page.url
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.screenshot(path=str(ARTIFACTS / "home-zh-hans.png"), full_page=True)

    page.select_option("#lang-select", "ug")
    # Web-first assertions, not wait_for_function: a string predicate is evaluated in the page,
    # which its Content-Security-Policy (no unsafe-eval) rightly reports as an error.
    expect(page.locator("html")).to_have_attribute("lang", "ug")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # The brand sits at the inline start: on the right in a right-to-left page.
    brand = page.locator(".brand").bounding_box()
    assert brand is not None
    assert brand["x"] > 360 / 2 - brand["width"]
    # Nothing overflows a small phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "home-ug.png"), full_page=True)

    page.select_option("#lang-select", "kk-arab")
    expect(page.locator("html")).to_have_attribute("lang", "kk-arab")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.screenshot(path=str(ARTIFACTS / "home-kk-arab.png"), full_page=True)
    assert errors == []
    context.close()
