"""The "Oceń Urząd" button on an office's website, in a real browser: a page on another origin
(a small HTTP server on its own port) with a strict Content-Security-Policy loads the snippet
from the banner kit, the button opens the survey in a dialog or a new tab, and every request
the button makes goes to the office's host. A suspended office's button shows nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from tenants.outreach.widget import WidgetChoice, widget_tag
from tenants.survey.models import Response
from tests.browser_fixtures import SUSPENDED_SLUG

pytestmark = pytest.mark.browser

OFFICE_PAGE = """<!doctype html><html lang="pl"><head><meta charset="utf-8">
<title>Gmina – strona urzędu</title></head><body><main><h1>Aktualności gminy</h1>
<p>Treść strony urzędu.</p>{snippet}<p>Dalsza treść.</p></main></body></html>"""


class OfficeWebsite:
    """The office's own website on another origin, serving one page with the given snippet
    under a strict CSP naming only the survey's host (as the kit page tells the office to)."""

    def __init__(self) -> None:
        self.page = ""
        self.csp = ""
        website = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = website.page.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", website.csp)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"

    def serve(self, snippet: str, survey_origin: str) -> None:
        self.page = OFFICE_PAGE.format(snippet=snippet)
        self.csp = (
            f"default-src 'none'; script-src {survey_origin}; frame-src {survey_origin}; "
            "style-src 'none'; img-src 'none'; base-uri 'none'; form-action 'none'"
        )


@pytest.fixture(scope="module")
def office_website() -> Iterator[OfficeWebsite]:
    website = OfficeWebsite()
    thread = threading.Thread(target=website.server.serve_forever, daemon=True)
    thread.start()
    yield website
    website.server.shutdown()
    thread.join(timeout=10)


def snippet_for(demo, migrated_app, slug: str, choice: WidgetChoice) -> tuple[str, str]:
    """The office's snippet as the kit page gives it, addressed at the live server's port."""
    origin = demo.url(slug, "").rstrip("/")
    with migrated_app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        return str(widget_tag(tenant, choice, origin=origin)), origin


def visit(chromium, website: OfficeWebsite):
    """A resident's fresh browser on the office's website, recording every request it makes
    (those of frames and new tabs too) and every console message."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="pl-PL")
    requests: list[str] = []
    console: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.on("console", lambda message: console.append(message.text))
    page.goto(website.url)
    return context, page, requests, console


def widget_responses(migrated_app, slug: str) -> int:
    with migrated_app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        with tenant_scope(tenant):
            return len(
                db.session.scalars(select(Response.id).where(Response.channel == "widget")).all()
            )


def test_the_button_opens_the_survey_in_a_dialog_on_another_sites_strict_csp_page(
    demo_platform, migrated_app, chromium, office_website
):
    wolomin, sierpc = demo_platform.slugs
    snippet, origin = snippet_for(
        demo_platform, migrated_app, wolomin, WidgetChoice("okno", "w-tresci")
    )
    office_website.serve(snippet, origin)
    before = widget_responses(migrated_app, wolomin)
    context, page, requests, console = visit(chromium, office_website)

    button = page.get_by_role("button", name="Oceń Urząd")
    button.wait_for()
    # inline: where the tag is, between the two paragraphs of the page
    assert (
        page.evaluate("() => document.querySelector('main button').previousElementSibling.tagName")
        == "SCRIPT"
    )
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Ankieta satysfakcji klienta")
    dialog.wait_for()
    survey = page.frame_locator("dialog iframe")
    survey.locator("fieldset.section .segment").first.click()
    for _ in range(20):  # the short survey, one step at a time, to its last step
        send = survey.get_by_role("button", name="Wyślij ankietę")
        if send.is_visible():
            break
        survey.get_by_role("button", name="Dalej").click()
    send.click()
    survey.get_by_role("heading", name="Dziękujemy").wait_for()
    page.get_by_role("button", name="Zamknij ankietę").click()
    dialog.wait_for(state="hidden")
    focused = page.evaluate("() => document.activeElement.textContent")
    context.close()

    print(f"dialog mode: {len(requests)} requests: {requests}")
    off_site = [url for url in requests[1:] if urlsplit(url).netloc != urlsplit(origin).netloc]
    assert requests[0] == office_website.url and not off_site, off_site
    assert any("kanal=widget" in url for url in requests)
    assert not [line for line in console if "Content Security Policy" in line], console
    assert focused == "Oceń Urząd"  # back on the button after the dialog
    assert widget_responses(migrated_app, wolomin) == before + 1
    assert sierpc not in " ".join(requests)


def test_the_floating_button_opens_the_survey_in_a_new_tab(
    demo_platform, migrated_app, chromium, office_website
):
    _, sierpc = demo_platform.slugs
    snippet, origin = snippet_for(
        demo_platform, migrated_app, sierpc, WidgetChoice("karta", "plywajacy")
    )
    office_website.serve(snippet, origin)
    context, page, requests, console = visit(chromium, office_website)
    link = page.get_by_role("link", name="Oceń Urząd (ankieta otworzy się w nowej karcie)")
    link.wait_for()
    box = link.bounding_box()
    assert box["x"] + box["width"] > 1200 and box["y"] + box["height"] > 820  # bottom right
    with context.expect_page() as opened:
        link.click()
    survey = opened.value
    survey.wait_for_load_state()
    title = survey.title()
    context.close()

    print(f"new-tab mode: {len(requests)} requests")
    assert survey.url == f"{origin}/?kanal=widget"
    assert "Sierpc" in title
    off_site = [url for url in requests[1:] if urlsplit(url).netloc != urlsplit(origin).netloc]
    assert not off_site, off_site
    assert not [line for line in console if "Content Security Policy" in line], console


def test_a_suspended_offices_button_shows_nothing(
    demo_platform, migrated_app, chromium, office_website
):
    snippet, origin = snippet_for(
        demo_platform, migrated_app, SUSPENDED_SLUG, WidgetChoice("okno", "plywajacy")
    )
    office_website.serve(snippet, origin)
    context, page, requests, _ = visit(chromium, office_website)
    page.wait_for_load_state("networkidle")
    buttons = page.locator("button, a").count()
    context.close()
    assert buttons == 0
    assert requests == [office_website.url, origin + "/baner/przycisk-1.js"]
