"""The structure pages in real headless Chromium at phone width: nothing overflows sideways
(left to right and right to left), and the member filter updates the list in place with htmx.
Screenshots are kept in var/artifacts/browser/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect, sync_playwright

from liuqing.core.models import Role
from liuqing.core.testing import PASSWORD, World, confirmed_device

from .structure_helpers import PHONE, member, place

CHROMIUM = os.environ.get("LIUQING_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(settings.VAR_DIR) / "artifacts" / "browser"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PHONE_WIDTH = 360

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def log_in(page: Page, base: str, world: World, role: str) -> None:
    who = world.persona(role)
    key = confirmed_device(who).bin_key
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", who.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url("**/otp/**")
    page.fill("input[name=otp_token]", f"{totp(key):06d}")
    page.click("form:has(input[name=otp_token]) button[type=submit]")
    page.wait_for_load_state()


def overflow(page: Page) -> Any:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_structure_pages_fit_a_phone_in_both_directions(
    live_server: Any, world: World, browser: Browser
) -> None:
    for i in range(3):
        member(world, "C1", f"phone_user{i}", phone=PHONE)
    place(world, "C1", "一个名字很长很长的村庄用来测试换行")
    page = browser.new_page(viewport={"width": PHONE_WIDTH, "height": 740})
    log_in(page, live_server.url, world, Role.STATION_CHIEF)
    target = world.persona(Role.OFFICER).pk
    pages = [
        "/",
        "/units/",
        "/members/",
        f"/members/{target}/",
        "/places/",
        "/audit/",
        "/members/new/",
    ]
    for language in ("zh-hans", "ug"):
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        for path in pages:
            page.goto(live_server.url + path)
            name = path.strip("/").replace("/", "-") or "home"
            page.screenshot(
                path=str(ARTIFACTS / f"structure-{language}-{name}.png"), full_page=True
            )
            assert overflow(page) <= 0, f"{language} {path} scrolls sideways"
        direction = page.evaluate("document.documentElement.dir")
        assert direction == ("rtl" if language == "ug" else "ltr")


def test_the_member_filter_updates_the_list_in_place(
    live_server: Any, world: World, browser: Browser
) -> None:
    member(world, "C1", "findable_one")
    page = browser.new_page(viewport={"width": PHONE_WIDTH, "height": 740})
    log_in(page, live_server.url, world, Role.STATION_CHIEF)
    page.goto(f"{live_server.url}/members/")
    page.evaluate("window.__same_document = true")
    page.fill("input[name=q]", "findable")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    assert "findable_one" in page.inner_text("#results")
    assert page.evaluate("window.__same_document") is True  # no full reload
    page.wait_for_url("**q=findable**")  # the filter is in the address, for back and bookmarks
