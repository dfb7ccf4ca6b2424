"""The report made before every change that affects results (a new survey version, a renamed,
deactivated or merged department): one function, so no such change can forget it."""

from __future__ import annotations

from datetime import date

from flask import has_request_context
from flask_login import current_user

from saas_platform.tenancy import current_tenant
from tenants.panel import audit
from tenants.reports.models import Report
from tenants.reports.services import request_pre_change_report
from tenants.survey.definition import live_version_id


def acting_staff_id() -> int | None:
    """The signed-in staff member making a change, or None (a command, a task, a script)."""
    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


def staff_recipients() -> list[str]:
    """Who gets a report a staff member set off: they and the office's report recipients."""
    recipients = set(current_tenant.report_recipients or [])
    if acting_staff_id() is not None:
        recipients.add(current_user.email)
    return sorted(recipients)


def make_pre_change_report(
    reason: str, today: date, actor_id: int | None, recipients: list[str], **details
) -> Report:
    """The pre-change report over the live version's responses, audited with its reason;
    flushes only. The caller commits, then sends the report's task."""
    version_id = live_version_id()
    report = request_pre_change_report(version_id, today, actor_id, recipients)
    audit.record("report.pre_change", "report", report.id, after={"reason": reason, **details})
    return report
