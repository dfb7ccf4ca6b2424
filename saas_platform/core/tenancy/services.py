"""Office addresses: the rules for a slug, and the public URLs of the apex and of an office."""

from __future__ import annotations

import re
import unicodedata

from flask import current_app
from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant

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

    def __init__(self, slug: str) -> None:
        super().__init__(f"Adres „{slug}” jest już zajęty.")


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
        raise DuplicateSlug(slug)
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


POLISH_LETTERS = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def suggest_slug(text: str) -> str:
    """A subdomain from a place name: "Wołomin" -> "wolomin", "Góra Kalwaria" -> "gora-kalwaria"."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(POLISH_LETTERS))
    ascii_text = "".join(ch for ch in ascii_text if not unicodedata.combining(ch)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:63].rstrip("-")


def office_title(name: str) -> str:
    """An office's name to open a sentence with: "Urząd Miejski w Wołominie" as it is, a name
    that does not start with "Urząd" ("Gminy Sierpc") after the word "Urząd"."""
    return name if name.split(" ", 1)[0].casefold() == "urząd" else f"Urząd {name}"
