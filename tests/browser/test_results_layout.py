"""The results in a real browser: the summary fits about two screens at 1280×800 with the
demo data (the full survey, Sierpc, and the short one, Wołomin), and the drill-down pages of
an area and a question meet WCAG 2.1 AA and fit a 320 px screen."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import assert_accessible
from tests.browser_fixtures import sign_in_staff

pytestmark = pytest.mark.browser

SCREEN = {"width": 1280, "height": 800}
MAX_SUMMARY_HEIGHT = 2.5 * SCREEN["height"]
DRILLDOWN_PATHS = (
    "/panel/wyniki/obszar/terminowosc",
    "/panel/wyniki/pytanie/czas_oczekiwania",
    "/panel/wyniki/pytanie/czas_oczekiwania?okres=custom&od=2020-13-45",  # a filter error
)


@pytest.fixture(scope="module")
def screen_pages(chromium, demo_platform):
    """A signed-in page per demo office at 1280×800."""
    pages = {}
    for slug in demo_platform.slugs:
        context = chromium.new_context(viewport=SCREEN, locale="pl-PL")
        page = context.new_page()
        sign_in_staff(page, demo_platform, slug)
        pages[slug] = page
    yield pages
    for page in pages.values():
        page.context.close()


def page_height(page) -> int:
    return page.evaluate("() => document.scrollingElement.scrollHeight")


@pytest.mark.parametrize("office", [0, 1], ids=["short-survey", "full-survey"])
def test_the_summary_at_1280_px_is_no_taller_than_two_and_a_half_screens(
    demo_platform, screen_pages, office
):
    slug = demo_platform.slugs[office]
    page = screen_pages[slug]
    page.goto(demo_platform.url(slug, "/panel/"))
    assert page.locator("#indeks").count() == 1  # the summary, not the first steps
    height = page_height(page)
    print(f"summary of {slug} at 1280x800: {height} px")
    assert height <= MAX_SUMMARY_HEIGHT, f"{slug}: {height} px"
    # the long tables are a click away: every area links to its own page
    assert page.locator("a[href*='/panel/wyniki/obszar/']").count() >= 5


@pytest.mark.parametrize("path", DRILLDOWN_PATHS)
def test_drilldown_pages_meet_wcag_21_aa(demo_platform, screen_pages, path):
    sierpc = demo_platform.slugs[1]  # the full survey
    page = screen_pages[sierpc]
    answer = page.goto(demo_platform.url(sierpc, path))
    assert answer.status in (200, 400), answer.status
    assert page.locator("h1").inner_text().startswith(("Obszar: ", "Pytanie: "))
    assert_accessible(page)
    page.locator("details.results-filter-box > summary").click()
    assert_accessible(page)


@pytest.mark.parametrize("path", DRILLDOWN_PATHS[:2])
def test_drilldown_pages_fit_a_320_px_screen(demo_platform, chromium, path):
    sierpc = demo_platform.slugs[1]
    context = chromium.new_context(viewport={"width": 320, "height": 640}, locale="pl-PL")
    page = context.new_page()
    sign_in_staff(page, demo_platform, sierpc)
    page.goto(demo_platform.url(sierpc, path))
    widths = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    context.close()
    assert widths[0] <= widths[1], f"{path} scrolls sideways at 320 px: {widths}"
