"""Retention (RODO): an office may have its raw responses deleted after N years, and every
response keeps the time it was sent for 48 hours only. The daily task
(``tenants.survey.tasks.apply_retention``) calls these per office.

Only the raw rows go (answers, then their responses). The running counts stay, so the
dashboard and reports for old periods show the same numbers as before; comments of those
periods are gone with their responses.

Coarsening: after ``EXACT_TIME_KEPT`` a response's ``submitted_at`` becomes its office-local
day (``answered_on``) at 00:00 UTC, a date with no time of day. The exact time serves only the
anti-abuse checks (the burst window, ``BURST_WINDOW_MINUTES``), which look minutes back. The
counts and the monthly roll-up are keyed by ``answered_on``, which does not change, so no count
moves (and no trigger fires: nothing is written to the count tables).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, DateTime, cast, delete, func, select, update

from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant_id
from saas_platform.core.tenancy.isolation import ensure_tenant_setting
from saas_platform.core.tenancy.models import Tenant
from tenants.audit import services as audit
from tenants.survey.models import Answer, Response

EXACT_TIME_KEPT = timedelta(hours=48)


def date_only(day: date) -> datetime:
    """What a coarsened ``submitted_at`` holds: the office-local day, at 00:00 UTC."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def has_time_of_day(column: ColumnElement[datetime]) -> ColumnElement[bool]:
    """SQL: the timestamp is not at 00:00:00 UTC (it still says when in the day it was)."""
    if db.session.get_bind().dialect.name == "sqlite":  # stored as "YYYY-MM-DD HH:MM:SS.ffffff"
        return func.strftime("%H%M%f", column) != "000000.000"
    return func.mod(func.extract("epoch", column), 86400) != 0


def _start_of_day(day: ColumnElement[date]) -> ColumnElement[datetime]:
    """SQL: ``date_only`` of a date column (the day at 00:00 UTC), as each backend stores it."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.datetime(day)  # "YYYY-MM-DD 00:00:00"
    return func.timezone("UTC", cast(day, DateTime()))


def coarsen_batch(now: datetime, batch_size: int) -> int:
    """Reduce up to ``batch_size`` of the current office's responses sent more than
    ``EXACT_TIME_KEPT`` before ``now`` to their date; flushes only. Returns how many changed.
    One set-based UPDATE per batch (the first run on an upgraded instance meets every old
    response)."""
    ids = list(
        db.session.scalars(
            select(Response.id)
            .where(
                Response.submitted_at < now - EXACT_TIME_KEPT,
                has_time_of_day(Response.submitted_at),
            )
            .order_by(Response.id)
            .limit(batch_size)
        )
    )
    if not ids:
        return 0
    ensure_tenant_setting()
    table = Response.__table__
    changed = db.session.execute(
        update(table)
        .where(table.c.tenant_id == current_tenant_id(), table.c.id.in_(ids))
        .values(submitted_at=_start_of_day(table.c.answered_on))
    )
    # What was really changed, not what was found: a caller looping until 0 always ends.
    return changed.rowcount


def retention_cutoff(today: date, years: int) -> date:
    """The first day that is kept: the same day ``years`` years back (28 Feb for 29 Feb)."""
    year = today.year - years
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


def delete_response_batch(cutoff: date, batch_size: int) -> int:
    """Delete up to ``batch_size`` of the current office's responses answered before
    ``cutoff``, their answers first; flushes only. Returns how many responses went."""
    ids = list(
        db.session.scalars(
            select(Response.id)
            .where(Response.answered_on < cutoff)
            .order_by(Response.id)
            .limit(batch_size)
        )
    )
    if not ids:
        return 0
    db.session.execute(
        delete(Answer).where(Answer.response_id.in_(ids)),
        execution_options={"synchronize_session": False},
    )
    deleted = db.session.execute(
        delete(Response).where(Response.id.in_(ids)),
        execution_options={"synchronize_session": False},
    )
    # What was really deleted, not what was found: a caller looping until 0 always ends.
    return deleted.rowcount


def record_deletion(tenant: Tenant, cutoff: date, deleted: int) -> None:
    """Audit how many responses retention deleted from the office (no staff member did it)."""
    audit.record(
        "response.retention_delete",
        "tenant",
        tenant.id,
        after={
            "deleted_responses": deleted,
            "answered_before": cutoff.isoformat(),
            "retention_years": tenant.retention_years,
        },
    )
