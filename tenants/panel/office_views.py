"""Admin pages of the office itself: its data, its logo and its departments."""

from __future__ import annotations

import hashlib

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from saas_platform.core.db import db, is_id
from saas_platform.core.extensions import csrf
from saas_platform.core.tenancy import current_tenant
from tenants.office import logo
from tenants.office import services as office
from tenants.panel.blueprint import admin_required, bp
from tenants.panel.office_forms import DepartmentForm, OfficeForm
from tenants.reports.tasks import send_report_tasks
from tenants.survey import departments as survey_departments
from tenants.survey.models import Department

# The app refuses bodies over MAX_CONTENT_LENGTH (64 KiB); the logo upload alone may carry a
# file of LOGO_MAX_BYTES plus the multipart envelope and the CSRF token.
LOGO_UPLOAD_LIMIT = logo.LOGO_MAX_BYTES + 64 * 1024


def _render_office(form: OfficeForm | None = None, logo_error: str | None = None, status=200):
    """The office page; without ``form``, its data form shows the saved data, not the post."""
    tenant = current_tenant
    form = form or OfficeForm.for_office(tenant, read_request=False)
    version = hashlib.sha256(tenant.logo).hexdigest()[:12] if tenant.logo else None
    return (
        render_template(
            "panel/office.html",
            form=form,
            logo_error=logo_error,
            logo_version=version,
            max_recipients=office.MAX_REPORT_RECIPIENTS,
        ),
        status,
    )


@bp.route("/urzad", methods=["GET", "POST"])
@admin_required
def office_details():
    """The office's name, contact data, colour, score threshold and report recipients."""
    form = OfficeForm.for_office(current_tenant)
    if form.validate_on_submit():
        try:
            report = office.update_office(current_tenant._get_current_object(), form.values())
        except office.OfficeError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            return _render_office(form, status=422)
        db.session.commit()
        _after_pre_change(report)
        flash(
            f"Zapisano dane urzędu. {PRE_CHANGE_MADE}" if report else "Nie wprowadzono zmian.",
            "success",
        )
        return redirect(url_for("panel.office_details"))
    return _render_office(form, status=422 if form.errors else 200)


@csrf.exempt  # checked below, once the larger body limit of this one route is in place
@bp.post("/urzad/logo")
@admin_required
def office_logo():
    """Upload a new logo (PNG or JPEG), stored re-encoded as PNG."""
    if (request.content_length or 0) > LOGO_UPLOAD_LIMIT:
        return _render_office(logo_error=logo.TOO_LARGE, status=413)
    request.max_content_length = LOGO_UPLOAD_LIMIT
    try:
        csrf.protect()
        upload = request.files.get("logo")
    except RequestEntityTooLarge:  # a body sent without a Content-Length
        return _render_office(logo_error=logo.TOO_LARGE, status=413)
    data = upload.read(logo.LOGO_MAX_BYTES + 1) if upload else b""
    try:
        report = logo.set_logo(current_tenant._get_current_object(), data)
    except logo.LogoError as exc:
        db.session.rollback()
        status = 413 if len(data) > logo.LOGO_MAX_BYTES else 422
        return _render_office(logo_error=str(exc), status=status)
    db.session.commit()
    _after_pre_change(report)
    flash(f"Zapisano nowe logo urzędu. {PRE_CHANGE_MADE}", "success")
    return redirect(url_for("panel.office_details"))


@bp.post("/urzad/logo/usun")
@admin_required
def office_logo_remove():
    """Take the logo off the survey."""
    report = logo.remove_logo(current_tenant._get_current_object())
    if report is not None:
        db.session.commit()
        _after_pre_change(report)
        flash(f"Usunięto logo urzędu. {PRE_CHANGE_MADE}", "success")
    return redirect(url_for("panel.office_details"))


# -- departments ---------------------------------------------------------------------------


def _department_or_404(department_id: int) -> Department:
    department = survey_departments.department_or_none(department_id)
    if department is None:
        abort(404)
    return department


def _render_departments(form: DepartmentForm, status: int = 200):
    return (
        render_template(
            "panel/departments.html",
            form=form,
            departments=survey_departments.all_departments(),
            with_responses=survey_departments.departments_with_responses(),
        ),
        status,
    )


@bp.route("/wydzialy", methods=["GET", "POST"])
@admin_required
def departments():
    """The office's departments, and the form that adds one."""
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            department = office.add_department(form.name.data)
        except office.OfficeError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
            return _render_departments(form, 422)
        db.session.commit()
        flash(f"Dodano wydział „{department.name}”.", "success")
        return redirect(url_for("panel.departments"))
    return _render_departments(form, 422 if form.errors else 200)


def _render_department_edit(department: Department, form: DepartmentForm, status: int = 200):
    return (
        render_template(
            "panel/department_edit.html",
            form=form,
            department=department,
            has_responses=survey_departments.department_has_responses(department.id),
            others=[d for d in survey_departments.all_departments() if d.id != department.id],
        ),
        status,
    )


@bp.route("/wydzialy/<int:department_id>", methods=["GET", "POST"])
@admin_required
def department_edit(department_id: int):
    """Rename a department; switch it off or on; delete it while no response names it."""
    department = _department_or_404(department_id)
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        try:
            report = office.rename_department(department, form.name.data)
        except office.OfficeError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
            return _render_department_edit(department, form, 422)
        db.session.commit()
        _after_pre_change(report)
        flash(
            f"Zmieniono nazwę wydziału. {PRE_CHANGE_MADE}" if report else "Nie wprowadzono zmian.",
            "success",
        )
        return redirect(url_for("panel.departments"))
    return _render_department_edit(department, form, 422 if form.errors else 200)


@bp.post("/wydzialy/<int:department_id>/stan")
@admin_required
def department_state(department_id: int):
    """Take a department off the residents' list, or put it back."""
    department = _department_or_404(department_id)
    wanted = request.form.get("aktywny")
    if wanted not in ("tak", "nie"):
        abort(400)
    report = None
    if wanted == "tak" and office.reactivate_department(department):
        flash(f"Wydział „{department.name}” jest znów widoczny w ankiecie.", "success")
    elif wanted == "nie" and (report := office.deactivate_department(department)):
        flash(
            f"Wyłączono wydział „{department.name}”: nie ma go już w ankiecie, "
            f"jego dotychczasowe wyniki zostają. {PRE_CHANGE_MADE}",
            "success",
        )
    db.session.commit()
    _after_pre_change(report)
    return redirect(url_for("panel.departments"))


@bp.post("/wydzialy/<int:department_id>/polacz")
@admin_required
def department_merge(department_id: int):
    """Fold this department into another: responses and counts move, this one is switched off."""
    department = _department_or_404(department_id)
    chosen = request.form.get("docelowy", "")
    target = survey_departments.department_or_none(int(chosen)) if is_id(chosen) else None
    try:
        if target is None:
            raise office.OfficeError("Wybierz z listy wydział, do którego mają trafić odpowiedzi.")
        report = office.merge_departments(department, target)
    except office.OfficeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_department_edit(department, DepartmentForm(obj=department), 422)
    db.session.commit()
    _after_pre_change(report)
    flash(
        f"Połączono wydział „{department.name}” z wydziałem „{target.name}”: jego odpowiedzi "
        f"należą teraz do „{target.name}”, a on sam jest wyłączony. {PRE_CHANGE_MADE}",
        "success",
    )
    return redirect(url_for("panel.departments"))


# A change makes the report or reuses the last one that already covers every response.
PRE_CHANGE_MADE = "Wyniki sprzed zmiany zawiera raport przed zmianą (zobacz listę raportów)."


def _after_pre_change(report) -> None:
    if report is not None:
        send_report_tasks(report)


@bp.post("/wydzialy/<int:department_id>/usun")
@admin_required
def department_delete(department_id: int):
    """Delete a department that no response names."""
    department = _department_or_404(department_id)
    name = department.name
    try:
        office.delete_department(department)
    except office.OfficeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_department_edit(department, DepartmentForm(obj=department), 409)
    db.session.commit()
    flash(f"Usunięto wydział „{name}”.", "success")
    return redirect(url_for("panel.departments"))


@bp.post("/wydzialy/<int:department_id>/przesun")
@admin_required
def department_move(department_id: int):
    """Move a department one place up or down the residents' list."""
    department = _department_or_404(department_id)
    step = {"gora": -1, "dol": 1}.get(request.form.get("kierunek", ""))
    if step is None:
        abort(400)
    office.move_department(department, step)
    db.session.commit()
    return redirect(url_for("panel.departments"))
