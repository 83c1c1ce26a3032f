"""Real headless Chromium on a small phone: a partner signed in, in Uyghur (right to left),
opens an alert sent to them, confirms it and reports a sighting; nothing overflows."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, expect, sync_playwright

from liuqing.core import pii
from liuqing.core.testing import World
from liuqing.notify.models import Delivery
from liuqing.partners.models import Reply
from liuqing.partners.pp_views import COOKIE
from liuqing.partners.testing import deliver_all, issued_alert, make_group, make_partner

CHROMIUM = os.environ.get("LIUQING_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(settings.VAR_DIR) / "artifacts" / "browser"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def test_a_partner_answers_an_alert_on_a_phone_in_uyghur(
    live_server: object, world: World, browser: Browser
) -> None:
    unit = world.units["S1"]
    group = make_group(unit)
    partner = make_partner(group, language="ug")
    alert = issued_alert(unit, groups=[group])
    deliver_all()
    base = str(live_server)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="ug")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/pp/signin/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("input[name=phone]", pii.plain(partner.phone))
    page.click("main button[type=submit]")
    page.wait_for_url("**/pp/code/")
    # The code went out through the partner's channel: read it from the outbox row.
    row = Delivery.objects.get(kind="partner_code")
    code = re.search(r"(?<!\d)\d{6}(?!\d)", row.subject)
    assert code is not None
    page.fill("input[name=code]", code.group(0))
    page.click("main form:not(.inline) button[type=submit]")
    page.wait_for_url("**/pp/")
    assert any(c["name"] == COOKIE and c["httpOnly"] for c in context.cookies())
    expect(page.locator("main")).to_contain_text("يۈتكەن قوي")
    page.click(f"a[href='/pp/alerts/{alert.pk}/']")
    page.click("button[name=ack]")
    page.fill("textarea[name=text]", "شەرقىي جىلغىدا كۆردۈم")
    page.click("form[enctype] button[type=submit]")
    expect(page.locator(".messages")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "partner-alert-ug.png"), full_page=True)
    assert Reply.objects.filter(partner=partner, alert=alert).count() == 2
    assert errors == []
    context.close()
