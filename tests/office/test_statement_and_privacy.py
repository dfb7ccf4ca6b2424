"""The residents' legal pages: the accessibility statement in the ministry's structure (every
prescribed ``a11y-*`` id), the privacy notice naming the controller and the IOD and saying
exactly what is kept. What only the office knows it fills in on "Deklaracje i RODO"; until it
does, both pages say what is missing and the panel reminds its admins."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from saas_platform.core.db import db, utcnow
from tenants.audit.models import AuditEntry
from tenants.survey.statement import A11Y_IDS
from tests.conftest import csrf_token_of

COMPLETE_STATEMENT = {
    "coordinator": "Anna Kowalska",
    "email": "Dostepnosc@Wolomin.example",
    "phone": "+48 22 763 30 00",
    "status": "partial",
    "shortcomings": "Logo urzędu w starszych wersjach ankiety nie ma opisu alternatywnego.",
    "assessment": "external",
    "auditor": "Fundacja Dostępności",
    "prepared_on": "2026-03-01",
    "reviewed_on": "2026-11-02",
    "architecture": "Wejście od ul. Ogrodowej jest bez progów; winda do wszystkich pięter.",
}
COMPLETE_PRIVACY = {
    "controller_name": "Burmistrz Wołomina",
    "controller_address": "ul. Ogrodowa 4, 05-200 Wołomin",
    "iod_contact": "iod@wolomin.example",
}


def _post(client, path: str, **fields):
    token = csrf_token_of(client.get("/panel/deklaracje").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def _ids(html: str) -> list[str]:
    return re.findall(r'id="(a11y-[a-z-]+)"', html)


def test_the_statement_has_every_prescribed_id_once_and_names_what_is_missing(
    two_offices, client_for
):
    wolomin, _ = two_offices
    html = client_for(wolomin).get("/deklaracja-dostepnosci").get_data(as_text=True)
    assert sorted(_ids(html)) == sorted(A11Y_IDS)
    assert "Ta deklaracja jest niepełna" in html
    for part in ("osoba odpowiedzialna", "numer telefonu", "status zgodności",
                 "sposób oceny", "data sporządzenia"):  # fmt: skip
        assert part in html
    assert re.search(r'<time id="a11y-data-publikacja" datetime="\d{4}-\d\d-\d\d">', html)


def test_an_admin_completes_the_statement_and_only_that_office_shows_it(
    two_offices, logged_in, client_for, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    assert "Niepełne strony ankiety wymagane prawem" in admin.get("/panel/").get_data(as_text=True)
    saved = _post(admin, "/panel/deklaracje/dostepnosc", **COMPLETE_STATEMENT)
    assert saved.status_code == 302
    html = client_for(wolomin).get("/deklaracja-dostepnosci").get_data(as_text=True)
    assert "niepełna" not in html
    assert sorted(_ids(html)) == sorted(A11Y_IDS)
    assert '<span id="a11y-osoba">Anna Kowalska</span>' in html
    assert 'href="mailto:dostepnosc@wolomin.example"' in html
    assert '<span id="a11y-telefon">+48 22 763 30 00</span>' in html
    assert "<strong>częściowo zgodna</strong>" in html and "nie ma opisu alternatywnego" in html
    assert '<time id="a11y-data-sporzadzenie" datetime="2026-03-01">01.03.2026</time>' in html
    assert '<time id="a11y-data-przeglad" datetime="2026-11-02">02.11.2026</time>' in html
    assert "badania przeprowadzonego przez podmiot zewnętrzny: Fundacja Dostępności" in html
    assert "winda do wszystkich pięter" in html
    other = client_for(sierpc).get("/deklaracja-dostepnosci").get_data(as_text=True)
    assert "Ta deklaracja jest niepełna" in other and "Anna Kowalska" not in other
    with in_office(wolomin):
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "office.statement_update")
        ).one()
        assert entry.after["a11y_prepared_on"] == "2026-03-01"
        assert entry.after["a11y_coordinator"] == "Anna Kowalska"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reviewed_on": "2026-02-01"},
         "Data przeglądu nie może być wcześniejsza niż data sporządzenia."),
        ({"prepared_on": str((utcnow() + timedelta(days=3)).date()), "reviewed_on": ""},
         "Data sporządzenia deklaracji nie może być późniejsza niż dzisiaj."),
        ({"status": "prawie"}, "Wybierz status zgodności z listy."),
        ({"assessment": "zgadywanie"}, "Wybierz sposób oceny z listy."),
        ({"phone": "zadzwoń"}, "Podaj numer telefonu z cyfr"),
        ({"email": "nie-adres"}, "Podaj poprawny adres e-mail."),
        ({"prepared_on": "1 marca"}, "Podaj datę w postaci RRRR-MM-DD."),
    ],
)  # fmt: skip
def test_a_bad_statement_is_refused_with_a_clear_message_and_nothing_stored(
    two_offices, logged_in, in_office, change, message
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    refused = _post(admin, "/panel/deklaracje/dostepnosc", **(COMPLETE_STATEMENT | change))
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    with in_office(wolomin) as tenant:
        assert tenant.a11y_coordinator == "" and tenant.a11y_prepared_on is None


def test_the_privacy_notice_names_the_controller_and_the_iod_and_what_is_kept(
    two_offices, logged_in, client_for
):
    wolomin, sierpc = two_offices
    before = client_for(wolomin).get("/ochrona-danych").get_data(as_text=True)
    assert "Ta informacja jest niepełna" in before
    assert "kontakt do inspektora ochrony danych (IOD)" in before
    admin = logged_in(wolomin)
    assert _post(admin, "/panel/deklaracje/rodo", **COMPLETE_PRIVACY).status_code == 302
    html = client_for(wolomin).get("/ochrona-danych").get_data(as_text=True)
    assert "niepełna" not in html
    assert "Administratorem danych jest Burmistrz Wołomina, ul. Ogrodowa 4, 05-200 Wołomin." in html
    assert "iod@wolomin.example" in html
    assert "Przez 48 godzin od wysłania przechowujemy także godzinę" in html
    for slip in ("klientów urzędu Urząd", "trafiłeś", "Twojego połączenia"):
        assert slip not in html
    assert "Burmistrz Wołomina" not in client_for(sierpc).get("/ochrona-danych").get_data(
        as_text=True
    )


def test_the_reminder_goes_once_both_pages_are_complete_and_never_to_analysts(
    two_offices, logged_in
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    analyst = logged_in(wolomin, "analyst")
    assert "Niepełne strony" not in analyst.get("/panel/").get_data(as_text=True)
    assert analyst.get("/panel/deklaracje").status_code == 403
    _post(admin, "/panel/deklaracje/dostepnosc", **COMPLETE_STATEMENT)
    reminder = admin.get("/panel/").get_data(as_text=True)
    assert "Niepełne strony ankiety wymagane prawem: informacja o ochronie danych." in reminder
    _post(admin, "/panel/deklaracje/rodo", **COMPLETE_PRIVACY)
    assert "Niepełne strony" not in admin.get("/panel/").get_data(as_text=True)


def test_the_statement_says_reports_come_in_an_accessible_html_edition(two_offices, client_for):
    for office in two_offices:
        html = client_for(office).get("/deklaracja-dostepnosci").get_data(as_text=True)
        assert "wersja dostępna (HTML)" in html
        assert "PDF do druku" in html
