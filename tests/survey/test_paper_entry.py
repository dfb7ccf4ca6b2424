"""Paper surveys typed in by staff: stored as paper under the date on the paper, once, with the
web form's validation, and counted on that day; web answers still count on the day they arrive."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.tenancy.models import local_day
from tenants.audit.models import AuditEntry
from tenants.survey.models import RESPONSES_KEY, Department, Response, ResponseCount


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _audit(office, in_office, action: str) -> list[AuditEntry]:
    with in_office(office):
        return list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def _count(model, **filters) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**filters))


def _department_id(office, in_office, name: str) -> int:
    with in_office(office):
        return db.session.scalar(select(Department.id).where(Department.name == name))


# -- paper surveys -----------------------------------------------------------------------------


def _paper_form(client, answered_on: date | str, answers: dict) -> dict:
    page = client.get("/panel/ankieta-papierowa")
    assert page.status_code == 200
    hidden = dict(
        re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.get_data(as_text=True)
        )
    )
    value = answered_on.isoformat() if isinstance(answered_on, date) else answered_on
    return {**hidden, "data_wypelnienia": value, **answers}


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_paper_survey_is_stored_as_paper_under_the_date_on_the_paper(
    two_offices, logged_in, complete_answers, in_office, role
):
    wolomin, sierpc = two_offices
    staff = logged_in(wolomin, role)
    department_id = _department_id(wolomin, in_office, "Urząd Stanu Cywilnego")
    paper_day = date(2025, 11, 3)
    form = _paper_form(staff, paper_day, complete_answers(department_id))
    assert "kanal" not in form

    response = staff.post("/panel/ankieta-papierowa", data=form)
    assert response.status_code == 303
    after = staff.get(response.headers["Location"])
    page = _text(after)
    assert "Zapisano ankietę papierową" in page
    # an empty form for the next paper survey, with a fresh submission key
    assert _paper_form(staff, paper_day, {})["submission"] != form["submission"]
    assert "checked" not in page and 'name="data_wypelnienia" value=""' in page

    with in_office(wolomin):
        stored = db.session.scalars(select(Response)).one()
        assert (stored.channel, stored.answered_on, stored.department_id) == (
            "paper",
            paper_day,
            department_id,
        )
        counted = db.session.execute(
            select(ResponseCount.day, ResponseCount.channel, ResponseCount.count).where(
                ResponseCount.question_key == RESPONSES_KEY
            )
        ).all()
        assert counted == [(paper_day, "paper", 1)]
        assert _count(ResponseCount, day=current_tenant.today()) == 0
        assert _count(ResponseCount, question_key="ogolna_satysfakcja", value="4") == 1
    [entry] = _audit(wolomin, in_office, "response.paper_entry")
    assert entry.object_id == stored.id
    assert entry.after == {"answered_on": "2025-11-03", "survey_version": 1}
    with in_office(sierpc):
        assert _count(Response) == 0 and _count(ResponseCount) == 0


def test_paper_survey_sent_twice_is_stored_once(
    two_offices, logged_in, complete_answers, in_office
):
    wolomin, _ = two_offices
    staff = logged_in(wolomin, "analyst")
    form = _paper_form(staff, date(2026, 2, 2), complete_answers())
    assert staff.post("/panel/ankieta-papierowa", data=form).status_code == 303
    again = staff.post("/panel/ankieta-papierowa", data=form)
    assert again.status_code == 303
    assert "była już zapisana" in _text(staff.get(again.headers["Location"]))
    with in_office(wolomin):
        assert _count(Response) == 1
        assert (
            db.session.scalar(
                select(func.sum(ResponseCount.count)).where(
                    ResponseCount.question_key == RESPONSES_KEY
                )
            )
            == 1
        )
    assert len(_audit(wolomin, in_office, "response.paper_entry")) == 1


def _error_messages(page: str) -> list[str]:
    summary = page.split('class="error-summary"', 1)[1].split("</ul>", 1)[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in
            re.findall(r"<li>(.*?)</li>", summary, re.S)]  # fmt: skip


def test_paper_survey_gets_the_same_validation_as_the_web_form(
    two_offices, logged_in, client_for, complete_answers, in_office
):
    wolomin, _ = two_offices
    staff = logged_in(wolomin, "analyst")
    bad = {
        **complete_answers(),
        "q-ogolna_satysfakcja": "7",  # out of range
        "q-wiek": ["18_25", "41_60"],  # two answers to a one-answer question
        "q-komentarz": "x" * 2001,
    }
    resident = client_for(wolomin)
    web = resident.post("/", data={**resident.survey_form(), **bad})
    assert web.status_code == 422

    paper = staff.post("/panel/ankieta-papierowa", data=_paper_form(staff, date(2026, 1, 9), bad))
    assert paper.status_code == 422
    expected = _error_messages(web.get_data(as_text=True))
    assert len(expected) == 3
    assert _error_messages(paper.get_data(as_text=True)) == expected
    # what was typed stays in the form, to be corrected
    assert 'name="data_wypelnienia" value="2026-01-09"' in paper.get_data(as_text=True)
    with in_office(wolomin):
        assert _count(Response) == 0 and _count(ResponseCount) == 0
    assert _audit(wolomin, in_office, "response.paper_entry") == []


def _after_tomorrow() -> date:
    return date.today() + timedelta(days=2)  # in the future in every timezone


@pytest.mark.parametrize(
    ("answered_on", "message"),
    [
        (_after_tomorrow(), "Data wypełnienia nie może być z przyszłości."),
        ("1999-12-31", "nie może być wcześniejsza niż 01.01.2000"),
        ("", "Podaj datę wypełnienia ankiety"),
        ("2026-02-30", "Podaj datę wypełnienia w postaci RRRR-MM-DD"),
        ("wczoraj", "Podaj datę wypełnienia w postaci RRRR-MM-DD"),
    ],
)
def test_paper_survey_date_must_be_real_and_not_in_the_future(
    two_offices, logged_in, complete_answers, in_office, answered_on, message
):
    wolomin, _ = two_offices
    staff = logged_in(wolomin)
    form = _paper_form(staff, answered_on, complete_answers())
    response = staff.post("/panel/ankieta-papierowa", data=form)
    assert response.status_code == 422
    assert message in _text(response)
    assert '<a href="#data_wypelnienia">' in response.get_data(as_text=True)
    with in_office(wolomin):
        assert _count(Response) == 0


def test_paper_date_in_polish_notation_is_understood(
    two_offices, logged_in, complete_answers, in_office
):
    wolomin, _ = two_offices
    staff = logged_in(wolomin)
    form = _paper_form(staff, "5.01.2026", complete_answers())
    assert staff.post("/panel/ankieta-papierowa", data=form).status_code == 303
    with in_office(wolomin):
        assert db.session.scalar(select(Response.answered_on)) == date(2026, 1, 5)


def test_paper_entry_cannot_be_passed_off_as_another_channel(
    two_offices, logged_in, complete_answers, in_office
):
    wolomin, _ = two_offices
    staff = logged_in(wolomin)
    form = {**_paper_form(staff, date(2026, 1, 5), complete_answers()), "kanal": "web"}
    response = staff.post("/panel/ankieta-papierowa", data=form)
    assert response.status_code == 422
    assert "Nieznany sposób wypełnienia ankiety." in _text(response)
    with in_office(wolomin):
        assert _count(Response) == 0


def test_paper_entry_needs_a_csrf_token(two_offices, logged_in, complete_answers, in_office):
    wolomin, _ = two_offices
    staff = logged_in(wolomin)
    form = _paper_form(staff, date(2026, 1, 5), complete_answers())
    del form["csrf_token"]
    assert staff.post("/panel/ankieta-papierowa", data=form).status_code == 400
    with in_office(wolomin):
        assert _count(Response) == 0


def test_web_survey_still_counts_on_the_day_it_arrives(
    two_offices, client_for, complete_answers, in_office
):
    wolomin, _ = two_offices
    resident = client_for(wolomin)
    assert (
        resident.post("/", data={**resident.survey_form(), **complete_answers()}).status_code == 303
    )
    with in_office(wolomin) as tenant:
        stored = db.session.scalars(select(Response)).one()
        assert stored.channel == "web"
        today = local_day(stored.submitted_at, tenant.timezone)
        assert stored.answered_on == today
        assert _count(ResponseCount, question_key=RESPONSES_KEY, day=today) == 1
