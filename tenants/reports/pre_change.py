"""The report made before every change that affects results (a new survey version, a renamed,
deactivated or merged department): one function, so no such change can forget it."""

from __future__ import annotations

from datetime import date

from tenants.audit import services as audit
from tenants.reports.models import Report
from tenants.reports.services import request_pre_change_report
from tenants.survey.definition import live_version_id


def make_pre_change_report(
    reason: str, today: date, actor_id: int | None, recipients: list[str], **details
) -> Report:
    """The pre-change report over the live version's responses, audited with its reason;
    flushes only. The caller commits, then sends the report's task."""
    version_id = live_version_id()
    report = request_pre_change_report(version_id, today, actor_id, recipients)
    audit.record("report.pre_change", "report", report.id, after={"reason": reason, **details})
    return report
