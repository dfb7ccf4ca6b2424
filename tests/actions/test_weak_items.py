"""From a weak item to an action: flagged items and areas on the dashboard show their linked
actions with status, or "Zaplanuj działanie" with the form prefilled."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from sqlalchemy import select

from saas_platform.core.db import db, utcnow
from saas_platform.core.tenancy.models import Tenant
from tenants.reports.pdf import ReportRequest, build_report_pdf
from tenants.survey.models import Department
from tests.reports.test_end_to_end import pdf_text


def _weak_everywhere(in_office, office) -> None:
    """Every rated item of the office below its threshold (100)."""
    with in_office(office):
        db.session.get(Tenant, office.id).score_threshold = 100
        db.session.commit()


def _submit(client_for, office, complete_answers, times: int = 5) -> None:
    client = client_for(office)
    for _ in range(times):
        assert (
            client.post("/", data={**client.survey_form(), **complete_answers()}).status_code == 303
        )


def test_a_weak_item_offers_a_prefilled_plan_to_admins_and_shows_its_action_once_planned(
    two_offices, in_office, client_for, complete_answers, logged_in, make_action
):
    wolomin, sierpc = two_offices
    for office in two_offices:
        _weak_everywhere(in_office, office)
        _submit(client_for, office, complete_answers)
    admin = logged_in(wolomin, "admin")
    dashboard = admin.get("/panel/").get_data(as_text=True)
    links = [
        unescape(link) for link in re.findall(r'href="(/panel/dzialania/nowe\?[^"]+)"', dashboard)
    ]
    assert "/panel/dzialania/nowe?pytanie=czas_oczekiwania" in links
    form = admin.get("/panel/dzialania/nowe?pytanie=czas_oczekiwania").get_data(as_text=True)
    assert re.search(r'name="item_keys" value="czas_oczekiwania" checked', form)
    assert not re.search(r'name="item_keys" value="lokalizacja" checked', form)

    make_action(sierpc, title="Plan Sierpca", item_keys=["czas_oczekiwania"])
    make_action(wolomin, title="Drugie okienko", item_keys=["czas_oczekiwania"])
    dashboard = admin.get("/panel/").get_data(as_text=True)
    assert "Drugie okienko</a> (planowane)" in dashboard
    assert '/panel/dzialania/nowe?pytanie=czas_oczekiwania"' not in dashboard
    assert "Plan Sierpca" not in dashboard

    analyst = logged_in(wolomin, "analyst")
    seen_by_analyst = analyst.get("/panel/").get_data(as_text=True)
    assert "Drugie okienko</a> (planowane)" in seen_by_analyst
    assert "/panel/dzialania/nowe" not in seen_by_analyst
    assert "brak zaplanowanych działań" in seen_by_analyst


def test_items_above_the_threshold_offer_no_plan(
    two_offices, in_office, client_for, complete_answers, logged_in
):
    wolomin, _ = two_offices
    with in_office(wolomin):
        db.session.get(Tenant, wolomin.id).score_threshold = 0
        db.session.commit()
    _submit(client_for, wolomin, complete_answers)
    dashboard = logged_in(wolomin, "admin").get("/panel/").get_data(as_text=True)
    assert "Zaplanuj działanie" not in dashboard


def test_the_reports_improvement_list_names_linked_actions_with_markup_as_text(
    two_offices, in_office, client_for, complete_answers, make_action
):
    wolomin, sierpc = two_offices
    for office in two_offices:
        _weak_everywhere(in_office, office)
        _submit(client_for, office, complete_answers)
    make_action(wolomin, title="<b>Drugie okienko</b>", item_keys=["czas_oczekiwania"])
    make_action(sierpc, title="Plan Sierpca", item_keys=["czas_oczekiwania"])
    with in_office(wolomin) as tenant:
        today = tenant.today()
        pdf = build_report_pdf(
            tenant, ReportRequest(today.replace(month=1, day=1), today), utcnow()
        )
    text = " ".join(pdf_text(pdf).split())
    # The table's columns wrap their words, so each part is looked for on its own.
    assert "<b>Drugie" in text and "okienko</b>" in text and "(planowane)" in text
    assert "brak" in text and "zaplanowanych" in text
    assert "Plan Sierpca" not in text


def _report_text(in_office, office, first: date, last: date) -> str:
    with in_office(office) as tenant:
        pdf = build_report_pdf(tenant, ReportRequest(first, last), utcnow())
    return " ".join(pdf_text(pdf).split())


def test_the_report_has_a_plan_and_the_effects_of_actions_completed_in_its_period(
    two_offices, in_office, make_action
):
    wolomin, sierpc = two_offices
    with in_office(wolomin) as tenant:
        today = tenant.today()
    implemented = today - timedelta(days=40)
    make_action(wolomin, title="Okienko", due_date="2026-03-31", responsible_text="Sekretarz")
    make_action(wolomin, title="Infolinia", planned_start="", due_date="2099-12-31")
    make_action(
        wolomin,
        title="Tablice",
        status="done",
        planned_start="",
        due_date="",
        implemented_on=implemented.isoformat(),
        item_keys=["oznakowanie"],
    )
    make_action(wolomin, title="Porzucone", status="abandoned", abandon_reason="Brak środków")
    make_action(sierpc, title="Sierpecki")
    text = _report_text(in_office, wolomin, implemented - timedelta(days=10), today)
    plan = text[text.index("Plan działań") : text.index("Efekty działań")]
    effects = text[text.index("Efekty działań") : text.index("Wyniki według obszarów")]
    # The table's columns wrap their words: one-word titles are found whole.
    assert "Okienko" in plan and "Sekretarz" in plan and "po terminie" in plan
    assert "Infolinia" in plan and "31.12.2099" in plan
    assert "Tablice" not in plan and "Porzucone" not in plan
    assert "Tablice" in effects and "za mało danych" in effects
    assert "Sierpecki" not in text
    earlier = _report_text(in_office, wolomin, date(2025, 1, 1), date(2025, 12, 31))
    assert "W okresie raportu nie zrealizowano żadnego działania." in earlier


def test_an_office_without_actions_gets_one_sentence_in_the_report(two_offices, in_office):
    wolomin, _ = two_offices
    text = _report_text(in_office, wolomin, date(2026, 1, 1), date(2026, 3, 31))
    assert "Urząd nie zapisał jeszcze w rejestrze żadnych działań" in text
    assert "Efekty działań" not in text


def test_a_departments_report_holds_only_the_actions_linked_to_that_department(
    two_offices, in_office, make_action
):
    wolomin, sierpc = two_offices
    with in_office(wolomin) as tenant:
        ours, other = db.session.scalars(select(Department.id).order_by(Department.id).limit(2))
        today = tenant.today()
    make_action(wolomin, title="Naszego", department_ids=[str(ours)], due_date="2099-12-31")
    make_action(wolomin, title="Innego", department_ids=[str(other)], due_date="2099-12-31")
    make_action(wolomin, title="Całego", due_date="2099-12-31")  # no department: office-wide
    make_action(sierpc, title="Sierpecki", due_date="2099-12-31")
    first = today.replace(month=1, day=1)
    with in_office(wolomin) as tenant:
        pdf = build_report_pdf(tenant, ReportRequest(first, today, ours), utcnow())
        other_pdf = build_report_pdf(tenant, ReportRequest(first, today, other), utcnow())
        whole_pdf = build_report_pdf(tenant, ReportRequest(first, today), utcnow())
    department, elsewhere, whole = (
        " ".join(pdf_text(p).split()) for p in (pdf, other_pdf, whole_pdf)
    )
    assert "Naszego" in department and "Innego" not in department
    assert "Całego" not in department and "Sierpecki" not in department
    assert "Innego" in elsewhere and "Naszego" not in elsewhere
    assert all(title in whole for title in ("Naszego", "Innego", "Całego"))
    assert "Sierpecki" not in whole
