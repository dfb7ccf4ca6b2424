"""Reports in the staff panel: ask for one, watch it being made, download its PDF or read its
accessible HTML edition, retry it."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from saas_platform.core.db import db, is_id
from saas_platform.core.tenancy import current_tenant
from tenants.accounts.services import staff_recipients
from tenants.audit import services as audit
from tenants.reports import services
from tenants.reports.forms import ReportRequestForm
from tenants.reports.html_edition import EDITION_CSP
from tenants.reports.models import Report
from tenants.reports.tasks import send_report_tasks
from tenants.survey.filters import period_preset
from tenants.survey.models import Department

# The staff pages of reports. The composition mounts this blueprint inside the panel's, so
# its URLs are /panel/raporty... and the panel's staff guard applies to every one of them.
bp = Blueprint("reports", __name__)

LIST_SIZE = 50


def _report_or_404(report_id: int) -> Report:
    report = db.session.get(Report, report_id)  # other offices' reports are invisible
    # A manager reads only reports of their own departments (``services.visible_to``).
    if report is None or not services.visible_to(report, current_user.department_scope):
        abort(404)
    return report


def _requested_period(form: ReportRequestForm) -> tuple[date, date]:
    if form.period.data == "custom":
        if not form.date_from.data or not form.date_to.data:
            raise services.ReportError("Podaj obie daty własnego zakresu.")
        return form.date_from.data, form.date_to.data
    try:
        return period_preset(form.period.data, current_tenant.today())
    except ValueError as exc:
        raise services.ReportError("Wybierz okres z listy.") from exc


def _department_id(form: ReportRequestForm) -> int | None:
    value = form.department.data or ""
    scope = current_user.department_scope
    if not value:
        if scope is not None:  # a manager's report is always of one of their departments
            raise services.ReportError("Wybierz jeden ze swoich wydziałów.")
        return None
    if not is_id(value):
        raise services.ReportError("Nie ma takiego wydziału.")
    if scope is not None and int(value) not in scope:
        raise services.ReportError("Ten wydział nie należy do Twoich wydziałów.")
    return int(value)


@bp.route("/raporty", methods=["GET", "POST"], endpoint="index")
def reports():
    """The office's reports, newest first, and the form to ask for a new one (a manager's:
    those of their departments, and a form offering only those)."""
    form = ReportRequestForm()
    scope = current_user.department_scope
    query = select(Department).order_by(Department.position, Department.name)
    if scope is not None:
        query = query.where(Department.id.in_(sorted(scope)))
    departments = db.session.scalars(query).all()
    form.department.choices = ([("", "wszystkie wydziały")] if scope is None else []) + [
        (str(d.id), d.name) for d in departments
    ]
    status = 200
    if form.validate_on_submit():
        try:
            start, end = _requested_period(form)
            report = services.request_report(
                "on_demand",
                start,
                end,
                department_id=_department_id(form),
                requested_by_id=current_user.id,
                recipients=staff_recipients(),
                today=current_tenant.today(),
            )
        except services.ReportError as exc:
            db.session.rollback()
            form.period.errors.append(str(exc))
            status = 422
        else:
            audit.record(
                "report.request",
                "report",
                report.id,
                after={"period": f"{start}–{end}", "department_id": report.department_id},
            )
            db.session.commit()
            send_report_tasks(report)
            flash("Raport został zamówiony. Zwykle jest gotowy po kilku sekundach.", "success")
            return redirect(url_for(".index"))
    elif form.errors:
        status = 422
    listed = db.session.scalars(
        select(Report)
        .where(*services.scope_conditions(scope))
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(LIST_SIZE)
    ).all()
    return render_template(
        "panel/reports.html",
        form=form,
        reports=listed,
        departments={d.id: d.name for d in departments},
        pending=any(r.is_pending for r in listed),
    ), status


@bp.get("/raporty/<int:report_id>/pdf", endpoint="pdf")
def report_pdf(report_id: int):
    """Download a finished report's PDF (for print)."""
    report = _report_or_404(report_id)
    if report.status != "done":
        abort(404)
    filename = f"raport-{current_tenant.slug}-{report.period_start}-{report.period_end}.pdf"
    response = current_app.response_class(report.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/raporty/<int:report_id>/html", endpoint="html")
def report_html(report_id: int):
    """The accessible HTML edition of a finished report: shown in the browser, saved under its
    file name, served with a CSP that lets it load nothing (it needs nothing)."""
    report = _report_or_404(report_id)
    if report.status != "done" or report.html is None:
        abort(404)
    filename = f"raport-{current_tenant.slug}-{report.period_start}-{report.period_end}.html"
    response = current_app.response_class(report.html, mimetype="text/html")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Content-Security-Policy"] = EDITION_CSP
    return response


@bp.post("/raporty/<int:report_id>/ponow", endpoint="retry")
def retry_report(report_id: int):
    """Put a failed report back in the queue."""
    report = _report_or_404(report_id)
    try:
        services.retry_report(report)
    except services.ReportError as exc:
        abort(409, description=str(exc))
    audit.record("report.retry", "report", report.id)
    db.session.commit()
    send_report_tasks(report)
    flash("Raport ponownie trafił do kolejki.", "success")
    return redirect(url_for(".index"))
