"""The patrol pages in real headless Chromium: a plan proposed from the officer-hours (a bad
figure first: a field error, nothing saved), one allocation edited (half hours only), a
patrol logged, and the week's coverage (见警率) on the plan page counting it; no script error
under the pages' CSP. Screenshots are kept as artefacts (var/artifacts/browser/)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import h3.api.basic_int as h3int
import pytest
from playwright.sync_api import Browser, Page, expect

from liuqing.core.models import Role
from liuqing.core.testing import World
from liuqing.core.tests.test_browser import ARTIFACTS, browser  # noqa: F401
from liuqing.incidents import patrols
from liuqing.incidents.models import PatrolLog, PatrolPlan
from liuqing.incidents.tests.browsing import logged_in_page, station_with_maps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WEEK = dt.date(2026, 4, 6)  # a Monday; its hot cells come from March


def shot(page: Page, name: str) -> None:
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def test_propose_edit_log_and_coverage_in_chromium(
    live_server: object,
    world: World,
    browser: Browser,  # noqa: F811
) -> None:
    s1 = station_with_maps(world)
    hot_cells = [h3int.int_to_str(int(c)) for c in patrols.hot_cells(s1, WEEK)]
    assert hot_cells
    chief = world.persona(Role.STATION_CHIEF)
    officer = world.persona(Role.OFFICER)
    context, page, errors = logged_in_page(browser, live_server, chief, width=1100)
    plan_url = f"{live_server}/incidents/patrols/?unit={s1.pk}&week={WEEK.isoformat()}"

    # Propose: a negative figure is a field error on that unit's hours, nothing is saved.
    page.goto(plan_url)
    # The week picker shows the week in the page's language (ISO, or the browser shows none).
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    expect(page.locator("#id_week")).to_have_count(1)  # one element per id
    expect(page.locator("input[type=date][name=week]")).to_have_value(WEEK.isoformat())
    hours = page.locator(f"input[name='hours-{s1.pk}']")
    expect(hours).to_be_visible()
    hours.fill("-3")
    with page.expect_navigation():
        page.locator("form:has(input[name=action][value=propose]) button[type=submit]").click()
    expect(page.locator(".field.invalid")).to_have_count(1)
    assert not PatrolPlan.objects.exists()
    page.locator(f"input[name='hours-{s1.pk}']").fill("20")
    page.locator("form:has(input[name=action][value=propose]) button[type=submit]").click()
    page.wait_for_url(f"**/incidents/patrols/?unit={s1.pk}&week={WEEK.isoformat()}")
    plan = PatrolPlan.objects.get()
    assert plan.hours == Decimal("20.0")
    inputs = page.locator("input[name^='alloc-']")
    expect(inputs).to_have_count(3 * len(hot_cells))  # car, foot, video per hot cell
    for cell in hot_cells:
        expect(page.locator(f"code:text-is('{cell}')").first).to_be_visible()
    shot(page, "incident-patrol-plan.png")

    # Edit one allocation: 0.2 h is not a half hour, and the browser itself refuses to send
    # it (the input's step); 6 h is saved.
    video = plan.allocations.filter(mode="video").first()
    assert video is not None
    line = page.locator(f"input[name='alloc-{video.pk}']")
    line.fill("0.2")
    assert line.evaluate("e => e.validity.stepMismatch") is True
    save = page.locator("form:has(input[name=action][value=save]) button[type=submit]")
    save.click()
    assert line.evaluate("e => e.matches(':invalid')") is True
    video.refresh_from_db()
    assert video.hours != Decimal("0.2")
    line.fill("6")
    with page.expect_navigation():
        save.click()
    expect(page.locator(f"input[name='alloc-{video.pk}']")).to_have_value("6.0")
    video.refresh_from_db()
    assert video.hours == Decimal("6.0")
    shot(page, "incident-patrol-plan-edited.png")

    # No patrol yet: the week's coverage is 0 of the hot cells.
    nothing = patrols.coverage(chief, s1, WEEK)
    assert nothing.numerator == 0
    expect(page.locator("#coverage")).to_have_text(nothing.percent_display())

    # Log a foot patrol through the first hot cell, on the officer's behalf.
    page.goto(f"{live_server}/incidents/patrols/logs/")
    page.select_option("select[name=unit]", str(s1.pk))
    page.select_option("select[name=officer]", str(officer.pk))
    page.select_option("select[name=mode]", "foot")
    page.fill("input[name=started_at]", "2026-04-07T09:00")
    page.fill("input[name=ended_at]", "2026-04-07T10:30")
    page.fill("textarea[name=cells]", hot_cells[0])
    with page.expect_navigation():
        page.locator("form:has(textarea[name=cells]) button[type=submit]").click()
    expect(page.locator("table td:text-is('2026-04-07 09:00–10:30')")).to_be_visible()
    log = PatrolLog.objects.get()
    assert (log.unit_id, log.officer_id, log.mode) == (s1.pk, officer.pk, "foot")
    shot(page, "incident-patrol-logs.png")

    # The coverage of the week now counts the patrolled hot cell.
    page.goto(plan_url)
    rate = patrols.coverage(chief, s1, WEEK)
    assert (rate.numerator, rate.denominator) == (1, len(hot_cells))
    expect(page.locator("#coverage")).to_have_text(rate.percent_display())
    assert f"(1 / {len(hot_cells)}" in page.locator("#coverage + span").inner_text()
    shot(page, "incident-patrol-coverage.png")
    assert errors == []
    context.close()
