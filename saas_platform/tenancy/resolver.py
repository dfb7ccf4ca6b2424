"""Host -> office, once per request, in ``before_request``.

``<slug>.<PLATFORM_DOMAIN>`` finds the office by its slug; any other host is looked up among
custom domains. The apex is the platform itself. Anything else is a 404: never a default office.
"""

from __future__ import annotations

from flask import abort, current_app, g, request
from sqlalchemy import select, text

from saas_platform.db import db
from saas_platform.tenancy.isolation import set_current_tenant
from saas_platform.tenancy.models import Tenant, TenantDomain

# Paths served on every host, before and without any office.
HOST_INDEPENDENT_ENDPOINTS = frozenset(
    {"static", "health.healthz", "health.readyz", "metrics.scrape"}
)


def normalise_host(raw_host: str) -> str:
    """Lower-case the Host header and strip the port (IPv6 literals keep their brackets)."""
    host = raw_host.strip().lower().rstrip(".")
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def find_tenant_for_host(host: str, platform_domain: str) -> Tenant | None:
    """The office served at ``host``, or None. The apex is not an office."""
    suffix = "." + platform_domain
    if host.endswith(suffix):
        slug = host[: -len(suffix)]
        if not slug or "." in slug:
            return None
        return db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    tenant_id = _tenant_id_for_custom_domain(host)
    return db.session.get(Tenant, tenant_id) if tenant_id is not None else None


def _tenant_id_for_custom_domain(host: str) -> int | None:
    if not host or host.startswith("["):
        return None
    if db.session.get_bind().dialect.name == "postgresql":
        # tenant_domains is under row-level security like every tenant table; this
        # SECURITY DEFINER function answers exactly one question: which office owns this host.
        return db.session.scalar(text("SELECT tenant_for_host(:host)"), {"host": host})
    return db.session.scalar(
        select(TenantDomain.tenant_id)
        .where(TenantDomain.host == host)
        .execution_options(cross_tenant="resolve a custom domain")
    )


def resolve_tenant() -> None:
    """``before_request``: set ``g.site`` to "platform" or "tenant", or answer 404."""
    if request.endpoint in HOST_INDEPENDENT_ENDPOINTS:
        g.site = None
        return
    host = normalise_host(request.host or "")
    platform_domain = current_app.config["PLATFORM_DOMAIN"]
    if host == platform_domain:
        g.site = "platform"
        set_current_tenant(None)
        return
    tenant = find_tenant_for_host(host, platform_domain) if host else None
    if tenant is None:
        abort(404)
    g.site = "tenant"
    set_current_tenant(tenant)


def require_tenant_site() -> None:
    """Blueprint guard: office pages exist only on an office's host."""
    if g.get("site") != "tenant":
        abort(404)


def require_platform_site() -> None:
    """Blueprint guard: platform pages exist only on the apex host."""
    if g.get("site") != "platform":
        abort(404)
