"""Survey work for the Celery workers: retention of raw responses (beat, daily)."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from flask import current_app
from sqlalchemy import select

from saas_platform.core.db import db, utcnow
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from tenants.survey import retention

log = logging.getLogger(__name__)


@shared_task
def apply_retention(today: str | None = None) -> int:
    """Beat, daily: reduce every response older than 48 hours to its date (no time of day),
    then delete raw responses older than each office's retention period (the counts stay).
    Offices come from the registry; each is worked on inside its own scope, in committed
    batches, and the deletions are audited in that office's log. Returns how many went."""
    given_day = date.fromisoformat(today) if today else None
    batch_size = current_app.config["RETENTION_BATCH_SIZE"]
    offices = db.session.scalars(select(Tenant).order_by(Tenant.id)).all()
    now = utcnow()
    total = 0
    for office in offices:
        with tenant_scope(office):
            coarsened = 0
            while changed := retention.coarsen_batch(now, batch_size):
                coarsened += changed
                db.session.commit()  # one short transaction per batch: no long row locks
            if coarsened:
                log.info("retention: office %s: %d times of day dropped", office.slug, coarsened)
            if office.retention_years is None:
                continue
            cutoff = retention.retention_cutoff(given_day or office.today(), office.retention_years)
            deleted = 0
            while removed := retention.delete_response_batch(cutoff, batch_size):
                deleted += removed
                db.session.commit()  # one short transaction per batch: no long row locks
            if deleted:
                retention.record_deletion(office, cutoff, deleted)
                db.session.commit()
                log.info(
                    "retention: office %s lost %d responses answered before %s",
                    office.slug,
                    deleted,
                    cutoff,
                )
        total += deleted
    return total
