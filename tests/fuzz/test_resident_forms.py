"""Issue #21, item 10: naughty and generated text in every field of the resident's survey and
of the paper form staff type a resident's answers into. No answer is a 500, a refused one
stores nothing, an accepted one stores one response, and every export still works after."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.core.text import refused_character
from tenants.survey.models import Answer, Department, Response
from tests.fuzz.harness import (
    NAUGHTY_PASS,
    assert_every_export_succeeds,
    check_answer,
    client_address,
    naughty_text,
)
from tests.operator.signing_in import signed_in_operator


def _stored(in_office, office) -> tuple[int, int]:
    with in_office(office):
        return (
            db.session.scalar(select(func.count()).select_from(Response)),
            db.session.scalar(select(func.count()).select_from(Answer)),
        )


def _first_department(in_office, office) -> int:
    with in_office(office):
        return db.session.scalar(select(Department.id).order_by(Department.id).limit(1))


def test_naughty_text_in_any_survey_field_is_never_a_server_error_nor_half_stored(
    app, two_offices, client_for, complete_answers, in_office, logged_in
):
    wolomin, sierpc = two_offices
    department = _first_department(in_office, wolomin)
    fields = list(complete_answers(department))
    resident = client_for(wolomin)

    @given(comment=naughty_text(), field=st.sampled_from([None, *fields]), value=naughty_text())
    def submit(comment: str, field: str | None, value: str) -> None:
        form = {**resident.survey_form(), **complete_answers(department, comment=comment)}
        if field is not None:
            form[field] = value
        before = _stored(in_office, wolomin)
        snapshot = lambda: _stored(in_office, wolomin)  # noqa: E731
        response = resident.post("/", data=form, environ_base=client_address())
        if check_answer(response, snapshot, before, form):
            assert snapshot()[0] == before[0] + 1

    submit()
    assert _stored(in_office, sierpc) == (0, 0)
    assert_every_export_succeeds(
        app, in_office, wolomin, logged_in(wolomin), signed_in_operator(app, client_for)
    )


def test_naughty_text_in_the_survey_links_query_is_never_a_server_error(
    two_offices, client_for, in_office
):
    wolomin, sierpc = two_offices
    resident = client_for(wolomin)

    @given(
        page=st.sampled_from(["/", "/dziekujemy"]),
        name=st.sampled_from(["kanal", "wydzial", "kiosk", "lang"]),
        value=naughty_text(),
    )
    def open_link(page: str, name: str, value: str) -> None:
        response = resident.get(page, query_string={name: value}, environ_base=client_address())
        check_answer(response, lambda: _stored(in_office, wolomin), (0, 0), {page: {name: value}})

    open_link()
    assert _stored(in_office, wolomin) == _stored(in_office, sierpc) == (0, 0)


def test_every_naughty_string_as_a_comment_is_refused_or_stored_clean(
    two_offices, client_for, complete_answers, in_office
):
    wolomin, _ = two_offices
    resident = client_for(wolomin)
    for comment in NAUGHTY_PASS:
        form = {**resident.survey_form(), **complete_answers(comment=comment)}
        before = _stored(in_office, wolomin)
        response = resident.post("/", data=form, environ_base=client_address())
        accepted = check_answer(response, lambda: _stored(in_office, wolomin), before, form)
        # A string holding a character the policy refuses is never stored.
        assert accepted == (refused_character(comment) is None), (comment, response.status_code)
    with in_office(wolomin):
        stored = list(
            db.session.scalars(select(Answer.value).where(Answer.question_key == "komentarz"))
        )
    assert stored, "no naughty comment was accepted at all"
    for comment in stored:
        assert refused_character(comment) is None and unicodedata.is_normalized("NFC", comment)


def _paper_form(staff) -> dict[str, str]:
    page = staff.get("/panel/ankieta-papierowa").get_data(as_text=True)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


def test_naughty_text_in_any_paper_form_field_is_never_a_server_error_nor_half_stored(
    app, two_offices, client_for, complete_answers, in_office, logged_in
):
    wolomin, sierpc = two_offices
    department = _first_department(in_office, wolomin)
    staff = logged_in(wolomin, "analyst")
    fields = [*complete_answers(department), "data_wypelnienia"]

    @given(comment=naughty_text(), field=st.sampled_from([None, *fields]), value=naughty_text())
    def enter(comment: str, field: str | None, value: str) -> None:
        form = {
            **_paper_form(staff),
            "data_wypelnienia": date(2026, 1, 15).isoformat(),
            **complete_answers(department, comment=comment),
        }
        if field is not None:
            form[field] = value
        before = _stored(in_office, wolomin)
        snapshot = lambda: _stored(in_office, wolomin)  # noqa: E731
        response = staff.post("/panel/ankieta-papierowa", data=form)
        if check_answer(response, snapshot, before, form):
            assert snapshot()[0] == before[0] + 1

    enter()
    assert _stored(in_office, sierpc) == (0, 0)
    assert_every_export_succeeds(
        app, in_office, wolomin, logged_in(wolomin), signed_in_operator(app, client_for)
    )
