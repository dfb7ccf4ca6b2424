"""Browser-test fixtures: the test app served by a real server thread, Debian's Chromium driven
by Playwright, and a platform filled with demo data (two demo offices, a suspended one, staff,
an operator, a finished report and a few responses waiting for moderation)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pyotp
import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from saas_platform.core.db import db
from saas_platform.core.security import hash_password
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from saas_platform.demo import create_demo_offices
from saas_platform.onboarding import create_tenant
from saas_platform.operator.models import PlatformOperator
from tenants.accounts import services as staff
from tests.conftest import PLATFORM_DOMAIN, STAFF_PASSWORD, reset_platform

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DEMO_RESPONSES_PER_OFFICE = 600
OPERATOR_EMAIL = "operator@platforma.example"
OPERATOR_PASSWORD = "Operator-hasło-bardzo-długie-1"
SUSPENDED_SLUG = "zawieszony"
# An office whose brand colour is too light for text on white (a yellow coat of arms).
LIGHT_BRAND_SLUG = "zloty-stok"


@dataclass(frozen=True)
class DemoPlatform:
    """What the browser tests find on the live server."""

    port: int
    slugs: tuple[str, str]  # the two demo offices: (wolomin, sierpc)
    operator_secret: str

    def url(self, slug: str | None, path: str = "/") -> str:
        """The address of ``path`` on an office's host (or the apex for ``None``)."""
        host = f"{slug}.{PLATFORM_DOMAIN}" if slug else PLATFORM_DOMAIN
        return f"http://{host}:{self.port}{path}"

    @staticmethod
    def admin_email(slug: str) -> str:
        return f"kierownik@{slug}.example"


@pytest.fixture(scope="session")
def live_server(migrated_app) -> Iterator[int]:
    """The test app behind a real HTTP server on a loopback port; yields the port."""
    server = make_server("127.0.0.1", 0, migrated_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=10)


def _add_staff_report_and_suspects(tenant: Tenant, email: str) -> None:
    """An admin with a password, a finished and a queued report, three responses to moderate."""
    from tenants.reports import services as reports
    from tenants.survey.models import Response
    from tenants.survey.services import BURST_REASON

    with tenant_scope(tenant):
        user, _ = staff.invite(email, "admin", name="Anna Kierownik")
        staff.set_password(user, STAFF_PASSWORD)
        year = date.today().year - 1
        report = reports.request_report(
            "on_demand", date(year, 1, 1), date(year, 12, 31), requested_by_id=user.id
        )
        reports.store_report(report, reports.render_report(report, tenant))
        # and one still waiting for a worker (its task is never sent), as staff see it for a
        # few seconds after ordering
        reports.request_report(
            "on_demand", date(year + 1, 1, 1), date.today(), requested_by_id=user.id
        )
        newest = db.session.scalars(
            select(Response.id).order_by(Response.submitted_at.desc()).limit(3)
        ).all()
        db.session.execute(
            update(Response).where(Response.id.in_(newest)).values(flag_reason=BURST_REASON)
        )


@pytest.fixture(scope="module")
def demo_platform(migrated_app, owner_engine, celery_worker, live_server) -> DemoPlatform:
    """The demo offices of ``make run`` (fewer responses), their admins, a suspended office and
    an enrolled operator, committed before the browser comes."""
    reset_platform(migrated_app, owner_engine)
    secret = pyotp.random_base32()
    with migrated_app.app_context():
        offices = [tenant for tenant, _ in create_demo_offices(DEMO_RESPONSES_PER_OFFICE, seed=7)]
        for tenant in offices:
            _add_staff_report_and_suspects(tenant, DemoPlatform.admin_email(tenant.slug))
        suspended = create_tenant(SUSPENDED_SLUG, "Urząd Gminy Zawieszonej")
        suspended.status = "suspended"
        light = create_tenant(
            LIGHT_BRAND_SLUG, "Urząd Miejski w Złotym Stoku", brand_colour="#ffd200"
        )
        with tenant_scope(light):
            user, _ = staff.invite(DemoPlatform.admin_email(LIGHT_BRAND_SLUG), "admin")
            staff.set_password(user, STAFF_PASSWORD)
        db.session.add(
            PlatformOperator(
                email=OPERATOR_EMAIL,
                password_hash=hash_password(OPERATOR_PASSWORD),
                totp_secret=secret,
            )
        )
        db.session.commit()
        slugs = (offices[0].slug, offices[1].slug)
    return DemoPlatform(live_server, slugs, secret)


# A context's locale="pl-PL" sets the page's language and Intl, but the date fields' own format
# (dd.mm.rrrr, not mm/dd/yyyy) follows the browser's interface language: Chromium in Polish,
# from its Polish locale file (Debian's chromium-l10n, which .ci/run installs).
POLISH_BROWSER_ENV = {**os.environ, "LANG": "pl_PL.UTF-8", "LANGUAGE": "pl"}


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    """One headless Chromium (Debian's package) for the module; office hosts map to loopback."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                f"--host-resolver-rules=MAP *.{PLATFORM_DOMAIN} 127.0.0.1, "
                f"MAP {PLATFORM_DOMAIN} 127.0.0.1",
                "--lang=pl-PL",
            ],
            env=POLISH_BROWSER_ENV,
        )
        yield browser
        browser.close()


def without_survey_script(context) -> None:
    """The survey as a browser without JavaScript lays it out (every section on one page): the
    one-section-at-a-time script is not delivered. (A context with JavaScript turned off would
    do the same, but axe-core cannot run in it.)"""
    context.route("**/static/survey-steps.js", lambda route: route.abort())


def sign_in_staff(page, demo: DemoPlatform, slug: str) -> None:
    """Sign in through the office's login form, as a staff member does."""
    page.goto(demo.url(slug, "/panel/login"))
    page.fill("#email", demo.admin_email(slug))
    page.fill("#password", STAFF_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(demo.url(slug, "/panel/"))


@pytest.fixture(scope="module")
def staff_pages(chromium, demo_platform) -> dict:
    """A signed-in page per demo office, each in its own browser context (own cookies)."""
    pages = {}
    for slug in demo_platform.slugs:
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="pl-PL")
        page = context.new_page()
        sign_in_staff(page, demo_platform, slug)
        pages[slug] = page
    yield pages
    for page in pages.values():
        page.context.close()


@pytest.fixture(scope="module")
def operator_page(chromium, demo_platform):
    """The operator console, signed in with the password and the TOTP code."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="pl-PL")
    page = context.new_page()
    page.goto(demo_platform.url(None, "/operator/login"))
    page.fill("#email", OPERATOR_EMAIL)
    page.fill("#password", OPERATOR_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/operator/login/kod")
    page.fill("#code", pyotp.TOTP(demo_platform.operator_secret).now())
    page.press("#code", "Enter")
    page.wait_for_url(demo_platform.url(None, "/operator/"))
    yield page
    context.close()


@pytest.fixture
def resident_page(chromium):
    """A fresh resident's browser (no cookies), closed after the test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="pl-PL")
    page = context.new_page()
    yield page
    context.close()
