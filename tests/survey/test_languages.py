"""The survey in Polish, English and Ukrainian: the office's own translations with a Polish
fallback, interface texts from the Flask-Babel catalogues, the language remembered per
resident, and the staff panel staying Polish."""

from __future__ import annotations

import copy
import io
import re
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from tenants.survey.models import Survey, SurveyDraft
from tenants.survey.template import default_template, publish_definition
from tests.office.test_survey_editor import _draft, _post, _question_form, _start_draft

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"


def _html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def _publish(admin, in_office, office) -> None:
    revision = _draft(in_office, office).revision
    assert (
        _post(admin, "/panel/ankieta/publikuj", {"wersja_szkicu": str(revision)}).status_code == 302
    )


def _translate_and_publish(admin, in_office, office) -> None:
    """Through the editor's forms: the office's own title and intro, one question and the
    options of another, each in all three languages; then publish."""
    _start_draft(admin)
    general = {
        "title": "Ankieta dla mieszkańców",
        "intro": "Wstęp po polsku.",
        "en_title": "Residents' survey",
        "en_intro": "An introduction in English.",
        "uk_title": "Анкета для мешканців",
        "uk_intro": "Вступ українською.",
    }
    assert _post(admin, "/panel/ankieta/szkic/ogolne", general).status_code == 302
    overall = _question_form(
        key="ogolna_satysfakcja",
        section="ogolna",
        text="Jak ogólnie oceniasz obsługę w urzędzie?",
        required="y",
        not_applicable="",
        en_text="Overall, how do you rate the service?",
        uk_text="Як ви загалом оцінюєте обслуговування?",
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
        en_text="Why did you come?",
        en_options="wniosek = Submitting an application\nodbior = Picking up a document",
        uk_text="Чому ви прийшли?",
        uk_options="wniosek = Подання заяви\nodbior = Отримання документа",
    )
    assert _post(admin, "/panel/ankieta/szkic/pytania/cel_wizyty", purpose).status_code == 302
    _publish(admin, in_office, office)


def _publish_without_translations(in_office, office, **texts: str) -> None:
    """A live version of the default template in Polish only, as offices published before the
    template had translations; ``texts`` rewords questions (key = new Polish text)."""
    data = copy.deepcopy(default_template())
    data.pop("translations")
    for section in data["sections"]:
        section.pop("translations")
        for question in section["questions"]:
            question.pop("translations")
            question["text"] = texts.get(question["key"], question["text"])
    with in_office(office):
        publish_definition(db.session.scalar(select(Survey)), data)
        db.session.commit()


def _offered(page: str) -> set[str]:
    switch = re.search(r'<nav class="language-switch".*?</nav>', page, re.S)
    return set(re.findall(r'lang="(\w+)"', switch.group(0))) if switch else {"pl"}


def test_a_new_office_offers_its_survey_in_polish_english_and_ukrainian(two_offices, client_for):
    wolomin, _ = two_offices
    page = client_for(wolomin).get("/?lang=en").get_data(as_text=True)
    assert _html_lang(page) == "en" and _offered(page) == {"pl", "en", "uk"}
    assert "<h1>Customer satisfaction survey</h1>" in page and "Location of the office" in page
    assert "Lokalizacja urzędu" not in page and "Send the survey" in page
    ukrainian = client_for(wolomin).get("/?lang=uk").get_data(as_text=True)
    assert _html_lang(ukrainian) == "uk" and "Розташування установи" in ukrainian


def test_a_survey_without_translations_is_offered_in_polish_only(
    two_offices, client_for, in_office
):
    wolomin, sierpc = two_offices
    _publish_without_translations(in_office, wolomin)
    page = client_for(wolomin).get("/?lang=en").get_data(as_text=True)
    assert _html_lang(page) == "pl"
    assert "Wyślij ankietę" in page and "language-switch" not in page
    assert _offered(client_for(sierpc).get("/").get_data(as_text=True)) == {"pl", "en", "uk"}


def test_a_language_missing_one_text_is_not_offered_and_the_editor_names_it(
    two_offices, logged_in, client_for, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    parking = _question_form(
        key="parking", section="wizerunek", text="Parking przy urzędzie", en_text="Car park"
    )
    assert _post(admin, "/panel/ankieta/szkic/pytania/parking", parking).status_code == 302
    editor = admin.get("/panel/ankieta").get_data(as_text=True)
    assert "brakuje 1 tekstu" in editor
    assert "pytanie „Parking przy urzędzie”: treść" in editor
    _publish(admin, in_office, wolomin)

    resident = client_for(wolomin)
    page = resident.get("/?lang=uk").get_data(as_text=True)
    assert _html_lang(page) == "pl" and _offered(page) == {"pl", "en"}
    assert "Parking przy urzędzie" in page
    english = resident.get("/?lang=en").get_data(as_text=True)
    assert _html_lang(english) == "en" and "Car park" in english
    assert _offered(client_for(sierpc).get("/").get_data(as_text=True)) == {"pl", "en", "uk"}
    editor = admin.get("/panel/ankieta").get_data(as_text=True)
    assert "Tłumaczenia aktualnej wersji" in editor and "brakuje 1 tekstu" in editor


def test_an_unknown_language_falls_back_to_polish(two_offices, client_for):
    wolomin, _ = two_offices
    resident = client_for(wolomin)
    for asked in ("de", "xx-evil", "EN", ""):
        page = resident.get("/", query_string={"lang": asked}).get_data(as_text=True)
        assert _html_lang(page) == "pl", asked
        assert "<h1>Ankieta satysfakcji klienta</h1>" in page and "Wyślij ankietę" in page


def test_resident_switches_language_and_it_is_remembered(
    two_offices, logged_in, client_for, in_office
):
    wolomin, sierpc = two_offices
    _translate_and_publish(logged_in(wolomin), in_office, wolomin)

    polish = client_for(wolomin).get("/").get_data(as_text=True)  # fills the page micro-cache
    assert _html_lang(polish) == "pl" and 'hreflang="en"' in polish and 'hreflang="uk"' in polish
    form = polish.split("<form", 1)[1]
    assert 'lang="pl"' not in form  # the whole page is Polish already

    resident = client_for(wolomin)
    page = resident.get("/?lang=en").get_data(as_text=True)
    assert _html_lang(page) == "en"
    assert "<h1>Residents&#39; survey</h1>" in page
    assert "Overall, how do you rate the service?" in page
    assert "Submitting an application" in page and "Picking up a document" in page
    assert "Location of the office" in page  # the template's own translation
    assert "Send the survey" in page and "1 – very poor" in page and "(required)" in page
    # The office's department names are Polish, and marked so for screen readers.
    assert re.search(r'<option value="\d+" lang="pl">Biuro Obsługi Mieszkańców</option>', page)

    again = resident.get("/").get_data(as_text=True)  # remembered, and the cache keys on it
    assert _html_lang(again) == "en" and "Send the survey" in again
    assert _html_lang(client_for(wolomin).get("/").get_data(as_text=True)) == "pl"

    ukrainian = resident.get("/?lang=uk").get_data(as_text=True)
    assert _html_lang(ukrainian) == "uk"
    assert "Надіслати анкету" in ukrainian and "Подання заяви" in ukrainian
    assert "Анкета для мешканців" in ukrainian

    # The other office has its own (the template's) texts.
    other = client_for(sierpc).get("/?lang=en").get_data(as_text=True)
    assert _html_lang(other) == "en" and "Residents&#39; survey" not in other


def test_the_preview_marks_texts_without_a_translation_as_polish(two_offices, logged_in):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    parking = _question_form(
        key="parking",
        section="wizerunek",
        text="Dostępność miejsc parkingowych",
        en_text="Car park",
    )
    assert _post(admin, "/panel/ankieta/szkic/pytania/parking", parking).status_code == 302
    page = admin.get("/panel/ankieta/podglad?lang=uk").get_data(as_text=True)
    assert _html_lang(page) == "uk" and "brakuje 1 tekstu" in page
    assert '<legend><span lang="pl">Dostępność miejsc parkingowych</span>' in page
    assert "<legend>Розташування установи" in page  # translated: no mark
    assert page.count('<span lang="pl">') == 1
    english = admin.get("/panel/ankieta/podglad?lang=en").get_data(as_text=True)
    assert "<legend>Car park" in english and '<span lang="pl">' not in english


def test_an_office_fills_missing_translations_from_the_template_through_a_draft(
    two_offices, logged_in, client_for, in_office
):
    """An office published before the template had translations: the import fills the
    draft where the Polish is still the template's, never the live version."""
    wolomin, sierpc = two_offices
    _publish_without_translations(in_office, wolomin, lokalizacja="Położenie budynku urzędu")
    admin = logged_in(wolomin)
    answer = _post(admin, "/panel/ankieta/szkic/tlumaczenia")
    assert answer.status_code == 302
    editor = admin.get("/panel/ankieta").get_data(as_text=True)
    assert "Uzupełniono tłumaczenia z szablonu domyślnego" in editor
    # en and uk, of the live version and of the draft
    assert editor.count("pytanie „Położenie budynku urzędu”: treść") == 4
    assert "brakuje 1 tekstu: po publikacji" in editor
    assert "brakuje 62 tekstów: mieszkańcy nie mogą" in editor  # the live version, untouched
    draft = _draft(in_office, wolomin).definition
    location, signs = draft["sections"][0]["questions"][:2]
    assert signs["translations"]["en"]["text"] == "Signs to the building and inside it"
    assert not (location.get("translations") or {}).get("en")  # reworded: not the template's
    assert _html_lang(client_for(wolomin).get("/?lang=en").get_data(as_text=True)) == "pl"

    own = _question_form(
        key="lokalizacja",
        section="wizerunek",
        text="Położenie budynku urzędu",
        en_text="Where the office building is",
        uk_text="Де розташована будівля установи",
    )
    assert _post(admin, "/panel/ankieta/szkic/pytania/lokalizacja", own).status_code == 302
    _publish(admin, in_office, wolomin)
    page = client_for(wolomin).get("/?lang=en").get_data(as_text=True)
    assert _html_lang(page) == "en" and "Where the office building is" in page
    assert "Signs to the building and inside it" in page
    with in_office(sierpc):
        assert db.session.scalar(select(func.count()).select_from(SurveyDraft)) == 0


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
    assert "<title>Error: Residents&#39; survey" in page  # page chrome in English too
    assert "Błąd" not in page
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
    _publish_without_translations(in_office, sierpc)
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
