"""Security review, finding 1: the survey's free text follows the platform's text policy. A
comment with a noncharacter (U+FFFE) was stored, and then broke the XLSX and ZIP exports."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from saas_platform.core.db import db
from tenants.survey.models import Answer, KioskDevice, Response, ResponseCount
from tests.conftest import csrf_token_of

REFUSED = "niedozwolone znaki sterujące lub specjalne"


def _stored(model, in_office, office) -> int:
    with in_office(office):
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    "character", ["\ufffe", "\uffff", "\ufdd0", "\U0001fffe", "\U0010ffff", "\x0b", "\x7f", "\x85"]
)
def test_a_comment_with_a_noncharacter_or_control_character_is_refused_and_nothing_stored(
    two_offices, client_for, complete_answers, in_office, character
):
    wolomin, _ = two_offices
    client = client_for(wolomin)
    form = {**client.survey_form(), **complete_answers(comment=f"Miła obsługa{character}")}
    response = client.post("/", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert REFUSED in page and f"(U+{ord(character):04X})" in page
    for model in (Response, Answer, ResponseCount):
        assert _stored(model, in_office, wolomin) == 0


def test_a_comment_is_stored_in_nfc_with_its_line_breaks_as_newlines(
    two_offices, client_for, complete_answers, in_office
):
    wolomin, _ = two_offices
    client = client_for(wolomin)
    typed = "Z\u0307o\u0301\u0142ta kartka\r\n\tdruga linia"  # Ż and ó as letter + combining mark
    form = {**client.survey_form(), **complete_answers(comment=typed)}
    assert client.post("/", data=form).status_code == 303
    with in_office(wolomin):
        comment = db.session.scalar(select(Answer.value).where(Answer.question_key == "komentarz"))
    assert comment == "Żółta kartka\n\tdruga linia"


def test_a_paper_form_comment_with_a_noncharacter_is_refused_and_nothing_stored(
    two_offices, logged_in, complete_answers, in_office
):
    wolomin, _ = two_offices
    staff = logged_in(wolomin, "analyst")
    page = staff.get("/panel/ankieta-papierowa").get_data(as_text=True)
    fields = {
        **dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)),
        "data_wypelnienia": date(2026, 1, 15).isoformat(),
        **complete_answers(comment="Przepisane z papieru\uffff"),
    }
    response = staff.post("/panel/ankieta-papierowa", data=fields)
    assert response.status_code == 422
    assert REFUSED in response.get_data(as_text=True)
    assert _stored(Response, in_office, wolomin) == 0


def test_a_kiosk_name_with_a_noncharacter_is_refused(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    token = csrf_token_of(admin.get("/panel/kioski").get_data(as_text=True))
    page = admin.post("/panel/kioski", data={"csrf_token": token, "nazwa": "Tablet\ufffe w BOM"})
    assert "Nazwa kiosku zawiera niedozwolone znaki" in page.get_data(as_text=True)
    assert _stored(KioskDevice, in_office, wolomin) == 0
