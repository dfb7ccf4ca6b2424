"""The staff manual: a panel page for every staff member, with the screenshots the browser tests
take, and the same manual as one PDF with those screenshots embedded."""

from __future__ import annotations

import re
import subprocess

from PIL import Image

from tenants.panel.manual import MANUAL_SCREENS
from tests.reports.test_end_to_end import pdf_text

CHAPTERS = [
    "Logowanie i konto",
    "Wyniki ankiety",
    "Komentarze: tematy i stan",
    "Raporty: zamawianie i harmonogram",
    "Działania naprawcze i doskonalące",
    "Zmiana ankiety i raport przed zmianą",
    "Ankiety papierowe",
    "Baner „Oceń Urząd” i kody QR",
    "Kioski w urzędzie",
    "Odpowiedzi do sprawdzenia",
    "Użytkownicy panelu",
]


def test_every_screenshot_of_the_manual_is_in_the_repository_at_its_size():
    for screen in MANUAL_SCREENS:
        assert screen.file.exists(), f"run the browser tests to take {screen.name}"
        with Image.open(screen.file) as image:
            assert image.format == "PNG"
            assert image.size == (screen.width, screen.height), screen.name


def test_every_staff_member_reads_the_manual_with_its_screenshots(two_offices, logged_in):
    wolomin, sierpc = two_offices
    for office, role in ((wolomin, "analyst"), (sierpc, "admin")):
        client = logged_in(office, role)
        dashboard = client.get("/panel/").get_data(as_text=True)
        assert 'href="/panel/instrukcja">Instrukcja</a>' in dashboard
        page = client.get("/panel/instrukcja")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Instrukcja obsługi narzędzia do oceny satysfakcji klienta" in html
        for chapter in CHAPTERS:
            assert chapter in html
        assert re.search(r'<h2 id="raporty">5\. Raporty', html)
        for screen in MANUAL_SCREENS:
            assert f'src="/static/manual/{screen.name}.png?v=' in html, screen.name
        assert client.get(f"/static/manual/{MANUAL_SCREENS[0].name}.png").status_code == 200
        other = sierpc if office is wolomin else wolomin
        assert other.name not in html  # the panel names the reader's own office only
        assert office.name in html


def test_the_manual_is_for_signed_in_staff_only(two_offices, client_for):
    wolomin, _ = two_offices
    for path in ("/panel/instrukcja", "/panel/instrukcja.pdf"):
        answer = client_for(wolomin).get(path)
        assert answer.status_code == 302
        assert "/panel/login" in answer.headers["Location"]


def test_the_manual_downloads_as_one_pdf_with_polish_text_and_the_screenshots(
    two_offices, logged_in, tmp_path
):
    wolomin, sierpc = two_offices
    answer = logged_in(sierpc, "analyst").get("/panel/instrukcja.pdf")
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert "instrukcja-obslugi.pdf" in answer.headers["Content-Disposition"]
    pdf = answer.get_data()
    text = pdf_text(pdf)
    assert "Instrukcja obsługi narzędzia do oceny satysfakcji klienta" in text
    assert "Spis treści" in text
    for chapter in CHAPTERS:
        assert chapter in " ".join(text.split()), chapter
    assert "raport przed zmianą ankiety" in text
    assert "Strona 1 z" in text
    assert sierpc.name not in text and wolomin.name not in text  # one manual for every office
    (tmp_path / "instrukcja.pdf").write_bytes(pdf)
    images = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "instrukcja.pdf")], capture_output=True, check=True
    )
    listed = [line for line in images.stdout.decode().splitlines()[2:] if line.strip()]
    assert len(listed) == len(MANUAL_SCREENS)
