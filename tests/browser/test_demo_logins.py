"""The logins ``satysfakcja demo`` prints work in a real browser: each demo office's admin and
analyst (and Wołomin's department manager) sign in at their own office (and only there), and
the demo operator signs in to the console with the printed TOTP secret."""

from __future__ import annotations

import pyotp
import pytest

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from saas_platform.demo import (
    DEMO_MANAGER_DEPARTMENTS,
    DEMO_OPERATOR_EMAIL,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    demo_roles,
    demo_staff_email,
    ensure_demo_logins,
    ensure_demo_operator,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_logins(migrated_app, demo_platform):
    """The demo logins, added the way ``satysfakcja demo`` adds them."""
    with migrated_app.app_context():
        for slug in demo_platform.slugs:
            ensure_demo_logins(db.session.query(Tenant).filter_by(slug=slug).one())
        ensure_demo_operator()
        db.session.commit()
    return demo_platform


def _sign_in(page, demo, slug: str, email: str) -> None:
    page.goto(demo.url(slug, "/panel/login"))
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_load_state()


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_each_demo_office_s_printed_logins_open_its_panel_in_a_browser(demo_logins, chromium, role):
    for slug in demo_logins.slugs:
        context = chromium.new_context(locale="pl-PL")
        page = context.new_page()
        _sign_in(page, demo_logins, slug, demo_staff_email(role, slug))
        assert page.url == demo_logins.url(slug, "/panel/")
        assert page.locator("h1").first.is_visible()
        context.close()


def test_the_demo_manager_sees_the_dashboard_of_their_departments(demo_logins, chromium):
    wolomin = demo_logins.slugs[0]
    assert "manager" in demo_roles(wolomin)
    context = chromium.new_context(locale="pl-PL")
    page = context.new_page()
    _sign_in(page, demo_logins, wolomin, demo_staff_email("manager", wolomin))
    assert page.url == demo_logins.url(wolomin, "/panel/")
    scope = page.locator("#zakres-wydzialow").inner_text()
    assert scope.startswith("Wyniki wydziałów:")
    assert all(name in scope for name in DEMO_MANAGER_DEPARTMENTS[wolomin])
    context.close()


def test_a_demo_login_does_not_open_the_other_demo_office(demo_logins, chromium):
    wolomin, sierpc = demo_logins.slugs
    context = chromium.new_context(locale="pl-PL")
    page = context.new_page()
    _sign_in(page, demo_logins, sierpc, demo_staff_email("admin", wolomin))
    assert page.url.startswith(demo_logins.url(sierpc, "/panel/login"))
    assert "/panel/login" in page.url
    context.close()


def test_the_demo_operator_signs_in_with_the_printed_totp_secret(demo_logins, chromium):
    context = chromium.new_context(locale="pl-PL")
    page = context.new_page()
    page.goto(demo_logins.url(None, "/operator/login"))
    page.fill("#email", DEMO_OPERATOR_EMAIL)
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/operator/login/kod")
    page.fill("#code", pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.press("#code", "Enter")
    page.wait_for_url(demo_logins.url(None, "/operator/"))
    assert page.locator("h1").first.is_visible()
    context.close()
