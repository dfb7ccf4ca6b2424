"""The staff manual ("Instrukcja obsługi"): its screenshots and its PDF.

The screenshots are taken by the browser tests (tests/browser/test_accessibility.py) from the
demo data, one PNG per entry of ``MANUAL_SCREENS``, so they never go stale: a new screen in the
manual is one line here and a ``figure("name")`` in templates/panel/_manual_content.html.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import render_template, url_for

from tenants.reports.pdf import html_to_pdf

SCREENS_DIR = Path(__file__).resolve().parents[2] / "saas_platform" / "static" / "manual"
PDF_CONTENT_WIDTH_CM = 17.0  # A4 minus the margins of the report layout
PDF_SCREEN_WIDTH_PX = 1024  # a screenshot this wide fills the PDF's width


@dataclass(frozen=True)
class Screen:
    """One screenshot: ``path`` on the demo office Wołomin, as ``who`` sees it."""

    name: str
    path: str
    caption: str
    who: str = "admin"  # "admin" (signed in) or "guest" (a resident, a signed-out visitor)
    width: int = 1024
    height: int = 800
    # A form the screenshot is taken after: (field label, value) pairs, then the button.
    fill: tuple[tuple[str, str], ...] = ()
    submit: str | None = None

    @property
    def file(self) -> Path:
        return SCREENS_DIR / f"{self.name}.png"

    @property
    def pdf_size_cm(self) -> tuple[float, float]:
        width = PDF_CONTENT_WIDTH_CM * min(1.0, self.width / PDF_SCREEN_WIDTH_PX)
        return round(width, 2), round(width * self.height / self.width, 2)


MANUAL_SCREENS = [
    Screen("logowanie", "/panel/login", "Logowanie do panelu", who="guest", height=560),
    Screen("wyniki", "/panel/", "Wyniki ankiety: podsumowanie i obszary", height=1000),
    Screen("odpowiedzi", "/panel/odpowiedzi", "Lista odpowiedzi mieszkańców"),
    Screen("raporty", "/panel/raporty", "Raporty: zamawianie i lista raportów", height=900),
    Screen("dzialania", "/panel/dzialania", "Rejestr działań naprawczych i doskonalących"),
    Screen("urzad", "/panel/urzad", "Dane urzędu: raporty okresowe i odbiorcy", height=1100),
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
