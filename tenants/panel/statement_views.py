"""Admin page: the parts of the accessibility statement and the privacy notice only the
office knows. The rules live in ``tenants.office.statements``; what is still missing in
``tenants.survey.statement``."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, EmailField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import Length, Optional

from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant
from tenants.office import statements
from tenants.office.services import OfficeError
from tenants.panel.blueprint import admin_required, bp
from tenants.survey import statement

DATE_MESSAGE = "Podaj datę w postaci RRRR-MM-DD."


class DayField(DateField):
    """A date as RRRR-MM-DD; anything else is refused with the Polish message."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(DATE_MESSAGE) from exc


class StatementForm(FlaskForm):
    coordinator = StringField("Osoba do kontaktu w sprawie dostępności", [Length(max=200)])
    email = EmailField(
        "Adres e-mail do zgłoszeń (puste: e-mail kontaktowy urzędu)", [Length(max=254)]
    )
    phone = TelField("Telefon do zgłoszeń", [Length(max=40)])
    status = SelectField(
        "Status zgodności z ustawą",
        choices=[("", "— wybierz —"), *statement.STATUS_LABELS.items()],
        validate_choice=False,  # the service names a choice that does not exist
    )
    shortcomings = TextAreaField(
        "Treści niedostępne i powody (gdy status nie jest „zgodna”)", [Length(max=3000)]
    )
    assessment = SelectField(
        "Deklarację sporządzono na podstawie",
        choices=[("", "— wybierz —"), *statement.ASSESSMENT_LABELS.items()],
        validate_choice=False,
    )
    auditor = StringField("Podmiot zewnętrzny, który zbadał dostępność", [Length(max=200)])
    prepared_on = DayField("Data sporządzenia deklaracji", [Optional()], format="%Y-%m-%d")
    reviewed_on = DayField("Data ostatniego przeglądu deklaracji", [Optional()], format="%Y-%m-%d")
    architecture = TextAreaField(
        "Dostępność architektoniczna budynku (puste: odesłanie do deklaracji na stronie urzędu)",
        [Length(max=3000)],
    )


class PrivacyForm(FlaskForm):
    controller_name = StringField("Pełna nazwa administratora danych", [Length(max=300)])
    controller_address = StringField("Adres administratora danych", [Length(max=300)])
    iod_contact = StringField(
        "Kontakt do inspektora ochrony danych (IOD): e-mail lub adres", [Length(max=300)]
    )


def _forms(
    statement_form: StatementForm | None = None, privacy_form: PrivacyForm | None = None
) -> dict[str, object]:
    tenant = current_tenant._get_current_object()
    return {
        "statement_form": statement_form
        or StatementForm(
            formdata=None,
            coordinator=tenant.a11y_coordinator,
            email=tenant.a11y_email,
            phone=tenant.a11y_phone,
            status=tenant.a11y_status,
            shortcomings=tenant.a11y_shortcomings,
            assessment=tenant.a11y_assessment,
            auditor=tenant.a11y_auditor,
            prepared_on=tenant.a11y_prepared_on,
            reviewed_on=tenant.a11y_reviewed_on,
            architecture=tenant.a11y_architecture,
        ),
        "privacy_form": privacy_form
        or PrivacyForm(
            formdata=None,
            controller_name=tenant.controller_name,
            controller_address=tenant.controller_address,
            iod_contact=tenant.iod_contact,
        ),
        "missing_statement": statement.missing_statement_parts(tenant),
        "missing_privacy": statement.missing_privacy_parts(tenant),
    }


@bp.get("/deklaracje")
@admin_required
def statements_page() -> str:
    """The statement's and the notice's office parts, with what is still missing."""
    return render_template("panel/statements.html", **_forms())


def _save(
    form: StatementForm | PrivacyForm, apply: Callable[[], bool], saved: str
) -> Response | tuple[str, int]:
    """Validate ``form``, then ``apply`` it (the service call; True when something changed) and
    commit; a refusal from the service is shown on the form, with nothing stored."""
    if form.validate_on_submit():
        try:
            changed = apply()
        except OfficeError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(saved if changed else "Nie wprowadzono zmian.", "success")
            return redirect(url_for("panel.statements_page"))
    if isinstance(form, StatementForm):
        page = _forms(statement_form=form)
    else:
        page = _forms(privacy_form=form)
    return render_template("panel/statements.html", **page), 422


@bp.post("/deklaracje/dostepnosc")
@admin_required
def statement_save() -> Response | tuple[str, int]:
    """Save the accessibility statement's office parts."""
    form = StatementForm()
    return _save(
        form,
        lambda: statements.update_statement(
            current_tenant._get_current_object(),
            coordinator=form.coordinator.data or "",
            email=form.email.data or "",
            phone=form.phone.data or "",
            status=form.status.data or "",
            shortcomings=form.shortcomings.data or "",
            assessment=form.assessment.data or "",
            auditor=form.auditor.data or "",
            prepared_on=form.prepared_on.data,
            reviewed_on=form.reviewed_on.data,
            architecture=form.architecture.data or "",
        ),
        "Zapisano deklarację dostępności.",
    )


@bp.post("/deklaracje/rodo")
@admin_required
def privacy_save() -> Response | tuple[str, int]:
    """Save the privacy notice's data controller and IOD contact."""
    form = PrivacyForm()
    return _save(
        form,
        lambda: statements.update_privacy(
            current_tenant._get_current_object(),
            controller_name=form.controller_name.data or "",
            controller_address=form.controller_address.data or "",
            iod_contact=form.iod_contact.data or "",
        ),
        "Zapisano informację o ochronie danych.",
    )
