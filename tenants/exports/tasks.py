"""Export work for the Celery workers: make a background export, e-mail its link, and the
sweeper that sends again the exports the broker lost or a worker dropped."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from flask import current_app, render_template
from sqlalchemy import select

from saas_platform.core.db import db, utcnow
from saas_platform.core.dispatch import enqueue
from saas_platform.core.mail import send_mail
from saas_platform.core.tenancy import current_tenant, tenant_scope
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.services import office_url
from tenants.accounts.models import StaffUser
from tenants.exports import services
from tenants.exports.models import ExportJob

log = logging.getLogger(__name__)


def send_export_task(job: ExportJob) -> bool:
    """Send the task of a committed export row (ids only)."""
    return enqueue(make_export, job_id=job.id, tenant_id=job.tenant_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
def make_export(job_id: int, tenant_id: int) -> None:
    """Make the file of one export. Idempotent: only a queued export is taken, atomically."""
    job = services.claim(job_id)
    if job is None:
        return  # done already, being made by another worker, or gone
    db.session.commit()  # the page shows "in progress" while the file is made
    try:
        services.count_all(job)
        db.session.commit()
        content = services.make_file(job)
    except Exception as exc:  # any failure ends on the row, with its reason, never in limbo
        db.session.rollback()
        log.exception("export %s of office %s failed", job_id, tenant_id)
        services.mark_failed(db.session.get_one(ExportJob, job_id), exc)
        db.session.commit()
        return
    job = db.session.get_one(ExportJob, job_id)
    db.session.refresh(job)  # the progress was written beside this session
    services.store_file(job, content)
    db.session.commit()
    if job.email_status == "pending":
        enqueue(email_export_link, job_id=job.id, tenant_id=tenant_id)


@shared_task(bind=True, max_retries=8, acks_late=True)  # type: ignore[untyped-decorator]
def email_export_link(self: Any, job_id: int, tenant_id: int) -> None:
    """E-mail the member who asked for a finished export the link to its page."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status != "done" or job.email_status != "pending":
        return
    member = db.session.get(StaffUser, job.requested_by_id) if job.requested_by_id else None
    if member is None:
        job.email_status = "none"
        db.session.commit()
        return
    office = current_tenant._get_current_object()
    if office is None:  # the task's tenant_id sets it (FlaskTask)
        return
    body = render_template(
        "email/export_ready.txt",
        office=office,
        job=job,
        link=office_url(office, f"/panel/eksporty/{job.id}"),
    )
    subject = f"Plik z odpowiedziami jest gotowy – {office.name}"
    try:
        send_mail([member.email], subject, body)
    except OSError as exc:  # SMTP down or refusing: the file stays stored, the mail is retried
        if self.request.retries >= self.max_retries:
            job.email_status = "failed"
            db.session.commit()
            return
        backoff = current_app.config["EMAIL_RETRY_BASE_SECONDS"] * 2**self.request.retries
        raise self.retry(exc=exc, countdown=min(backoff, 3600)) from exc
    job.email_status = "sent"
    job.emailed_at = utcnow()
    db.session.commit()


@shared_task  # type: ignore[untyped-decorator]  # celery ships no types
def sweep_stuck_exports() -> int:
    """Beat, every few minutes: send again the exports the broker lost or a worker dropped."""
    now = utcnow()
    resent = 0
    for office in list(db.session.scalars(select(Tenant).order_by(Tenant.id))):
        with tenant_scope(office):
            for job in services.stuck_jobs(now):
                job.status = "queued"
                job.queued_at = now
                db.session.commit()
                if send_export_task(job):
                    resent += 1
    return resent
