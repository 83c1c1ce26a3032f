"""The visit pages in real headless Chromium on a 360 px phone, left to right and right to
left: the list, a plan, recording a visit through its form, the calendar; nothing overflows;
screenshots kept in var/artifacts/browser/."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Browser, expect

from liuqing.core.models import Role
from liuqing.core.testing import World, confirmed_device
from liuqing.core.tests.test_browser import ARTIFACTS, browser, log_in
from liuqing.visits.models import Visit
from liuqing.visits.testing import plan_place_visits

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

__all__ = ["browser"]


@pytest.mark.parametrize("language", ["zh-hans", "ug", "kk-arab"])
def test_the_visit_pages_on_a_phone(
    live_server: object, world: World, browser: Browser, language: str
) -> None:
    officer = world.persona(Role.OFFICER)
    plan = plan_place_visits(
        world.units["S1"], name="红旗村", responsible=officer, starts_on=dt.date(2026, 11, 2)
    )
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
    page.goto(f"{base}/visits/")
    expect(page.locator("#results")).to_contain_text("红旗村")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / f"visits-{language}.png"), full_page=True)
    page.goto(f"{base}/visits/plans/{plan.pk}/")
    page.click("#form-visit summary")
    page.fill("#form-visit input[name=visited_on]", "2026-11-03")
    page.fill("#form-visit textarea[name=summary]", "检查饮水设施")
    page.click("#form-visit button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("检查饮水设施")
    assert Visit.objects.filter(plan=plan).count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / f"visit-plan-{language}.png"), full_page=True)
    page.goto(f"{base}/visits/calendar/?month=2026-11")
    expect(page.locator("#day-2026-11-03")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == []
    context.close()


@pytest.mark.parametrize("language", ["zh-hans", "ug", "kk-arab"])
def test_a_chief_changes_a_plan_on_a_phone(
    live_server: object, world: World, browser: Browser, language: str
) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    plan = plan_place_visits(
        world.units["S1"], name="红旗村", responsible=chief, starts_on=dt.date(2026, 11, 2)
    )
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
    page.goto(f"{base}/visits/plans/{plan.pk}/")
    page.click("#form-change summary")
    page.select_option("#form-change select[name=cadence]", "custom")
    page.fill("#form-change input[name=interval_days]", "400")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("#form-change button[type=submit]")
    page.wait_for_load_state()
    # Refused: the change page shows the reason by the field, nothing changed.
    expect(page.locator("#form-change .errorlist")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / f"visit-plan-change-{language}.png"), full_page=True)
    page.fill("#form-change input[name=interval_days]", "14")
    page.click("#form-change button[type=submit]")
    page.wait_for_load_state()
    expect(page).to_have_url(f"{base}/visits/plans/{plan.pk}/")
    plan.refresh_from_db()
    assert (plan.cadence, plan.interval_days) == ("custom", 14)
    assert errors == []
    context.close()
