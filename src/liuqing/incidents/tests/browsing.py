"""Shared setup of the incident pages' browser tests (`test_map_browser`,
`test_patrol_browser`): station S1's maps refreshed from the scattered incidents of
`test_refresh`, and a logged-in Chromium page that collects script errors."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page

from liuqing.casework.testing import root_staff
from liuqing.core import services as core_services
from liuqing.core.models import Member, Unit
from liuqing.core.testing import World, confirmed_device
from liuqing.core.tests.test_browser import log_in
from liuqing.incidents import refresh
from liuqing.incidents.defaults import ensure_default_categories
from liuqing.incidents.testing import LAT, LNG, record_incidents, square
from liuqing.incidents.tests.test_refresh import MONTH, _scatter


def station_with_maps(world: World) -> Unit:
    """S1 with a boundary, its incidents recorded and the maps refreshed up to MONTH."""
    ensure_default_categories()
    s1 = world.units["S1"]
    core_services.update_unit(actor=root_staff(s1), unit=s1, boundary=square(LAT, LNG))
    s1.refresh_from_db()
    record_incidents(s1, _scatter(world))
    refresh.refresh_maps(root=world.units["D"], last_month=MONTH, months=6)
    return s1


def logged_in_page(
    browser: Browser, live_server: object, member: Member, *, width: int
) -> tuple[BrowserContext, Page, list[str]]:
    """(context, page, script errors) of `member` logged in (second factor confirmed)."""
    device = confirmed_device(member)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, str(live_server), member.username, device.bin_key)
    return context, page, errors
