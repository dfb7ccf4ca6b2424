"""The operator console: two-factor sign-in, onboarding, suspension, custom domains,
offboarding that leaves nothing behind, and the wall between the console and the offices."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import psycopg2
import pyotp
import pytest
from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.security import hash_password
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.services import suggest_slug
from saas_platform.operator import services
from saas_platform.operator.models import OperatorSetupLink, PlatformAuditEntry, PlatformOperator
from tenants.audit.models import AuditEntry
from tests.conftest import PG_HOST, PG_SUPERUSER, PLATFORM_DOMAIN, STAFF_PASSWORD, csrf_token_of

OPERATOR_PASSWORD = "Operator-hasło-bardzo-długie-1"


def _post(client, path, **fields):
    token = csrf_token_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


@pytest.fixture
def make_operator(app):
    """Factory: an enrolled operator; returns (email, TOTP secret)."""

    def make(email: str = "operator@platforma.example") -> tuple[str, str]:
        secret = pyotp.random_base32()
        with app.app_context():
            db.session.add(
                PlatformOperator(
                    email=email, password_hash=hash_password(OPERATOR_PASSWORD), totp_secret=secret
                )
            )
            db.session.commit()
        return email, secret

    return make


@pytest.fixture
def operator(make_operator, client_for):
    """A client on the apex, signed in as an operator with both factors."""
    email, secret = make_operator()
    client = client_for(PLATFORM_DOMAIN)
    assert (
        _post(client, "/operator/login", email=email, password=OPERATOR_PASSWORD).status_code == 302
    )
    assert _post(client, "/operator/login/kod", code=pyotp.TOTP(secret).now()).status_code == 302
    return client


def test_cli_creates_an_operator_who_enrols_totp_through_the_one_time_link(app, client_for):
    result = app.test_cli_runner().invoke(args=["operators", "create", "Nowy@Platforma.example"])
    assert result.exit_code == 0, result.output
    link = re.search(r"http://satysfakcja\.test(/operator/konfiguracja/\S+)", result.output).group(
        1
    )
    client = client_for(PLATFORM_DOMAIN)
    page = client.get(link).get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page  # the QR code
    with app.app_context():
        secret = db.session.scalar(select(OperatorSetupLink.pending_totp_secret))
    assert secret in page
    wrong = _post(
        client, link, password=OPERATOR_PASSWORD, confirm=OPERATOR_PASSWORD, code="000000"
    )
    assert "Kod z aplikacji uwierzytelniającej jest nieprawidłowy." in wrong.get_data(as_text=True)
    done = _post(
        client,
        link,
        password=OPERATOR_PASSWORD,
        confirm=OPERATOR_PASSWORD,
        code=pyotp.TOTP(secret).now(),
    )
    assert done.status_code == 302
    assert client_for(PLATFORM_DOMAIN).get(link).status_code == 404  # spent
    with app.app_context():
        operator = db.session.scalar(select(PlatformOperator))
        assert operator.email == "nowy@platforma.example" and operator.is_enrolled


def test_no_operator_gets_in_without_the_second_factor(make_operator, client_for):
    email, secret = make_operator()
    client = client_for(PLATFORM_DOMAIN)
    assert (
        _post(client, "/operator/login", email=email, password=OPERATOR_PASSWORD).status_code == 302
    )
    assert client.get("/operator/").status_code == 302  # password alone opens nothing
    assert _post(client, "/operator/login/kod", code="123456").status_code == 401
    assert client.get("/operator/").status_code == 302
    code = pyotp.TOTP(secret).now()
    assert _post(client, "/operator/login/kod", code=code).status_code == 302
    assert client.get("/operator/").status_code == 200
    # the same code does not open a second session
    other = client_for(PLATFORM_DOMAIN)
    _post(other, "/operator/login", email=email, password=OPERATOR_PASSWORD)
    assert _post(other, "/operator/login/kod", code=code).status_code == 401


def test_wrong_password_and_unenrolled_operator_are_refused(app, make_operator, client_for):
    email, _ = make_operator()
    client = client_for(PLATFORM_DOMAIN)
    assert (
        _post(client, "/operator/login", email=email, password="zle-haslo-operatora").status_code
        == 401
    )
    with app.app_context():  # password set, second factor never enrolled
        db.session.add(
            PlatformOperator(
                email="bez-2fa@platforma.example", password_hash=hash_password(OPERATOR_PASSWORD)
            )
        )
        db.session.commit()
    response = _post(
        client, "/operator/login", email="bez-2fa@platforma.example", password=OPERATOR_PASSWORD
    )
    assert response.status_code == 401


def test_staff_cannot_reach_the_console_on_any_host(two_offices, logged_in, client_for):
    wolomin, _ = two_offices
    staff = logged_in(wolomin)
    assert staff.get("/operator/").status_code == 404  # the console does not exist on office hosts
    apex = client_for(PLATFORM_DOMAIN)
    apex.use_session_cookie(staff.session_cookie())
    assert apex.get("/operator/").status_code == 302  # a staff session means nothing here
    assert (
        _post(apex, "/operator/login", email=staff.email, password=STAFF_PASSWORD).status_code
        == 401
    )


def test_an_operator_session_means_nothing_on_an_office_host(two_offices, operator, client_for):
    office = client_for(two_offices[0])
    office.use_session_cookie(operator.session_cookie())
    response = office.get("/panel/")
    assert response.status_code == 302 and "/panel/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Wołomin", "wolomin"),
        ("Łódź", "lodz"),
        ("Góra Kalwaria", "gora-kalwaria"),
        ("Środa Śląska", "sroda-slaska"),
        ("Żółkiewka", "zolkiewka"),
        ("  Końskie  ", "konskie"),
        ("Urząd Gminy Nowa Wieś Ełcka", "urzad-gminy-nowa-wies-elcka"),
    ],
)
def test_slug_is_suggested_with_polish_letters_transliterated(name, slug):
    assert suggest_slug(name) == slug


def test_onboarding_gives_a_working_office_end_to_end(app, operator, client_for, mailbox):
    form = {
        "name": "Urząd Miasta i Gminy Góra Kalwaria",
        "municipality": "Góra Kalwaria",
        "slug": "",
        "teryt": "1405034",
        "contact_email": "urzad@gorakalwaria.example",
        "admin_email": "sekretarz@gorakalwaria.example",
        "departments": "Biuro Obsługi Mieszkańców\nUrząd Stanu Cywilnego",
        "template": "full",  # the full survey asks for the department (the short one does not)
    }
    suggestion = _post(operator, "/operator/urzedy/nowy", **form)
    assert suggestion.status_code == 200
    assert 'value="gora-kalwaria"' in suggestion.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Tenant).where(Tenant.slug == "gora-kalwaria")) is None
    created = _post(operator, "/operator/urzedy/nowy", **{**form, "slug": "gora-kalwaria"})
    assert created.status_code == 302
    survey = client_for(f"gora-kalwaria.{PLATFORM_DOMAIN}").get("/")
    assert survey.status_code == 200
    html = survey.get_data(as_text=True)
    assert "Urząd Miasta i Gminy Góra Kalwaria" in html and "Urząd Stanu Cywilnego" in html
    message = mailbox.wait_for(1)[0]
    assert message["X-Envelope-To"] == "sekretarz@gorakalwaria.example"
    assert (
        f"http://gora-kalwaria.{PLATFORM_DOMAIN}/panel/haslo/"
        in message.get_body(("plain",)).get_content()
    )
    with app.app_context():
        actions = list(db.session.scalars(select(PlatformAuditEntry.action)))
        assert "office.create" in actions and "operator.login" in actions


@pytest.mark.parametrize(
    ("slug", "message"), [("www", "zarezerwowany"), ("wolomin", "zajęty"), ("-zly-", "małe litery")]
)
def test_onboarding_refuses_bad_slugs(operator, two_offices, slug, message):
    form = {
        "name": "Urząd",
        "municipality": "Gmina",
        "slug": slug,
        "admin_email": "a@b.pl",
        "departments": "A",
    }
    response = _post(operator, "/operator/urzedy/nowy", **form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_suspension_shows_residents_the_unavailable_page_and_staff_why(
    app, operator, two_offices, logged_in, client_for, in_office
):
    wolomin, sierpc = two_offices
    staff = logged_in(wolomin)
    office_page = operator.get("/operator/urzedy/wolomin").get_data(as_text=True)
    assert "/operator/urzedy/wolomin/zawieszenie" in office_page
    # the button opens a confirmation step; nothing is suspended by looking at it
    confirm = operator.get("/operator/urzedy/wolomin/zawieszenie")
    assert confirm.status_code == 200 and "Powód zawieszenia" in confirm.get_data(as_text=True)
    assert client_for(wolomin).get("/").status_code == 200
    reason = "Umowa wygasła 31 grudnia; czekamy na aneks."
    done = _post(operator, "/operator/urzedy/wolomin/zawieszenie", reason=f"  {reason} ")
    assert done.status_code == 302
    assert client_for(wolomin).get("/").status_code == 503
    assert client_for(sierpc).get("/").status_code == 200
    banner = html.unescape(staff.get("/panel/").get_data(as_text=True))
    assert "Operator platformy zawiesił ankietę" in banner and reason in banner
    assert reason not in html.unescape(logged_in(sierpc).get("/panel/").get_data(as_text=True))
    with in_office(wolomin) as tenant:
        assert (tenant.status, tenant.suspension_reason) == ("suspended", reason)
        [office_entry] = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "office.suspend")
        ).all()
        assert office_entry.after == {"reason": reason}
    with in_office(sierpc):
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert "office.suspend" not in actions

    # reactivation asks for a confirmation too
    confirm = operator.get("/operator/urzedy/wolomin/wznowienie").get_data(as_text=True)
    assert "Przywrócić ankietę" in confirm and reason in html.unescape(confirm)
    assert client_for(wolomin).get("/").status_code == 503
    assert _post(operator, "/operator/urzedy/wolomin/wznowienie").status_code == 302
    assert client_for(wolomin).get("/").status_code == 200
    assert "zawiesił" not in staff.get("/panel/").get_data(as_text=True)
    with in_office(wolomin) as tenant:
        assert (tenant.status, tenant.suspension_reason) == ("active", "")
    with app.app_context():
        logged = db.session.scalars(
            select(PlatformAuditEntry).order_by(PlatformAuditEntry.id)
        ).all()
        actions = [(e.action, e.office_slug, e.details.get("reason")) for e in logged]
    assert ("office.suspend", "wolomin", reason) in actions
    assert ("office.reactivate", "wolomin", reason) in actions


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Podaj powód zawieszenia"),
        ("   \n  ", "Podaj powód zawieszenia"),
        ("x" * 501, "najwyżej 500 znaków"),
        ("zły\x00znak", "Powód zawieszenia"),
    ],
)
def test_suspension_without_a_proper_reason_is_refused_with_a_message(
    app, operator, two_offices, client_for, in_office, reason, message
):
    wolomin, _ = two_offices
    refused = _post(operator, "/operator/urzedy/wolomin/zawieszenie", reason=reason)
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert message in page and "Ankiety nie zawieszono." in page
    assert client_for(wolomin).get("/").status_code == 200
    with in_office(wolomin) as tenant:
        assert (tenant.status, tenant.suspension_reason) == ("active", "")
    with app.app_context():
        assert (
            db.session.scalars(
                select(PlatformAuditEntry).where(PlatformAuditEntry.action == "office.suspend")
            ).all()
            == []
        )


def test_the_old_one_click_status_route_is_gone(operator, two_offices, client_for):
    token = csrf_token_of(operator.get("/operator/urzedy/wolomin").get_data(as_text=True))
    response = operator.post(
        "/operator/urzedy/wolomin/stan", data={"csrf_token": token, "status": "suspended"}
    )
    assert response.status_code in (404, 405)
    assert client_for(two_offices[0]).get("/").status_code == 200


def test_the_created_office_flash_does_not_repeat_urzad(operator, two_offices):
    form = {
        "name": "Urząd Miasta i Gminy Góra Kalwaria",
        "municipality": "Góra Kalwaria",
        "slug": "gora-kalwaria",
        "admin_email": "admin@gorakalwaria.pl",
        "departments": "Sekretariat",
    }
    response = _post(operator, "/operator/urzedy/nowy", **form)
    assert response.status_code == 302
    page = html.unescape(operator.get(response.location).get_data(as_text=True))
    assert "Urząd Miasta i Gminy Góra Kalwaria działa pod adresem" in page
    assert "Urząd Urząd" not in page


def test_custom_domain_is_added_served_and_removed(
    app, operator, two_offices, client_for, in_office
):
    token = csrf_token_of(operator.get("/operator/urzedy/wolomin").get_data(as_text=True))
    operator.post(
        "/operator/urzedy/wolomin/domeny", data={"csrf_token": token, "host": "Ankieta.Wolomin.PL"}
    )
    assert two_offices[0].name in client_for("ankieta.wolomin.pl").get("/").get_data(as_text=True)
    page = operator.get("/operator/urzedy/wolomin").get_data(as_text=True)
    assert "ankieta.wolomin.pl" in page and "CNAME" in page
    # the same domain cannot serve a second office, nor a malformed one be added
    operator.post(
        "/operator/urzedy/sierpc/domeny", data={"csrf_token": token, "host": "ankieta.wolomin.pl"}
    )
    operator.post(
        "/operator/urzedy/sierpc/domeny", data={"csrf_token": token, "host": "nie domena"}
    )
    with in_office(two_offices[1]):
        assert services.domains_of(db.session.get(Tenant, two_offices[1].id)) == []
    domain_id = re.search(r"/operator/urzedy/wolomin/domeny/(\d+)/usun", page).group(1)
    operator.post(f"/operator/urzedy/wolomin/domeny/{domain_id}/usun", data={"csrf_token": token})
    assert client_for("ankieta.wolomin.pl").get("/").status_code == 404


def test_console_lists_counts_never_responses(operator, two_offices, client_for, complete_answers):
    wolomin, _ = two_offices
    client = client_for(wolomin)
    for _ in range(3):
        form = {
            **client.survey_form("?kanal=banner"),
            **complete_answers(comment="Tajny komentarz mieszkańca"),
        }
        assert client.post("/", data=form).status_code == 303
    listing = operator.get("/operator/?q=woło&sort=adres").get_data(as_text=True)
    assert "Urząd Miejski w Wołominie" in listing and "Urząd Miejski w Sierpcu" not in listing
    row = re.search(r"Urząd Miejski w Wołominie.*?</tr>", listing, re.S).group(0)
    assert "<td>3</td>" in row
    detail = operator.get("/operator/urzedy/wolomin").get_data(as_text=True)
    for page in (listing, detail):
        assert "Tajny komentarz" not in page


def test_offboarding_exports_everything_then_deletes_every_row(
    app, database, operator, two_offices, client_for, complete_answers, make_staff
):
    wolomin, sierpc = two_offices
    make_staff(wolomin)
    client = client_for(wolomin)
    form = {**client.survey_form(), **complete_answers(comment="Komentarz do archiwum")}
    assert client.post("/", data=form).status_code == 303

    archive = operator.get("/operator/urzedy/wolomin/eksport")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        names = set(zipped.namelist())
        assert {"odpowiedzi.csv", "odpowiedzi.xlsx", "ustawienia.json"} <= names
        assert "Komentarz do archiwum" in zipped.read("odpowiedzi.csv").decode("utf-8-sig")
        settings = json.loads(zipped.read("ustawienia.json"))
        assert settings["office"]["slug"] == "wolomin" and settings["staff"][0]["role"] == "admin"

    token = csrf_token_of(operator.get("/operator/urzedy/wolomin").get_data(as_text=True))
    operator.post(
        "/operator/urzedy/wolomin/usun", data={"csrf_token": token, "confirm_slug": "sierpc"}
    )
    assert client_for(wolomin).get("/").status_code == 200  # wrong slug typed: nothing deleted
    operator.post(
        "/operator/urzedy/wolomin/usun", data={"csrf_token": token, "confirm_slug": "wolomin"}
    )
    assert client_for(wolomin).get("/").status_code == 404
    assert client_for(sierpc).get("/").status_code == 200

    connection = psycopg2.connect(
        host=PG_HOST, user=PG_SUPERUSER, dbname=database.name
    )  # bypasses RLS
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE column_name = 'tenant_id' AND table_schema = 'public'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f"SELECT count(*) FROM {table} WHERE tenant_id = %s", (wolomin.id,))
            assert cursor.fetchone() == (0,), table
            cursor.execute(f"SELECT count(*) FROM {table} WHERE tenant_id = %s", (sierpc.id,))
            if table in ("departments", "survey_versions", "survey_questions"):
                assert cursor.fetchone()[0] > 0, table
        cursor.execute("SELECT count(*) FROM tenants WHERE id = %s", (wolomin.id,))
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT action FROM platform_audit_entries WHERE office_slug = 'wolomin' ORDER BY id"
        )
        assert [a for (a,) in cursor.fetchall()][-2:] == ["office.export", "office.delete"]
    connection.close()


def test_platform_audit_log_pages_and_survives_an_absurd_page_number(operator):
    page = operator.get("/operator/dziennik").get_data(as_text=True)
    assert "Logowanie operatora" in page and "operator.login" not in page
    assert operator.get("/operator/dziennik?strona=99999999999999999999").status_code == 200


def test_an_office_overview_counts_this_year_by_the_office_calendar(
    two_offices, in_office, monkeypatch
):
    """Half an hour past midnight on New Year's Day in Warsaw it is still 31 December in UTC:
    the overview's "this year" is the office's new year, not the server's old one."""
    from datetime import UTC, date, datetime

    from saas_platform.core.tenancy import models as tenancy_models
    from tenants.survey.counts import add_counts
    from tenants.survey.definition import live_version_id
    from tenants.survey.models import NO_DEPARTMENT, RESPONSES_KEY

    wolomin, sierpc = two_offices
    with in_office(wolomin) as tenant:
        version_id = live_version_id()
        key = (version_id, RESPONSES_KEY, NO_DEPARTMENT, "web")
        add_counts(tenant.id, {(*key, date(2026, 12, 31), ""): 3, (*key, date(2027, 1, 1), ""): 2})
        db.session.commit()
    new_years_night = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 in Warsaw
    monkeypatch.setattr(tenancy_models, "utcnow", lambda: new_years_night)
    with in_office(wolomin) as tenant:
        overview = services.office_overview(tenant)
        assert (overview.responses_this_year, overview.responses_last_30_days) == (2, 5)
    with in_office(sierpc) as tenant:
        assert services.office_overview(tenant).responses_this_year == 0
