"""The staff manual ("Instrukcja obsługi"): its screenshots and its PDF.

The screenshots are taken by the browser tests (tests/test_browser_accessibility.py) from the
demo data, one PNG per entry of ``MANUAL_SCREENS``, so they never go stale: a new screen of the
manual is one line here and a ``manual_screen("name")`` in the template.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SCREENS_DIR = Path(__file__).resolve().parents[2] / "saas_platform" / "static" / "manual"


@dataclass(frozen=True)
class Screen:
    """One screenshot: taken at ``path`` of the demo office Wołomin, as ``who`` sees it."""

    name: str
    path: str
    caption: str
    who: str = "admin"  # "admin" (signed in) or "guest" (a resident or a signed-out visitor)
    width: int = 1280
    height: int = 800


MANUAL_SCREENS = [
    Screen("logowanie", "/panel/login", "Logowanie do panelu.", who="guest", height=560),
    Screen("wyniki", "/panel/", "Wyniki: wskaźniki, filtry i oceny pytań.", height=1000),
    Screen("raporty", "/panel/raporty", "Raporty: zamawianie, harmonogram i lista raportów."),
    Screen("odpowiedzi", "/panel/odpowiedzi", "Lista odpowiedzi z filtrami i eksportem."),
    Screen("ankieta-papierowa", "/panel/ankieta-papierowa", "Wpisywanie ankiety papierowej."),
    Screen("do-sprawdzenia", "/panel/do-sprawdzenia", "Odpowiedzi do sprawdzenia."),
    Screen("uzytkownicy", "/panel/uzytkownicy", "Użytkownicy panelu i zapraszanie nowych."),
    Screen("kioski", "/panel/kioski", "Kioski: tablety w poczekalni."),
    Screen("urzad", "/panel/urzad", "Dane urzędu."),
    Screen("ankieta-telefon", "/", "Ankieta na ekranie telefonu (320 px).", "guest", 320, 640),
]
