"""Layers 1 and 2 of tenant isolation, and the hook that feeds layer 3.

- ``current_tenant`` / ``tenant_scope``: the one office a request or task works for.
- ORM hook: every SELECT/UPDATE/DELETE touching a ``TenantScoped`` model gets
  ``tenant_id = <current office>``; with no office set, the query is refused.
- Flush guard: new or changed tenant rows must belong to the current office.
- Database setting: before the first statement of a transaction that touches tenant tables,
  PostgreSQL gets ``app.tenant_id`` (transaction-local, so it never leaks through the pool),
  which the row-level-security policies read. Statements that touch no tenant table (the host
  lookup, a cached survey page) cost no extra round trip. Raw SQL on tenant tables calls
  ``ensure_tenant_setting`` first; forgetting it fails closed (RLS shows no rows).

The single escape hatch is the execution option ``cross_tenant="<reason>"``; each use is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar, cast

from flask import g, has_app_context
from sqlalchemy import event, text
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    SessionTransaction,
    UOWTransaction,
    with_loader_criteria,
)
from sqlalchemy.sql.elements import ClauseElement, TextClause
from sqlalchemy.sql.util import find_tables
from werkzeug.local import LocalProxy

from saas_platform.core.db import TenantScoped, db

if TYPE_CHECKING:
    from saas_platform.core.tenancy.models import Tenant

# An office, or None for no office; ``tenant_scope`` hands back what it was given.
_TenantOrNone = TypeVar("_TenantOrNone", bound="Tenant | None")

log = logging.getLogger(__name__)


class TenantNotSet(RuntimeError):
    """A tenant-scoped query ran with no office set."""


class CrossTenantWrite(RuntimeError):
    """A row of one office was about to be written while working for another."""


def _get_current_tenant() -> Tenant | None:
    return g.get("tenant") if has_app_context() else None


current_tenant = LocalProxy(_get_current_tenant)


def current_tenant_id() -> int | None:
    """The id of the office the current request or task works for, or None."""
    return g.get("tenant_id") if has_app_context() else None


def set_current_tenant(tenant: Tenant | None, slug: str | None = None) -> None:
    """Make ``tenant`` (or None) the office of this app context. The database hears of it
    before the next statement on a tenant table (``ensure_tenant_setting``). The slug is kept
    for the log lines (read now, so that logging never loads an expired row)."""
    g.tenant = tenant
    g.tenant_id = tenant.id if tenant is not None else None
    g.tenant_slug = slug if slug is not None or tenant is None else tenant.slug
    session = db.session()
    if tenant is None and session.info.get(_APPLIED) is not None and session.in_transaction():
        ensure_tenant_setting(session)  # clear it now: raw SQL must not see the old office


@contextmanager
def tenant_scope(tenant: _TenantOrNone) -> Iterator[_TenantOrNone]:
    """Work for ``tenant`` inside the block (CLI commands, tasks, tests), then restore."""
    previous, previous_slug = g.get("tenant"), g.get("tenant_slug")
    set_current_tenant(tenant)
    try:
        yield tenant
    finally:
        set_current_tenant(previous, previous_slug)


_APPLIED = "app.tenant_id applied"


TENANT_SETTING_SQL = "SELECT set_config('app.tenant_id', :app_tenant_id, true); "


def ensure_tenant_setting(session: Session | None = None) -> None:
    """Give the current PostgreSQL transaction the current office, if it does not have it."""
    session = session if session is not None else db.session()
    setting = tenant_setting_ahead(session)
    if setting is not None:
        session.connection().execute(text(TENANT_SETTING_SQL), setting)


def tenant_setting_ahead(session: Session | None = None) -> dict[str, str] | None:
    """The parameters of ``TENANT_SETTING_SQL`` when the current transaction still needs the
    current office, or None (it has it already, or this is not PostgreSQL). Counts as applied
    from here on; if the setting fails, the transaction is aborted with it. Raw SQL on a hot
    path sends the setting ahead of its own statement, in the same round trip."""
    session = session if session is not None else db.session()
    tenant_id = current_tenant_id()
    applied = session.info.get(_APPLIED)
    if applied is None and tenant_id is None:
        return None  # a new transaction starts with the setting empty: nothing to clear
    if applied is not None and applied[0] is session.get_transaction() and applied[1] == tenant_id:
        return None
    connection = session.connection()  # begins the transaction the setting belongs to
    session.info[_APPLIED] = (session.get_transaction(), tenant_id)
    if connection.dialect.name != "postgresql":
        return None
    return {"app_tenant_id": "" if tenant_id is None else str(tenant_id)}


@event.listens_for(Session, "after_transaction_end")
def _forget_setting(session: Session, transaction: SessionTransaction) -> None:
    applied = session.info.get(_APPLIED)
    if applied is not None and applied[0] is transaction:
        del session.info[_APPLIED]


def _touches_tenant_data(state: ORMExecuteState) -> bool:
    # The tables themselves, not ``state.all_mappers``: an entity named only in
    # ``select_from()`` or in a subquery is not among the mappers, but its table is here.
    # Every executable statement is a ClauseElement; ``state.statement`` is typed wider.
    statement = cast(ClauseElement, state.statement)
    tables = find_tables(statement, include_aliases=True, include_joins=True, include_crud=True)
    return any("tenant_id" in table.c for table in tables if hasattr(table, "c"))


@event.listens_for(Session, "do_orm_execute")
def _scope_query_to_tenant(state: ORMExecuteState) -> None:
    if isinstance(state.statement, TextClause):
        return  # raw SQL names no tables to scope: its caller sets the office (see above)
    reason = state.execution_options.get("cross_tenant")
    if reason:
        log.info("cross-tenant query: %s", reason)
        return
    touches_tenant_data = _touches_tenant_data(state)
    if touches_tenant_data:
        ensure_tenant_setting(state.session)
    if not (state.is_select or state.is_update or state.is_delete):
        return
    tenant_id = current_tenant_id()
    if tenant_id is None:
        if touches_tenant_data:
            raise TenantNotSet("a tenant-scoped query ran with no office set")
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    )


@event.listens_for(Session, "before_flush")
def _guard_tenant_writes(
    session: Session, flush_context: UOWTransaction, instances: Sequence[object] | None
) -> None:
    tenant_id = current_tenant_id()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, TenantScoped):
            continue
        if tenant_id is not None:
            ensure_tenant_setting(session)
        if tenant_id is None:
            raise TenantNotSet(f"writing {obj!r} with no office set")
        if obj.tenant_id is None and obj in session.new:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise CrossTenantWrite(f"{obj!r} belongs to office {obj.tenant_id}, not {tenant_id}")
