"""A care recipient's page in real headless Chromium on a 360 px phone, in Uyghur (right to
left): masked data, a reveal with a reason; nothing overflows."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from liuqing.care.testing import grant, register
from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World, confirmed_device
from liuqing.core.tests.test_browser import ARTIFACTS, browser, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

__all__ = ["browser"]


def test_the_recipient_page_on_a_phone_right_to_left(
    live_server: object, world: World, browser: Browser
) -> None:
    officer = grant(world.persona(Role.OFFICER))
    recipient = register(world.units["S1"], phone="13800009999")
    device = confirmed_device(officer)
    base = str(live_server)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, officer.username, device.bin_key)
    page.select_option("#lang-select", "ug")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.goto(f"{base}/care/{recipient.pk}/")
    expect(page.locator("main")).to_contain_text("138****9999")
    assert "王秀兰" not in page.content()
    page.click("#form-reveal summary")
    page.select_option("#form-reveal select[name=field]", "phone")
    page.fill("#form-reveal input[name=reason]", "电话预约上门")
    page.click("#form-reveal button[type=submit]")
    expect(page.locator("#revealed")).to_contain_text("+8613800009999")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "care-recipient-ug.png"), full_page=True)
    assert AuditEvent.objects.filter(action="pii.reveal", object_id=str(recipient.pk)).exists()
    assert errors == []
    context.close()
