"""Accessibility checked in a real browser: axe-core's WCAG 2.1 A and AA rules on every resident
page, the staff panel and the operator console; the survey completed with the keyboard alone;
no horizontal scrolling at 320 px; and the manual's screenshots taken from the demo data."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import func, select

from config import REPO_ROOT
from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from tenants.panel.manual import MANUAL_SCREENS, SCREENS_DIR, png_size
from tenants.survey.models import Answer, Response
from tests.browser_fixtures import (
    LIGHT_BRAND_SLUG,
    SUSPENDED_SLUG,
    sign_in_staff,
    without_survey_script,
)

pytestmark = pytest.mark.browser

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NARROW_SCREENSHOTS = REPO_ROOT / "instance" / "screenshots"
AXE = Axe()


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page, one readable line per offending node."""
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        f"{node['target']}: {node.get('failureSummary', '')}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}:\n" + "\n".join(violations)


def test_axe_reports_the_violations_it_finds(resident_page):
    """The checker itself works: an image without alt text on an unlabelled page fails."""
    resident_page.set_content('<html><body><img src="x.png"></body></html>')
    ids = {line.split(" ")[0] for line in axe_violations(resident_page)}
    assert {"image-alt", "html-has-lang"} <= ids


def test_survey_and_its_error_page_meet_wcag_21_aa(demo_platform, chromium):
    """The whole form on one page, as without JavaScript (one step at a time, with it: see
    test_survey_on_a_phone.py), and the server's error page."""
    wolomin, _ = demo_platform.slugs
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="pl-PL")
    without_survey_script(context)
    page = context.new_page()
    page.goto(demo_platform.url(wolomin))
    assert page.locator("h1").count() == 1
    assert_accessible(page)

    page.get_by_role("button", name="Wyślij ankietę").press("Enter")
    page.wait_for_selector(".error-summary")
    assert page.title().startswith("Błąd:")
    assert_accessible(page)
    context.close()


def test_thank_you_unavailable_and_statement_pages_meet_wcag_21_aa(demo_platform, resident_page):
    wolomin, _ = demo_platform.slugs
    page = resident_page
    page.goto(demo_platform.url(wolomin, "/dziekujemy"))
    assert_accessible(page)
    page.goto(demo_platform.url(wolomin, "/deklaracja-dostepnosci"))
    assert "Deklaracja dostępności" in page.locator("h1").inner_text()
    assert_accessible(page)
    page.goto(demo_platform.url(wolomin, "/ochrona-danych"))
    assert_accessible(page)

    answer = page.goto(demo_platform.url(SUSPENDED_SLUG))
    assert answer.status == 503
    assert_accessible(page)


def test_a_light_brand_colour_still_gives_readable_text_and_controls(demo_platform, chromium):
    """A yellow brand colour: the header text turns black, text and controls in the brand
    colour on white are darkened until they reach 4.5:1."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="pl-PL")
    page = context.new_page()
    page.goto(demo_platform.url(LIGHT_BRAND_SLUG))
    assert_accessible(page)
    sign_in_staff(page, demo_platform, LIGHT_BRAND_SLUG)
    # an office without responses: its dashboard is the first steps, ticks and buttons
    assert page.get_by_role("heading", name="Pierwsze kroki", level=1).is_visible()
    assert_accessible(page)
    page.goto(demo_platform.url(LIGHT_BRAND_SLUG, "/panel/wydzialy"))
    edit = page.locator("a[href*='/panel/wydzialy/']").first.get_attribute("href")
    page.goto(demo_platform.url(LIGHT_BRAND_SLUG, edit))
    assert_accessible(page)
    secondary = page.locator(".button.secondary").first
    assert secondary.evaluate("e => getComputedStyle(e).color") == "rgb(138, 113, 0)"
    context.close()


def test_staff_login_meets_wcag_21_aa(demo_platform, resident_page):
    wolomin, _ = demo_platform.slugs
    page = resident_page
    page.goto(demo_platform.url(wolomin, "/panel/login"))
    assert_accessible(page)
    page.get_by_role("button", name="Zaloguj się").press("Enter")
    page.wait_for_selector(".error-summary")
    assert_accessible(page)


@pytest.mark.parametrize("screen", MANUAL_SCREENS, ids=lambda screen: screen.name)
def test_manual_screenshots_are_taken_from_the_demo_data(
    demo_platform, chromium, staff_pages, screen
):
    wolomin, _ = demo_platform.slugs
    if screen.who == "admin":
        page = staff_pages[wolomin]
        context = None
    else:
        context = chromium.new_context(locale="pl-PL")
        page = context.new_page()
    page.set_viewport_size({"width": screen.width, "height": screen.height})
    answer = page.goto(demo_platform.url(wolomin, screen.path))
    assert answer.ok, f"{screen.path}: {answer.status}"
    assert page.url == demo_platform.url(wolomin, screen.path), "redirected (signed out?)"
    if screen.submit:
        for label, value in screen.fill:
            page.get_by_label(label, exact=True).fill(value)
        with page.expect_navigation():
            page.get_by_role("button", name=screen.submit, exact=True).click()
    height = screen.height
    if screen.shows:
        # tall enough for the whole part of the page the manual describes
        bottom = page.locator(screen.shows).first.evaluate(
            "element => element.getBoundingClientRect().bottom + window.scrollY"
        )
        height = max(height, math.ceil(bottom) + 24)
        page.set_viewport_size({"width": screen.width, "height": height})
        page.wait_for_timeout(100)
    target: Path = SCREENS_DIR / f"{screen.name}.png"
    page.screenshot(path=target, full_page=False)
    if screen.shows:
        box = page.locator(screen.shows).first.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= height, screen.name
    page.set_viewport_size({"width": 1280, "height": 900})
    if context is not None:
        context.close()
    assert target.stat().st_size > 5_000
    assert png_size(target) == (screen.width, height)


@pytest.mark.parametrize(
    "path",
    [
        "/panel/",
        "/panel/raporty",
        "/panel/dzialania",
        "/panel/dzialania/nowe",
        "/panel/odpowiedzi",
        "/panel/komentarze",
        "/panel/komentarze/tematy",
        "/panel/do-sprawdzenia",
        "/panel/ankieta-papierowa",
        "/panel/uzytkownicy",
        "/panel/kioski",
        "/panel/baner?otwieraj=okno&polozenie=w-tresci",  # with the widget's live preview
        "/panel/urzad",
        "/panel/wydzialy",
        "/panel/dziennik",
        "/panel/konto",
        "/panel/instrukcja",
        "/panel/?okres=custom&od=2020-13-45",  # the dashboard with a filter error
    ],
)
def test_staff_panel_pages_meet_wcag_21_aa(demo_platform, staff_pages, path):
    wolomin, _ = demo_platform.slugs
    page = staff_pages[wolomin]
    page.goto(demo_platform.url(wolomin, path))
    assert page.url == demo_platform.url(wolomin, path), "not signed in"
    assert_accessible(page)


def test_a_response_and_a_staff_members_page_meet_wcag_21_aa(demo_platform, staff_pages):
    wolomin, _ = demo_platform.slugs
    page = staff_pages[wolomin]
    page.goto(demo_platform.url(wolomin, "/panel/odpowiedzi"))
    page.locator("a[href*='/panel/odpowiedzi/']").first.press("Enter")
    page.wait_for_selector("text=Odpowiedź nr")
    assert_accessible(page)
    page.goto(demo_platform.url(wolomin, "/panel/uzytkownicy"))
    page.get_by_role("button", name="Wyślij zaproszenie").press("Enter")  # empty: errors
    page.wait_for_selector(".error-summary")
    assert_accessible(page)
    page.locator("a[href*='/panel/uzytkownicy/']").first.press("Enter")
    page.wait_for_selector("h1")
    assert_accessible(page)


def test_operator_console_meets_wcag_21_aa(demo_platform, operator_page):
    page = operator_page
    page.goto(demo_platform.url(None, "/operator/"))
    assert_accessible(page)
    wolomin, _ = demo_platform.slugs
    page.goto(demo_platform.url(None, f"/operator/urzedy/{wolomin}"))
    assert_accessible(page)
    page.goto(demo_platform.url(None, f"/operator/urzedy/{wolomin}/zawieszenie"))
    assert_accessible(page)
    page.get_by_role("button", name="Tak, zawieś ankietę urzędu").press("Enter")
    page.wait_for_selector(".error-summary")  # no reason given: refused, with a message
    assert_accessible(page)
    page.goto(demo_platform.url(None, f"/operator/urzedy/{SUSPENDED_SLUG}/wznowienie"))
    assert_accessible(page)
    page.goto(demo_platform.url(None, "/operator/urzedy/nowy"))
    assert_accessible(page)
    page.get_by_role("button", name="Utwórz urząd").press("Enter")
    page.wait_for_selector(".error-summary")
    assert_accessible(page)
    page.goto(demo_platform.url(None, "/operator/dziennik"))
    assert_accessible(page)


def test_landing_operator_login_and_error_pages_meet_wcag_21_aa(demo_platform, resident_page):
    page = resident_page
    page.goto(demo_platform.url(None))
    assert_accessible(page)
    page.goto(demo_platform.url(None, "/operator/login"))
    assert_accessible(page)
    wolomin, _ = demo_platform.slugs
    page.goto(demo_platform.url(wolomin, "/panel/przypomnij-haslo"))
    assert_accessible(page)
    assert page.goto(demo_platform.url(wolomin, "/nie-ma-takiej-strony")).status == 404
    assert_accessible(page)


KEYBOARD_COMMENT = "Wpisane z klawiatury."


def _office_counts(app, slug: str) -> tuple[int, int]:
    """(responses, answers with the keyboard's comment) of one office, read in its scope."""
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        with tenant_scope(tenant):
            responses = db.session.scalar(select(func.count()).select_from(Response))
            typed = db.session.scalar(select(func.count()).where(Answer.value == KEYBOARD_COMMENT))
    return responses, typed


def _keyboard_answers(app, slug: str) -> dict[str, list[str]]:
    """The stored answers of the response whose comment the keyboard typed."""
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        with tenant_scope(tenant):
            response_id = db.session.scalar(
                select(Answer.response_id).where(Answer.value == KEYBOARD_COMMENT)
            )
            rows = db.session.execute(
                select(Answer.question_key, Answer.value).where(Answer.response_id == response_id)
            ).all()
    answers: dict[str, list[str]] = {}
    for key, value in rows:
        answers.setdefault(key, []).append(value)
    return answers


@pytest.mark.parametrize("javascript", [True, False], ids=["one-section-at-a-time", "no-js"])
def test_survey_can_be_completed_with_the_keyboard_alone(
    migrated_app, demo_platform, chromium, javascript
):
    """Tab to every question, Space to answer, an arrow key to change an answer, Enter to send
    (and, with JavaScript, Enter on "Dalej" after each section): no clicks. Every Tab stop
    shows its focus."""
    other, office = demo_platform.slugs  # Sierpc: the full template, every kind of question
    before = {slug: _office_counts(migrated_app, slug) for slug in (office, other)}
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="pl-PL", java_script_enabled=javascript
    )
    page = context.new_page()
    page.goto(demo_platform.url(office))
    sections = page.locator("fieldset.section").count()
    steps = 0
    answered_groups: set[str] = set()
    chosen: dict[str, str] = {}  # field name -> the value the keyboard left checked
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement;
                       return {tag: e.tagName, type: e.type || '', name: e.name || '',
                               text: e.textContent.trim(),
                               outline: getComputedStyle(e).outlineStyle}; }"""
        )
        if focused["tag"] != "BODY":
            assert focused["outline"] != "none", f"no visible focus on {focused}"
        if focused["type"] in ("radio", "checkbox") and focused["name"] not in answered_groups:
            answered_groups.add(focused["name"])
            page.keyboard.press("Space")  # a radio group: the first answer; a checkbox: ticked
            if focused["type"] == "radio" and not chosen:
                spaced = page.evaluate("() => document.activeElement.value")
                page.keyboard.press("ArrowRight")  # the first rating: the next answer instead
                arrowed = page.evaluate("() => document.activeElement.value")
                assert arrowed != spaced
            if focused["type"] == "radio":
                chosen[focused["name"]] = page.evaluate(
                    "() => document.querySelector(`input[name='${document.activeElement.name}']"
                    ":checked`).value"
                )
        elif focused["tag"] == "SELECT":
            page.keyboard.press("ArrowDown")  # the first department
        elif focused["tag"] == "TEXTAREA":
            page.keyboard.type(KEYBOARD_COMMENT)
        elif focused["tag"] == "BUTTON" and focused["text"] == "Dalej":
            page.keyboard.press("Enter")
            steps += 1
            assert page.evaluate("() => document.activeElement.tagName") == "H2"
            assert f"Krok {steps + 1} z {sections}" in page.locator(".step-progress").inner_text()
        elif focused["tag"] == "BUTTON" and focused["text"] == "Wyślij ankietę":
            page.keyboard.press("Enter")
            break
    else:
        pytest.fail("the submit button was never reached with Tab")
    page.wait_for_url(demo_platform.url(office, "/dziekujemy") + "*")
    assert "Dziękujemy" in page.locator("h1").inner_text()
    context.close()
    assert steps == (sections - 1 if javascript else 0)

    after = {slug: _office_counts(migrated_app, slug) for slug in (office, other)}
    assert after[office] == (before[office][0] + 1, before[office][1] + 1)
    assert after[other] == before[other]
    stored = _keyboard_answers(migrated_app, office)
    assert len(chosen) >= 25  # every rating and single-choice question was answered
    assert next(iter(chosen.values())) == arrowed
    for field, value in chosen.items():
        assert stored[field.removeprefix("q-")] == [value], field


@pytest.mark.parametrize(
    "path", ["/", "/dziekujemy", "/panel/login", "/panel/", "/panel/instrukcja"]
)
def test_pages_fit_a_320_px_screen_without_horizontal_scrolling(demo_platform, chromium, path):
    wolomin, _ = demo_platform.slugs
    context = chromium.new_context(viewport={"width": 320, "height": 640}, locale="pl-PL")
    page = context.new_page()
    if path.startswith("/panel/") and path != "/panel/login":
        sign_in_staff(page, demo_platform, wolomin)
    page.goto(demo_platform.url(wolomin, path))
    NARROW_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = path.strip("/").replace("/", "-") or "ankieta"
    page.screenshot(path=NARROW_SCREENSHOTS / f"320px-{name}.png", full_page=True)
    widths = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    context.close()
    assert widths[1] == 320
    assert widths[0] <= widths[1], f"{path} scrolls sideways at 320 px: {widths}"


def test_offices_see_only_their_own_data_in_the_browser(demo_platform, staff_pages):
    wolomin, sierpc = demo_platform.slugs
    wolomin_page, sierpc_page = staff_pages[wolomin], staff_pages[sierpc]
    sierpc_page.goto(demo_platform.url(sierpc, "/panel/"))
    dashboard = sierpc_page.locator("main").inner_text()
    assert "Referat Obsługi Mieszkańców" in sierpc_page.content()
    assert "Wydział Podatków i Opłat Lokalnych" not in sierpc_page.content()
    assert "Wołomin" not in dashboard
    assert_accessible(sierpc_page)  # Sierpc's dark red brand colour
    # The Wołomin session means nothing on Sierpc's host: the browser is sent to log in.
    wolomin_page.goto(demo_platform.url(sierpc, "/panel/raporty"))
    assert "/panel/login" in wolomin_page.url
    wolomin_page.goto(demo_platform.url(wolomin, "/panel/"))
