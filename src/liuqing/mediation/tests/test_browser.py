"""The dispute page in real headless Chromium on a 360 px phone, left to right and right to
left: nothing overflows and a step's form works. Screenshots in var/artifacts/browser/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from liuqing.core.testing import World, confirmed_device
from liuqing.core.tests.test_browser import ARTIFACTS, browser, log_in
from liuqing.mediation.testing import accepted, handler

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

__all__ = ["browser"]


@pytest.mark.parametrize("language", ["zh-hans", "ug"])
def test_the_dispute_page_on_a_phone(
    live_server: object, world: World, browser: Browser, language: str
) -> None:
    from liuqing.mediation.defaults import ensure_default_types

    ensure_default_types()
    officer = handler(world.units["S1"])
    case = accepted(world.units["S1"], title="院墙排水纠纷")
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
    page.goto(f"{base}/mediation/{case.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("#step-session summary")
    page.fill("#step-session input[name=location]", "幸福村调解室")
    page.fill("#step-session textarea[name=attendees]", "双方当事人")
    page.fill("#step-session textarea[name=minutes]", "双方同意疏通排水沟")
    page.click("#step-session button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("双方同意疏通排水沟")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / f"dispute-{language}.png"), full_page=True)
    page.goto(f"{base}/mediation/")
    expect(page.locator("body")).to_contain_text("院墙排水纠纷")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == []
    context.close()
