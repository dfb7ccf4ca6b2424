"""The newcomer's path, ``make run``: no PostgreSQL, no Redis, no environment. Migrate a SQLite
file, load the demo offices, open a survey. The ORM layer alone keeps offices apart here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pyotp
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from saas_platform import demo
from saas_platform.app import create_app
from saas_platform.core.db import db
from saas_platform.core.tenancy import TenantNotSet, tenant_scope
from saas_platform.core.tenancy.models import Tenant
from tenants.reports import drilldown
from tenants.survey.filters import Filters
from tenants.survey.models import RESPONSES_KEY, Department, Response, ResponseCount
from tenants.survey.scores import period_counts
from tests.conftest import csrf_token_of, sqlite_app_settings

DEMO_RESPONSES = 60
DEMO_OUTPUT: dict[str, str] = {}


def _satysfakcja(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "from saas_platform.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def embedded_app(tmp_path_factory):
    database = tmp_path_factory.mktemp("embedded") / "satysfakcja.sqlite"
    # Only what a newcomer's shell has: no APP_ENV, no Redis, no PostgreSQL settings.
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": f"sqlite:///{database}"}
    _satysfakcja(env, "db", "upgrade")
    output = _satysfakcja(env, "demo", "--responses", str(DEMO_RESPONSES))
    assert "wolomin: Urząd Miejski w Wołominie" in output
    DEMO_OUTPUT["first run"] = output
    # a second run changes nothing
    assert "already exists" in _satysfakcja(env, "demo", "--responses", str(DEMO_RESPONSES))
    app = create_app(sqlite_app_settings(f"sqlite:///{database}"))
    assert app.config["CELERY_TASK_ALWAYS_EAGER"] is True
    assert app.config["PLATFORM_DOMAIN"] == "localhost"
    yield app
    with app.app_context():
        db.engine.dispose()
    Path(database).unlink()


def test_demo_offices_show_the_short_and_the_full_survey_in_polish(embedded_app):
    # Wołomin asks the short template, Sierpc the full one: `make run` shows both
    for slug, office, title, other in (
        ("wolomin", "Urząd Miejski w Wołominie", "Ankieta krótka", "Ankieta satysfakcji klienta"),
        ("sierpc", "Urząd Miejski w Sierpcu", "Ankieta satysfakcji klienta", "Ankieta krótka"),
    ):
        page = embedded_app.test_client().get("/", base_url=f"http://{slug}.localhost:5000")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert office in html and title in html and other not in html


def test_landing_lists_the_demo_offices(embedded_app):
    html = (
        embedded_app.test_client().get("/", base_url="http://localhost:5000").get_data(as_text=True)
    )
    assert 'href="http://wolomin.localhost:5000/"' in html
    assert 'href="http://sierpc.localhost:5000/"' in html


def test_demo_offices_have_their_own_departments_and_responses(embedded_app):
    with embedded_app.app_context():
        offices = db.session.scalars(select(Tenant).order_by(Tenant.slug)).all()
        assert [o.slug for o in offices] == ["sierpc", "wolomin"]
        seen_departments = []
        for office in offices:
            with tenant_scope(office):
                count = db.session.scalar(select(func.count()).select_from(Response))
                assert count == DEMO_RESPONSES
                counted = db.session.scalar(
                    select(func.sum(ResponseCount.count)).where(
                        ResponseCount.question_key == RESPONSES_KEY
                    )
                )
                assert counted == DEMO_RESPONSES
                seen_departments.append(set(db.session.scalars(select(Department.name))))
        assert seen_departments[0] != seen_departments[1]


def test_wolomin_publishes_wyniki_i_zmiany_with_its_implemented_action_and_sierpc_does_not(
    embedded_app,
):
    client = embedded_app.test_client()
    wolomin = client.get("/wyniki", base_url="http://wolomin.localhost:5000")
    assert wolomin.status_code == 200
    html = wolomin.get_data(as_text=True)
    assert "Wyniki i zmiany" in html
    assert "Prostszy formularz wniosku" in html  # its implemented action, published
    assert "Drugie stanowisko obsługi" not in html  # in progress: never on the page
    assert client.get("/wyniki", base_url="http://sierpc.localhost:5000").status_code == 404


def test_orm_layer_alone_keeps_offices_apart(embedded_app):
    with embedded_app.app_context():
        wolomin, sierpc = (
            db.session.scalar(select(Tenant).where(Tenant.slug == slug))
            for slug in ("wolomin", "sierpc")
        )
        with tenant_scope(wolomin):
            tenant_ids = set(db.session.scalars(select(Response.tenant_id)))
            assert tenant_ids == {wolomin.id}
            assert set(db.session.scalars(select(Department.tenant_id))) == {wolomin.id}
        with tenant_scope(sierpc):
            assert set(db.session.scalars(select(Response.tenant_id))) == {sierpc.id}
        with pytest.raises(TenantNotSet):
            db.session.scalars(select(Response)).all()


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_sqlite_schema_matches_the_models(embedded_app):
    # SQLite's reflection skips expression indexes (uq_departments_tenant_id_lower_name); the
    # next test checks that one.
    with embedded_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, db.metadata) == []


def test_sqlite_has_the_case_insensitive_department_name_index(embedded_app):
    with embedded_app.app_context(), db.engine.connect() as connection:
        sql = connection.scalar(
            text("SELECT sql FROM sqlite_master WHERE name = 'uq_departments_tenant_id_lower_name'")
        )
    assert sql is not None and "UNIQUE INDEX" in sql and "lower(name)" in sql


def _post_form(client, path: str, base_url: str, **fields):
    page = client.get(path, base_url=base_url).get_data(as_text=True)
    return client.post(path, base_url=base_url, data={"csrf_token": csrf_token_of(page), **fields})


def test_demo_prints_the_panel_and_operator_logins(embedded_app):
    output = DEMO_OUTPUT["first run"]
    assert f"password for all: {demo.DEMO_PASSWORD}" in output
    assert "http://wolomin.localhost:5000/panel/  admin@wolomin.example" in output
    assert "http://sierpc.localhost:5000/panel/  analyst@sierpc.example" in output
    assert f"http://localhost:5000/operator/  {demo.DEMO_OPERATOR_EMAIL}" in output
    assert demo.DEMO_TOTP_SECRET in output
    assert "invitations and other messages: http://localhost:5000/dev/poczta" in output


def test_a_demo_admin_signs_in_at_their_office_and_nowhere_else(embedded_app):
    wolomin, sierpc = "http://wolomin.localhost:5000", "http://sierpc.localhost:5000"
    client = embedded_app.test_client()
    email = demo.demo_staff_email("admin", "wolomin")
    signed_in = _post_form(
        client, "/panel/login", wolomin, email=email, password=demo.DEMO_PASSWORD
    )
    assert signed_in.status_code == 302
    assert "Wyniki" in client.get("/panel/", base_url=wolomin).get_data(as_text=True)
    elsewhere = _post_form(
        embedded_app.test_client(), "/panel/login", sierpc, email=email, password=demo.DEMO_PASSWORD
    )
    assert elsewhere.status_code == 401


def test_the_demo_operator_signs_in_with_the_printed_totp_secret(embedded_app):
    apex = "http://localhost:5000"
    client = embedded_app.test_client()
    first = _post_form(
        client, "/operator/login", apex, email=demo.DEMO_OPERATOR_EMAIL, password=demo.DEMO_PASSWORD
    )
    assert first.status_code == 302
    code = pyotp.TOTP(demo.DEMO_TOTP_SECRET).now()
    assert _post_form(client, "/operator/login/kod", apex, code=code).status_code == 302
    assert client.get("/operator/", base_url=apex).status_code == 200


def test_the_demo_refuses_to_run_in_production(embedded_app, tmp_path):
    url = f"sqlite:///{tmp_path / 'production.sqlite'}"
    production = create_app({**sqlite_app_settings(url), "APP_ENV": "production"})
    result = production.test_cli_runner().invoke(args=["demo", "--responses", "1"])
    assert result.exit_code != 0
    assert "embedded mode only" in result.output
    assert "Demo logins" not in result.output


def test_the_demo_shows_a_complete_statement_in_wolomin_and_what_sierpc_still_lacks(embedded_app):
    client = embedded_app.test_client()
    wolomin = client.get("/deklaracja-dostepnosci", base_url="http://wolomin.localhost:5000")
    sierpc = client.get("/deklaracja-dostepnosci", base_url="http://sierpc.localhost:5000")
    assert "niepełna" not in wolomin.get_data(as_text=True)
    assert "Ta deklaracja jest niepełna" in sierpc.get_data(as_text=True)


def test_the_response_list_scores_filters_sorts_and_exports_on_sqlite(embedded_app):
    """The response's own score is SQL that SQLite runs too; a large export is made
    in-process (eager tasks) and ready on its page at once."""
    wolomin = "http://wolomin.localhost:5000"
    client = embedded_app.test_client()
    email = demo.demo_staff_email("admin", "wolomin")
    _post_form(client, "/panel/login", wolomin, email=email, password=demo.DEMO_PASSWORD)
    listed = client.get(
        "/panel/odpowiedzi?okres=last_12_months&sortuj=wynik&wynik_od=10,5", base_url=wolomin
    )
    assert listed.status_code == 200
    html = listed.get_data(as_text=True)
    scores = [
        float(s.replace(",", "."))
        for s in re.findall(r'<td class="results-score">([^<—]+)</td>', html)
    ]
    assert scores and scores == sorted(scores) and min(scores) >= 10.5

    embedded_app.config["EXPORT_BACKGROUND_THRESHOLD"] = 5
    # Other apps made in this process may have taken over as Celery's default, where shared
    # tasks go (a newcomer's process has the one app); the next test's ``app`` takes it back.
    embedded_app.extensions["celery"].set_current()
    embedded_app.extensions["celery"].set_default()
    try:
        asked = client.get("/panel/eksport.csv?okres=last_12_months", base_url=wolomin)
        assert asked.status_code == 303
        page = client.get(asked.headers["Location"], base_url=wolomin).get_data(as_text=True)
        assert "Plik jest gotowy." in page
        file = client.get(asked.headers["Location"] + "/plik", base_url=wolomin)
        assert file.get_data().startswith("\ufeffid;data;kanał;wydział;wynik".encode())
    finally:
        embedded_app.config["EXPORT_BACKGROUND_THRESHOLD"] = 20000


def test_a_drill_down_page_shows_its_breakdowns_on_sqlite(embedded_app):
    wolomin = "http://wolomin.localhost:5000"
    client = embedded_app.test_client()
    email = demo.demo_staff_email("admin", "wolomin")
    _post_form(client, "/panel/login", wolomin, email=email, password=demo.DEMO_PASSWORD)
    dashboard = client.get("/panel/?okres=last_12_months", base_url=wolomin).get_data(as_text=True)
    area = re.search(r'href="/panel/wyniki/obszar/([^"?]+)', dashboard).group(1)
    page = client.get(f"/panel/wyniki/obszar/{area}?okres=last_12_months", base_url=wolomin)
    assert page.status_code == 200
    assert "strona internetowa" in page.get_data(as_text=True)

    # Each dimension's groups come typed from its own part of the one statement, and each
    # dimension divides the same counts.
    with embedded_app.app_context():
        office = db.session.scalar(select(Tenant).where(Tenant.slug == "wolomin"))
        with tenant_scope(office):
            today = office.today()
            period = Filters(today - timedelta(days=729), today)
            keys = [k for k, q in drilldown.rated_questions().items() if q.area_key == area]
            rows = drilldown._grouped(period_counts(period, keys))
    groups: dict[str, set] = {"department_id": set(), "channel": set(), "month": set()}
    totals: dict[str, int] = dict.fromkeys(groups, 0)
    for dimension, _, _, group, _, count in rows:
        groups[dimension].add(group)
        totals[dimension] += count
    assert groups["month"] and all(isinstance(m, date) and m.day == 1 for m in groups["month"])
    assert all(isinstance(d, int) for d in groups["department_id"])
    assert "web" in groups["channel"]
    assert totals["month"] == totals["channel"] == totals["department_id"] > 0
