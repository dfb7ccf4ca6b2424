"""Department names are unique in an office regardless of case, in the service's check and in
the database's unique index on (tenant_id, lower(name)) alike (migration 0015), so two admins
adding "Straż Miejska" and "STRAŻ MIEJSKA" at the same moment get one department and a clear
message. Another office's department of the same name is no clash."""

from __future__ import annotations

import html

import psycopg2
import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from saas_platform.app import create_app
from saas_platform.core.db import db
from tenants.office import services as office
from tenants.survey.models import Department
from tests.conftest import OWNER_ROLE, PG_HOST, app_settings, csrf_token_of
from tests.races import pause_after_check, run_together


def _departments_named(in_office, office_, name: str) -> list[str]:
    with in_office(office_):
        return list(
            db.session.scalars(
                select(Department.name).where(func.lower(Department.name) == func.lower(name))
            )
        )


def test_two_admins_adding_names_differing_only_in_case_at_once_get_one_and_a_clear_message(
    two_offices, logged_in, in_office, monkeypatch
):
    wolomin, sierpc = two_offices
    admins = [logged_in(wolomin, email=f"admin{n}@wolomin.example") for n in (1, 2)]
    forms = [
        {
            "csrf_token": csrf_token_of(admin.get("/panel/wydzialy").get_data(as_text=True)),
            "name": name,
        }
        for admin, name in zip(admins, ("Straż Gminna", "STRAŻ GMINNA"), strict=True)
    ]
    pause_after_check(monkeypatch, office, "_check_department_name")
    responses = run_together(
        *(
            lambda admin=admin, form=form: admin.post("/panel/wydzialy", data=form)
            for admin, form in zip(admins, forms, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [302, 422]
    [refused] = [r for r in responses if r.status_code == 422]
    assert "już istnieje w tym urzędzie" in html.unescape(refused.get_data(as_text=True))
    assert len(_departments_named(in_office, wolomin, "straż gminna")) == 1

    monkeypatch.undo()
    other = logged_in(sierpc, email="admin@sierpc.example")
    token = csrf_token_of(other.get("/panel/wydzialy").get_data(as_text=True))
    assert other.post("/panel/wydzialy", data={"csrf_token": token, "name": "straż gminna"})
    assert _departments_named(in_office, sierpc, "Straż Gminna") == ["straż gminna"]


def test_a_name_is_compared_as_the_database_folds_it_not_as_python_does(two_offices, in_office):
    # PostgreSQL's lower("İzba") is "izba"; Python's "İzba".lower() is "i̇zba" (two code points),
    # which the old check compared and the old case-sensitive index let through.
    wolomin, _ = two_offices
    with in_office(wolomin):
        office.add_department("izba")
        db.session.commit()
        with pytest.raises(office.OfficeError, match="„İzba” już istnieje"):
            office.add_department("İzba")
        db.session.rollback()
    assert _departments_named(in_office, wolomin, "izba") == ["izba"]


def test_renaming_to_another_departments_name_in_other_case_is_refused(two_offices, in_office):
    wolomin, _ = two_offices
    with in_office(wolomin):
        office.add_department("Wydział Podatków")
        kept = office.add_department("Referat Oświaty")
        db.session.commit()
        with pytest.raises(office.OfficeError, match="już istnieje"):
            office.rename_department(kept, "wydział podatków")
        db.session.rollback()
    assert _departments_named(in_office, wolomin, "Referat Oświaty") == ["Referat Oświaty"]


def test_the_migration_stops_on_names_differing_only_in_case_naming_office_and_names(
    empty_database, smtp_server, capfd
):
    app = create_app(app_settings(empty_database, smtp_server.port))
    owner = psycopg2.connect(host=PG_HOST, user=OWNER_ROLE, dbname=empty_database.name)

    def as_owner(tenant_id: int | None, sql: str, *params) -> list[tuple]:
        with owner, owner.cursor() as cursor:
            if tenant_id is not None:
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant_id),))
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    try:
        with app.app_context():
            upgrade(revision="0011")
        tenants = {}
        for slug in ("wolomin", "sierpc"):
            [(tenants[slug],)] = as_owner(
                None,
                "INSERT INTO tenants (slug, name, status, created_at) "
                "VALUES (%s, %s, 'active', now()) RETURNING id",
                slug,
                f"Urząd {slug}",
            )
        departments = [
            ("wolomin", "Straż Miejska"),
            ("wolomin", "straż miejska"),
            ("wolomin", "Referat Oświaty"),
            ("sierpc", "Straż Miejska"),
        ]
        for slug, name in departments:
            as_owner(
                tenants[slug],
                "INSERT INTO departments (tenant_id, name) VALUES (%s, %s)",
                tenants[slug],
                name,
            )

        capfd.readouterr()
        with app.app_context(), pytest.raises(SystemExit):  # Flask-Migrate logs, then exits
            upgrade()
        message = "".join(capfd.readouterr())
        assert "Migration 0015 stopped" in message
        assert "wolomin: „Straż Miejska”, „straż miejska”" in message
        assert "sierpc" not in message and "Oświaty" not in message
        assert as_owner(None, "SELECT version_num FROM alembic_version") == [("0011",)]

        as_owner(
            tenants["wolomin"],
            "UPDATE departments SET name = 'Straż Miejska (stara)' WHERE name = 'straż miejska'",
        )
        with app.app_context():
            upgrade()
        # Past 0015, up to the head (later migrations follow it).
        [(version,)] = as_owner(None, "SELECT version_num FROM alembic_version")
        assert version >= "0015"
        with pytest.raises(psycopg2.errors.UniqueViolation):
            as_owner(
                tenants["sierpc"],
                "INSERT INTO departments (tenant_id, name) VALUES (%s, 'STRAŻ MIEJSKA')",
                tenants["sierpc"],
            )
    finally:
        owner.close()
        with app.app_context():
            db.engine.dispose()
