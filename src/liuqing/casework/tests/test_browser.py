"""The case pages in real headless Chromium on a 360 px phone, left to right and right to left:
nothing overflows, the forms work, screenshots kept in var/artifacts/browser/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from liuqing.casework.testing import case_in_progress
from liuqing.core.models import Role
from liuqing.core.testing import World, confirmed_device
from liuqing.core.tests.test_browser import ARTIFACTS, browser, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

__all__ = ["browser"]


@pytest.mark.parametrize("language", ["zh-hans", "ug"])
def test_the_case_page_on_a_phone(
    live_server: object, world: World, browser: Browser, language: str
) -> None:
    officer = world.persona(Role.OFFICER)
    case = case_in_progress(world.units["S1"], title="羊圈需要加固", owner=officer)
    device = confirmed_device(officer)
    base = str(live_server)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, officer.username, device.bin_key)
    if language != "zh-hans":
        page.select_option("#lang-select", language)
        expect(page.locator("html")).to_have_attribute("lang", language)
    page.goto(f"{base}/cases/{case.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("#form-note summary")
    page.fill("#form-note textarea[name=text]", "已买铁丝")
    page.click("#form-note button[type=submit]")
    page.wait_for_load_state()
    assert "已买铁丝" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / f"case-{language}.png"), full_page=True)
    page.goto(f"{base}/work/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / f"my-work-{language}.png"), full_page=True)
    assert errors == []
    context.close()
