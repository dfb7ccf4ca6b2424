"""The action register: admins create and edit, analysts read and add notes, every change is
audited, bad input is refused whole with Polish messages, and offices stay apart."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg2
import pytest
from sqlalchemy import func, select

from saas_platform.core.db import db
from tenants.actions.models import Action, ActionNote
from tenants.audit.models import AuditEntry
from tests.conftest import APP_ROLE, PG_HOST, csrf_token_of


def _post(client, path: str, data: dict):
    token = csrf_token_of(client.get("/panel/dzialania").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def _count(in_office, office, model) -> int:
    with in_office(office):
        return db.session.scalar(select(func.count()).select_from(model))


def test_admin_adds_an_action_that_the_register_lists_and_the_audit_log_names(
    two_offices, logged_in, in_office, action_form
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin, "admin")
    response = _post(admin, "/panel/dzialania/nowe", action_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = admin.get("/panel/dzialania").get_data(as_text=True)
    assert "Skrócić czas oczekiwania w Wydziale Komunikacji" in listing
    assert "Naczelnik Wydziału Komunikacji" in listing
    detail = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "naprawcze" in detail and "planowane" in detail
    assert "Czas oczekiwania" in detail or "czas" in detail.lower()
    audit_page = admin.get("/panel/dziennik").get_data(as_text=True)
    assert "Dodanie działania" in audit_page
    assert _count(in_office, sierpc, Action) == 0
    menu = admin.get("/panel/").get_data(as_text=True)
    assert 'href="/panel/dzialania"' in menu and "Działania" in menu


def test_analyst_reads_the_register_and_adds_notes_but_cannot_create_or_edit(
    two_offices, logged_in, make_action, in_office, action_form
):
    wolomin, _ = two_offices
    action_id = make_action(wolomin)
    analyst = logged_in(wolomin, "analyst")
    assert analyst.get("/panel/dzialania").status_code == 200
    assert analyst.get(f"/panel/dzialania/{action_id}").status_code == 200
    assert analyst.get("/panel/dzialania/nowe").status_code == 403
    assert analyst.get(f"/panel/dzialania/{action_id}/edycja").status_code == 403
    token = csrf_token_of(analyst.get(f"/panel/dzialania/{action_id}").get_data(as_text=True))
    refused = analyst.post(
        f"/panel/dzialania/{action_id}/edycja",
        data={"csrf_token": token, **action_form(title="Zmienione")},
    )
    assert refused.status_code == 403
    noted = analyst.post(
        f"/panel/dzialania/{action_id}/notatki",
        data={"csrf_token": token, "body": "Drugie stanowisko działa od poniedziałku."},
    )
    assert noted.status_code == 302
    page = analyst.get(f"/panel/dzialania/{action_id}").get_data(as_text=True)
    assert "Drugie stanowisko działa od poniedziałku." in page
    assert _count(in_office, wolomin, ActionNote) == 1
    with in_office(wolomin):
        assert db.session.get(Action, action_id).title != "Zmienione"


def test_bad_input_is_refused_all_at_once_in_polish_and_nothing_is_stored(
    two_offices, logged_in, in_office, action_form, department_of
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin, "admin")
    form = action_form(
        title="T" * 201,
        planned_start="2026-05-01",
        due_date="2026-04-01",
        implemented_on=(date.today() + timedelta(days=30)).isoformat(),
        status="abandoned",
        abandon_reason="",
        item_keys=["czas_oczekiwania", "klucz_innego_urzedu"],
        department_ids=[str(department_of(sierpc))],
        effect_window_days="9999999999999999999999",
    )
    response = _post(admin, "/panel/dzialania/nowe", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in (
        "Tytuł: najwyżej 200 znaków (wpisano 201).",
        "Termin nie może być wcześniejszy niż planowany początek.",
        "Data wdrożenia nie może być w przyszłości.",
        "Podaj powód porzucenia działania.",
        "Wybierz pytania z listy pytań ankiety urzędu.",
        "Wybierz wydziały z listy wydziałów urzędu.",
        "Okno porównania: liczba dni od 7 do 365.",
    ):
        assert message in page, message
    assert _count(in_office, wolomin, Action) == 0
    assert _count(in_office, wolomin, AuditEntry) == 1  # the invitation of the admin only


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Podaj tytuł działania."),
        ({"kind": "inne"}, "Wybierz rodzaj działania"),
        ({"status": "done", "implemented_on": ""}, "Działanie zrealizowane wymaga daty wdrożenia."),
        ({"implemented_on": "2026-01-10"}, "Datę wdrożenia podaje się tylko"),
        ({"due_date": "31.03.2026"}, "Termin: podaj datę w postaci RRRR-MM-DD."),
        ({"responsible_user_id": "99999999999999999999"}, "Wybierz osobę odpowiedzialną z listy."),
        ({"title": "Zły\u202eznak"}, "niedozwolone znaki"),
        ({"status": "zamkniete"}, "Wybierz stan działania z listy."),
    ],
)
def test_each_rule_of_the_form_has_its_polish_message(
    two_offices, logged_in, in_office, action_form, changes, message
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin, "admin")
    response = _post(admin, "/panel/dzialania/nowe", action_form(**changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(in_office, wolomin, Action) == 0


def test_an_over_long_note_is_refused_and_not_stored(
    two_offices, logged_in, make_action, in_office
):
    wolomin, _ = two_offices
    action_id = make_action(wolomin)
    analyst = logged_in(wolomin, "analyst")
    response = _post(analyst, f"/panel/dzialania/{action_id}/notatki", {"body": "x" * 2001})
    assert response.status_code == 422
    assert "Notatka: najwyżej 2000 znaków (wpisano 2001)." in response.get_data(as_text=True)
    assert _count(in_office, wolomin, ActionNote) == 0


def test_markup_typed_into_an_action_shows_as_text(two_offices, logged_in, action_form):
    wolomin, _ = two_offices
    admin = logged_in(wolomin, "admin")
    markup = '<script>alert("x")</script><b>pilne</b>'
    response = _post(
        admin,
        "/panel/dzialania/nowe",
        action_form(title=markup, description=markup, responsible_text=markup),
    )
    assert response.status_code == 302
    action_url = response.headers["Location"]
    assert _post(admin, action_url + "/notatki", {"body": markup}).status_code == 302
    for page in (admin.get("/panel/dzialania"), admin.get(action_url)):
        html = page.get_data(as_text=True)
        assert "<b>pilne</b>" not in html and "<script>alert" not in html
        assert "&lt;b&gt;pilne&lt;/b&gt;" in html


def test_two_admins_editing_one_action_get_a_conflict_not_an_overwrite(
    two_offices, logged_in, make_action, in_office, action_form
):
    wolomin, _ = two_offices
    action_id = make_action(wolomin)
    first = logged_in(wolomin, "admin", "pierwsza@wolomin.example")
    second = logged_in(wolomin, "admin", "drugi@wolomin.example")
    path = f"/panel/dzialania/{action_id}/edycja"
    first_form = first.get(path).get_data(as_text=True)
    second_form = second.get(path).get_data(as_text=True)
    version = 'name="version" value="1"'
    assert version in first_form and version in second_form
    saved = first.post(
        path,
        data={
            "csrf_token": csrf_token_of(first_form),
            "version": "1",
            **action_form(status="in_progress"),
        },
    )
    assert saved.status_code == 302
    conflict = second.post(
        path,
        data={
            "csrf_token": csrf_token_of(second_form),
            "version": "1",
            **action_form(title="Inny tytuł"),
        },
    )
    assert conflict.status_code == 409
    assert "Ktoś inny zmienił to działanie" in conflict.get_data(as_text=True)
    with in_office(wolomin):
        action = db.session.get(Action, action_id)
        assert (action.status, action.title, action.version) == (
            "in_progress",
            "Skrócić czas oczekiwania w Wydziale Komunikacji",
            2,
        )
        labels = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "action")
        )
        assert sorted(labels) == ["action.create", "action.update"]


def test_another_offices_action_is_404_on_every_route(
    two_offices, logged_in, make_action, action_form
):
    wolomin, sierpc = two_offices
    foreign = make_action(sierpc)
    admin = logged_in(wolomin, "admin")
    token = csrf_token_of(admin.get("/panel/dzialania").get_data(as_text=True))
    assert admin.get(f"/panel/dzialania/{foreign}").status_code == 404
    assert admin.get(f"/panel/dzialania/{foreign}/edycja").status_code == 404
    assert (
        admin.post(
            f"/panel/dzialania/{foreign}/edycja", data={"csrf_token": token, **action_form()}
        ).status_code
        == 404
    )
    assert (
        admin.post(
            f"/panel/dzialania/{foreign}/notatki", data={"csrf_token": token, "body": "x"}
        ).status_code
        == 404
    )
    assert admin.get("/panel/dzialania/99999999999999999999").status_code == 404
    assert "Skrócić" not in admin.get("/panel/dzialania").get_data(as_text=True)


def test_the_app_role_with_no_office_set_reads_no_action_or_note(
    two_offices, make_action, in_office, database
):
    for office in two_offices:
        action_id = make_action(office)
        with in_office(office):
            db.session.add(ActionNote(action_id=action_id, body="notatka"))
            db.session.commit()
    connection = psycopg2.connect(host=PG_HOST, user=APP_ROLE, dbname=database.name)
    try:
        with connection.cursor() as cursor:
            for table in ("actions", "action_notes"):
                cursor.execute(f"SELECT count(*) FROM {table}")
                assert cursor.fetchone() == (0,), table
                cursor.execute(
                    "SELECT set_config('app.tenant_id', %s, true)", (str(two_offices[0].id),)
                )
                cursor.execute(f"SELECT count(*) FROM {table}")
                assert cursor.fetchone() == (1,), table
                connection.rollback()
    finally:
        connection.close()
