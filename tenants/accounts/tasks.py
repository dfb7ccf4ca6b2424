"""Mail for staff accounts, sent by the workers (in-process in the embedded mode)."""

from __future__ import annotations

from celery import shared_task
from flask import render_template

from saas_platform.core.db import db
from saas_platform.core.mail import send_mail
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.tenancy.services import office_url
from tenants.accounts.models import StaffToken, StaffUser
from tenants.accounts.services import signed_link_for

SUBJECTS = {
    "invitation": "Zaproszenie do panelu ankiety satysfakcji – {office}",
    "password_reset": "Ustawienie nowego hasła – {office}",
}


@shared_task(bind=True, max_retries=5, retry_backoff=True, retry_backoff_max=600)
def send_staff_link(self, token_id: int, tenant_id: int) -> None:
    """E-mail an invitation or password-reset link; retried with backoff on SMTP failure."""
    token = db.session.get(StaffToken, token_id)
    if token is None or token.used_at is not None:
        return
    user = db.session.get(StaffUser, token.user_id)
    link = office_url(current_tenant, f"/panel/haslo/{signed_link_for(token)}")
    body = render_template(
        f"email/{token.purpose}.txt", user=user, office=current_tenant, link=link
    )
    try:
        send_mail([user.email], SUBJECTS[token.purpose].format(office=current_tenant.name), body)
    except OSError as exc:  # SMTP down or refusing: try again later
        raise self.retry(exc=exc) from exc
