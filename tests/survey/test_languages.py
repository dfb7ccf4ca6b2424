"""The survey in Polish, English and Ukrainian: the office's own translations with a Polish
fallback, interface texts from the Flask-Babel catalogues, the language remembered per
resident, and the staff panel staying Polish."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from tests.office.test_survey_editor import _draft, _post, _question_form, _start_draft

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"


def _html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def _translate_and_publish(admin, in_office, office) -> None:
    """Through the editor's forms: English title, one English question, English and
    Ukrainian option labels of another; then publish."""
    _start_draft(admin)
    general = {
        "title": "Ankieta satysfakcji klienta",
        "intro": "Wstęp po polsku.",
        "en_title": "Customer satisfaction survey",
        "uk_title": "Анкета задоволеності клієнтів",
    }
    assert _post(admin, "/panel/ankieta/szkic/ogolne", general).status_code == 302
    overall = _question_form(
        key="ogolna_satysfakcja",
        section="ogolna",
        text="Jak ogólnie oceniasz obsługę w urzędzie?",
        required="y",
        not_applicable="",
        en_text="Overall, how do you rate the service?",
    )
    assert (
        _post(admin, "/panel/ankieta/szkic/pytania/ogolna_satysfakcja", overall).status_code == 302
    )
    purpose = _question_form(
        key="cel_wizyty",
        section="metryka",
        kind="single_choice",
        text="W jakiej sprawie przyszedłeś/przyszłaś do urzędu?",
        not_applicable="",
        options="wniosek = Złożenie wniosku\nodbior = Odbiór dokumentu",
        en_options="wniosek = Submitting an application",
        uk_options="wniosek = Подання заяви",
    )
    assert _post(admin, "/panel/ankieta/szkic/pytania/cel_wizyty", purpose).status_code == 302
    revision = _draft(in_office, office).revision
    assert (
        _post(admin, "/panel/ankieta/publikuj", {"wersja_szkicu": str(revision)}).status_code == 302
    )


def test_a_survey_without_translations_is_offered_in_polish_only(two_offices, client_for):
    wolomin, _ = two_offices
    page = client_for(wolomin).get("/?lang=en").get_data(as_text=True)
    assert _html_lang(page) == "pl"
    assert "Wyślij ankietę" in page and "language-switch" not in page


def test_resident_switches_to_english_and_missing_texts_fall_back_to_polish(
    two_offices, logged_in, client_for, in_office
):
    wolomin, sierpc = two_offices
    _translate_and_publish(logged_in(wolomin), in_office, wolomin)

    polish = client_for(wolomin).get("/").get_data(as_text=True)  # fills the page micro-cache
    assert _html_lang(polish) == "pl" and 'hreflang="en"' in polish and 'hreflang="uk"' in polish

    resident = client_for(wolomin)
    page = resident.get("/?lang=en").get_data(as_text=True)
    assert _html_lang(page) == "en"
    assert "<h1>Customer satisfaction survey</h1>" in page
    assert "Overall, how do you rate the service?" in page
    assert "Submitting an application" in page
    assert "Odbiór dokumentu" in page  # no English label: Polish
    assert "Lokalizacja urzędu" in page  # no English text: Polish
    assert "Send the survey" in page and "5 – very good" in page and "(required)" in page

    again = resident.get("/").get_data(as_text=True)  # remembered, and the cache keys on it
    assert _html_lang(again) == "en" and "Send the survey" in again
    assert _html_lang(client_for(wolomin).get("/").get_data(as_text=True)) == "pl"

    ukrainian = resident.get("/?lang=uk").get_data(as_text=True)
    assert _html_lang(ukrainian) == "uk"
    assert "Надіслати анкету" in ukrainian and "Подання заяви" in ukrainian
    assert "Анкета задоволеності клієнтів" in ukrainian
    assert "Jak ogólnie oceniasz obsługę w urzędzie?" in ukrainian  # no Ukrainian text

    # The other office translated nothing: Polish whatever the resident asks.
    other = client_for(sierpc).get("/?lang=en").get_data(as_text=True)
    assert _html_lang(other) == "pl" and "Customer satisfaction survey" not in other


def test_errors_and_the_thank_you_page_speak_the_residents_language(
    two_offices, logged_in, client_for, in_office, complete_answers
):
    wolomin, _ = two_offices
    _translate_and_publish(logged_in(wolomin), in_office, wolomin)
    resident = client_for(wolomin)
    resident.get("/?lang=en")
    answers = complete_answers()
    answers.pop("q-parking")
    answers.pop("q-ogolna_satysfakcja")
    refused = resident.post("/", data={**resident.survey_form(), **answers})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and _html_lang(page) == "en"
    assert "The survey could not be sent" in page
    assert "Please answer the question: Overall, how do you rate the service?" in page

    answers["q-ogolna_satysfakcja"] = "5"
    sent = resident.post("/", data={**resident.survey_form(), **answers})
    assert sent.status_code == 303
    thanks = resident.get(sent.headers["Location"]).get_data(as_text=True)
    assert _html_lang(thanks) == "en" and "Thank you for completing the survey!" in thanks


def test_error_pages_speak_the_residents_language_and_stay_polish_elsewhere(
    two_offices, logged_in, client_for, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    _translate_and_publish(admin, in_office, wolomin)
    resident = client_for(wolomin)
    resident.get("/?lang=uk")
    form = resident.survey_form()
    honeypot = resident.post("/", data={**form, "website": "http://spam.example"})
    page = honeypot.get_data(as_text=True)
    assert honeypot.status_code == 400 and _html_lang(page) == "uk"
    assert "Не вдалося прийняти анкету." in page and "Код помилки:" in page
    expired = resident.post("/", data={**form, "csrf_token": "nieprawidlowy"})
    assert expired.status_code == 400
    assert "Форма застаріла" in expired.get_data(as_text=True)

    # the other office (no translations) and the staff panel answer in Polish
    other = client_for(sierpc)
    other.get("/?lang=uk")
    refused = other.post("/", data={**other.survey_form(), "website": "x"})
    assert _html_lang(refused.get_data(as_text=True)) == "pl"
    assert "Nie udało się przyjąć ankiety." in refused.get_data(as_text=True)
    missing = admin.get("/panel/raporty/999999/pdf")
    assert missing.status_code == 404 and "Nie znaleziono strony" in missing.get_data(as_text=True)


def test_the_unavailable_page_speaks_the_residents_language(
    two_offices, logged_in, client_for, in_office
):
    wolomin, _ = two_offices
    _translate_and_publish(logged_in(wolomin), in_office, wolomin)
    resident = client_for(wolomin)
    resident.get("/?lang=uk")
    with in_office(wolomin):
        db.session.scalar(select(Tenant).where(Tenant.id == wolomin.id)).status = "suspended"
        db.session.commit()
    page = resident.get("/")
    assert page.status_code == 503
    assert _html_lang(page.get_data(as_text=True)) == "uk"
    assert "Анкета тимчасово недоступна" in page.get_data(as_text=True)


def test_the_staff_panel_stays_polish(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _translate_and_publish(admin, in_office, wolomin)
    assert _html_lang(admin.get("/?lang=en").get_data(as_text=True)) == "en"
    panel = admin.get("/panel/").get_data(as_text=True)
    assert _html_lang(panel) == "pl" and "Przejdź do treści" in panel
    preview = admin.get("/panel/ankieta").get_data(as_text=True)
    assert _html_lang(preview) == "pl"


def test_catalogues_are_complete_and_compiled():
    for language in ("en", "uk"):
        po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as fh:
            catalog = read_po(fh)
        messages = [m for m in catalog if m.id]
        assert messages, language
        for message in messages:
            assert message.string, f"{language}: untranslated {message.id!r}"
            assert "fuzzy" not in message.flags, f"{language}: fuzzy {message.id!r}"
            placeholders = set(re.findall(r"%\(\w+\)[sd]", message.id))
            assert placeholders == set(re.findall(r"%\(\w+\)[sd]", message.string)), message.id
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        mo = po.with_suffix(".mo").read_bytes()
        assert compiled.getvalue() == mo, f"{language}: run pybabel compile -d translations"
