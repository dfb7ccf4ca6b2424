"""Asking for reports, making them, and the schedule. Services flush, never commit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.sql.elements import ColumnElement

from saas_platform.core.db import db, utcnow
from saas_platform.core.observability.metrics import REPORT_RENDER_SECONDS
from saas_platform.core.tenancy import current_tenant
from tenants.reports.html_edition import Editions, build_editions
from tenants.reports.models import FREQUENCIES, Report
from tenants.reports.pdf import ReportRequest
from tenants.reports.stats import year_earlier_day
from tenants.survey.models import (
    RESPONSES_KEY,
    Department,
    Response,
    ResponseCount,
)

MAX_PERIOD_DAYS = 5 * 366
EARLIEST_DATE = date(2000, 1, 1)


class ReportError(ValueError):
    """A report cannot be asked for like this; the message says why, in Polish."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    frequency: str


def scope_conditions(scope: frozenset[int] | None) -> list[ColumnElement[bool]]:
    """The WHERE conditions on ``Report`` for a reader of ``scope`` (see ``visible_to``)."""
    if scope is None:
        return []
    return [Report.department_id.in_(sorted(scope))]


def visible_to(report: Report, scope: frozenset[int] | None) -> bool:
    """Whether a reader of ``scope`` may see a report. The whole office (None) sees every one;
    a department manager only the reports of one of their departments: not the office-wide
    ones, which are the whole office's data (and other departments' figures in them)."""
    return scope is None or (report.department_id is not None and report.department_id in scope)


def validate_period(start: date, end: date, department_id: int | None, today: date) -> None:
    """Raise ``ReportError`` unless the period and department make a sensible report."""
    if start > end:
        raise ReportError("Początek okresu musi być przed jego końcem.")
    if start < EARLIEST_DATE or end > today + timedelta(days=366):
        raise ReportError("Okres raportu jest poza dozwolonym zakresem.")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ReportError("Raport może obejmować najwyżej 5 lat.")
    if department_id is not None and db.session.get(Department, department_id) is None:
        raise ReportError("Nie ma takiego wydziału.")


def request_report(
    kind: str,
    start: date,
    end: date,
    *,
    department_id: int | None = None,
    requested_by_id: int | None = None,
    recipients: list[str] | None = None,
    frequency: str | None = None,
    today: date | None = None,
) -> Report:
    """Write the report row (status "queued"); the caller commits, then sends the task."""
    validate_period(start, end, department_id, today or current_tenant.today())
    report = Report(
        kind=kind,
        frequency=frequency,
        period_start=start,
        period_end=end,
        department_id=department_id,
        requested_by_id=requested_by_id,
        recipients=list(recipients or []),
        email_status="pending" if recipients else "none",
        status="queued",
    )
    db.session.add(report)
    db.session.flush()
    return report


def claim(report_id: int) -> Report | None:
    """Take a queued report for rendering, atomically: of two workers handed the same report
    (the sweeper re-sent it), only one gets it. None when it is not queued."""
    claimed = db.session.execute(
        update(Report)
        .where(Report.id == report_id, Report.status == "queued")
        .values(status="running", started_at=utcnow(), attempts=Report.attempts + 1, error="")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    report = db.session.get(Report, report_id)
    db.session.refresh(report)
    return report


def render_report(report: Report, tenant) -> Editions:
    """Both editions of a report row (the PDF and the accessible HTML), for the current
    office, from one computation of its figures."""
    request = ReportRequest(
        report.period_start,
        report.period_end,
        report.department_id,
        report.kind,
        report.subject,
        report.score_threshold,
    )
    with REPORT_RENDER_SECONDS.time():
        return build_editions(tenant, request, generated_at=utcnow())


def mark_failed(report: Report, error: Exception) -> None:
    """Record why the report could not be made; staff may retry it."""
    report.status = "failed"
    report.error = f"{type(error).__name__}: {error}"[:2000]
    report.finished_at = utcnow()


def store_report(report: Report, editions: Editions) -> None:
    """Keep the PDF (with its size and sha256) and the HTML edition, and mark the report
    done."""
    report.pdf = editions.pdf
    report.pdf_size = len(editions.pdf)
    report.pdf_sha256 = hashlib.sha256(editions.pdf).hexdigest()
    report.html = editions.html
    report.html_size = len(editions.html.encode("utf-8"))
    report.status = "done"
    report.finished_at = utcnow()


def retry_report(report: Report) -> None:
    """Put a failed report back in the queue."""
    if report.status != "failed":
        raise ReportError("Ponowić można tylko raport, którego nie udało się przygotować.")
    report.status = "queued"
    report.queued_at = utcnow()
    report.error = ""


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def last_completed_periods(today: date, frequencies: list[str]) -> list[Period]:
    """The most recent finished period of each frequency (the year always)."""
    periods = [Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), "yearly")]
    if "quarterly" in frequencies:
        this_quarter = _quarter_start(today)
        end = this_quarter - timedelta(days=1)
        periods.append(Period(_quarter_start(end), end, "quarterly"))
    if "monthly" in frequencies:
        end = today.replace(day=1) - timedelta(days=1)
        periods.append(Period(end.replace(day=1), end, "monthly"))
    return periods


def create_due_reports(tenant, today: date) -> list[Report]:
    """The scheduled reports this office should have by ``today`` and does not; flushes.

    A period's report is due from ``SCHEDULED_REPORTS_DAY`` days after it ends. Running this
    twice creates nothing new (and the partial unique index stops a racing second run).
    """
    delay = timedelta(days=current_app.config["SCHEDULED_REPORTS_DAY"] - 1)
    frequencies = [f for f in tenant.extra_report_frequencies or [] if f in FREQUENCIES]
    existing = {
        (r.period_start, r.period_end)
        for r in db.session.scalars(select(Report).where(Report.kind == "scheduled"))
    }
    created = []
    for period in last_completed_periods(today, frequencies):
        if today < period.end + timedelta(days=1) + delay:
            continue
        if (period.start, period.end) in existing:
            continue
        created.append(
            request_report(
                "scheduled",
                period.start,
                period.end,
                recipients=list(tenant.report_recipients or []),
                frequency=period.frequency,
                today=today,
            )
        )
    return created


def stuck_reports(now: datetime) -> list[Report]:
    """Reports of the current office waiting too long: queued (the broker lost them) or
    running past the timeout (the worker died)."""
    config = current_app.config
    queued_before = now - timedelta(seconds=config["REPORT_QUEUED_GRACE_SECONDS"])
    running_before = now - timedelta(seconds=config["REPORT_RUNNING_TIMEOUT_SECONDS"])
    return list(
        db.session.scalars(
            select(Report).where(
                ((Report.status == "queued") & (Report.queued_at < queued_before))
                | ((Report.status == "running") & (Report.started_at < running_before))
            )
        )
    )


def status_summary() -> dict[str, tuple[int, datetime | None]]:
    """The current office's reports per status: how many, and the oldest ``queued_at``."""
    rows = db.session.execute(
        select(Report.status, func.count(), func.min(Report.queued_at)).group_by(Report.status)
    )
    return {status: (count, oldest) for status, count, oldest in rows}


def pre_change_period(today: date) -> tuple[date, date]:
    """The period of a pre-change report, "the results so far": the 12 months up to ``today``
    (the day of the change), or from the first response if that is later, across every
    survey version (the report notes the versions it spans)."""
    year_before = year_earlier_day(today) + timedelta(days=1)
    first = db.session.scalar(
        select(func.min(ResponseCount.day)).where(ResponseCount.question_key == RESPONSES_KEY)
    )
    start = max(year_before, first) if first is not None else today
    return min(start, today), today


def newest_response_id() -> int | None:
    """The id of the current office's newest response (ids only grow), None without any."""
    return db.session.scalar(select(func.max(Response.id)))


def covering_pre_change_report() -> Report | None:
    """The office's last pre-change report when it covers every response so far (none came
    after it was asked for), flags them against the threshold in force now and has not failed:
    a new change needs no second one."""
    last = db.session.scalar(
        select(Report).where(Report.kind == "pre_change").order_by(Report.id.desc()).limit(1)
    )
    if last is None or last.status == "failed":
        return None
    if last.score_threshold != current_tenant.score_threshold:
        return None
    newest = newest_response_id()
    if newest is None or (
        last.covers_response_id is not None and newest <= last.covers_response_id
    ):
        return last
    return None


def request_pre_change_report(
    subject: str,
    today: date,
    requested_by_id: int | None,
    recipients: list[str],
) -> Report:
    """The report of the results so far, made before the survey, its departments or the
    office's data change; it keeps the threshold in force before the change."""
    start, end = pre_change_period(today)
    report = request_report(
        "pre_change",
        start,
        end,
        requested_by_id=requested_by_id,
        recipients=recipients,
        today=today,
    )
    report.subject = subject
    report.covers_response_id = newest_response_id()
    report.score_threshold = current_tenant.score_threshold
    db.session.flush()
    return report
