"""Action work for the Celery workers: the daily reminder of overdue actions."""

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
from tenants.actions import services
from tenants.actions.models import Action

log = logging.getLogger(__name__)


@shared_task  # type: ignore[untyped-decorator]  # celery ships no types
def remind_overdue_actions(today: str | None = None) -> int:
    """Beat, daily: in every active office, mark the overdue actions owed a reminder (once,
    then weekly while overdue), commit the marks, then send one e-mail task per action."""
    given_day = date.fromisoformat(today) if today else None
    claimed = 0
    offices = db.session.scalars(
        select(Tenant).where(Tenant.status == "active").order_by(Tenant.id)
    ).all()
    for office in offices:
        with tenant_scope(office):
            day = given_day or office.today()
            action_ids = services.claim_reminders(day)
            db.session.commit()
            for action_id in action_ids:
                enqueue(email_action_reminder, action_id=action_id, tenant_id=office.id)
            claimed += len(action_ids)
    return claimed


@shared_task(bind=True, max_retries=8, acks_late=True)  # type: ignore[untyped-decorator]
def email_action_reminder(self: Any, action_id: int, tenant_id: int) -> None:
    """E-mail one overdue action's reminder to its responsible member and the admins."""
    office = current_tenant._get_current_object()
    action = db.session.get(Action, action_id)
    if office is None or action is None or not action.is_open or not office.is_active:
        return
    recipients = services.reminder_recipients(action)
    if not recipients:
        return
    body = render_template(
        "email/action_reminder.txt",
        office=office,
        action=action,
        responsible=services.office_staff().get(action.responsible_user_id or 0),
        link=office_url(office, f"/panel/dzialania/{action.id}"),
    )
    subject = f"Działanie po terminie – {office.name} – {action.title}"
    try:
        send_mail(recipients, subject, body)
    except OSError as exc:  # SMTP down: the mark stays, the mail is tried again
        if self.request.retries >= self.max_retries:
            log.warning("reminder of action %s of office %s not sent", action_id, tenant_id)
            return
        backoff = current_app.config["EMAIL_RETRY_BASE_SECONDS"] * 2**self.request.retries
        raise self.retry(exc=exc, countdown=min(backoff, 3600)) from exc
