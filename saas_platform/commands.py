"""The platform's own commands, registered on the app's CLI (``satysfakcja`` or ``flask``)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate.cli import db as db_commands
from sqlalchemy import func, select

from saas_platform import staffing
from saas_platform.core.db import db, utcnow
from saas_platform.core.dispatch import enqueue
from saas_platform.core.roles import DATABASE_LEVEL_STATEMENTS, role_setup_sql
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.services import office_url, platform_url
from saas_platform.onboarding import onboard_office
from saas_platform.operations import queues_command
from tenants.accounts.models import ROLES
from tenants.accounts.services import StaffError
from tenants.accounts.tasks import send_staff_link
from tenants.survey.template import NEW_OFFICE_TEMPLATE, TEMPLATES


@db_commands.command("roles")
@click.option(
    "--owner",
    default="satysfakcja_owner",
    show_default=True,
    help="The role that owns the tables and runs the migrations.",
)
@click.option(
    "--app",
    "app_role",
    default="satysfakcja_app",
    show_default=True,
    help="The role the application connects as (bound by row-level security).",
)
@click.option("--database", default="satysfakcja", show_default=True, help="The database name.")
def print_role_sql(owner: str, app_role: str, database: str) -> None:
    """Print the SQL that creates the owner and application roles (run it as a superuser)."""
    statements = role_setup_sql(owner, app_role, database)
    for statement in statements[:DATABASE_LEVEL_STATEMENTS]:
        click.echo(statement + ";")
    click.echo(f"\\connect {database}")
    for statement in statements[DATABASE_LEVEL_STATEMENTS:]:
        click.echo(statement + ";")


tenants = AppGroup("tenants", help="Offices on the platform.")


@tenants.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The office's full name, as residents will see it.")
@click.option("--municipality", default="", help="The municipality (gmina) the office serves.")
@click.option("--teryt", default="", help="The municipality's 7-digit TERYT code.")
@click.option("--contact-email", default="", help="The office's contact e-mail address.")
@click.option(
    "--admin-email", default="", help="The first administrator, who gets an invitation by e-mail."
)
@click.option(
    "--template",
    type=click.Choice(list(TEMPLATES)),
    default=NEW_OFFICE_TEMPLATE,
    show_default=True,
    help="The survey the office starts with: short (8 questions) or full (32 questions).",
)
def create_tenant_command(
    slug: str,
    name: str,
    municipality: str,
    teryt: str,
    contact_email: str,
    admin_email: str,
    template: str,
):
    """Register an office; its survey works at once at SLUG.<PLATFORM_DOMAIN>."""
    try:
        tenant, link = onboard_office(
            None,
            name,
            slug.strip().lower(),
            municipality=municipality,
            teryt=teryt,
            contact_email=contact_email,
            admin_email=admin_email,
            template=template,
        )
    except ValueError as exc:  # a slug, a TERYT code, a name or an address refused
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created: {tenant.name} → {tenant.slug}.{current_app.config['PLATFORM_DOMAIN']}")
    if link is not None:
        enqueue(send_staff_link, token_id=link.token_id, tenant_id=tenant.id)
        click.echo(f"Invitation sent to the administrator: {admin_email.strip().lower()}")


@tenants.command("list")
def list_tenants() -> None:
    """List the offices: slug, status and name."""
    rows = db.session.execute(select(Tenant.slug, Tenant.status, Tenant.name).order_by(Tenant.slug))
    for slug, status, name in rows:
        click.echo(f"{slug}\t{status}\t{name}")
    total = db.session.scalar(select(func.count()).select_from(Tenant))
    click.echo(f"Total: {total}")


@click.command("demo")
@with_appcontext
@click.option("--responses", default=2500, show_default=True, help="Demo responses per office.")
@click.option(
    "--seed", default=2019, show_default=True, help="The same seed makes the same responses."
)
def demo_command(responses: int, seed: int) -> None:
    """Create the demo offices (wolomin, sierpc) with demo responses and demo logins
    (embedded mode only)."""
    from saas_platform import demo

    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException(
            "The demo data and its known passwords are for the embedded mode only; "
            "this is a production instance (APP_ENV=production)."
        )
    offices = []
    for tenant, created in demo.create_demo_offices(responses, seed):
        state = f"created, {responses} responses" if created else "already exists"
        click.echo(f"{tenant.slug}: {tenant.name} ({state})")
        offices.append(tenant)
    demo.ensure_demo_operator()
    db.session.commit()
    click.echo(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
    for tenant in offices:
        panel = office_url(tenant, "/panel/")
        for role in demo.demo_roles(tenant.slug):
            click.echo(f"  {panel}  {demo.demo_staff_email(role, tenant.slug)}")
    click.echo(
        f"  {platform_url('/operator/')}  {demo.DEMO_OPERATOR_EMAIL}, "
        f"authenticator code from the TOTP secret {demo.DEMO_TOTP_SECRET}:"
    )
    click.echo(
        '    .venv/bin/python -c "import pyotp; '
        f"print(pyotp.TOTP('{demo.DEMO_TOTP_SECRET}').now())\""
    )
    click.echo(
        f"\nMail is not sent in this mode; invitations and other messages: "
        f"{platform_url('/dev/poczta')}"
    )


staff_group = AppGroup("staff", help="An office's staff accounts.")


def _office_or_fail(slug: str) -> Tenant:
    tenant = staffing.office_by_slug(slug)
    if tenant is None:
        raise click.ClickException(f"No office with the slug {slug!r} (see: tenants list).")
    return tenant


@staff_group.command("invite")
@click.option("--tenant", "slug", required=True, help="The office's slug (its subdomain).")
@click.option("--email", required=True, help="The new member's e-mail address.")
@click.option(
    "--role",
    required=True,
    help=f"The member's role: {', '.join(ROLES)} (analysts read results and reports; "
    "managers those of their departments).",
)
@click.option("--name", default="", help="The member's name, as the panel shows it.")
@click.option(
    "--department",
    "department_ids",
    type=int,
    multiple=True,
    help="A manager's department id (repeat for several; see: staff departments).",
)
def invite_staff_command(
    slug: str, email: str, role: str, name: str, department_ids: tuple[int, ...]
) -> None:
    """Invite a member of an office's staff; the invitation link goes by e-mail."""
    tenant = _office_or_fail(slug)
    try:
        invitation = staffing.invite_member(
            None, None, tenant, email, role, name, department_ids=department_ids
        )
    except StaffError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.english} Nothing was changed.") from exc
    db.session.commit()
    enqueue(send_staff_link, token_id=invitation.link.token_id, tenant_id=tenant.id)
    click.echo(
        f"Invited {invitation.email} as {role} to {tenant.slug}; the invitation is e-mailed."
    )
    if not current_app.config.get("MAIL_SERVER") and current_app.config.get("DEV_MAILBOX"):
        click.echo(f"Embedded mode: read it at {platform_url('/dev/poczta')}")


@staff_group.command("departments")
@click.option("--tenant", "slug", required=True, help="The office's slug (its subdomain).")
def list_departments_command(slug: str) -> None:
    """List an office's departments (id and name): what --department of a manager takes."""
    for department_id, name in staffing.departments_of(_office_or_fail(slug)).items():
        click.echo(f"{department_id}\t{name}")


@staff_group.command("list")
@click.option("--tenant", "slug", required=True, help="The office's slug (its subdomain).")
def list_staff_command(slug: str) -> None:
    """List an office's staff: e-mail, role, state (active, invited, inactive) and name."""
    tenant = _office_or_fail(slug)
    members = staffing.members_of(tenant)
    for member in members:
        if not member.is_active:
            state = "inactive"
        else:
            state = "active" if member.password_hash else "invited"
        click.echo(f"{member.email}\t{member.role}\t{state}\t{member.name}")
    click.echo(f"Total: {len(members)}")


@staff_group.command("deactivate")
@click.option("--tenant", "slug", required=True, help="The office's slug (its subdomain).")
@click.option("--email", required=True, help="The member's e-mail address.")
def deactivate_staff_command(slug: str, email: str) -> None:
    """Deactivate a member's account; every session of theirs ends at once."""
    tenant = _office_or_fail(slug)
    try:
        deactivated = staffing.deactivate_member(None, None, tenant, email)
    except StaffError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.english} Nothing was changed.") from exc
    db.session.commit()
    click.echo(f"{deactivated} at {tenant.slug} is inactive.")


reports = AppGroup("reports", help="Office reports.")


@reports.command("generate")
@click.option("--tenant", "slug", required=True, help="The office's slug (its subdomain).")
@click.option(
    "--from",
    "date_from",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="The period's first day.",
)
@click.option(
    "--to",
    "date_to",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="The period's last day.",
)
@click.option(
    "--department",
    "department_id",
    type=int,
    default=None,
    help="One department's id (default: all departments).",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The PDF file to write.",
)
@click.option(
    "--html",
    "html_out",
    default=None,
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the accessible HTML edition to this file.",
)
def generate_report(
    slug: str, date_from, date_to, department_id: int | None, out: str, html_out: str | None
) -> None:
    """Write a report PDF synchronously (the same PDF the workers make), and with --html its
    accessible HTML edition."""
    from tenants.reports.html_edition import build_editions
    from tenants.reports.pdf import ReportRequest
    from tenants.reports.services import ReportError, validate_period

    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"No office with the slug {slug!r}.")
    start, end = date_from.date(), date_to.date()
    with tenant_scope(tenant):
        try:
            validate_period(start, end, department_id, today=tenant.today())
        except ReportError as exc:
            raise click.ClickException(str(exc)) from exc
        editions = build_editions(
            tenant, ReportRequest(start, end, department_id), generated_at=utcnow()
        )
    with open(out, "wb") as fh:
        fh.write(editions.pdf)
    click.echo(f"Wrote {out} ({len(editions.pdf)} bytes).")
    if html_out:
        with open(html_out, "w", encoding="utf-8") as fh:
            fh.write(editions.html)
        click.echo(f"Wrote {html_out} ({len(editions.html.encode('utf-8'))} bytes).")


operators = AppGroup("operators", help="Platform operators.")


@operators.command("create")
@click.argument("email")
def create_operator_command(email: str) -> None:
    """Create an operator and print the one-time link to set a password and enrol TOTP."""
    from saas_platform.operator import services as operator_services

    try:
        operator, signed = operator_services.create_operator(email)
    except operator_services.OperatorError as exc:
        raise click.ClickException(str(exc)) from exc
    operator_services.record(None, "operator.create", email=operator.email)
    db.session.commit()
    click.echo(f"Created operator {operator.email}.")
    click.echo("One-time link to set a password and enrol an authenticator app (valid 2 days):")
    click.echo(platform_url(f"/operator/konfiguracja/{signed}"))


@operators.command("rotate-secrets")
def rotate_secrets_command() -> None:
    """Re-encrypt every stored secret (operators' TOTP) with the newest key of SECRETS_KEY."""
    from saas_platform.core.secrets_box import SecretUnreadable, key_ring, rotate_stored_secrets
    from saas_platform.operator import services as operator_services

    ring = key_ring(current_app.config["SECRETS_KEY"])
    try:
        rotated = rotate_stored_secrets(db.session.connection(), db.metadata, ring)
    except SecretUnreadable as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    operator_services.record(None, "secrets.rotate", rotated=rotated)
    db.session.commit()
    click.echo(f"Re-encrypted {rotated} stored secret(s) with the first key of SECRETS_KEY.")
    click.echo("The older keys may be removed once every process runs with the new list.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(operators)
    app.cli.add_command(tenants)
    app.cli.add_command(reports)
    app.cli.add_command(staff_group)
    app.cli.add_command(demo_command)
    app.cli.add_command(queues_command)
