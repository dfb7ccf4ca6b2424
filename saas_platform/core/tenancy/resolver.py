"""Host -> office, once per request, in ``before_request``.

``<slug>.<PLATFORM_DOMAIN>`` finds the office by its slug; any other host is looked up among
custom domains. The apex is the platform itself. Anything else is a 404: never a default office.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import abort, current_app, g, request
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from saas_platform.core.caching import BoundedCache, invalidate_on
from saas_platform.core.db import db
from saas_platform.core.tenancy.isolation import set_current_tenant
from saas_platform.core.tenancy.models import Tenant, TenantDomain

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
        owner: int | None = db.session.scalar(text("SELECT tenant_for_host(:host)"), {"host": host})
        return owner
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
    ttl = _resident_cache_seconds()
    tenant = _remembered_tenant(host) if ttl else None
    if tenant is None:
        tenant = find_tenant_for_host(host, platform_domain) if host else None
        if tenant is None:
            abort(404)
        if ttl:
            _remember_tenant(host, tenant, ttl)
    g.site = "tenant"
    set_current_tenant(tenant)


# The residents' pages are the hot path: every survey answer is a request. They find their
# office in a per-process cache of host -> the office's columns for SURVEY_PAGE_CACHE_SECONDS
# (the same bound as the blank-page micro-cache), so a POST costs no lookup round trip. This
# process forgets at once when it flushes a change to an office or a domain (the flush hook of
# saas_platform.core.caching; an area whose changes move the office's columns, as the survey's
# move its survey revision, adds its own models); another process may show a change that late.
# Staff and operator pages always read the office afresh.
_RESIDENT_BLUEPRINTS = frozenset({"survey", "banner", "results"})
offices_by_host: BoundedCache[str, dict[str, Any]] = BoundedCache("offices by host")
invalidate_on((Tenant, TenantDomain), offices_by_host)


def _resident_cache_seconds() -> float:
    endpoint = request.endpoint or ""
    if endpoint != "index" and endpoint.partition(".")[0] not in _RESIDENT_BLUEPRINTS:
        return 0
    seconds: float = current_app.config["SURVEY_PAGE_CACHE_SECONDS"]
    return seconds


def _remember_tenant(host: str, tenant: Tenant, ttl: float) -> None:
    loaded = inspect(tenant).dict  # the loaded columns; the deferred logo stays out
    columns = {
        attr.key: loaded[attr.key] for attr in inspect(Tenant).column_attrs if attr.key in loaded
    }
    offices_by_host.put(host, _copied(columns), ttl)


def _remembered_tenant(host: str) -> Tenant | None:
    """The office remembered for ``host``, as a persistent instance of this request's
    session, made without a query (missing attributes load on first use, as usual)."""
    columns = offices_by_host.get(host)
    if columns is None:
        return None
    session = db.session()
    present: Tenant | None = session.identity_map.get(Session.identity_key(Tenant, columns["id"]))
    if present is not None:
        return present
    tenant = inspect(Tenant).class_manager.new_instance()
    for key, value in _copied(columns).items():
        set_committed_value(tenant, key, value)  # as if loaded: nothing to flush
    make_transient_to_detached(tenant)
    session.add(tenant)
    return tenant


def _copied(columns: dict[str, Any]) -> dict[str, Any]:
    """A copy no request can change for the next one (the JSON columns hold lists)."""
    return {k: copy.deepcopy(v) if isinstance(v, list | dict) else v for k, v in columns.items()}


def require_tenant_site() -> None:
    """Blueprint guard: office pages exist only on an office's host."""
    if g.get("site") != "tenant":
        abort(404)


def require_platform_site() -> None:
    """Blueprint guard: platform pages exist only on the apex host."""
    if g.get("site") != "platform":
        abort(404)
