"""The accessible HTML edition of a report, opened from the report list in Chromium: axe-core's
WCAG 2.1 A/AA rules find nothing, the file loads nothing but itself, and its charts are named
images; another office's edition is a 404."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser


def test_the_html_edition_of_a_report_meets_wcag_21_aa_and_loads_nothing_else(
    demo_platform, staff_pages
):
    wolomin, sierpc = demo_platform.slugs
    page = staff_pages[wolomin]
    page.goto(demo_platform.url(wolomin, "/panel/raporty"))
    link = page.get_by_role("link", name=re.compile(r"^Wersja dostępna \(HTML\)")).first
    href = link.get_attribute("href")
    assert re.fullmatch(r"/panel/raporty/\d+/html", href)
    # a fresh tab of the same signed-in browser, so that only this file's loads are seen
    page = staff_pages[wolomin].context.new_page()
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(message.text))
    answer = page.goto(demo_platform.url(wolomin, href))
    assert answer.ok
    page.wait_for_load_state("load")
    assert requests == [demo_platform.url(wolomin, href)], requests  # self-contained
    assert console == [], console  # the CSP that allows nothing blocked nothing
    assert page.evaluate("document.documentElement.lang") == "pl"
    assert page.locator("h1").count() == 1
    assert "Urząd Miejski w Wołominie" in page.title()
    charts = page.get_by_role("img", name=re.compile("^Indeks satysfakcji"))
    assert charts.count() == 2
    assert_accessible(page)

    # the same file, saved, opens as it is (no server): the same check
    html = page.content()
    page.set_content(html)
    assert_accessible(page)
    page.close()

    stranger = staff_pages[sierpc]
    answer = stranger.goto(demo_platform.url(sierpc, href))
    assert answer.status == 404
