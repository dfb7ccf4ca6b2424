"""The staff manual ("Instrukcja obsługi"): its screenshots and its PDF.

The screenshots are taken by the browser tests (tests/browser/test_accessibility.py) from the
demo data, one PNG per entry of ``MANUAL_SCREENS``, so they never go stale: a new screen in the
manual is one line here and a ``figure("name")`` in templates/panel/_manual_content.html.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import render_template, url_for

from tenants.reports.pdf import html_to_pdf

SCREENS_DIR = Path(__file__).resolve().parents[2] / "saas_platform" / "static" / "manual"
PDF_CONTENT_WIDTH_CM = 17.0  # A4 minus the margins of the report layout
PDF_SCREEN_WIDTH_PX = 1024  # a screenshot this wide fills the PDF's width
# A figure and its caption fit on one A4 page (25.7 cm of text height) with a heading above:
# a taller screenshot is printed narrower.
PDF_MAX_FIGURE_HEIGHT_CM = 20.0


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height in pixels, read from its header."""
    with path.open("rb") as file:
        header = file.read(24)
    return struct.unpack(">II", header[16:24])


@dataclass(frozen=True)
class Screen:
    """One screenshot: ``path`` on the demo office Wołomin, as ``who`` sees it, at least
    ``height`` pixels tall and, when ``shows`` names an element (a CSS selector), tall enough
    to show all of it: the part of the page the manual's text describes."""

    name: str
    path: str
    caption: str
    who: str = "admin"  # "admin" (signed in) or "guest" (a resident, a signed-out visitor)
    width: int = 1024
    height: int = 800
    # A form the screenshot is taken after: (field label, value) pairs, then the button.
    fill: tuple[tuple[str, str], ...] = ()
    submit: str | None = None
    shows: str | None = None

    @property
    def file(self) -> Path:
        return SCREENS_DIR / f"{self.name}.png"

    @property
    def size(self) -> tuple[int, int]:
        """The screenshot's size in pixels as taken (its nominal size before it is)."""
        return png_size(self.file) if self.file.exists() else (self.width, self.height)

    @property
    def pdf_size_cm(self) -> tuple[float, float]:
        width_px, height_px = self.size
        width = PDF_CONTENT_WIDTH_CM * min(1.0, width_px / PDF_SCREEN_WIDTH_PX)
        height = width * height_px / width_px
        if height > PDF_MAX_FIGURE_HEIGHT_CM:
            width, height = width * PDF_MAX_FIGURE_HEIGHT_CM / height, PDF_MAX_FIGURE_HEIGHT_CM
        return round(width, 2), round(height, 2)


MANUAL_SCREENS = [
    Screen("logowanie", "/panel/login", "Logowanie do panelu", who="guest", height=560),
    Screen(
        "wyniki",
        "/panel/",
        "Wyniki ankiety: podsumowanie i obszary",
        height=1000,
        shows="section[aria-labelledby=obszary] > :nth-child(2)",  # the areas' bar chart
    ),
    Screen(
        "odpowiedzi",
        "/panel/odpowiedzi",
        "Lista odpowiedzi mieszkańców",
        shows=".results-table tbody tr:nth-child(5)",  # the filters and the list's first rows
    ),
    Screen(
        "raporty",
        "/panel/raporty",
        "Raporty: zamawianie i lista raportów",
        height=900,
        shows="#report-list",
    ),
    Screen("dzialania", "/panel/dzialania", "Rejestr działań naprawczych i doskonalących"),
    # the residents' page as a resident sees it, with the office's published action
    Screen(
        "wyniki-i-zmiany",
        "/wyniki",
        "Strona „Wyniki i zmiany” dla mieszkańców z opublikowanym działaniem",
        who="guest",
        height=900,
        shows=".published-actions",  # the published actions, below the years and areas
    ),
    Screen(
        "urzad",
        "/panel/urzad",
        "Dane urzędu: raporty okresowe i odbiorcy",
        height=1100,
        shows="fieldset:has(#report_recipients)",
    ),
    Screen("edytor-ankiety", "/panel/ankieta", "Edytor ankiety: szkic i publikacja", height=900),
    Screen("ankieta-papierowa", "/panel/ankieta-papierowa", "Przepisywanie ankiety papierowej"),
    Screen("baner", "/panel/baner", "Baner „Oceń Urząd” i kody QR", height=1000),
    # right after a kiosk is added: its link, QR code and setup sheet, shown only this once
    Screen(
        "kioski",
        "/panel/kioski",
        "Nowy kiosk: link, kod QR i instrukcja uruchomienia do wydrukowania",
        height=1000,
        fill=(("Nazwa kiosku", "Tablet przy BOI"),),
        submit="Dodaj kiosk",
    ),
    Screen("do-sprawdzenia", "/panel/do-sprawdzenia", "Odpowiedzi do sprawdzenia"),
    Screen("uzytkownicy", "/panel/uzytkownicy", "Użytkownicy panelu", height=900),
    # the first section, one step of the form, with its one-row scales
    Screen(
        "ankieta-telefon", "/#sekcja-wizerunek", "Ankieta na ekranie telefonu", "guest", 320, 640
    ),
]
SCREENS = {screen.name: screen for screen in MANUAL_SCREENS}


def web_screen_src(name: str) -> str | None:
    """The address of a screenshot for the manual's page, or None when it was never taken."""
    screen = SCREENS[name]
    if not screen.file.exists():
        return None
    return url_for("static", filename=f"manual/{name}.png", v=screen.file.stat().st_mtime_ns)


def manual_page() -> str:
    """The manual as a panel page."""
    return render_template(
        "panel/manual.html", screens=SCREENS, screen_src=web_screen_src, for_pdf=False
    )


def manual_pdf() -> bytes:
    """The manual as one PDF with its screenshots; made once per set of screenshots."""
    signature = tuple(
        (screen.name, screen.file.stat().st_mtime_ns if screen.file.exists() else 0)
        for screen in MANUAL_SCREENS
    )
    return _manual_pdf(signature)


@lru_cache(maxsize=1)
def _manual_pdf(signature: tuple) -> bytes:
    # The manual names no office, so one PDF serves every office (the cache is per process).
    sources = {}
    for name, stamp in signature:
        if stamp:
            png = SCREENS[name].file.read_bytes()
            sources[name] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    html = render_template(
        "panel/manual_pdf.html", screens=SCREENS, screen_src=sources.get, for_pdf=True
    )
    return html_to_pdf(html)
