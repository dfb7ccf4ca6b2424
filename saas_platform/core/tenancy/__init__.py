"""Tenancy: which office a request or task works for, and the guards that keep offices apart."""

from saas_platform.core.tenancy.isolation import (
    CrossTenantWrite,
    TenantNotSet,
    current_tenant,
    current_tenant_id,
    ensure_tenant_setting,
    tenant_scope,
)

__all__ = [
    "CrossTenantWrite",
    "TenantNotSet",
    "current_tenant",
    "current_tenant_id",
    "ensure_tenant_setting",
    "tenant_scope",
]
