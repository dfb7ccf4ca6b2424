"""Commands for whoever runs the platform: ``satysfakcja config check`` (the effective settings,
secrets masked, whether the database, Redis and SMTP answer, and whether SECRETS_KEY decrypts
the stored secrets) and ``satysfakcja queues``
(what waits in the broker and in which state the reports are)."""

from __future__ import annotations

import os
import re
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import click
import redis
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import SQLAlchemyError

import saas_platform.operator.models  # noqa: F401  (its tables hold encrypted columns)
from config import REPO_ROOT, ConfigurationError, load_settings
from saas_platform.core.db import db, utcnow
from saas_platform.core.queues import broker_client, queue_lengths, queue_names, unacknowledged
from saas_platform.core.secrets_box import (
    GENERATE_KEY_COMMAND,
    key_ring,
    placeholder_keys,
    unreadable_secrets,
)

SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN")
URL_PASSWORD = re.compile(r"(?P<head>://[^/@:]*:)[^/@]*@")
MASK = "********"
MIN_SECRET_KEY_LENGTH = 32
CHECKS = ("database", "redis", "mail", "secrets")
# A check that reads the database is not run when the database check failed (one problem, once).
CHECK_NEEDS = {"secrets": "database"}


def masked(name: str, value):
    """A setting as it may be printed: secrets hidden, passwords cut out of URLs."""
    if value in ("", None):
        return value
    if SECRET_NAME.search(name):
        return MASK
    if isinstance(value, str):
        return URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", value)
    return value


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def _app_engine(settings: Mapping) -> Engine:
    """An engine on the application role's URL that gives up connecting after 5 seconds."""
    url = settings["SQLALCHEMY_DATABASE_URI"]
    connect_args = {"connect_timeout": 5} if url.startswith("postgresql") else {}
    return create_engine(url, connect_args=connect_args)


def _reason(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _check_database(settings: Mapping) -> CheckResult:
    engine = _app_engine(settings)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            applied = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        return CheckResult("database", False, f"not answering: {_reason(exc)}")
    finally:
        engine.dispose()
    alembic_config = AlembicConfig()
    alembic_config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    heads = set(ScriptDirectory.from_config(alembic_config).get_heads())
    if applied != heads:
        return CheckResult(
            "database",
            False,
            f"schema out of date (at {', '.join(sorted(applied)) or 'none'}, "
            f"newest migration {', '.join(sorted(heads))}): run `satysfakcja db upgrade`",
        )
    return CheckResult("database", True, f"answers, migrations current ({', '.join(heads)})")


def _check_redis(settings: Mapping) -> CheckResult:
    url = settings.get("REDIS_URL")
    if not url:
        return CheckResult("Redis", True, "not configured: tasks run in-process")
    try:
        broker_client(url).ping()
    except redis.RedisError as exc:
        return CheckResult("Redis", False, f"not answering ({masked('REDIS_URL', url)}): {exc}")
    return CheckResult("Redis", True, "answers")


def _check_mail(settings: Mapping) -> CheckResult:
    host, port = settings.get("MAIL_SERVER"), settings.get("MAIL_PORT")
    if not host:
        return CheckResult("mail (SMTP)", True, "not configured: messages go to the log")
    try:
        with smtplib.SMTP(host, port, timeout=5) as smtp:
            code, _ = smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return CheckResult("mail (SMTP)", False, f"{host}:{port} not answering: {exc}")
    if code != 250:
        return CheckResult("mail (SMTP)", False, f"{host}:{port} answers with code {code}")
    return CheckResult("mail (SMTP)", True, f"{host}:{port} answers")


def _check_secrets(settings: Mapping) -> CheckResult:
    """SECRETS_KEY (well-formed: ``load_settings`` refuses it otherwise) decrypts every stored
    secret, read as the application role reads them."""
    ring = key_ring(settings["SECRETS_KEY"])
    keys = len(settings["SECRETS_KEY"].split(","))
    engine = _app_engine(settings)
    try:
        with engine.connect() as connection:
            unreadable, stored = unreadable_secrets(connection, db.metadata, ring)
    except SQLAlchemyError as exc:
        return CheckResult("stored secrets", False, f"cannot be read: {_reason(exc)}")
    finally:
        engine.dispose()
    if unreadable:
        return CheckResult(
            "stored secrets",
            False,
            f"{unreadable} of {stored} cannot be decrypted with SECRETS_KEY ({keys} key(s)): "
            "add the key that encrypted them after the newest, then run "
            "`satysfakcja operators rotate-secrets`",
        )
    return CheckResult(
        "stored secrets", True, f"SECRETS_KEY ({keys} key(s)) decrypts all {stored} of them"
    )


CHECK_FUNCTIONS: dict[str, Callable[[Mapping], CheckResult]] = {
    "database": _check_database,
    "redis": _check_redis,
    "mail": _check_mail,
    "secrets": _check_secrets,
}


def setting_problems(settings: Mapping) -> list[str]:
    """What is wrong with the settings themselves, before anything is connected to."""
    problems = []
    if settings["APP_ENV"] == "production" and len(settings["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters: use a long random "
            "key (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
        )
    if settings["APP_ENV"] == "production":
        problems.extend(
            f"SECRETS_KEY: key {position} decodes to readable text (an example value or the "
            f"embedded default), not to random bytes; generate one with: {GENERATE_KEY_COMMAND}"
            for position in placeholder_keys(settings["SECRETS_KEY"])
        )
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    # the processes create it when missing; they must be able to write there
    writable = (
        directory if directory and os.path.exists(directory) else os.path.dirname(directory or "")
    )
    if directory and not (os.path.isdir(writable) and os.access(writable, os.W_OK)):
        problems.append(f"PROMETHEUS_MULTIPROC_DIR={directory}: not writable.")
    return problems


@click.group("config", help="The platform's settings.")
def config_group() -> None:
    pass


@config_group.command("check")
@click.option(
    "--only",
    type=click.Choice(CHECKS),
    multiple=True,
    help="Check only this connection (may be repeated).",
)
@click.pass_context
def config_check(ctx: click.Context, only: tuple[str, ...]) -> None:
    """Print the effective settings (secrets masked) and check the database, Redis, SMTP and
    that SECRETS_KEY decrypts the stored secrets.

    Exits with status 1 and names every problem when something is wrong.
    """
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        ctx.exit(1)
    click.echo(f"Settings (APP_ENV={settings['APP_ENV']}):")
    for name in sorted(settings):
        click.echo(f"  {name} = {masked(name, settings[name])!r}")
    problems = setting_problems(settings)
    click.echo("Connections:")
    failed = set()
    for check in only or CHECKS:
        if CHECK_NEEDS.get(check) in failed:
            click.echo(f"  {check}: not checked: the {CHECK_NEEDS[check]} check failed")
            continue
        result = CHECK_FUNCTIONS[check](settings)
        click.echo(f"  {result.name}: {'OK' if result.ok else 'ERROR'}: {result.detail}")
        if not result.ok:
            failed.add(check)
            problems.append(f"{result.name}: {result.detail}")
    if problems:
        click.echo(f"Problems ({len(problems)}):", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        ctx.exit(1)
    click.echo("Configuration OK.")


def _age(moment: datetime, now: datetime) -> str:
    seconds = int((now - moment).total_seconds())
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours} h {minutes} min {seconds} s" if hours else f"{minutes} min {seconds} s"


@click.command("queues")
@with_appcontext
@click.pass_context
def queues_command(ctx: click.Context) -> None:
    """Show the Celery queues in Redis and the reports by status (queued, running, failed)."""
    from saas_platform.core.tenancy import tenant_scope
    from saas_platform.core.tenancy.models import Tenant
    from tenants.reports.services import status_summary

    celery = current_app.extensions["celery"]
    broker_ok = True
    redis_url = current_app.config.get("REDIS_URL")
    if celery.conf.task_always_eager or not redis_url:
        click.echo("Celery queues: no broker, tasks run in-process.")
    else:
        click.echo(f"Celery queues ({masked('REDIS_URL', redis_url)}):")
        try:
            client = broker_client(redis_url)
            for queue, length in queue_lengths(client, queue_names(celery)).items():
                click.echo(f"  {queue}: {length} waiting")
            click.echo(f"  taken by workers, not acknowledged yet: {unacknowledged(client)}")
        except redis.RedisError as exc:
            broker_ok = False
            click.echo(f"  Redis not answering: {exc}", err=True)

    totals = {status: 0 for status in ("queued", "running", "failed", "done")}
    oldest: tuple[datetime, str] | None = None
    try:
        for office in db.session.scalars(select(Tenant).order_by(Tenant.slug)).all():
            with tenant_scope(office):
                for status, (count, first_queued) in status_summary().items():
                    totals[status] = totals.get(status, 0) + count
                    if status == "queued" and (oldest is None or first_queued < oldest[0]):
                        oldest = (first_queued, office.slug)
    except SQLAlchemyError as exc:
        click.echo(f"Could not read the reports from the database: {_reason(exc)}", err=True)
        ctx.exit(1)
    finally:
        db.session.rollback()
    click.echo("Reports: " + ", ".join(f"{status} {count}" for status, count in totals.items()))
    if oldest is not None:
        click.echo(f"Oldest queued: {_age(oldest[0], utcnow())} ({oldest[1]})")
    else:
        click.echo("Oldest queued: no report is queued")
    if not broker_ok:
        ctx.exit(1)
