"""The heat map in real headless Chromium: the cells are drawn on the canvas, the legend is
painted, the slider and selectors are there, the PNG export is saved only after the server
recorded it, no script error (the page's CSP forbids inline scripts and eval); a screenshot
is kept as an artefact (var/artifacts/browser/)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, expect

from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World
from liuqing.core.tests.test_browser import ARTIFACTS, browser  # noqa: F401
from liuqing.incidents import refresh
from liuqing.incidents.tests.browsing import logged_in_page, station_with_maps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_heat_map_draws_its_cells_in_chromium(
    live_server: object,
    world: World,
    browser: Browser,  # noqa: F811
) -> None:
    s1 = station_with_maps(world)
    chief = world.persona(Role.STATION_CHIEF)
    context, page, errors = logged_in_page(browser, live_server, chief, width=1000)
    page.goto(f"{live_server}/incidents/map/?unit={s1.pk}")
    expect(page.locator("#incident-map.drawn")).to_be_visible()
    drawn = int(page.locator("#incident-map").get_attribute("data-cells") or 0)
    assert drawn == refresh.boundary_cells(s1.boundary, 9).size
    # Leaflet drew them on its canvas: some pixels are not blank.
    painted = page.evaluate(
        """() => {
            const c = document.querySelector('.leaflet-overlay-pane canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; }
            return n;
        }"""
    )
    assert painted > 1000
    # No tile layer by default: no request leaves the site.
    assert page.locator(".leaflet-tile").count() == 0
    assert page.locator("#month-slider").is_visible()
    swatch = page.locator("#map-legend .swatch").first
    assert swatch.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    # The PNG export is audited before the file is saved: the record names what was saved.
    assert not AuditEvent.objects.filter(action="incident.map_export").exists()
    with page.expect_download() as download:
        page.click("#export-png")
    name = f"incident-levels-{s1.code}-2026-03-all-r9.png"
    assert download.value.suggested_filename == name
    with open(download.value.path(), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    event = AuditEvent.objects.get(action="incident.map_export")
    details = json.loads(event.details)
    assert (details["format"], details["layer"], details["month"]) == ("png", "levels", "2026-03")
    assert (details["unit"], details["category"], details["resolution"]) == (s1.code, "", 9)
    assert event.member_username == chief.username
    shot = ARTIFACTS / "incident-map.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    # Right to left on a small phone: the hot-spot page in Uyghur fits the screen.
    page.set_viewport_size({"width": 360, "height": 740})
    page.select_option("#lang-select", "ug")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.goto(f"{live_server}/incidents/hotspots/?unit={s1.pk}&month=2026-03")
    expect(page.locator("#incident-map.drawn")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    phone = ARTIFACTS / "incident-hotspots-ug-phone.png"
    page.screenshot(path=str(phone), full_page=True)
    print(f"screenshot: {phone}")
    assert errors == []
    context.close()
