"""Digest work for the Celery workers: the daily claim of windows, one mail task per window."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from celery import shared_task
from flask import current_app, render_template
from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.dispatch import enqueue
from saas_platform.core.mail import send_mail
from saas_platform.core.tenancy import current_tenant, tenant_scope
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.services import office_url
from tenants.accounts.models import StaffUser
from tenants.comments import digest
from tenants.comments.models import FREQUENCY_LABELS

log = logging.getLogger(__name__)


@shared_task  # type: ignore[untyped-decorator]  # celery ships no types
def send_alert_digests(today: str | None = None) -> int:
    """Beat, daily: in every active office, claim the windows its subscribers are owed (one row
    each, committed), then send one mail task per window. Suspended offices get nothing."""
    given_day = date.fromisoformat(today) if today else None
    claimed = 0
    offices = db.session.scalars(
        select(Tenant).where(Tenant.status == "active").order_by(Tenant.id)
    ).all()
    for office in offices:
        with tenant_scope(office):
            window_ids = digest.claim_windows(office, given_day or office.today())
            db.session.commit()
            for window_id in window_ids:
                enqueue(email_alert_digest, window_id=window_id, tenant_id=office.id)
            claimed += len(window_ids)
    return claimed


@shared_task(bind=True, max_retries=8, acks_late=True)  # type: ignore[untyped-decorator]
def email_alert_digest(self: Any, window_id: int, tenant_id: int) -> str | None:
    """Mail one window's digest to its member, once; an empty window is marked, not mailed."""
    office = current_tenant._get_current_object()
    if office is None or not office.is_active:
        return None
    window = digest.take_window(window_id)
    if window is None:  # sent, empty, or being sent by another delivery of this task
        db.session.rollback()
        return None
    member = db.session.get(StaffUser, window.user_id)
    if member is None or not member.is_active:
        digest.finish_window(window, "empty")
        db.session.commit()
        return "empty"
    content = digest.digest_for(office, window.first_day, window.last_day, member.department_scope)
    if content.is_empty:
        digest.finish_window(window, "empty")
        db.session.commit()
        return "empty"
    db.session.commit()  # "sending" is stored before the mail leaves: never twice
    body = render_template(
        "email/alert_digest.txt",
        office=office,
        digest=content,
        frequency=FREQUENCY_LABELS[window.frequency],
        comments_link=office_url(office, "/panel/komentarze"),
        responses_link=office_url(office, "/panel/odpowiedzi/"),
        dashboard_link=office_url(office, "/panel/"),
        account_link=office_url(office, "/panel/konto"),
    )
    subject = f"Podsumowanie ankiety – {office.name} – {_period(content)}"
    try:
        send_mail([member.email], subject, body)
    except OSError as exc:  # SMTP down: the window goes back to pending and is tried again
        digest.finish_window(window, "pending")
        db.session.commit()
        if self.request.retries >= self.max_retries:
            log.warning("digest window %s of office %s not sent", window_id, tenant_id)
            return None
        backoff = current_app.config["EMAIL_RETRY_BASE_SECONDS"] * 2**self.request.retries
        raise self.retry(exc=exc, countdown=min(backoff, 3600)) from exc
    digest.finish_window(window, "sent")
    db.session.commit()
    return "sent"


def _period(content: digest.Digest) -> str:
    first = content.first_day.strftime("%d.%m.%Y")
    last = content.last_day.strftime("%d.%m.%Y")
    return first if first == last else f"{first}–{last}"
