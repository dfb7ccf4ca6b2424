"""The survey on a phone, in a real browser: every 1-5 scale on one row from 320 px up; with
JavaScript one section per screen, in Polish, English and Ukrainian, with no violations of
WCAG 2.1 A/AA on any step or error; and a partial form sent anyway is checked in full."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from tenants.survey.models import Answer, Response
from tests.browser.test_accessibility import _office_counts, assert_accessible
from tests.browser_fixtures import without_survey_script

pytestmark = pytest.mark.browser

# For each rating question: the distinct top offsets of its radio buttons, and how many it has.
SCALE_ROWS = """() => [...document.querySelectorAll('fieldset.question')]
  .filter(q => q.querySelector('.scale'))
  .map(q => {
    const radios = [...q.querySelectorAll('input[type=radio]')];
    const tops = new Set(radios.map(r => Math.round(r.getBoundingClientRect().top)));
    return {name: radios[0].name, count: radios.length, rows: tops.size,
            top: radios[0].getBoundingClientRect().top + window.scrollY};
  })"""


@pytest.mark.parametrize("width", [375, 320])
def test_every_rating_scale_of_the_full_survey_is_one_row_on_a_phone(
    demo_platform, chromium, width
):
    _, sierpc = demo_platform.slugs  # the full template
    # Every section on the page, as without JavaScript (with it, only the current one is laid
    # out, and hidden radio buttons all have the top offset 0).
    context = chromium.new_context(viewport={"width": width, "height": 700}, locale="pl-PL")
    without_survey_script(context)
    page = context.new_page()
    page.goto(demo_platform.url(sierpc))
    scales = page.evaluate(SCALE_ROWS)
    widths = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    height = page.evaluate("() => document.scrollingElement.scrollHeight")
    print(f"{width} px: {len(scales)} scales, page {height} px tall")
    assert_accessible(page)
    context.close()

    assert len(scales) >= 25 and all(s["top"] > 0 for s in scales)  # laid out, not hidden
    assert {s["count"] for s in scales} <= {5, 6}
    wrapped = [s["name"] for s in scales if s["rows"] != 1]
    assert not wrapped, f"scales wrapping at {width} px: {wrapped}"
    assert widths[0] <= widths[1]


# Per language: the step counter, the buttons, the error heading and the message of the one
# required question of the default template, as the page shows them.
STEP_TEXTS = {
    "pl": ("Krok {} z {}", "Dalej", "Wyślij ankietę", "Błąd:", "Odpowiedz na pytanie: Jak ogólnie"),
    "en": (
        "Step {} of {}",
        "Next",
        "Send the survey",
        "Error:",
        "Please answer the question: Overall",
    ),
    "uk": (
        "Крок {} з {}",
        "Далі",
        "Надіслати анкету",
        "Помилка:",
        "Дайте відповідь на питання: Як",
    ),
}
VISIBLE_SECTIONS = (
    "() => [...document.querySelectorAll('fieldset.section')].filter(s => !s.hidden).length"
)


@pytest.mark.parametrize("language", ["pl", "en", "uk"])
def test_one_section_per_screen_meets_wcag_on_every_step_and_its_error_in_every_language(
    demo_platform, chromium, language
):
    _, sierpc = demo_platform.slugs
    counter, next_label, send_label, error_prefix, required = STEP_TEXTS[language]
    context = chromium.new_context(viewport={"width": 375, "height": 667}, locale="pl-PL")
    page = context.new_page()
    page.goto(demo_platform.url(sierpc, f"/?lang={language}"))
    assert page.locator("html").get_attribute("lang") == language
    total = page.locator("fieldset.section").count()
    assert total == 8
    screens = []
    for step in range(1, total + 1):
        assert page.locator(".step-progress").inner_text() == counter.format(step, total)
        assert page.evaluate(VISIBLE_SECTIONS) == 1
        assert page.get_by_role("button", name=send_label).is_visible() == (step == total)
        screens.append(page.evaluate("() => document.scrollingElement.scrollHeight"))
        assert_accessible(page)
        if page.locator("fieldset.section:not([hidden]) .question[data-required]").count():
            page.get_by_role("button", name=next_label).click()  # nothing chosen yet
            summary = page.locator(".error-summary")
            assert summary.is_visible() and required in summary.inner_text()
            assert page.evaluate("() => document.activeElement.id") == summary.get_attribute("id")
            assert page.title().startswith(error_prefix)
            assert page.locator(".step-progress").inner_text() == counter.format(step, total)
            assert_accessible(page)
            page.locator("fieldset.section:not([hidden]) .segment").last.click()
        if step < total:
            page.get_by_role("button", name=next_label).click()
            assert page.evaluate("() => document.activeElement.tagName") == "H2"
            assert page.locator(".error-summary").count() == 0
            assert not page.title().startswith(error_prefix)
    print(f"{language}: screens {screens} px tall at 375x667")
    context.close()


def test_a_forged_partial_post_gets_the_full_check_and_stores_nothing(
    migrated_app, demo_platform, chromium
):
    """The first section answered, then the form sent as it is (a forged step, or JavaScript
    turned off mid-way): the server checks every answer, stores nothing, and the page opens
    at the section with the error; fixed there, the response is stored once."""
    # Sierpc has the full template (Wołomin the short one); the other office must not move.
    other, full = demo_platform.slugs
    before = {slug: _office_counts(migrated_app, slug) for slug in (full, other)}
    context = chromium.new_context(viewport={"width": 375, "height": 667}, locale="pl-PL")
    page = context.new_page()
    page.goto(demo_platform.url(full))
    page.locator("#q-lokalizacja-4").check()
    with page.expect_navigation():
        page.evaluate("() => document.querySelector('form[data-steps]').submit()")
    summary = page.locator(".error-summary")
    assert "Odpowiedz na pytanie: Jak ogólnie oceniasz obsługę w urzędzie?" in summary.inner_text()
    assert page.title().startswith("Błąd:")
    assert {slug: _office_counts(migrated_app, slug) for slug in (full, other)} == before
    # The page opens at the section of the error, with the answer given kept.
    assert page.locator("fieldset.section:not([hidden]) #q-ogolna_satysfakcja-1").is_visible()
    assert page.locator(".step-progress").inner_text() == "Krok 6 z 8"
    assert_accessible(page)
    page.locator(".step-nav").get_by_role("button", name="Wstecz").click()
    summary.get_by_role("link").first.click()  # back to the question from the summary
    assert page.evaluate("() => document.activeElement.id") == "q-ogolna_satysfakcja-1"
    page.keyboard.press("Space")
    for _ in range(2):
        page.get_by_role("button", name="Dalej").click()
    page.get_by_role("button", name="Wyślij ankietę").click()
    page.wait_for_url(demo_platform.url(full, "/dziekujemy") + "*")
    context.close()

    after = {slug: _office_counts(migrated_app, slug) for slug in (full, other)}
    assert after[full][0] == before[full][0] + 1
    assert after[other] == before[other]
    page_answers = _answers_of_newest(migrated_app, full)
    assert page_answers["lokalizacja"] == "4" and page_answers["ogolna_satysfakcja"] == "1"


def _answers_of_newest(app, slug: str) -> dict[str, str]:
    """The stored answers of the office's newest response."""
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        with tenant_scope(tenant):
            newest = db.session.scalar(select(Response.id).order_by(Response.id.desc()).limit(1))
            rows = db.session.execute(
                select(Answer.question_key, Answer.value).where(Answer.response_id == newest)
            ).all()
    return dict(rows)


SHORT_VIEWPORT = {"width": 375, "height": 667}
# With JavaScript: the visible section with its step counter and Dalej/Wstecz, from the counter's
# top to the buttons' bottom (the office header, intro and footer are outside the step).
STEP_HEIGHT = """() => {
  const progress = document.querySelector('.step-progress').getBoundingClientRect();
  const nav = document.querySelector('.step-nav').getBoundingClientRect();
  return Math.round(nav.bottom - progress.top);
}"""


def _short_survey_page(demo_platform, chromium, javascript: bool):
    wolomin, _ = demo_platform.slugs  # the short template
    context = chromium.new_context(viewport=SHORT_VIEWPORT, locale="pl-PL")
    if not javascript:
        without_survey_script(context)
    page = context.new_page()
    page.goto(demo_platform.url(wolomin))
    assert "Ankieta krótka" in page.title()
    return context, page


def test_every_step_of_the_short_survey_fits_one_phone_screen(demo_platform, chromium):
    context, page = _short_survey_page(demo_platform, chromium, javascript=True)
    total = page.locator("fieldset.section").count()
    steps = []
    for step in range(1, total + 1):
        assert page.locator(".step-progress").inner_text() == f"Krok {step} z {total}"
        steps.append(page.evaluate(STEP_HEIGHT))
        assert_accessible(page)
        segments = page.locator("fieldset.section:not([hidden]) .segment")
        if segments.count():
            segments.first.click()
        if step < total:
            page.get_by_role("button", name="Dalej").click()
    context.close()
    print(f"short survey at 375x667, each step (counter to buttons): {steps} px")
    assert total == 8 and max(steps) <= SHORT_VIEWPORT["height"], steps


def test_the_short_survey_has_8_questions_on_one_row_scales_without_javascript(
    demo_platform, chromium
):
    context, page = _short_survey_page(demo_platform, chromium, javascript=False)
    questions = page.locator("fieldset.question, div.question").count()
    scales = page.evaluate(SCALE_ROWS)
    assert_accessible(page)
    context.close()
    assert questions == 8
    assert len(scales) == 6 and all(s["rows"] == 1 for s in scales)


def test_the_short_survey_is_at_most_3_screens_tall_without_javascript(demo_platform, chromium):
    context, page = _short_survey_page(demo_platform, chromium, javascript=False)
    whole = page.evaluate("() => document.scrollingElement.scrollHeight")
    context.close()
    print(f"short survey at 375x667 without JavaScript: {whole} px")
    assert whole <= 3 * SHORT_VIEWPORT["height"], f"{whole} px is more than 3 screens"
