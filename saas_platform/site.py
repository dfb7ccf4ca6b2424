"""The root of every host: the office's survey on an office's host, the landing page on the
apex. The one route that needs both sides of the platform, so it lives in the composition."""

from __future__ import annotations

from flask import abort, g, render_template, request
from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.mail import KEPT_MESSAGES, kept_mail
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.services import office_url
from tenants.survey.views import survey_page


def site_index():
    """``/``: the office's survey on an office's host, the landing page on the apex."""
    if g.get("site") == "tenant":
        return survey_page()
    if request.method != "GET":
        abort(405)
    return landing()


def landing():
    """The apex landing page: what the service is and which offices take part."""
    offices = db.session.scalars(
        select(Tenant).where(Tenant.status == "active").order_by(Tenant.name)
    ).all()
    return render_template("platform/landing.html", offices=offices, office_url=office_url)


def dev_mailbox():
    """``/dev/poczta`` on the apex, embedded mode only: the mail the platform would have sent
    (the newest first), so a newcomer can open an invitation link. 404 in production."""
    messages = kept_mail()
    if g.get("site") != "platform" or messages is None:
        abort(404)
    return render_template("platform/dev_mailbox.html", messages=messages, kept=KEPT_MESSAGES)
