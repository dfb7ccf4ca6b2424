"""The staff panel's layout in a real browser: the menu in groups as a sidebar on a desktop
screen with the content up to about 1200 px beside it; on a phone the menu behind one control
that works without JavaScript; and no panel page (every page the menu links to) wider than a
320 px screen: wide tables scroll inside their own box."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import assert_accessible, axe_violations
from tests.browser_fixtures import sign_in_staff

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
GROUPS = ["Odpowiedzi", "Ankieta", "Urząd"]  # the groups with more than one link (an admin's)

# What sticks out (inside a scrolling box too), to tell which element widens a page.
WIDEST_ELEMENTS = """() => {
    const limit = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > limit + 0.5)
        .slice(0, 5)
        .map(e => `${e.tagName.toLowerCase()}.${e.className}: ${e.getBoundingClientRect().right}`);
}"""


def _menu_paths(page) -> list[str]:
    """The paths of every link in the staff menu (hidden behind the control or not)."""
    hrefs = page.eval_on_selector_all(
        "nav.staff-nav a", "links => links.map(a => new URL(a.href).pathname)"
    )
    return list(dict.fromkeys(hrefs))


@pytest.fixture
def phone_page(chromium, demo_platform):
    context = chromium.new_context(viewport=PHONE, locale="pl-PL")
    page = context.new_page()
    wolomin, _ = demo_platform.slugs
    sign_in_staff(page, demo_platform, wolomin)
    yield page
    context.close()


def test_no_panel_page_in_the_menu_is_wider_than_a_320_px_screen(demo_platform, phone_page):
    wolomin, _ = demo_platform.slugs
    page = phone_page
    paths = _menu_paths(page)
    assert {"/panel/raporty", "/panel/urzad", "/panel/wydzialy", "/panel/uzytkownicy"} <= set(paths)
    assert "/panel/dziennik" in paths and "/panel/konto" in paths
    too_wide = {}
    violations = {}
    for path in paths:
        answer = page.goto(demo_platform.url(wolomin, path))
        assert answer.ok, f"{path}: {answer.status}"
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = (width, page.evaluate(WIDEST_ELEMENTS))
        violations[path] = axe_violations(page)  # e.g. a table scrolling without the keyboard
    assert not too_wide, f"pages wider than 320 px: {too_wide}"
    assert not any(violations.values()), {p: v for p, v in violations.items() if v}


def test_on_a_phone_the_menu_opens_from_one_control_without_javascript(chromium, demo_platform):
    wolomin, _ = demo_platform.slugs
    context = chromium.new_context(viewport=PHONE, locale="pl-PL", java_script_enabled=False)
    page = context.new_page()
    sign_in_staff(page, demo_platform, wolomin)
    menu = page.get_by_role("navigation", name="Panel urzędu")
    assert not menu.is_visible()
    page.get_by_text("Menu panelu").click()
    assert menu.is_visible()
    menu.get_by_role("link", name="Wydziały").click()
    page.wait_for_url(demo_platform.url(wolomin, "/panel/wydzialy"))
    assert not page.get_by_role("navigation", name="Panel urzędu").is_visible()
    context.close()


def test_on_a_phone_the_menu_and_its_control_meet_wcag_21_aa(phone_page):
    page = phone_page
    assert_accessible(page)  # closed
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the menu's control
    assert page.evaluate("() => document.activeElement.id") == "staff-menu-toggle"
    page.keyboard.press("Space")
    assert page.get_by_role("navigation", name="Panel urzędu").is_visible()
    assert_accessible(page)  # open


def test_on_a_desktop_the_menu_is_a_grouped_sidebar_beside_wide_content(chromium, demo_platform):
    wolomin, _ = demo_platform.slugs
    context = chromium.new_context(viewport=DESKTOP, locale="pl-PL")
    page = context.new_page()
    sign_in_staff(page, demo_platform, wolomin)
    assert not page.get_by_text("Menu panelu").is_visible()
    nav = page.get_by_role("navigation", name="Panel urzędu")
    assert nav.is_visible()
    for group in GROUPS:
        assert nav.get_by_role("list", name=group).is_visible(), group
    box = page.evaluate(
        """() => {
            const nav = document.querySelector('nav.staff-nav').getBoundingClientRect();
            const main = document.querySelector('main').getBoundingClientRect();
            return {navRight: nav.right, navTop: nav.top, mainLeft: main.left,
                    mainTop: main.top, mainWidth: main.width};
        }"""
    )
    assert box["navRight"] <= box["mainLeft"]  # beside, not above
    assert abs(box["navTop"] - box["mainTop"]) < 2
    assert 900 <= box["mainWidth"] <= 1200, box
    assert nav.get_by_role("link", name="Wyniki").get_attribute("aria-current") == "page"
    assert_accessible(page)
    page.goto(demo_platform.url(wolomin, "/panel/dziennik"))
    assert nav.get_by_role("link", name="Dziennik zmian").get_attribute("aria-current") == "page"
    assert_accessible(page)
    context.close()


def test_the_response_list_its_errors_and_a_background_export_meet_wcag_21_aa(
    demo_platform, staff_pages, migrated_app, monkeypatch
):
    wolomin, _ = demo_platform.slugs
    page = staff_pages[wolomin]
    page.goto(demo_platform.url(wolomin, "/panel/odpowiedzi?sortuj=wynik&niska_ocena=1"))
    assert page.locator("th[aria-sort='ascending']").inner_text().startswith("Wynik")
    assert_accessible(page)
    answer = page.goto(demo_platform.url(wolomin, "/panel/odpowiedzi?wynik_od=abc&sortuj=x"))
    assert answer.status == 400
    assert "Wynik „od”: podaj liczbę od 0 do 100" in page.locator(".error-summary").inner_text()
    assert_accessible(page)

    monkeypatch.setitem(migrated_app.config, "EXPORT_BACKGROUND_THRESHOLD", 10)
    page.goto(demo_platform.url(wolomin, "/panel/eksport.xlsx?okres=last_12_months"))
    assert "/panel/eksporty/" in page.url
    assert page.get_by_role("heading", name="Plik z odpowiedziami (XLSX)").is_visible()
    assert_accessible(page)  # waiting or ready, whichever the worker got to
    for _ in range(100):
        if page.get_by_text("Plik jest gotowy.").is_visible():
            break
        page.wait_for_timeout(300)
        page.reload()
    assert page.get_by_role("link", name="Pobierz").is_visible()
    assert_accessible(page)
