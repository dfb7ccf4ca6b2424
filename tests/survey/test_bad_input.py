"""Whatever a resident (or anyone) sends, the answer is a clear 4xx and nothing is stored."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from saas_platform.core.db import db
from tenants.survey.models import Answer, Department, Response, ResponseCount


@pytest.fixture
def wolomin_form(two_offices, client_for, complete_answers):
    """A client on Wołomin's host and a complete, valid form it may post."""
    client = client_for(two_offices[0])
    return client, {**client.survey_form(), **complete_answers()}


@pytest.fixture
def nothing_stored(two_offices, in_office):
    """After the test: no response, answer or count in either office."""
    yield
    for office in two_offices:
        with in_office(office):
            for model in (Response, Answer, ResponseCount):
                assert db.session.scalar(select(func.count()).select_from(model)) == 0


def _post_form(client, form: dict):
    return client.post("/", data=form)


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"q-nie_ma_takiego": "5"}, "pola, których nie ma w tej ankiecie"),
        ({"q-parking": "7"}, "Wybierz odpowiedź z listy"),
        ({"q-parking": "0"}, "Wybierz odpowiedź z listy"),
        ({"q-ogolna_satysfakcja": "na"}, "Wybierz odpowiedź z listy"),  # no "nie dotyczy" here
        ({"q-cel_wizyty": "lapowka"}, "Wybierz odpowiedź z listy"),
        ({"q-kanal_kontaktu": ["osobiscie", "osobiscie"]}, "Wybierz odpowiedź z listy"),
        ({"q-wlasciwy_pracownik": "moze"}, "Wybierz odpowiedź z listy"),
        ({"q-komentarz": "x" * 2001}, "najwyżej 2000 znaków"),
        ({"q-komentarz": "zero\x00bajt"}, "niedozwolone znaki"),
        ({"q-wydzial": "999999"}, "Wybierz wydział z listy"),
        ({"q-wydzial": "abc"}, "Wybierz wydział z listy"),
        ({"q-wydzial": "²"}, "Wybierz wydział z listy"),  # a digit to isdigit(), not to int()
        ({"q-ogolna_satysfakcja": ["4", "5"]}, "ma jedną odpowiedź"),
        ({"kanal": "paper"}, "Nieznany sposób wypełnienia"),
        ({"submission": "not-a-key"}, "Formularz jest niekompletny"),
        ({"version": "abc"}, "Ta wersja ankiety nie jest już dostępna"),
        ({"version": "²"}, "Ta wersja ankiety nie jest już dostępna"),
        ({"version": "99999999"}, "Ta wersja ankiety nie jest już dostępna"),
    ],
)
def test_invalid_answers_are_refused_with_a_message(wolomin_form, change, message):
    client, form = wolomin_form
    response = _post_form(client, {**form, **change})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_exactly_2000_characters_of_comment_are_accepted(wolomin_form, two_offices, in_office):
    client, form = wolomin_form
    assert _post_form(client, {**form, "q-komentarz": "ż" * 2000}).status_code == 303
    with in_office(two_offices[0]):
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


@pytest.mark.usefixtures("nothing_stored")
def test_department_of_another_office_is_refused(wolomin_form, two_offices, in_office):
    client, form = wolomin_form
    with in_office(two_offices[1]):
        sierpc_department = db.session.scalar(select(Department.id))
    response = _post_form(client, {**form, "q-wydzial": str(sierpc_department)})
    assert response.status_code == 422
    assert "Wybierz wydział z listy" in response.get_data(as_text=True)


@pytest.mark.usefixtures("nothing_stored")
def test_inactive_department_is_refused(wolomin_form, two_offices, in_office):
    client, form = wolomin_form
    with in_office(two_offices[0]):
        department = db.session.scalars(select(Department)).first()
        department.is_active = False
        db.session.commit()
        department_id = department.id
    response = _post_form(client, {**form, "q-wydzial": str(department_id)})
    assert response.status_code == 422


@pytest.mark.usefixtures("nothing_stored")
def test_answer_to_another_offices_survey_version_is_refused(wolomin_form, two_offices, client_for):
    client, form = wolomin_form
    sierpc_version = client_for(two_offices[1]).survey_form()["version"]
    assert sierpc_version != form["version"]
    response = _post_form(client, {**form, "version": sierpc_version})
    assert response.status_code == 422
    assert "Ta wersja ankiety nie jest już dostępna" in response.get_data(as_text=True)


@pytest.mark.usefixtures("nothing_stored")
def test_missing_csrf_token_is_refused(wolomin_form):
    client, form = wolomin_form
    del form["csrf_token"]
    response = _post_form(client, form)
    assert response.status_code == 400
    assert "Formularz wygasł" in response.get_data(as_text=True)


@pytest.mark.usefixtures("nothing_stored")
def test_wrong_csrf_token_is_refused(wolomin_form):
    client, form = wolomin_form
    response = _post_form(client, {**form, "csrf_token": "IjEyMyI.invalid.token"})
    assert response.status_code == 400


@pytest.mark.usefixtures("nothing_stored")
def test_csrf_token_from_another_session_is_refused(wolomin_form, client_for, two_offices):
    _, form = wolomin_form
    other_session = client_for(two_offices[0]).survey_form()["csrf_token"]
    fresh_client = client_for(two_offices[0])
    response = fresh_client.post("/", data={**form, "csrf_token": other_session})
    assert response.status_code == 400


@pytest.mark.usefixtures("nothing_stored")
def test_filled_honeypot_is_refused(wolomin_form):
    client, form = wolomin_form
    assert _post_form(client, {**form, "website": "http://spam.example"}).status_code == 400


@pytest.mark.usefixtures("nothing_stored")
def test_non_form_content_type_is_refused(wolomin_form):
    client, form = wolomin_form
    response = client.post("/", json=form)
    assert response.status_code == 415
    assert "Nieobsługiwany format" in response.get_data(as_text=True)


@pytest.mark.usefixtures("nothing_stored")
def test_multipart_body_is_refused(wolomin_form):
    client, form = wolomin_form
    response = client.post("/", data=form, content_type="multipart/form-data")
    assert response.status_code == 415


@pytest.mark.usefixtures("nothing_stored")
def test_invalid_utf8_is_refused(wolomin_form):
    client, form = wolomin_form
    body = (
        urlencode({k: v for k, v in form.items() if k != "q-kanal_kontaktu"})
        + "&q-komentarz=%FF%FE"
    )
    response = client.post("/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "UTF-8" in response.get_data(as_text=True)


@pytest.mark.usefixtures("nothing_stored")
def test_body_over_the_size_limit_is_refused(wolomin_form):
    client, form = wolomin_form
    response = _post_form(client, {**form, "q-komentarz": "x" * 100_000})
    assert response.status_code == 413
    assert "Za dużo danych" in response.get_data(as_text=True)


@pytest.mark.usefixtures("nothing_stored")
def test_get_with_unexpected_methods_is_refused(wolomin_form):
    client, _ = wolomin_form
    assert client.client.put("/", headers={"Host": client.host}).status_code == 405
    assert client.client.delete("/", headers={"Host": client.host}).status_code == 405
