"""Migrations are reviewed like code: one head, and models and migrations never drift."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate

from saas_platform.core.db import db


def test_there_is_a_single_alembic_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_and_migrations_do_not_drift_on_postgresql(app, owner_engine):
    with owner_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_migrate_extension_points_at_the_repo_migrations(app):
    migrate: Migrate = app.extensions["migrate"].migrate
    assert migrate.directory.endswith("migrations")
