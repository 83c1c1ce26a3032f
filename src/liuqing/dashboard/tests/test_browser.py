"""The board in real headless Chromium on a 360 px phone, left to right and right to left:
the appeals section shows, nothing overflows; screenshots kept in var/artifacts/browser/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from liuqing.appeals.testing import appeal_category, submit
from liuqing.core.models import Role
from liuqing.core.testing import World, confirmed_device
from liuqing.core.tests.test_browser import ARTIFACTS, browser, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

__all__ = ["browser"]


@pytest.mark.parametrize("language", ["zh-hans", "ug"])
def test_the_board_on_a_phone(
    live_server: object, world: World, browser: Browser, language: str
) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    category = appeal_category("test.noise", resolve_days=5)
    for _ in range(3):
        submit(world.units["S1"], category=category)
    device = confirmed_device(chief)
    base = str(live_server)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, chief.username, device.bin_key)
    if language != "zh-hans":
        page.select_option("#lang-select", language)
        expect(page.locator("html")).to_have_attribute("lang", language)
    page.goto(f"{base}/board/")
    section = page.locator('[data-section="appeals"]')
    expect(section).to_be_visible()
    expect(section.locator('[data-figure="received"] .figure')).to_have_text("3")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / f"board-{language}.png"), full_page=True)
    assert errors == []
    context.close()
