"""Fixtures: a real PostgreSQL database set up the way the README tells an operator to (owner
role runs migrations, the app connects as a role RLS binds), and factories for offices,
host-bound clients and complete survey submissions."""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg2
import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher, profiles
from celery import Celery
from celery.contrib.testing.worker import start_worker
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from saas_platform.app import create_app
from saas_platform.core import security
from saas_platform.core.caching import clear_all
from saas_platform.core.db import db
from saas_platform.core.roles import DATABASE_LEVEL_STATEMENTS, role_setup_sql
from saas_platform.core.security import limiter
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from saas_platform.onboarding import create_tenant

PG_HOST = os.environ.get("TEST_PGHOST", "127.0.0.1")
PG_SUPERUSER = os.environ.get("TEST_PGUSER", "postgres")
OWNER_ROLE = "satysfakcja_test_owner"
APP_ROLE = "satysfakcja_test_app"
PLATFORM_DOMAIN = "satysfakcja.test"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# The test app and the production processes the tests start encrypt secrets with this key.
SECRETS_KEY = Fernet.generate_key().decode()
# Every app this test process makes counts rate limits (the logins' and the survey's) under its
# own key prefix, so two runs, or two pytest-xdist workers, on one Redis never count or reset
# each other's. (The login limiter is one object per process and takes the storage of the
# latest app made: all of them must agree.)
# The least environment a production instance starts with (what load_settings requires).
PRODUCTION_SETTINGS = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://app@db/x",
    "REDIS_URL": "redis://r",
    "SECRET_KEY": "k",
    "SECRETS_KEY": SECRETS_KEY,
    "PLATFORM_DOMAIN": "example.pl",
    "MAIL_SERVER": "smtp",
    "MAIL_PORT": "25",
    "MAIL_DEFAULT_SENDER": "a@example.pl",
}
RATE_LIMIT_SETTINGS = {
    "RATELIMIT_STORAGE_URI": TEST_REDIS_URL,
    "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"LIMITS-tests-{uuid.uuid4().hex[:8]}"},
}

# The live server, Chromium and the demo platform of the browser tests.
pytest_plugins = ["tests.browser_fixtures"]

# What the app hashes passwords with; tests/core/test_security.py pins it down.
PRODUCTION_PASSWORD_HASHER = security._hasher


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its cheapest for the suite's hundreds of sign-ins: at production cost each hash
    and each check takes a good part of a second on a busy 2-core machine. A stored hash names
    its own parameters, so checking works either way (the topology's gunicorn included)."""
    security._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    security._hasher = PRODUCTION_PASSWORD_HASHER


def _superuser_connection(dbname: str):
    connection = psycopg2.connect(host=PG_HOST, user=PG_SUPERUSER, dbname=dbname)
    connection.autocommit = True
    return connection


# Any constant: the role setup of concurrent test processes (pytest-xdist workers) takes turns.
ROLE_SETUP_LOCK = 0x5A7E57


def _execute_tolerating_existing_roles(dbname: str, statements: list[str]) -> None:
    connection = _superuser_connection(dbname)
    with connection.cursor() as cursor:
        # Two processes creating the same role at once: one would fail on the unique index
        # rather than with DuplicateObject. Held until the connection closes.
        cursor.execute("SELECT pg_advisory_lock(%s)", (ROLE_SETUP_LOCK,))
        for statement in statements:
            # roles are cluster-wide and survive earlier runs
            with contextlib.suppress(psycopg2.errors.DuplicateObject):
                cursor.execute(statement)
    connection.close()


@dataclass(frozen=True)
class TestDatabase:
    name: str

    def url(self, role: str) -> str:
        return f"postgresql+psycopg2://{role}@{PG_HOST}/{self.name}"


@contextlib.contextmanager
def _fresh_database(suffix: str = "") -> Iterator[TestDatabase]:
    """A new database set up with ``role_setup_sql`` exactly as the README says; dropped after."""
    name = f"satysfakcja_test_{uuid.uuid4().hex[:8]}{suffix}"
    statements = role_setup_sql(OWNER_ROLE, APP_ROLE, name)
    _execute_tolerating_existing_roles("postgres", statements[:DATABASE_LEVEL_STATEMENTS])
    _execute_tolerating_existing_roles(name, statements[DATABASE_LEVEL_STATEMENTS:])
    yield TestDatabase(name)
    connection = _superuser_connection("postgres")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    connection.close()


@pytest.fixture(scope="session")
def database() -> Iterator[TestDatabase]:
    """The suite's database."""
    with _fresh_database() as created:
        yield created


@pytest.fixture
def empty_database() -> Iterator[TestDatabase]:
    """A database set up like the suite's, with no migration applied yet (for migration tests)."""
    with _fresh_database("_empty") as created:
        yield created


class MailBox:
    """What the in-process SMTP server received."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def wait_for(self, count: int = 1, timeout: float = 15.0) -> list[email.message.EmailMessage]:
        """Block until ``count`` messages arrived (mail goes through the Celery worker)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"expected {count} messages, got {len(self.messages)}"
        return self.messages


class SmtpServer:
    """A real SMTP server in-process, which a test may stop and start again (same port)."""

    def __init__(self, mailbox: MailBox):
        self.mailbox = mailbox
        with socket.socket() as probe:  # aiosmtpd needs a concrete port to check it started
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpServer(MailBox())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server) -> MailBox:
    if smtp_server.controller is None:  # a test that stopped it failed before starting it
        smtp_server.start()
    smtp_server.mailbox.messages.clear()
    return smtp_server.mailbox


def app_settings(database: TestDatabase, smtp_port: int) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SECRETS_KEY": SECRETS_KEY,
        "SQLALCHEMY_DATABASE_URI": database.url(APP_ROLE),
        "MIGRATIONS_DATABASE_URI": database.url(OWNER_ROLE),
        "PLATFORM_DOMAIN": PLATFORM_DOMAIN,
        "PUBLIC_PORT": "",
        "REDIS_URL": TEST_REDIS_URL,
        **RATE_LIMIT_SETTINGS,
        "CELERY_TASK_ALWAYS_EAGER": False,
        # Each test run has its own queue, so two runs on one machine never take each
        # other's tasks.
        "CELERY_TASK_DEFAULT_QUEUE": f"tests-{uuid.uuid4().hex[:8]}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_DEFAULT_SENDER": "ankieta@satysfakcja.test",
        "MAIL_SUPPRESS_SEND": False,  # Flask-Mail would swallow mail under TESTING
        "DEV_MAILBOX": "",  # the real SMTP server of the tests receives the mail
        # Test clients post a form right after opening it; tests of these guards set their own.
        "SURVEY_MIN_FILL_SECONDS": 0,
    }


def sqlite_app_settings(url: str) -> dict:
    """Settings of an embedded-mode app on a SQLite file, for tests beside the main app."""
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "MIGRATIONS_DATABASE_URI": url,
        "DEV_MAILBOX": url.removeprefix("sqlite:///") + ".poczta.json",
        "TESTING": True,
        **RATE_LIMIT_SETTINGS,
    }


@pytest.fixture(scope="session")
def migrated_app(database, smtp_server):
    app = create_app(app_settings(database, smtp_server.port))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        limiter.reset()  # this process's counters (they would expire by themselves)
        db.engine.dispose()


@pytest.fixture(scope="session")
def owner_engine(database, migrated_app):
    engine = create_engine(database.url(OWNER_ROLE))
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def celery_worker(migrated_app):
    """A real Celery worker (solo pool) consuming from the real Redis, in a thread."""
    celery = migrated_app.extensions["celery"]
    celery.control.purge()
    hostname = f"tests-{uuid.uuid4().hex[:8]}@localhost"
    with start_worker(
        celery, pool="solo", perform_ping_check=False, shutdown_timeout=30, hostname=hostname
    ):
        # Wait until this worker (not another test process's) answers on the broker, so the
        # first test's task is consumed.
        deadline = time.monotonic() + 30
        while not celery.control.ping(destination=[hostname], timeout=0.5):
            assert time.monotonic() < deadline, "the Celery worker did not start"
        yield


@pytest.fixture
def dead_broker():
    """A Celery app whose broker cannot be reached: a task sent through it
    (``dead_broker.tasks[task.name]``) is what the web sends while Redis is down, so ``enqueue``
    returns False and the row stays queued for the sweeper."""
    celery = Celery(
        "dead",
        set_as_current=False,
        broker="redis://127.0.0.1:1/0",
        broker_connection_retry=False,
        broker_connection_max_retries=0,
    )
    celery.conf.broker_transport_options = {"max_retries": 0, "socket_connect_timeout": 0.5}
    return celery


def wait_for_worker(in_office, office, model, row_id: int, load=(), timeout: float = 60.0):
    """The row a worker makes (a report, an export), once it is done or failed (or when
    ``timeout`` seconds have passed), detached, with its deferred columns ``load`` read."""
    deadline = time.monotonic() + timeout
    while True:
        with in_office(office):
            row = db.session.get(model, row_id)
            if row.status in ("done", "failed") or time.monotonic() > deadline:
                if load:
                    db.session.refresh(row, list(load))
                db.session.expunge(row)
                return row
        time.sleep(0.2)


def reset_platform(migrated_app, owner_engine) -> None:
    """Remove every office's rows and every rate-limit counter."""
    with owner_engine.begin() as connection:
        # Deleting the offices takes every row of theirs along (the foreign keys cascade, as
        # in an operator's offboarding). On tables this small it is ten times quicker than
        # TRUNCATE, which makes new files for every table and index, before every test.
        for table in ("tenants", "platform_operators", "platform_audit_entries"):
            connection.execute(text(f"DELETE FROM {table}"))
    clear_all()  # what this process remembers of the offices just deleted (no flush saw it)
    with migrated_app.app_context():
        limiter.reset()
    # Another app made in this process (the embedded-mode test) may have taken over as
    # Celery's default, which is where shared tasks are sent.
    migrated_app.extensions["celery"].set_current()
    migrated_app.extensions["celery"].set_default()


@pytest.fixture
def app(migrated_app, owner_engine, celery_worker):
    """The app, with every office's rows and every rate-limit counter removed before each test."""
    reset_platform(migrated_app, owner_engine)
    yield migrated_app


@dataclass(frozen=True)
class Office:
    id: int
    slug: str
    name: str

    @property
    def host(self) -> str:
        return f"{self.slug}.{PLATFORM_DOMAIN}"


@pytest.fixture
def make_office(app):
    """Factory: register an office (default survey and departments) and commit."""

    def make(slug: str, name: str | None = None, **details) -> Office:
        with app.app_context():
            tenant = create_tenant(slug, name or f"Urząd Gminy {slug.title()}", **details)
            db.session.commit()
            return Office(tenant.id, tenant.slug, tenant.name)

    return make


@pytest.fixture
def two_offices(make_office) -> tuple[Office, Office]:
    return make_office("wolomin", "Urząd Miejski w Wołominie"), make_office(
        "sierpc", "Urząd Miejski w Sierpcu"
    )


class HostClient:
    """A test client bound to one Host header."""

    def __init__(self, app, host: str):
        self.client = app.test_client()
        self.host = host

    def _headers(self, kwargs) -> dict:
        return {"Host": self.host, **kwargs.pop("headers", {})}

    def get(self, path: str = "/", **kwargs):
        return self.client.get(path, headers=self._headers(kwargs), **kwargs)

    def post(self, path: str = "/", **kwargs):
        return self.client.post(path, headers=self._headers(kwargs), **kwargs)

    def session_cookie(self) -> str:
        cookie = self.client.get_cookie("session", domain=self.host)
        assert cookie is not None, "no session cookie"
        return cookie.value

    def use_session_cookie(self, value: str) -> None:
        """Put a session cookie into this client by hand, as if copied from another browser."""
        self.client.set_cookie("session", value, domain=self.host)

    def survey_form(self, query: str = "") -> dict[str, str]:
        """GET the survey and return its hidden fields (csrf, submission key, version, channel)."""
        page = self.get("/" + query)
        assert page.status_code == 200, page.status_code
        html = page.get_data(as_text=True)
        return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


@pytest.fixture
def client_for(app):
    def make(host_or_office) -> HostClient:
        host = host_or_office.host if isinstance(host_or_office, Office) else host_or_office
        return HostClient(app, host)

    return make


COMPLETE_RATINGS = {
    "lokalizacja": "5", "oznakowanie": "4", "parking": "na", "strona_internetowa": "3",
    "czystosc": "5", "wyglad_pracownikow": "5", "godziny_otwarcia": "4",
    "czytelnosc_formularzy": "2", "zaangazowanie": "5", "szacunek": "5", "wiedza": "4",
    "pelna_informacja": "4", "wyjasnianie": "5", "zrozumialy_jezyk": "5", "uprzejmosc": "5",
    "pomoc": "4", "czas_oczekiwania": "1", "szybkosc_obslugi": "3", "informacja_o_terminie": "4",
    "dotrzymanie_terminu": "4", "obiektywizm": "5", "zgodnosc_z_prawem": "5",
    "przejrzystosc": "4", "dokladnosc": "4", "ogolna_satysfakcja": "4",
}  # fmt: skip


@pytest.fixture
def complete_answers():
    """Factory: a complete, valid set of answers to the default survey (form field -> value)."""

    def make(department_id: int | None = None, comment: str = "Zażółć gęślą jaźń.") -> dict:
        fields = {f"q-{key}": value for key, value in COMPLETE_RATINGS.items()}
        fields.update(
            {
                "q-cel_wizyty": "wniosek",
                "q-wlasciwy_pracownik": "tak",
                "q-czestotliwosc": "kilka_razy_w_roku",
                "q-wiek": "41_60",
                "q-kanal_kontaktu": ["osobiscie", "epuap"],
                "q-komentarz": comment,
            }
        )
        if department_id is not None:
            fields["q-wydzial"] = str(department_id)
        return fields

    return make


@pytest.fixture
def in_office(app):
    """Context manager factory: an app context working for one office."""
    from contextlib import contextmanager

    @contextmanager
    def scope(office: Office):
        with app.app_context():
            tenant = db.session.get(Tenant, office.id)
            with tenant_scope(tenant):
                yield tenant

    return scope


STAFF_PASSWORD = "Bardzo-tajne-hasło-2026"


@pytest.fixture
def make_staff(in_office):
    """Factory: a staff member of ``office`` with a password set; returns the e-mail."""
    from tenants.accounts import services as staff

    def make(office: Office, role: str = "admin", email: str | None = None, departments=()) -> str:
        email = email or f"{role}@{office.slug}.example"
        with in_office(office):
            user, _ = staff.invite(email, role, department_ids=departments)
            staff.set_password(user, STAFF_PASSWORD)
            db.session.commit()
        return email

    return make


def csrf_token_of(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def logged_in(client_for, make_staff):
    """Factory: a client on the office's host, signed in as a new staff member."""

    def make(
        office: Office, role: str = "admin", email: str | None = None, departments=()
    ) -> HostClient:
        email = make_staff(office, role, email, departments)
        client = client_for(office)
        token = csrf_token_of(client.get("/panel/login").get_data(as_text=True))
        response = client.post(
            "/panel/login", data={"csrf_token": token, "email": email, "password": STAFF_PASSWORD}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        client.email = email
        return client

    return make
