"""Security review, finding 2: `/panel/urzad` answered 500 (OverflowError in WTForms'
NumberRange) for a score threshold or retention of 309 nines. Every number typed into a form or
a query string is read within its bounds first: huge, negative, fractional, exponent and
other scripts' digits get a clear message, never a 500."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from saas_platform.core.db import db
from tenants.office.services import RETENTION_MESSAGE
from tenants.panel.office_forms import THRESHOLD_MESSAGE
from tenants.reports.models import Report
from tenants.survey.models import Response
from tests.conftest import csrf_token_of

NOT_NUMBERS = {
    "huge": "9" * 309,
    "beyond int()": "9" * 5000,
    "negative": "-5",
    "fractional": "7.5",
    "exponent": "1e3",
    "arabic-indic digit": "٣",
    "fullwidth digits": "５０",
}
OFFICE_DATA = {
    "name": "Urząd Miejski w Wołominie",
    "address": "",
    "contact_email": "",
    "contact_phone": "",
    "brand_colour": "#1d4f91",
    "score_threshold": "75",
    "retention_years": "",
    "report_recipients": "",
}


def _post(client, path: str, **fields):
    token = csrf_token_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


@pytest.mark.parametrize(
    ("field", "message"),
    [("score_threshold", THRESHOLD_MESSAGE), ("retention_years", RETENTION_MESSAGE)],
)
@pytest.mark.parametrize("value", NOT_NUMBERS.values(), ids=NOT_NUMBERS.keys())
def test_an_office_number_out_of_bounds_or_in_another_notation_gets_a_clear_message(
    two_offices, logged_in, in_office, field, message, value
):
    wolomin, _ = two_offices
    response = _post(logged_in(wolomin), "/panel/urzad", **{**OFFICE_DATA, field: value})
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    with in_office(wolomin) as tenant:
        assert (tenant.score_threshold, tenant.retention_years) == (75, None)


def test_the_office_numbers_keep_their_bounds_in_the_browser_and_accept_plain_numbers(
    two_offices, logged_in, in_office
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    page = admin.get("/panel/urzad").get_data(as_text=True)
    assert 'max="100" min="0"' in page and 'max="20" min="1"' in page
    fields = {**OFFICE_DATA, "score_threshold": " 60 ", "retention_years": "20"}
    assert _post(admin, "/panel/urzad", **fields).status_code == 302
    with in_office(wolomin) as tenant:
        assert (tenant.score_threshold, tenant.retention_years) == (60, 20)


@pytest.mark.parametrize("value", NOT_NUMBERS.values(), ids=NOT_NUMBERS.keys())
def test_a_report_for_a_department_that_is_no_number_gets_a_clear_message(
    two_offices, logged_in, in_office, value
):
    wolomin, _ = two_offices
    response = _post(
        logged_in(wolomin), "/panel/raporty", period="last_12_months", department=value
    )
    assert response.status_code == 422
    assert "Nie ma takiego wydziału." in response.get_data(as_text=True)
    with in_office(wolomin):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


@pytest.mark.parametrize("value", NOT_NUMBERS.values(), ids=NOT_NUMBERS.keys())
def test_a_paper_form_naming_a_survey_version_that_is_no_number_gets_a_clear_message(
    two_offices, logged_in, complete_answers, in_office, value
):
    wolomin, _ = two_offices
    staff = logged_in(wolomin, "analyst")
    token = csrf_token_of(staff.get("/panel/ankieta-papierowa").get_data(as_text=True))
    fields = {"csrf_token": token, "version": value, "data_wypelnienia": "2026-01-15"}
    response = staff.post("/panel/ankieta-papierowa", data={**fields, **complete_answers()})
    assert response.status_code == 422
    assert "Ta wersja ankiety nie jest już dostępna" in response.get_data(as_text=True)
    with in_office(wolomin):
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


@pytest.mark.parametrize("value", NOT_NUMBERS.values(), ids=NOT_NUMBERS.keys())
def test_a_page_number_that_is_no_number_shows_the_first_page(two_offices, logged_in, value):
    admin = logged_in(two_offices[0])
    for path in ("/panel/odpowiedzi", "/panel/dziennik"):
        response = admin.get(path, query_string={"strona": value})
        assert response.status_code == 200, path
