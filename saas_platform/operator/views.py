"""The operator console on the apex host, behind a password and a TOTP code."""

from __future__ import annotations

import base64
import io
import time

import qrcode
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import func, or_, select

from saas_platform import staffing
from saas_platform.core.db import db, is_id
from saas_platform.core.dispatch import enqueue
from saas_platform.core.security import limiter
from saas_platform.core.spreadsheets import Export, json_cell, safe_row
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.resolver import require_platform_site
from saas_platform.core.tenancy.services import office_title, office_url, suggest_slug
from saas_platform.core.text import search_text
from saas_platform.core.web import csv_download, newest_first_page, page_number, private_pages
from saas_platform.onboarding import onboard_office
from saas_platform.operator import services
from saas_platform.operator.forms import (
    CodeForm,
    ConfirmForm,
    DeleteForm,
    DomainForm,
    OnboardingForm,
    OperatorLoginForm,
    SetupForm,
    StaffInviteForm,
    SuspendForm,
)
from saas_platform.operator.models import PlatformAuditEntry, PlatformOperator
from tenants.accounts.models import MANAGER, ROLE_LABELS
from tenants.accounts.services import StaffError
from tenants.accounts.tasks import send_staff_link
from tenants.audit.labels import action_label
from tenants.audit.naming import field_label, readable_value
from tenants.panel.forms import DEPARTMENTS_HINT
from tenants.survey.template import default_template

bp = Blueprint("operator", __name__, url_prefix="/operator")
private_pages(bp)

SESSION_KEY = "operator"
PENDING_KEY = "operator_pending"
PENDING_SECONDS = 300
PAGE_SIZE = 50
SORTS = {
    "nazwa": Tenant.name,
    "adres": Tenant.slug,
    "stan": Tenant.status,
    "utworzono": Tenant.created_at,
}
PUBLIC_ENDPOINTS = frozenset({"operator.login", "operator.login_code", "operator.setup"})
TOO_MANY = "Zbyt wiele nieudanych prób. Odczekaj kilka minut i spróbuj ponownie."


def current_operator() -> PlatformOperator | None:
    """The operator signed in on this (apex) session, checked against the database."""
    if "operator_user" in g:
        return g.operator_user
    operator = None
    value = session.get(SESSION_KEY, "")
    if isinstance(value, str) and value.count(":") == 1:
        operator_id, version = value.split(":")
        if is_id(operator_id) and is_id(version):
            found = db.session.get(PlatformOperator, int(operator_id))
            if found and found.is_active and found.session_version == int(version):
                operator = found
    g.operator_user = operator
    return operator


@bp.before_request
def _require_operator():
    require_platform_site()
    if request.endpoint not in PUBLIC_ENDPOINTS and current_operator() is None:
        return redirect(url_for("operator.login"))
    return None


@bp.app_context_processor
def _operator_context() -> dict:
    return {"current_operator": current_operator if g.get("site") == "platform" else lambda: None}


def _operator_id() -> int:
    return current_operator().id


def _office_or_404(slug: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        abort(404)
    return tenant


def _failed(response) -> bool:
    return response.status_code == 401


# --- signing in --------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per 10 minutes", methods=["POST"], deduct_when=_failed, error_message=TOO_MANY)
def login():
    """First factor: e-mail and password."""
    form = OperatorLoginForm()
    if form.validate_on_submit():
        operator = services.check_password(form.email.data, form.password.data)
        if operator is not None:
            session.clear()
            session[PENDING_KEY] = {
                "id": operator.id,
                "v": operator.session_version,
                "at": int(time.time()),
            }
            return redirect(url_for("operator.login_code"))
        form.password.errors.append("Nieprawidłowy adres e-mail lub hasło.")
        return render_template("operator/login.html", form=form), 401
    return render_template("operator/login.html", form=form)


@bp.route("/login/kod", methods=["GET", "POST"])
@limiter.limit("10 per 10 minutes", methods=["POST"], deduct_when=_failed, error_message=TOO_MANY)
def login_code():
    """Second factor: the current code from the authenticator app. No way around it."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("operator.login"))
    operator = db.session.get(PlatformOperator, pending["id"])
    if operator is None or operator.session_version != pending["v"] or not operator.is_active:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("operator.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if services.check_code(operator, form.code.data):
            services.record(operator.id, "operator.login")
            db.session.commit()
            session.clear()
            session[SESSION_KEY] = f"{operator.id}:{operator.session_version}"
            session.permanent = True
            return redirect(url_for("operator.offices"))
        form.code.errors.append("Kod jest nieprawidłowy albo już był użyty.")
        return render_template("operator/code.html", form=form), 401
    return render_template("operator/code.html", form=form)


@bp.post("/logout")
def logout():
    """End the operator's sessions on the server: a copy of this session's cookie opens
    nothing afterwards (nor do the operator's sessions on other devices)."""
    services.end_sessions(current_operator())
    db.session.commit()
    session.clear()
    return redirect(url_for("operator.login"))


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@bp.route("/konfiguracja/<token>", methods=["GET", "POST"])
def setup(token: str):
    """The one-time link: set a password and enrol the authenticator app."""
    link = services.open_setup_link(token)
    if link is None:
        abort(404, description="Ten link wygasł albo został już użyty.")
    form = SetupForm()
    if form.validate_on_submit():
        try:
            services.complete_setup(link, form.password.data, form.code.data)
        except services.OperatorError as exc:
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Konto operatora jest gotowe. Zaloguj się hasłem i kodem z aplikacji.", "success")
            return redirect(url_for("operator.login"))
    uri = services.provisioning_uri(link)
    return render_template(
        "operator/setup.html", form=form, qr=_qr_data_uri(uri), secret=link.pending_totp_secret
    )


# --- offices -------------------------------------------------------------------------------


@bp.get("/")
def offices():
    """All offices: status, counts and onboarding checklist; searchable and sortable."""
    query = search_text(request.args.get("q", ""), 100)
    sort = request.args.get("sort", "nazwa")
    column = SORTS.get(sort, Tenant.name)
    page = page_number()
    statement = select(Tenant)
    if query:
        like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                Tenant.name.ilike(like, escape="\\"),
                Tenant.slug.ilike(like, escape="\\"),
                Tenant.municipality.ilike(like, escape="\\"),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    tenants = db.session.scalars(
        statement.order_by(column, Tenant.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "operator/offices.html",
        overviews=[services.office_overview(t) for t in tenants],
        query=query,
        sort=sort if sort in SORTS else "nazwa",
        page=page,
        total=total,
        has_next=page * PAGE_SIZE < total,
        office_url=office_url,
    )


@bp.route("/urzedy/nowy", methods=["GET", "POST"])
def office_new():
    """Onboard a municipality: one form, the office works at its subdomain at once."""
    form = OnboardingForm()
    if request.method == "GET":
        form.departments.data = "\n".join(default_template()["default_departments"])
    suggested = None
    if form.validate_on_submit():
        if not form.slug.data:
            suggested = suggest_slug(form.municipality.data or form.name.data)
            form.slug.data = suggested
            flash(
                f"Proponowany adres: {suggested}. Sprawdź go i zatwierdź formularz ponownie.",
                "info",
            )
        else:
            try:
                tenant, link = onboard_office(
                    _operator_id(),
                    form.name.data,
                    form.slug.data.strip().lower(),
                    form.municipality.data,
                    (form.teryt.data or "").strip(),
                    form.contact_email.data or "",
                    form.admin_email.data,
                    (form.departments.data or "").splitlines(),
                    template=form.template.data,
                )
            except ValueError as exc:  # a slug, a TERYT code, a name or an address refused
                db.session.rollback()
                form.slug.errors.append(str(exc))
            else:
                db.session.commit()
                enqueue(send_staff_link, token_id=link.token_id, tenant_id=tenant.id)
                flash(
                    f"{office_title(tenant.name)} działa pod adresem {office_url(tenant)}. "
                    "Zaproszenie wysłano.",
                    "success",
                )
                return redirect(url_for("operator.office", slug=tenant.slug))
    status = 422 if form.errors else 200
    return render_template("operator/office_new.html", form=form, suggested=suggested), status


@bp.get("/urzedy/<slug>")
def office(slug: str):
    """One office: settings, counts, custom domains, status."""
    tenant = _office_or_404(slug)
    return render_template(
        "operator/office.html",
        overview=services.office_overview(tenant),
        domains=services.domains_of(tenant),
        domain_form=DomainForm(),
        delete_form=DeleteForm(),
        office_url=office_url,
        platform_domain=current_app.config["PLATFORM_DOMAIN"],
    )


@bp.route("/urzedy/<slug>/pracownicy", methods=["GET", "POST"])
def office_staff(slug: str):
    """An office's staff accounts, and "Zaproś pracownika": the panel's own invitation."""
    tenant = _office_or_404(slug)
    form = StaffInviteForm()
    departments = staffing.departments_of(tenant)
    form.departments.choices = list(departments.items())
    if form.validate_on_submit():
        operator = current_operator()
        try:
            invitation = staffing.invite_member(
                operator.id,
                operator.email,
                tenant,
                form.email.data,
                form.role.data,
                form.name.data or "",
                department_ids=form.departments.data or (),
            )
        except StaffError as exc:
            db.session.rollback()
            field = form.departments if form.role.data == MANAGER else form.email
            field.errors = [*field.errors, str(exc)]
        else:
            db.session.commit()
            enqueue(send_staff_link, token_id=invitation.link.token_id, tenant_id=tenant.id)
            flash(f"Wysłano zaproszenie na adres {invitation.email}.", "success")
            return redirect(url_for("operator.office_staff", slug=slug))
    return render_template(
        "operator/office_staff.html",
        tenant=tenant,
        form=form,
        members=staffing.members_of(tenant),
        role_labels=ROLE_LABELS,
        department_names=departments,
        departments_hint=DEPARTMENTS_HINT,
    ), (422 if form.errors else 200)


@bp.route("/urzedy/<slug>/zawieszenie", methods=["GET", "POST"])
def office_suspend(slug: str):
    """Suspend an office's survey: a confirmation page that asks for the reason."""
    tenant = _office_or_404(slug)
    if not tenant.is_active:
        flash("Ten urząd jest już zawieszony.", "info")
        return redirect(url_for("operator.office", slug=slug))
    form = SuspendForm()
    error = None
    if form.validate_on_submit():
        try:
            services.suspend_office(_operator_id(), tenant, form.reason.data or "")
        except services.OperatorError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(f"Zawieszono ankietę: {office_title(tenant.name)}.", "success")
            return redirect(url_for("operator.office", slug=slug))
    elif form.errors:
        error = "Formularz wygasł. Wpisz powód jeszcze raz i zatwierdź."
    status = 422 if error else 200
    return render_template("operator/office_suspend.html", t=tenant, form=form, error=error), status


@bp.route("/urzedy/<slug>/wznowienie", methods=["GET", "POST"])
def office_reactivate(slug: str):
    """Bring a suspended office's survey back, after a confirmation page."""
    tenant = _office_or_404(slug)
    if tenant.is_active:
        flash("Ten urząd jest aktywny.", "info")
        return redirect(url_for("operator.office", slug=slug))
    form = ConfirmForm()
    if form.validate_on_submit():
        services.reactivate_office(_operator_id(), tenant)
        db.session.commit()
        flash(f"Przywrócono ankietę: {office_title(tenant.name)}.", "success")
        return redirect(url_for("operator.office", slug=slug))
    return render_template("operator/office_reactivate.html", t=tenant, form=form)


@bp.post("/urzedy/<slug>/domeny")
def office_domain_add(slug: str):
    """Add a custom domain."""
    tenant = _office_or_404(slug)
    form = DomainForm()
    if form.validate_on_submit():
        try:
            services.add_domain(
                _operator_id(), tenant, form.host.data, current_app.config["PLATFORM_DOMAIN"]
            )
        except services.OperatorError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("operator.office", slug=slug))
        db.session.commit()
        flash("Dodano domenę. Pamiętaj o rekordzie DNS i certyfikacie.", "success")
    else:
        flash("Podaj nazwę domeny.", "error")
    return redirect(url_for("operator.office", slug=slug))


@bp.post("/urzedy/<slug>/domeny/<int:domain_id>/usun")
def office_domain_remove(slug: str, domain_id: int):
    """Remove a custom domain."""
    tenant = _office_or_404(slug)
    try:
        services.remove_domain(_operator_id(), tenant, domain_id)
    except services.OperatorError:
        abort(404)
    db.session.commit()
    flash("Usunięto domenę.", "success")
    return redirect(url_for("operator.office", slug=slug))


@bp.post("/urzedy/<slug>/usun")
def office_delete(slug: str):
    """Delete an office and everything it owns, after the slug is typed again."""
    tenant = _office_or_404(slug)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.delete_office(_operator_id(), tenant, form.confirm_slug.data)
    except services.OperatorError as exc:
        flash(str(exc), "error")
        return redirect(url_for("operator.office", slug=slug))
    db.session.commit()
    flash(f"Usunięto urząd {slug} i wszystkie jego dane.", "success")
    return redirect(url_for("operator.offices"))


@bp.get("/dziennik")
def audit_log():
    """The platform audit log, newest first: Polish names, offices by name, no ids."""
    page = page_number()
    entries, has_next = newest_first_page(
        select(PlatformAuditEntry).order_by(
            PlatformAuditEntry.created_at.desc(), PlatformAuditEntry.id.desc()
        ),
        page,
        PAGE_SIZE,
    )
    operators = {o.id: o.email for o in db.session.scalars(select(PlatformOperator))}
    return render_template(
        "operator/audit.html",
        entries=entries,
        operators=operators,
        offices=services.office_names(entries),
        field_label=field_label,
        readable_value=readable_value,
        page=page,
        has_next=has_next,
    )


@bp.get("/dziennik.csv")
def audit_log_csv():
    """The whole platform audit log as CSV, with ids and codes, newest first."""
    operators = {o.id: o.email for o in db.session.scalars(select(PlatformOperator))}
    entries = db.session.scalars(
        select(PlatformAuditEntry).order_by(
            PlatformAuditEntry.created_at.desc(), PlatformAuditEntry.id.desc()
        )
    ).all()
    offices = services.office_names(entries)
    rows = [
        safe_row(
            e.id,
            e.created_at,
            e.operator_id if e.operator_id is not None else "",
            operators.get(e.operator_id, "") if e.operator_id else "",
            e.action,
            action_label(e.action),
            e.office_slug,
            offices.get(e.office_slug, ""),
            json_cell(e.details),
        )
        for e in entries
    ]
    return csv_download(Export(list(AUDIT_CSV_HEADER), iter([rows])), "dziennik-platformy.csv")


AUDIT_CSV_HEADER = (
    "id wpisu",
    "kiedy (UTC)",
    "id operatora",
    "operator",
    "kod działania",
    "działanie",
    "adres (slug) urzędu",
    "urząd",
    "szczegóły (JSON)",
)


@bp.get("/urzedy/<slug>/eksport")
def office_export(slug: str):
    """Everything the office owns, as one ZIP (before offboarding)."""
    from saas_platform.core.spreadsheets import file_chunks
    from saas_platform.operator.archive import office_archive

    tenant = _office_or_404(slug)
    services.record(_operator_id(), "office.export", tenant.slug)
    db.session.commit()
    archive = office_archive(tenant)
    response = current_app.response_class(file_chunks(archive), mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="urzad-{tenant.slug}-{tenant.today()}.zip"'
    )
    return response
