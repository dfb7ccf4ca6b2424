"""The report made before every change that affects results (a new survey version; a renamed,
deactivated or merged department; the office's data): one function, so no such change can
forget it."""

from __future__ import annotations

from datetime import date

from tenants.audit import services as audit
from tenants.reports.models import Report
from tenants.reports.services import covering_pre_change_report, request_pre_change_report


def make_pre_change_report(
    reason: str,
    subject: str,
    today: date,
    actor_id: int | None,
    recipients: list[str],
    **details,
) -> Report:
    """The pre-change report of the results so far (12 months, every version), audited with
    its reason, or the last one when it already covers every response so far; flushes only.
    The caller links its own audit entry to it, commits, then sends the report's task (a no-op for a
    report already made)."""
    covering = covering_pre_change_report()
    if covering is not None:
        return covering
    report = request_pre_change_report(subject, today, actor_id, recipients)
    audit.record("report.pre_change", "report", report.id, after={"reason": reason, **details})
    return report
