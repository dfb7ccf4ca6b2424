"""Operator console forms (Flask-WTF, CSRF on every one)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from tenants.accounts.models import ROLE_LABELS
from tenants.panel.forms import department_field
from tenants.survey.template import NEW_OFFICE_TEMPLATE, TEMPLATES

REQUIRED = "To pole jest wymagane."


class OperatorLoginForm(FlaskForm):
    email = EmailField("Adres e-mail", validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField("Hasło", validators=[DataRequired(REQUIRED), Length(max=256)])


class CodeForm(FlaskForm):
    code = StringField(
        "Kod z aplikacji (6 cyfr)", validators=[DataRequired(REQUIRED), Length(max=10)]
    )


class SetupForm(FlaskForm):
    password = PasswordField(
        "Hasło (co najmniej 12 znaków)", validators=[DataRequired(REQUIRED), Length(max=256)]
    )
    confirm = PasswordField(
        "Powtórz hasło",
        validators=[DataRequired(REQUIRED), EqualTo("password", "Hasła nie są takie same.")],
    )
    code = StringField(
        "Kod z aplikacji (6 cyfr)", validators=[DataRequired(REQUIRED), Length(max=10)]
    )


class OnboardingForm(FlaskForm):
    name = StringField("Pełna nazwa urzędu", validators=[DataRequired(REQUIRED), Length(max=200)])
    municipality = StringField(
        "Gmina lub miasto", validators=[DataRequired(REQUIRED), Length(max=120)]
    )
    slug = StringField("Adres ankiety (subdomena)", validators=[Optional(), Length(max=63)])
    teryt = StringField("Kod TERYT gminy (7 cyfr)", validators=[Optional(), Length(max=7)])
    contact_email = EmailField("E-mail kontaktowy urzędu", validators=[Optional(), Length(max=254)])
    admin_email = EmailField(
        "E-mail pierwszego administratora", validators=[DataRequired(REQUIRED), Length(max=254)]
    )
    departments = TextAreaField(
        "Wydziały na start (jeden w wierszu)", validators=[Length(max=5000)]
    )
    template = SelectField(
        "Ankieta na start",
        choices=[(name, label) for name, (_path, label) in TEMPLATES.items()],
        default=NEW_OFFICE_TEMPLATE,
        validate_choice=True,
    )


class DomainForm(FlaskForm):
    host = StringField(
        "Własna domena, np. ankieta.wolomin.pl",
        validators=[DataRequired(REQUIRED), Length(max=253)],
    )


class DeleteForm(FlaskForm):
    confirm_slug = StringField(
        "Wpisz adres (slug) urzędu, aby potwierdzić", validators=[DataRequired(REQUIRED)]
    )


class StaffInviteForm(FlaskForm):
    email = EmailField("Adres e-mail", validators=[DataRequired(REQUIRED), Length(max=254)])
    name = StringField("Imię i nazwisko (opcjonalnie)", validators=[Optional(), Length(max=200)])
    # Not validated against the choices here: the account service names an unknown role.
    role = SelectField("Rola", choices=list(ROLE_LABELS.items()), validate_choice=False)
    # The view offers the office's departments; a manager needs at least one.
    departments = department_field()


class SuspendForm(FlaskForm):
    # The rules (required, length, characters) are the service's: one message for each.
    reason = TextAreaField("Powód zawieszenia (zobaczą go pracownicy urzędu)")


class ConfirmForm(FlaskForm):
    """A confirmation step with nothing to fill in but its CSRF token."""
