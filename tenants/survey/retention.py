"""Retention (RODO): an office may have its raw responses deleted after N years. The
daily task (``tenants.survey.tasks.apply_retention``) calls these per office.

Only the raw rows go (answers, then their responses). The running counts stay, so the
dashboard and reports for old periods show the same numbers as before; comments of those
periods are gone with their responses.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from tenants.audit import services as audit
from tenants.survey.models import Answer, Response


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
