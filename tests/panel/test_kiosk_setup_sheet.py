"""A new kiosk's link is shown once as text, as a QR code a tablet can scan (read back with
zbarimg, the real decoder) and on a printable setup sheet; the link it holds opens that office's
kiosk form, and a page shown later holds no code."""

from __future__ import annotations

import base64
import html
import re

from tests.conftest import csrf_token_of
from tests.outreach.test_banner_and_qr import read_qr

QR_IMAGE = re.compile(r'<img class="kiosk-qr" src="data:image/png;base64,([^"]+)"')


def _add_kiosk(admin, name: str) -> str:
    csrf = csrf_token_of(admin.get("/panel/kioski").get_data(as_text=True))
    page = admin.post("/panel/kioski", data={"csrf_token": csrf, "nazwa": name})
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_a_new_kiosk_shows_a_scannable_qr_code_of_its_link_and_a_setup_sheet(
    two_offices, logged_in, client_for
):
    wolomin, sierpc = two_offices
    pages = {
        office: _add_kiosk(logged_in(office), "Tablet w Biurze Obsługi")
        for office in (wolomin, sierpc)
    }
    links = {}
    for office, page in pages.items():
        link = html.unescape(re.search(r'<code id="link-kiosku">([^<]+)</code>', page).group(1))
        [png] = QR_IMAGE.findall(page)
        scanned = read_qr(base64.b64decode(png))
        assert scanned == link
        assert scanned.startswith(f"http://{office.host}/?kanal=kiosk&kiosk=")
        assert "Instrukcja uruchomienia kiosku „Tablet w Biurze Obsługi”" in page
        assert 'class="kiosk-sheet"' in page and "zeskanuj ten kod" in page
        links[office] = link
    assert links[wolomin] != links[sierpc]
    # the code opens that office's kiosk form, with the kiosk's token in it
    query = links[wolomin].split("/", 3)[3]
    form = client_for(wolomin).survey_form(query.lstrip("/"))
    assert form["kanal"] == "kiosk" and form["kiosk"] == query.rsplit("=", 1)[1]


def test_the_kiosk_code_and_sheet_are_shown_only_once(two_offices, logged_in):
    wolomin, _sierpc = two_offices
    admin = logged_in(wolomin)
    _add_kiosk(admin, "Tablet przy wejściu")
    later = admin.get("/panel/kioski").get_data(as_text=True)
    assert "Tablet przy wejściu" in later
    assert QR_IMAGE.findall(later) == [] and "kiosk-sheet" not in later
    assert "kiosk=" not in later


def test_a_refused_kiosk_name_shows_no_code(two_offices, logged_in):
    wolomin, _sierpc = two_offices
    page = _add_kiosk(logged_in(wolomin), "Tablet\ufffe w BOM")
    assert QR_IMAGE.findall(page) == [] and "kiosk-sheet" not in page
