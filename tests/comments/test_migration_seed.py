"""Migration 0033 gives every office that exists before it the starting topic list, each
office its own rows, under row-level security; an office with no staff or data still gets it."""

from __future__ import annotations

import psycopg2
from flask_migrate import upgrade

from saas_platform.app import create_app
from saas_platform.core.db import db
from tenants.comments.models import DEFAULT_TOPICS
from tests.conftest import APP_ROLE, OWNER_ROLE, PG_HOST, app_settings


def test_offices_existing_before_the_migration_get_the_starting_topic_list(
    empty_database, smtp_server
):
    app = create_app(app_settings(empty_database, smtp_server.port))
    owner = psycopg2.connect(host=PG_HOST, user=OWNER_ROLE, dbname=empty_database.name)
    reader = psycopg2.connect(host=PG_HOST, user=APP_ROLE, dbname=empty_database.name)
    try:
        with app.app_context():
            upgrade(revision="0021")
        offices = {}
        with owner, owner.cursor() as cursor:
            for slug in ("wolomin", "sierpc"):
                cursor.execute(
                    "INSERT INTO tenants (slug, name, status, created_at) "
                    "VALUES (%s, %s, 'active', now()) RETURNING id",
                    (slug, f"Urząd {slug}"),
                )
                offices[slug] = cursor.fetchone()[0]
        with app.app_context():
            upgrade(revision="0033")
        with reader, reader.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM comment_topics")
            assert cursor.fetchone() == (0,)  # no office set: nothing
        for office_id in offices.values():
            with reader, reader.cursor() as cursor:
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", (str(office_id),))
                cursor.execute("SELECT tenant_id, name FROM comment_topics ORDER BY position")
                rows = cursor.fetchall()
            assert rows == [(office_id, name) for name in DEFAULT_TOPICS]
    finally:
        owner.close()
        reader.close()
        with app.app_context():
            db.engine.dispose()
