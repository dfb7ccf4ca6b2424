"""The database connection dies under the app (a PostgreSQL restart does this to every
connection): the request that meets it gets a clean 503 page, and the app recovers by itself."""

from __future__ import annotations

import time

import psycopg2
from sqlalchemy import text

from saas_platform.core.db import db, release_session
from tests.conftest import APP_ROLE, PG_HOST, PG_SUPERUSER


def _kill_app_connections(database) -> int:
    connection = psycopg2.connect(host=PG_HOST, user=PG_SUPERUSER, dbname=database.name)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE usename = %s AND datname = %s AND pid <> pg_backend_pid()",
            (APP_ROLE, database.name),
        )
        killed = cursor.fetchone()[0]
    connection.close()
    return killed


def test_dead_connection_gives_503_then_the_app_recovers(
    app, database, two_offices, client_for, monkeypatch
):
    monkeypatch.setitem(app.config, "SURVEY_PAGE_CACHE_SECONDS", 0)  # every GET reads the database
    client = client_for(two_offices[0])
    assert client.get("/").status_code == 200
    assert _kill_app_connections(database) >= 1
    first = client.get("/")  # the pooled connection was used a moment ago: no ping, it fails
    assert first.status_code == 503
    html = first.get_data(as_text=True)
    assert "Serwis chwilowo niedostępny" in html and "Traceback" not in html
    assert client.get("/").status_code == 200


def test_idle_dead_connection_is_replaced_before_use(
    app, database, two_offices, client_for, monkeypatch
):
    monkeypatch.setitem(app.config, "SURVEY_PAGE_CACHE_SECONDS", 0)
    client = client_for(two_offices[0])
    assert client.get("/").status_code == 200
    assert _kill_app_connections(database) >= 1
    time.sleep(app.config["DB_IDLE_PING_SECONDS"] + 0.2)
    assert client.get("/").status_code == 200


def test_a_connection_dropped_under_an_open_transaction_ends_the_request_cleanly(
    app, database, two_offices, client_for
):
    with app.test_request_context("/"):
        db.session.execute(text("SELECT 1"))  # a transaction is open on a pooled connection
        assert _kill_app_connections(database) >= 1  # PostgreSQL restarting drops it
        # The app's teardown: the rollback on that connection fails (a plain session.close(),
        # Flask-SQLAlchemy's teardown, raises OperationalError here); nothing escapes.
        release_session()
    assert client_for(two_offices[0]).get("/").status_code == 200
