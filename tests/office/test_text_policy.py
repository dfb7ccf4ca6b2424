"""Security review, finding 1: the office's data, its departments and the survey editor follow
the platform's one text policy: noncharacters, control characters and format characters in a
name are refused with a message that names the field; what is kept is in NFC."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from saas_platform.core.db import db
from tenants.survey.models import Department, SurveyDraft
from tests.conftest import csrf_token_of

REFUSED = "zawiera niedozwolone znaki sterujące lub specjalne"
OFFICE_DATA = {
    "name": "Urząd Miejski w Wołominie",
    "address": "",
    "contact_email": "",
    "contact_phone": "",
    "brand_colour": "#1d4f91",
    "score_threshold": "75",
    "report_recipients": "",
}


def _post(client, path: str, form_page: str | None = None, **fields):
    token = csrf_token_of(client.get(form_page or path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [
        ("name", "Urząd Miejski\ufffe w Wołominie", "Nazwa urzędu"),
        ("name", "Urząd Miejski\U0010ffff", "Nazwa urzędu"),
        ("address", "ul. Ogrodowa 4\ufdd0", "Adres"),
        ("address", "ul. Ogrodowa\x1c 4", "Adres"),
    ],
)
def test_office_data_with_a_noncharacter_is_refused_naming_the_field(
    two_offices, logged_in, in_office, field, value, what
):
    wolomin, _ = two_offices
    response = _post(logged_in(wolomin), "/panel/urzad", **{**OFFICE_DATA, field: value})
    assert response.status_code == 422
    assert f"{what} {REFUSED}" in _text(response)
    with in_office(wolomin) as tenant:
        assert (tenant.name, tenant.address) == ("Urząd Miejski w Wołominie", "")


def test_office_data_is_kept_in_nfc(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    decomposed = "Urza\u0328d Gminy Ze\u0328bice"  # ą and ę as a letter + combining ogonek
    response = _post(logged_in(wolomin), "/panel/urzad", **{**OFFICE_DATA, "name": decomposed})
    assert response.status_code == 302
    with in_office(wolomin) as tenant:
        assert tenant.name == "Urząd Gminy Zębice"


@pytest.mark.parametrize("character", ["\ufffe", "\ufdd0", "\x7f", "\u202e"])
def test_a_department_name_with_a_noncharacter_is_refused(
    two_offices, logged_in, in_office, character
):
    wolomin, _ = two_offices
    with in_office(wolomin):
        before = db.session.scalar(select(func.count()).select_from(Department))
    response = _post(logged_in(wolomin), "/panel/wydzialy", name=f"Straż{character} Miejska")
    assert response.status_code == 422
    assert f"Nazwa {REFUSED}" in _text(response)
    with in_office(wolomin):
        assert db.session.scalar(select(func.count()).select_from(Department)) == before


def test_a_survey_question_with_a_noncharacter_is_refused_naming_the_field(
    two_offices, logged_in, in_office
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    started = _post(admin, "/panel/ankieta/szkic", "/panel/ankieta", zrodlo="aktualna")
    assert started.status_code == 302
    question = {
        "key": "nowe_pytanie",
        "kind": "rating",
        "section": "uwagi",
        "text": "Jak oceniasz\ufffe nowe pytanie?",
        "help_text": "",
        "options": "",
    }
    path = "/panel/ankieta/szkic/sekcje/uwagi/pytania"
    response = _post(admin, path, "/panel/ankieta", **question)
    assert response.status_code == 422
    assert f"Treść pytania nowe_pytanie {REFUSED} (U+FFFE)" in _text(response)
    with in_office(wolomin):
        draft = db.session.scalar(select(SurveyDraft))
        keys = [q["key"] for s in draft.definition["sections"] for q in s["questions"]]
        assert "nowe_pytanie" not in keys
