"""Tenant isolation, layer by layer: PostgreSQL row-level security (as the app role, in raw
SQL), the ORM scoping hook, and the request layer."""

from __future__ import annotations

from datetime import date

import psycopg2
import pytest
from sqlalchemy import func, select, text

from saas_platform.core.db import db
from saas_platform.core.tenancy import CrossTenantWrite, TenantNotSet
from saas_platform.core.tenancy.models import TenantDomain
from tenants.accounts import services as staff
from tenants.actions.models import Action, ActionNote
from tenants.comments.models import CommentTopic, DigestSubscription, DigestWindow
from tenants.comments.services import triage
from tenants.exports.models import ExportJob
from tenants.office.survey_editor import start_draft
from tenants.reports.services import request_report
from tenants.survey.kiosk import create_kiosk
from tenants.survey.models import Department, Response
from tests.conftest import APP_ROLE, PG_HOST


@pytest.fixture
def offices_with_data(two_offices, client_for, complete_answers, in_office):
    """Both offices with a row in every tenant table: a response, a custom domain, an invited
    staff member (with its link and audit entry), a report, a kiosk device, a survey draft,
    an action with a note, a triaged comment, a digest subscription with a window, a
    background export and a department manager's link each."""
    for office in two_offices:
        client = client_for(office)
        assert (
            client.post("/", data={**client.survey_form(), **complete_answers()}).status_code == 303
        )
        with in_office(office):
            db.session.add(TenantDomain(host=f"ankieta.{office.slug}.pl"))
            staff.invite(f"kierownik@{office.slug}.example", "admin")
            first_department = db.session.scalar(select(Department.id).order_by(Department.id))
            staff.invite(
                f"wydzial@{office.slug}.example", "manager", department_ids=[first_department]
            )
            request_report("on_demand", date(2026, 1, 1), date(2026, 3, 31))
            create_kiosk(f"Tablet w urzędzie {office.slug}")
            start_draft("live")
            action = Action(title="Plan", kind="corrective", item_keys=[], department_ids=[])
            db.session.add(action)
            db.session.flush()
            db.session.add(ActionNote(action_id=action.id, body="Notatka"))
            response_id = db.session.scalar(select(Response.id))
            parking = db.session.scalar(
                select(CommentTopic.id).where(CommentTopic.name == "parking")
            )
            triage(response_id, "komentarz", "read", [parking])
            member = staff.find_by_email(f"kierownik@{office.slug}.example")
            db.session.add(DigestSubscription(user_id=member.id, frequency="daily"))
            db.session.add(
                DigestWindow(
                    user_id=member.id,
                    frequency="daily",
                    first_day=date(2026, 1, 1),
                    last_day=date(2026, 1, 1),
                )
            )
            db.session.add(ExportJob(format="csv", args={}, filename="odpowiedzi.csv", total=0))
            db.session.commit()
    return two_offices


@pytest.fixture
def app_role_connection(app, database):
    connection = psycopg2.connect(host=PG_HOST, user=APP_ROLE, dbname=database.name)
    yield connection
    connection.close()


def _tenant_tables(connection) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name"
        )
        return [row[0] for row in cursor.fetchall()]


def _set_tenant(cursor, tenant_id) -> None:
    cursor.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant_id),))


def test_every_tenant_table_is_covered(app_role_connection):
    tables = _tenant_tables(app_role_connection)
    assert set(tables) >= {
        "answers", "departments", "response_counts", "responses", "survey_questions",
        "survey_sections", "survey_versions", "surveys", "tenant_domains",
    }  # fmt: skip


def test_every_tenant_table_has_forced_row_level_security(app_role_connection):
    tables = _tenant_tables(app_role_connection)
    with app_role_connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY(%s)",
            (tables,),
        )
        flags = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = 'tenant_isolation'")
        with_policy = {row[0] for row in cursor.fetchall()}
    assert flags == {table: (True, True) for table in tables}
    assert with_policy == set(tables)


def test_app_role_is_neither_superuser_nor_owner(app_role_connection):
    with app_role_connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables "
            "WHERE schemaname = 'public' AND tableowner = current_user"
        )
        assert cursor.fetchone() == (0,)


def test_raw_select_with_one_office_set_returns_none_of_the_other(
    offices_with_data, app_role_connection
):
    wolomin, sierpc = offices_with_data
    with app_role_connection.cursor() as cursor:
        for table in _tenant_tables(app_role_connection):
            for office, other in ((wolomin, sierpc), (sierpc, wolomin)):
                _set_tenant(cursor, office.id)
                cursor.execute(f"SELECT tenant_id FROM {table}")
                seen = {row[0] for row in cursor.fetchall()}
                assert seen == {office.id}, table
                cursor.execute(f"SELECT count(*) FROM {table} WHERE tenant_id = %s", (other.id,))
                assert cursor.fetchone() == (0,), table
            app_role_connection.rollback()


def test_raw_select_with_no_office_set_returns_nothing(offices_with_data, app_role_connection):
    with app_role_connection.cursor() as cursor:
        for table in _tenant_tables(app_role_connection):
            cursor.execute(f"SELECT count(*) FROM {table}")
            assert cursor.fetchone() == (0,), table
            _set_tenant(cursor, "")
            cursor.execute(f"SELECT count(*) FROM {table}")
            assert cursor.fetchone() == (0,), table
            app_role_connection.rollback()


def test_office_setting_ends_with_its_transaction(offices_with_data, app_role_connection):
    wolomin, _ = offices_with_data
    with app_role_connection.cursor() as cursor:
        _set_tenant(cursor, wolomin.id)
        cursor.execute("SELECT count(*) FROM responses")
        assert cursor.fetchone() == (1,)
        app_role_connection.commit()
        cursor.execute("SELECT count(*) FROM responses")
        assert cursor.fetchone() == (0,)


def test_raw_writes_cannot_reach_another_office(offices_with_data, app_role_connection):
    wolomin, sierpc = offices_with_data
    with app_role_connection.cursor() as cursor:
        _set_tenant(cursor, wolomin.id)
        cursor.execute(
            "UPDATE departments SET name = name || '!' WHERE tenant_id = %s", (sierpc.id,)
        )
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM responses WHERE tenant_id = %s", (sierpc.id,))
        assert cursor.rowcount == 0
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
            cursor.execute(
                "INSERT INTO departments (tenant_id, name) VALUES (%s, 'Wydział obcy')",
                (sierpc.id,),
            )
    app_role_connection.rollback()


def test_orm_refuses_tenant_queries_with_no_office_set(app, offices_with_data):
    with app.app_context(), pytest.raises(TenantNotSet):
        db.session.scalars(select(Response)).all()


def test_orm_adds_the_office_criterion_on_its_own(offices_with_data, in_office):
    """Even with the database setting pointed at the other office, the ORM's own criterion
    keeps the other office's rows out (the two layers do not lean on each other)."""
    wolomin, sierpc = offices_with_data
    with in_office(wolomin):
        assert db.session.scalar(select(func.count()).select_from(Department)) > 0
        db.session.execute(
            text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(sierpc.id)}
        )
        assert db.session.scalars(select(Department)).all() == []
        assert db.session.scalars(select(Response)).all() == []
        assert db.session.scalar(select(func.count()).select_from(Department)) == 0


def test_orm_cannot_load_another_offices_row_by_id(offices_with_data, in_office):
    wolomin, sierpc = offices_with_data
    with in_office(sierpc):
        sierpc_department_id = db.session.scalar(select(Department.id))
    with in_office(wolomin):
        assert db.session.get(Department, sierpc_department_id) is None


def test_orm_refuses_to_write_a_row_for_another_office(offices_with_data, in_office):
    wolomin, sierpc = offices_with_data
    with in_office(wolomin):
        db.session.add(Department(tenant_id=sierpc.id, name="Wydział obcy"))
        with pytest.raises(CrossTenantWrite):
            db.session.flush()
        db.session.rollback()


def test_session_cookie_is_host_only(offices_with_data, client_for):
    response = client_for(offices_with_data[0]).get("/")
    cookie = response.headers["Set-Cookie"]
    assert "Domain=" not in cookie
    assert "HttpOnly" in cookie
