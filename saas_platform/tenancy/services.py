"""Registering offices."""

from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import func, select

from saas_platform.db import db
from saas_platform.tenancy.isolation import tenant_scope
from saas_platform.tenancy.models import Tenant

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    {
        "www", "admin", "api", "static", "operator", "operatorzy", "mail", "smtp", "imap",
        "pop", "panel", "app", "assets", "cdn", "status", "help", "pomoc", "docs", "blog",
        "auth", "login", "logowanie", "ankieta", "demo", "test", "dev", "staging", "localhost",
        "platform", "platforma", "support", "root", "ftp", "ns1", "ns2", "mx", "webmail",
    }
)  # fmt: skip


class InvalidSlug(ValueError):
    """The slug cannot name an office; the message says why, in Polish."""


class DuplicateSlug(InvalidSlug):
    """Another office already uses this slug."""


def validate_slug(slug: str) -> str:
    """Return the slug if it can name a new office, else raise ``InvalidSlug``."""
    if not 2 <= len(slug) <= 63:
        raise InvalidSlug("Adres musi mieć od 2 do 63 znaków.")
    if not SLUG_PATTERN.match(slug):
        raise InvalidSlug(
            "Adres może zawierać tylko małe litery a–z, cyfry i myślniki, "
            "bez myślnika na początku i na końcu."
        )
    if slug in RESERVED_SLUGS:
        raise InvalidSlug(f"Adres „{slug}” jest zarezerwowany.")
    if db.session.scalar(select(func.count()).where(Tenant.slug == slug)):
        raise DuplicateSlug(f"Adres „{slug}” jest już zajęty.")
    return slug


def platform_url(path: str = "/") -> str:
    """The public address of a page on the apex host (landing page, operator console)."""
    config = current_app.config
    port = f":{config['PUBLIC_PORT']}" if config.get("PUBLIC_PORT") else ""
    return f"{config['PREFERRED_URL_SCHEME']}://{config['PLATFORM_DOMAIN']}{port}{path}"


def office_url(tenant: Tenant, path: str = "/") -> str:
    """The public address of a page of the office, for links in e-mails and on the landing
    page: ``<scheme>://<slug>.<PLATFORM_DOMAIN>[:PUBLIC_PORT]<path>``."""
    config = current_app.config
    port = f":{config['PUBLIC_PORT']}" if config.get("PUBLIC_PORT") else ""
    return (
        f"{config['PREFERRED_URL_SCHEME']}://{tenant.slug}.{config['PLATFORM_DOMAIN']}{port}{path}"
    )


def create_tenant(
    slug: str, name: str, departments: list[str] | None = None, **details: str
) -> Tenant:
    """Register an office with the default survey template and the given departments (the
    template's list when None). Flushes only."""
    from tenants.survey.template import install_default_survey

    validate_slug(slug)
    name = name.strip()
    if not name or len(name) > 200:
        raise ValueError("Nazwa urzędu jest wymagana (najwyżej 200 znaków).")
    tenant = Tenant(slug=slug, name=name, **details)
    db.session.add(tenant)
    db.session.flush()
    with tenant_scope(tenant):
        install_default_survey(tenant, departments)
    return tenant
