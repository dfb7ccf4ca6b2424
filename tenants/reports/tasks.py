"""Report work for the Celery workers: render, e-mail, the daily dispatcher, the sweeper."""

from __future__ import annotations

import logging
import time
from datetime import date

from celery import shared_task
from flask import current_app, render_template
from sqlalchemy import select

from saas_platform.core.db import db, utcnow
from saas_platform.core.dispatch import enqueue
from saas_platform.core.mail import send_mail
from saas_platform.core.tenancy import current_tenant, tenant_scope
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.services import office_url
from tenants.reports import services
from tenants.reports.models import Report

log = logging.getLogger(__name__)

HTML_MIME_TYPE = "text/html; charset=utf-8"


def send_report_tasks(report: Report) -> bool:
    """Send the render task of a committed report row (ids only)."""
    return enqueue(render_report, report_id=report.id, tenant_id=report.tenant_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_report(report_id: int, tenant_id: int) -> None:
    """Make the PDF and the HTML edition of one report. Idempotent: only a queued report is
    taken, atomically."""
    report = services.claim(report_id)
    if report is None:
        return  # done already, being made by another worker, or gone
    db.session.commit()  # the panel shows "running" while the PDF is made
    if current_app.config["FAULT_TEST_RENDER_DELAY_SECONDS"]:
        time.sleep(current_app.config["FAULT_TEST_RENDER_DELAY_SECONDS"])
    try:
        editions = services.render_report(report, current_tenant)
    except Exception as exc:  # any failure ends on the row, with its reason, never in limbo
        db.session.rollback()
        log.exception("report %s of office %s failed", report_id, tenant_id)
        services.mark_failed(report, exc)
        db.session.commit()
        return
    services.store_report(report, editions)
    db.session.commit()
    if report.recipients:
        enqueue(email_report, report_id=report.id, tenant_id=tenant_id)


@shared_task(bind=True, max_retries=8, acks_late=True)
def email_report(self, report_id: int, tenant_id: int) -> None:
    """E-mail a finished report to its recipients: both editions (the PDF for print, the
    accessible HTML) attached, or linked when together they are too large."""
    report = db.session.get(Report, report_id)
    if report is None or report.status != "done" or report.email_status == "sent":
        return
    html = report.html
    size = report.pdf_size + (report.html_size or 0)
    too_large = size > current_app.config["REPORT_ATTACHMENT_LIMIT"]
    name = f"raport-{current_tenant.slug}-{report.period_start}-{report.period_end}"
    body = render_template(
        "email/report.txt",
        office=current_tenant,
        report=report,
        with_html=html is not None,
        link=office_url(current_tenant, f"/panel/raporty/{report.id}/pdf") if too_large else None,
        html_link=(
            office_url(current_tenant, f"/panel/raporty/{report.id}/html")
            if too_large and html is not None
            else None
        ),
    )
    subject = (
        f"Raport z badania satysfakcji klientów – {current_tenant.name} – "
        f"{report.period_start:%d.%m.%Y}–{report.period_end:%d.%m.%Y}"
    )
    attachments = []
    if not too_large:
        attachments.append((f"{name}.pdf", "application/pdf", report.pdf))
        if html is not None:
            # the charset travels in the type (the file also says it in its <meta charset>)
            attachments.append((f"{name}.html", HTML_MIME_TYPE, html.encode("utf-8")))
    try:
        send_mail(report.recipients, subject, body, attachments=attachments)
    except OSError as exc:  # SMTP down or refusing: the report stays stored, mail is retried
        last_try = self.request.retries >= self.max_retries
        report.email_status = "failed" if last_try else "pending"
        report.email_error = f"{type(exc).__name__}: {exc}"[:500]
        db.session.commit()
        if last_try:
            return
        backoff = current_app.config["EMAIL_RETRY_BASE_SECONDS"] * 2**self.request.retries
        raise self.retry(exc=exc, countdown=min(backoff, 3600)) from exc
    report.email_status = "sent"
    report.email_error = ""
    report.emailed_at = utcnow()
    db.session.commit()


def _offices(active_only: bool) -> list[Tenant]:
    query = select(Tenant).order_by(Tenant.id)
    if active_only:
        query = query.where(Tenant.status == "active")
    return list(db.session.scalars(query))


@shared_task
def dispatch_due_reports(today: str | None = None) -> int:
    """Beat, daily: create and send the due scheduled reports of every active office."""
    given_day = date.fromisoformat(today) if today else None
    created = 0
    for office in _offices(active_only=True):
        with tenant_scope(office):
            # Each office's own day: beat runs at one hour for all, in Warsaw's time zone.
            reports = services.create_due_reports(office, given_day or office.today())
            db.session.commit()
            for report in reports:
                send_report_tasks(report)
            created += len(reports)
    return created


@shared_task
def sweep_stuck_reports() -> int:
    """Beat, every few minutes: send again the reports the broker lost or a worker dropped."""
    now = utcnow()
    resent = 0
    for office in _offices(active_only=False):
        with tenant_scope(office):
            for report in services.stuck_reports(now):
                report.status = "queued"
                report.queued_at = now
                db.session.commit()
                if send_report_tasks(report):
                    resent += 1
    return resent
