"""The resident's path: open the survey, answer, see the thank-you page; stored once, under
that office only, with the counts kept current."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from saas_platform.core.db import db
from tenants.survey.models import RESPONSES_KEY, Answer, Department, Response, ResponseCount


def _count(model, **filters) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**filters))


def _first_department_id(in_office, office) -> int:
    with in_office(office):
        return db.session.scalar(select(Department.id).order_by(Department.position))


def test_survey_page_is_polish_accessible_and_branded(two_offices, client_for):
    wolomin, _ = two_offices
    html = client_for(wolomin).get("/").get_data(as_text=True)
    assert '<html lang="pl">' in html
    assert "Ankieta satysfakcji klienta" in html
    assert "Wizerunek Urzędu" in html and "Kompetencje urzędników" in html
    assert "nie dotyczy / nie mam zdania" in html
    assert "(wymagane)" in html
    assert wolomin.name in html
    assert "Biuro Obsługi Mieszkańców" in html  # the department picker
    # no inline script: only the same-origin, deferred one-section-at-a-time enhancement
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/survey-steps.js" defer>']
    # every radio group is a fieldset with a legend, every input has a label
    assert html.count("<fieldset") == html.count("<legend>")
    input_ids = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html)
    for input_id in input_ids:
        assert f'for="{input_id}"' in html, input_id


def test_complete_response_is_stored_once_under_its_office(
    two_offices, client_for, complete_answers, in_office
):
    wolomin, sierpc = two_offices
    department_id = _first_department_id(in_office, wolomin)
    client = client_for(wolomin)
    form = {**client.survey_form(), **complete_answers(department_id)}

    response = client.post("/", data=form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/dziekujemy?kanal=web")
    thanks = client.get("/dziekujemy?kanal=web")
    assert "Dziękujemy za wypełnienie ankiety!" in thanks.get_data(as_text=True)

    # the same form sent again (a double click, a refresh) stores nothing more
    assert client.post("/", data=form).status_code == 303

    with in_office(wolomin):
        stored = db.session.scalars(select(Response)).one()
        assert stored.department_id == department_id
        assert stored.channel == "web"
        answers = dict(
            db.session.execute(
                select(Answer.question_key, Answer.value).where(
                    Answer.question_key != "kanal_kontaktu"
                )
            ).all()
        )
        assert answers["ogolna_satysfakcja"] == "4"
        assert answers["parking"] == "na"
        assert answers["komentarz"] == "Zażółć gęślą jaźń."
        assert _count(Answer, question_key="kanal_kontaktu") == 2
        assert _count(ResponseCount) > 25
        counts = {
            (c.question_key, c.value): c.count for c in db.session.scalars(select(ResponseCount))
        }
        assert counts[(RESPONSES_KEY, "")] == 1
        assert counts[("ogolna_satysfakcja", "4")] == 1
        assert counts[("kanal_kontaktu", "epuap")] == 1
        assert ("komentarz", "Zażółć gęślą jaźń.") not in counts  # open text is not counted
    with in_office(sierpc):
        assert _count(Response) == 0
        assert _count(ResponseCount) == 0


def test_counts_add_up_over_several_responses(two_offices, client_for, complete_answers, in_office):
    wolomin, _ = two_offices
    client = client_for(wolomin)
    for rating in ("5", "5", "2"):
        form = {**client.survey_form(), **complete_answers(), "q-ogolna_satysfakcja": rating}
        assert client.post("/", data=form).status_code == 303
    with in_office(wolomin):
        rows = db.session.execute(
            select(ResponseCount.value, func.sum(ResponseCount.count))
            .where(ResponseCount.question_key == "ogolna_satysfakcja")
            .group_by(ResponseCount.value)
        ).all()
        assert dict(rows) == {"5": 2, "2": 1}
        assert (
            db.session.scalar(
                select(func.sum(ResponseCount.count)).where(
                    ResponseCount.question_key == RESPONSES_KEY
                )
            )
            == 3
        )


def test_channel_from_query_parameter_is_recorded(
    two_offices, client_for, complete_answers, in_office
):
    wolomin, _ = two_offices
    client = client_for(wolomin)
    form = {**client.survey_form("?kanal=qr"), **complete_answers()}
    assert form["kanal"] == "qr"
    assert client.post("/", data=form).status_code == 303
    with in_office(wolomin):
        assert db.session.scalar(select(Response.channel)) == "qr"
        assert _count(ResponseCount, question_key=RESPONSES_KEY, channel="qr") == 1


def test_unknown_channel_in_the_link_falls_back_to_web(two_offices, client_for):
    wolomin, _ = two_offices
    assert client_for(wolomin).survey_form("?kanal=paper")["kanal"] == "web"


def test_only_required_answers_are_enough(two_offices, client_for, in_office):
    wolomin, _ = two_offices
    client = client_for(wolomin)
    form = {**client.survey_form(), "q-ogolna_satysfakcja": "3"}
    assert client.post("/", data=form).status_code == 303
    with in_office(wolomin):
        assert _count(Response) == 1
        assert _count(Answer) == 1


def test_missing_required_answer_shows_error_summary_and_keeps_answers(
    two_offices, client_for, complete_answers, in_office
):
    wolomin, _ = two_offices
    client = client_for(wolomin)
    form = {**client.survey_form(), **complete_answers()}
    del form["q-ogolna_satysfakcja"]
    response = client.post("/", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary" role="alert"' in html
    assert 'href="#q-ogolna_satysfakcja-1"' in html
    assert 'aria-describedby="q-ogolna_satysfakcja-blad"' in html
    # answers already given are still selected, and the comment is still there
    assert re.search(r'id="q-lokalizacja-5"[^>]*checked', html)
    assert "Zażółć gęślą jaźń." in html
    with in_office(wolomin):
        assert _count(Response) == 0


def test_blank_page_is_served_from_memory_with_fresh_tokens_until_something_changes(
    app, two_offices, client_for, in_office
):
    wolomin, sierpc = two_offices
    first = client_for(wolomin).survey_form()
    second = client_for(wolomin).survey_form()
    assert first["submission"] != second["submission"]
    assert first["csrf_token"] != second["csrf_token"]
    assert first["started"] != second["started"] or first["submission"] != second["submission"]
    # a renamed department shows at once: the change forgets the cached page
    with in_office(wolomin):
        department = db.session.scalars(select(Department).order_by(Department.position)).first()
        department.name = "Wydział Przemianowany"
        db.session.commit()
    assert "Wydział Przemianowany" in client_for(wolomin).get("/").get_data(as_text=True)
    # each host has its own page
    assert sierpc.name in client_for(sierpc).get("/").get_data(as_text=True)
    assert wolomin.name not in client_for(sierpc).get("/").get_data(as_text=True)


def test_accessibility_statement_and_privacy_page_come_from_the_office_data(
    app, two_offices, client_for
):
    wolomin, sierpc = two_offices
    survey = client_for(wolomin).get("/").get_data(as_text=True)
    assert 'href="/deklaracja-dostepnosci"' in survey and 'href="/ochrona-danych"' in survey
    statement = client_for(wolomin).get("/deklaracja-dostepnosci")
    html = statement.get_data(as_text=True)
    assert statement.status_code == 200
    assert "Deklaracja dostępności" in html and wolomin.name in html and sierpc.name not in html
    assert "WCAG 2.1" in html and "http://wolomin.satysfakcja.test/" in html
    privacy = client_for(sierpc).get("/ochrona-danych").get_data(as_text=True)
    assert sierpc.name in privacy and "adresu IP" in privacy
    assert client_for("satysfakcja.test").get("/deklaracja-dostepnosci").status_code == 404


def test_the_posted_form_is_parsed_once_and_the_request_still_answers_for_form_and_files(app):
    """The survey's own strict parse becomes ``request.form`` (Flask-WTF's CSRF check reads the
    token there), and ``request.files`` stays usable: Werkzeug parses nothing once ``form`` is
    set, so without it ``files`` would recurse."""
    from flask import request

    from tenants.survey.views import _posted_form

    body = "csrf_token=abc&q1=5&q1=4&kom=%C5%BC%C3%B3%C5%82w"
    with app.test_request_context(
        "/", method="POST", data=body, content_type="application/x-www-form-urlencoded"
    ):
        form = _posted_form()
        assert request.form is form
        assert request.form.get("csrf_token") == "abc"
        assert request.form.getlist("q1") == ["5", "4"]
        assert request.form["kom"] == "żółw"
        assert len(request.files) == 0
