"""Pages that change by themselves, checked in Chromium: the report list follows a report being
made without a reload, and a kiosk's thank-you page opens a fresh form after a few seconds,
with a countdown the person can stop (WCAG 2.2.1), so neither needs a timed meta refresh."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from tenants.reports import services as reports
from tenants.reports.html_edition import Editions
from tenants.reports.models import Report
from tenants.survey.kiosk import create_kiosk
from tests.browser.test_accessibility import assert_accessible
from tests.browser_fixtures import sign_in_staff

pytestmark = pytest.mark.browser


def _office(app, slug: str) -> Tenant:
    with app.app_context():
        return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="pl-PL")
    yield context.new_page()
    context.close()


def test_the_report_list_shows_a_finished_report_without_a_reload(
    demo_platform, browser_page, migrated_app
):
    wolomin, sierpc = demo_platform.slugs
    page = browser_page
    sign_in_staff(page, demo_platform, wolomin)
    page.goto(demo_platform.url(wolomin, "/panel/raporty"))
    assert page.locator("#report-list[data-poll]").count() == 1  # a report is still queued
    ready_before = page.get_by_text("gotowy (").count()
    assert_accessible(page)
    page.evaluate("window.notReloaded = true")

    office = _office(migrated_app, wolomin)
    with migrated_app.app_context(), tenant_scope(office):
        queued = db.session.scalar(select(Report).where(Report.status == "queued"))
        reports.store_report(queued, Editions(b"%PDF-1.4 made by a worker", "<!doctype html>"))
        db.session.commit()

    page.wait_for_function(
        "n => document.querySelectorAll('#report-list td').length > 0 && "
        "[...document.querySelectorAll('#report-list td')]"
        ".filter(td => td.textContent.includes('gotowy (')).length > n",
        arg=ready_before,
        timeout=15_000,
    )
    assert page.evaluate("window.notReloaded") is True  # the region changed, the page stayed
    assert page.locator("#report-list[data-poll]").count() == 0  # nothing pending: polling ends
    assert "zaktualizowana" in page.locator("#report-list-news").inner_text()
    assert_accessible(page)

    # the other office's list still has its own queued report and knows nothing of this one
    other = browser_page.context.new_page()
    sign_in_staff(other, demo_platform, sierpc)
    other.goto(demo_platform.url(sierpc, "/panel/raporty"))
    assert other.locator("#report-list[data-poll]").count() == 1


def test_a_kiosk_thank_you_page_opens_a_fresh_form_and_the_countdown_can_be_stopped(
    demo_platform, browser_page, migrated_app, monkeypatch
):
    wolomin, sierpc = demo_platform.slugs
    monkeypatch.setitem(migrated_app.config, "KIOSK_RESET_SECONDS", 2)
    with migrated_app.app_context():
        tokens = {}
        for slug in (wolomin, sierpc):
            with tenant_scope(_office(migrated_app, slug)):
                _, tokens[slug] = create_kiosk("Tablet w poczekalni")
                db.session.commit()
    page = browser_page
    thanks = demo_platform.url(wolomin, f"/dziekujemy?kanal=kiosk&kiosk={tokens[wolomin]}")

    page.goto(thanks)
    assert_accessible(page)  # no meta refresh in the page: the countdown is a script
    page.wait_for_url(lambda url: "/dziekujemy" not in url, timeout=10_000)
    assert f"kiosk={tokens[wolomin]}" in page.url and "kanal=kiosk" in page.url
    # A fresh form: one section at a time, so its submit button waits on the last step.
    assert page.locator("button", has_text="Wyślij ankietę").count() == 1
    assert page.locator("#krok").inner_text().startswith("Krok 1 z")

    page.goto(thanks)
    page.get_by_role("button", name="Zatrzymaj odliczanie").click()
    page.wait_for_timeout(3_500)
    assert "/dziekujemy" in page.url
    assert "zatrzymane" in page.get_by_role("status").inner_text()
    assert_accessible(page)

    # another office's kiosk token opens no countdown here
    page.goto(demo_platform.url(wolomin, f"/dziekujemy?kanal=kiosk&kiosk={tokens[sierpc]}"))
    assert page.locator("[data-reset-after]").count() == 0
    page.wait_for_timeout(2_500)
    assert "/dziekujemy" in page.url
