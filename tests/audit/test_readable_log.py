"""The audit logs read as sentences: Polish names of actions, objects by name ("użytkownik
Anna Kowalska", "wersja ankiety nr 1", the office by its name), ids only in the CSV export."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

from sqlalchemy import select

from saas_platform.core.db import db
from tenants.accounts.models import StaffUser
from tenants.audit import labels
from tenants.audit.models import AuditEntry
from tests.conftest import csrf_token_of
from tests.office.test_office_pages import OFFICE_DATA
from tests.office.test_survey_editor import _draft, _start_draft
from tests.office.test_survey_editor import _post as _editor_post
from tests.operator.test_console import _post as operator_post
from tests.operator.test_console import make_operator, operator  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parents[2]
PLATFORM_RECORDED = re.compile(r'record\(\s*(?:[a-z_.()]+|None),\s*"([a-z_.]+)"')


def _post(client, path: str, form_page: str | None = None, **fields):
    token = csrf_token_of(client.get(form_page or path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def _page(client, path: str) -> str:
    """The page's main content (no head, no styles), unescaped."""
    page = html.unescape(client.get(path).get_data(as_text=True))
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def _csv_rows(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_office_log_names_people_versions_departments_and_the_office(
    two_offices, logged_in, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    with in_office(wolomin):
        colleague = logged_in(wolomin, "analyst", email="anna@wolomin.example")
        user = db.session.scalars(
            select(StaffUser).where(StaffUser.email == "anna@wolomin.example")
        ).one()
        user.name = "Anna Kowalska"
        db.session.commit()
        colleague_id = user.id
    assert colleague.get("/panel/").status_code == 200
    assert (
        _post(admin, f"/panel/uzytkownicy/{colleague_id}", role="admin", is_active="y").status_code
        == 302
    )
    assert _post(admin, "/panel/wydzialy", name="Straż Miejska").status_code == 302
    changed = {**OFFICE_DATA, "score_threshold": "70"}
    assert _post(admin, "/panel/urzad", **changed).status_code == 302

    log = _page(admin, "/panel/dziennik")
    assert "użytkownik Anna Kowalska" in log
    assert "wydział „Straż Miejska”" in log
    assert wolomin.name in log  # the office changed its data: named by its name
    assert "Zmiana danych urzędu" in log and "Raport przed zmianą" in log
    assert "raport przed zmianą danych urzędu za" in log
    for raw in ("staff_user", "department #", "tenant", "#", "office.update"):
        assert raw not in log
    assert sierpc.name not in log

    with in_office(wolomin):
        update = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "office.update")
        ).one()
    entry = _page(admin, f"/panel/dziennik/{update.id}")
    assert "próg oceny" in entry and "raport przed zmianą danych urzędu za" in entry
    for raw in (
        "score_threshold",
        "pre_change_report_id",
        f">{update.after['pre_change_report_id']}<",
    ):
        assert raw not in entry


def test_office_log_names_a_published_version_by_its_number(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    revision = _draft(in_office, wolomin).revision
    published = _editor_post(admin, "/panel/ankieta/publikuj", {"wersja_szkicu": str(revision)})
    assert published.status_code == 302
    log = _page(admin, "/panel/dziennik")
    assert "wersja ankiety nr 2" in log and "szkic ankiety" in log
    assert "survey_version" not in log and "survey_draft" not in log


def test_the_office_log_csv_keeps_the_ids_and_codes(two_offices, logged_in, in_office):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    logged_in(sierpc)
    assert _post(admin, "/panel/wydzialy", name='=HYPERLINK("x")').status_code == 302
    response = admin.get("/panel/dziennik.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response)
    with in_office(wolomin):
        entries = {e.id: e for e in db.session.scalars(select(AuditEntry))}
    assert {int(r["id wpisu"]) for r in rows} == set(entries)  # the other office's are absent
    created = next(r for r in rows if r["kod działania"] == "department.create")
    entry = entries[int(created["id wpisu"])]
    assert created["id obiektu"] == str(entry.object_id)
    assert created["rodzaj obiektu"] == "department"
    assert created["działanie"] == "Dodanie wydziału"
    assert created["obiekt"] == 'wydział „=HYPERLINK("x")”'
    assert json.loads(created["po (JSON)"]) == {"name": '=HYPERLINK("x")'}
    analyst = logged_in(wolomin, "analyst")
    assert analyst.get("/panel/dziennik.csv").status_code == 403


def test_every_action_the_platform_records_has_a_polish_label(app):
    recorded = set()
    for source in (REPO / "saas_platform").rglob("*.py"):
        recorded.update(PLATFORM_RECORDED.findall(source.read_text()))
    assert {"office.suspend", "operator.login", "office.create"} <= recorded
    assert sorted(a for a in recorded if labels.action_label(a) == a) == []


def test_operator_log_shows_polish_labels_and_offices_by_name_ids_in_the_csv(
    app,
    operator,  # noqa: F811 - the fixture imported above
    two_offices,
):
    wolomin, _ = two_offices
    form = {
        "name": "Urząd Miasta i Gminy Góra Kalwaria",
        "municipality": "Góra Kalwaria",
        "slug": "gora-kalwaria",
        "admin_email": "admin@gorakalwaria.pl",
        "departments": "Sekretariat",
    }
    assert operator_post(operator, "/operator/urzedy/nowy", **form).status_code == 302
    reason = "Umowa wygasła."
    assert (
        operator_post(operator, "/operator/urzedy/wolomin/zawieszenie", reason=reason).status_code
        == 302
    )
    log = _page(operator, "/operator/dziennik")
    for label in ("Logowanie operatora", "Utworzenie urzędu", "Zawieszenie ankiety urzędu"):
        assert label in log
    assert "Urząd Miasta i Gminy Góra Kalwaria" in log and wolomin.name in log
    assert "powód: Umowa wygasła." in log
    assert "pierwszy administrator: admin@gorakalwaria.pl" in log
    for raw in (
        "office.suspend",
        "operator.login",
        "office.create",
        ">wolomin<",
        ">gora-kalwaria<",
    ):
        assert raw not in log

    rows = _csv_rows(operator.get("/operator/dziennik.csv"))
    suspended = next(r for r in rows if r["kod działania"] == "office.suspend")
    assert suspended["adres (slug) urzędu"] == "wolomin"
    assert suspended["urząd"] == wolomin.name
    assert suspended["id operatora"].isdigit()
    assert json.loads(suspended["szczegóły (JSON)"])["reason"] == reason
