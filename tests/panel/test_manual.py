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
            # as wide as its screen, at least as tall (taller where it shows a long part)
            assert image.width == screen.width, screen.name
            assert image.height >= screen.height, screen.name


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


def _figures_and_captions(pdf: bytes) -> list[tuple[int, list[tuple[float, float]], list[float]]]:
    """Per page: where each image is drawn (bottom and top, in points from the page's foot)
    and the baseline of each "Zrzut ekranu" caption."""
    import io

    from pypdf import PdfReader

    pages = []
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, 1):
        images: list[tuple[float, float]] = []
        captions: list[float] = []

        def before(operator, operands, cm, tm, images=images):
            if operator == b"Do":
                images.append((cm[5], cm[5] + cm[3]))

        def text(fragment, cm, tm, font, size, captions=captions):
            if fragment.strip().startswith("Zrzut ekranu"):
                captions.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])

        page.extract_text(visitor_operand_before=before, visitor_text=text)
        pages.append((number, images, captions))
    return pages


def test_every_caption_sits_under_its_own_screenshot_on_the_same_page(two_offices, logged_in):
    pdf = logged_in(two_offices[0]).get("/panel/instrukcja.pdf").get_data()
    pages = _figures_and_captions(pdf)
    assert sum(len(captions) for _, _, captions in pages) == len(MANUAL_SCREENS)
    for number, images, captions in pages:
        assert len(captions) == len(images), f"page {number}: a caption left its image"
        for caption in captions:
            above = [bottom for bottom, _ in images if bottom >= caption]
            assert above, f"page {number}: no screenshot above its caption"
            # the caption's letters (8.5 pt; DejaVu's ascent, with accents, 0.93 em) stay below
            assert min(above) - caption >= 8, f"page {number}: the caption overlaps its image"


def test_the_manual_pdf_has_a_title_and_embeds_every_font_regular_and_bold(
    two_offices, logged_in, tmp_path
):
    pdf = logged_in(two_offices[1], "analyst").get("/panel/instrukcja.pdf").get_data()
    path = tmp_path / "instrukcja.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    assert "Title:           Instrukcja obsługi" in info.stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    rows = [row.split() for row in fonts.stdout.splitlines()[2:]]
    assert rows and all(row[-5] == "yes" for row in rows), fonts.stdout  # "emb" column
    names = {row[0].split("+")[-1] for row in rows}
    assert names == {"DejaVuSans", "DejaVuSans-Bold"}, names  # body text is not bold
