"""The operator's commands and the settings they start from."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from config import PRODUCTION_REQUIRED, ConfigurationError, load_settings
from saas_platform.app import create_app
from saas_platform.cli import main
from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from tests.conftest import SECRETS_KEY, sqlite_app_settings

PRODUCTION_ENV = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://app@db/satysfakcja",
    "REDIS_URL": "redis://redis:6379/0",
    "SECRET_KEY": "s3cret",
    "SECRETS_KEY": SECRETS_KEY,
    "PLATFORM_DOMAIN": "SatysfakcjaKlienta.online",
    "MAIL_SERVER": "smtp.example",
    "MAIL_PORT": "587",
    "MAIL_DEFAULT_SENDER": "ankieta@satysfakcjaklienta.online",
}


def test_tenants_create_serves_the_new_office_at_once(app, two_offices, client_for):
    result = app.test_cli_runner().invoke(
        args=["tenants", "create", "radzymin", "--name", "Urząd Miasta i Gminy Radzymin"]
    )
    assert result.exit_code == 0, result.output
    assert "radzymin.satysfakcja.test" in result.output
    page = client_for("radzymin.satysfakcja.test").get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Urząd Miasta i Gminy Radzymin" in html
    assert "Wizerunek Urzędu" in html
    listing = app.test_cli_runner().invoke(args=["tenants", "list"])
    assert "radzymin\tactive\tUrząd Miasta i Gminy Radzymin" in listing.output
    assert "Total: 3" in listing.output


@pytest.mark.parametrize(
    ("slug", "message"),
    [("www", "zarezerwowany"), ("wolomin", "zajęty"), ("Zła_nazwa", "małe litery")],
)
def test_tenants_create_refuses_bad_slugs_clearly(app, two_offices, slug, message):
    result = app.test_cli_runner().invoke(args=["tenants", "create", slug, "--name", "Urząd"])
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.query(Tenant).count() == 2


def test_db_roles_prints_the_role_setup(app):
    result = app.test_cli_runner().invoke(args=["db", "roles", "--database", "satysfakcja"])
    assert result.exit_code == 0
    assert "NOSUPERUSER" in result.output and "NOBYPASSRLS" in result.output
    assert "\\connect satysfakcja" in result.output


def test_production_settings_refuse_to_start_without_required_values():
    with pytest.raises(ConfigurationError) as error:
        load_settings({"APP_ENV": "production"})
    for name in PRODUCTION_REQUIRED:
        assert name in str(error.value)


def test_production_settings_name_the_single_missing_value():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_settings(env)


def test_production_settings_when_complete():
    settings = load_settings(PRODUCTION_ENV)
    assert settings["APP_ENV"] == "production"
    assert settings["PLATFORM_DOMAIN"] == "satysfakcjaklienta.online"
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg2://")
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CELERY_TASK_ALWAYS_EAGER"] is False
    assert "SESSION_COOKIE_DOMAIN" not in settings


def test_embedded_default_needs_no_environment():
    settings = load_settings({})
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert settings["PLATFORM_DOMAIN"] == "localhost"
    assert settings["CELERY_TASK_ALWAYS_EAGER"] is True


def test_console_script_reports_missing_production_settings_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "-c", "from saas_platform.cli import main; main()", "tenants", "list"],
        env={"APP_ENV": "production", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "needs these environment variables" in result.stderr
    assert "Traceback" not in result.stderr


# The CLI speaks English throughout, like Flask's and Flask-Migrate's own commands beside it
# (run, shell, routes, db upgrade), whose help cannot be translated.
POLISH_LETTERS = re.compile("[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")


def _is_ours(command: click.Command) -> bool:
    """A command of the platform's (not Flask's or Flask-Migrate's), or a group holding one."""
    if isinstance(command, click.Group):
        return any(_is_ours(sub) for sub in command.commands.values())
    return (command.callback.__module__ or "").startswith(("saas_platform", "tenants", "workers"))


def _our_command_paths(ctx: click.Context) -> Iterator[tuple[str, ...]]:
    def walk(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield path
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                if _is_ours(sub):
                    yield from walk(sub, (*path, name))

    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        if _is_ours(command):
            yield from walk(command, (name,))


def test_every_command_of_ours_has_english_help(tmp_path):
    app = create_app(sqlite_app_settings(f"sqlite:///{tmp_path / 'help.sqlite'}"))
    script_info = ScriptInfo(create_app=lambda: app)
    with click.Context(main, obj=script_info) as ctx:
        paths = list(_our_command_paths(ctx))
    expected = {
        ("tenants", "create"), ("tenants", "list"), ("reports", "generate"),
        ("operators", "create"), ("demo",), ("config", "check"), ("queues",), ("db", "roles"),
    }  # fmt: skip
    assert expected <= set(paths), paths
    for path in [(), *paths]:
        result = CliRunner().invoke(main, [*path, "--help"], obj=script_info)
        assert result.exit_code == 0, (path, result.output)
        assert not POLISH_LETTERS.search(result.output), (path, result.output)
