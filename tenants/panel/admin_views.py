"""Admin pages: staff accounts and the audit log."""

from __future__ import annotations

from collections.abc import Iterator

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.dispatch import enqueue
from saas_platform.core.spreadsheets import Cell, Export, json_cell, safe_row
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.web import csv_download, newest_first_page, page_number
from tenants.accounts import services as staff
from tenants.accounts.models import MANAGER, ROLE_LABELS, StaffUser
from tenants.accounts.tasks import send_staff_link
from tenants.audit.labels import action_label
from tenants.audit.models import AuditEntry
from tenants.audit.naming import ObjectNames, field_label
from tenants.panel.blueprint import admin_required, bp
from tenants.panel.forms import DEPARTMENTS_HINT, InviteForm, StaffUpdateForm
from tenants.survey.departments import department_labels

AUDIT_PAGE_SIZE = 50
AUDIT_CSV_BATCH = 500


def _staff_member_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)  # the ORM scope makes other offices' users invisible
    if user is None:
        abort(404)
    return user


def _department_choices(form: InviteForm | StaffUpdateForm) -> dict[int, str]:
    """The office's departments (inactive ones marked) as the form's choices; id -> label."""
    labels = department_labels()
    form.departments.choices = list(labels.items())
    return labels


@bp.route("/uzytkownicy", methods=["GET", "POST"])
@admin_required
def staff_list():
    """The office's staff, and the form that invites a new member (a manager with the
    departments whose results they read)."""
    form = InviteForm()
    names = _department_choices(form)
    if form.validate_on_submit():
        try:
            user, link = staff.invite(
                form.email.data,
                form.role.data,
                form.name.data or "",
                department_ids=form.departments.data or (),
            )
        except staff.StaffError as exc:
            db.session.rollback()
            field = form.departments if form.role.data == MANAGER else form.email
            field.errors = [*field.errors, str(exc)]
        else:
            db.session.commit()
            enqueue(send_staff_link, token_id=link.token_id, tenant_id=user.tenant_id)
            flash(f"Wysłano zaproszenie na adres {user.email}.", "success")
            return redirect(url_for("panel.staff_list"))
    members = db.session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    return render_template(
        "panel/staff_list.html",
        form=form,
        members=members,
        role_labels=ROLE_LABELS,
        department_names=names,
        departments_hint=DEPARTMENTS_HINT,
    )


@bp.route("/uzytkownicy/<int:user_id>", methods=["GET", "POST"])
@admin_required
def staff_edit(user_id: int):
    """Change a member's role (a manager's departments) or deactivate the account; resend an
    invitation."""
    user = _staff_member_or_404(user_id)
    form = StaffUpdateForm(obj=user, departments=sorted(user.department_ids))
    _department_choices(form)
    if form.validate_on_submit():
        try:
            staff.update_staff(
                user, form.role.data, form.is_active.data, department_ids=form.departments.data
            )
        except staff.StaffError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return _staff_edit_page(form, user), 409
        db.session.commit()
        flash("Zapisano zmiany.", "success")
        return redirect(url_for("panel.staff_list"))
    return _staff_edit_page(form, user)


def _staff_edit_page(form: StaffUpdateForm, member: StaffUser) -> str:
    return render_template(
        "panel/staff_edit.html", form=form, member=member, departments_hint=DEPARTMENTS_HINT
    )


@bp.post("/uzytkownicy/<int:user_id>/zaproszenie")
@admin_required
def staff_reinvite(user_id: int):
    """Send a fresh invitation link to a member who has not set a password yet."""
    user = _staff_member_or_404(user_id)
    if user.password_hash is not None or not user.is_active:
        abort(409, description="To konto ma już hasło albo jest nieaktywne.")
    link = staff.issue_link(user, "invitation")
    db.session.commit()
    enqueue(send_staff_link, token_id=link.token_id, tenant_id=user.tenant_id)
    flash(f"Wysłano ponownie zaproszenie na adres {user.email}.", "success")
    return redirect(url_for("panel.staff_list"))


@bp.get("/dziennik")
@admin_required
def audit_log():
    """Who changed what and when, newest first, page by page."""
    page = page_number()
    entries, has_next = newest_first_page(
        select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()),
        page,
        AUDIT_PAGE_SIZE,
    )
    actors = {u.id: u for u in db.session.scalars(select(StaffUser))}
    return render_template(
        "panel/audit_log.html",
        entries=entries,
        actors=actors,
        names=ObjectNames(entries),
        page=page,
        has_next=has_next,
    )


@bp.get("/dziennik.csv")
@admin_required
def audit_log_csv():
    """The whole log as CSV, with the ids the pages leave out, newest first."""
    filename = f"dziennik-{current_tenant.slug}-{current_tenant.today()}.csv"
    return csv_download(Export(list(AUDIT_CSV_HEADER), _audit_batches()), filename)


AUDIT_CSV_HEADER = (
    "id wpisu",
    "kiedy (UTC)",
    "id pracownika",
    "kto",
    "kod działania",
    "działanie",
    "rodzaj obiektu",
    "id obiektu",
    "obiekt",
    "przed (JSON)",
    "po (JSON)",
)


def _audit_batches() -> Iterator[list[list[Cell]]]:
    actors = {u.id: u.display_name for u in db.session.scalars(select(StaffUser))}
    query = (
        select(AuditEntry)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .execution_options(yield_per=AUDIT_CSV_BATCH)
    )
    for partition in db.session.scalars(query).partitions():
        names = ObjectNames(partition)
        yield [
            safe_row(
                entry.id,
                entry.created_at,
                entry.actor_id if entry.actor_id is not None else "",
                actors.get(entry.actor_id, "system") if entry.actor_id else "system",
                entry.action,
                action_label(entry.action),
                entry.object_type,
                entry.object_id if entry.object_id is not None else "",
                names.of_entry(entry),
                json_cell(entry.before),
                json_cell(entry.after),
            )
            for entry in partition
        ]


@bp.get("/dziennik/<int:entry_id>")
@admin_required
def audit_entry(entry_id: int):
    """One audit entry with its values before and after."""
    entry = db.session.get(AuditEntry, entry_id)
    if entry is None:
        abort(404)
    actor = db.session.get(StaffUser, entry.actor_id) if entry.actor_id else None
    return render_template(
        "panel/audit_entry.html",
        entry=entry,
        actor=actor,
        names=ObjectNames([entry]),
        field_label=field_label,
    )
