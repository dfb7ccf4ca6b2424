"""Staff forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from saas_platform.core.security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from saas_platform.core.text import RefusedCharacter, clean_text, refusal_message
from tenants.accounts.models import ROLE_LABELS

ROLE_CHOICES = list(ROLE_LABELS.items())
REQUIRED = "To pole jest wymagane."
DEPARTMENTS_HINT = "Tylko dla roli „kierownik wydziału”: wyniki tych wydziałów będą widoczne."


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (only the offered ones are accepted)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
    invalid = (
        "Zaznacz tylko spośród podanych możliwości (odśwież stronę, jeśli lista się zmieniła)."
    )

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:  # a value the coercion refuses (not a number)
            self.data = []
            raise ValueError(self.invalid) from exc

    def pre_validate(self, form: object) -> None:
        offered = {self.coerce(choice.value) for choice in self.iter_choices()}
        if any(value not in offered for value in self.data or ()):
            raise ValidationError(self.invalid)


def department_field() -> CheckboxesField:
    """A manager's departments (the view fills in the office's as choices, values as ints)."""
    return CheckboxesField("Kierowane wydziały", coerce=int, choices=[])


def one_line_of_text(what: str):
    """A validator applying the platform's text policy to a one-line field called ``what``
    (the service applies it again; here the message lands on the field)."""

    def validator(form, field):
        try:
            field.data = clean_text(field.data or "", single_line=True)
        except RefusedCharacter as refused:
            raise ValidationError(refusal_message(what, refused.character)) from refused

    return validator


class LoginForm(FlaskForm):
    email = EmailField("Adres e-mail", validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(
        "Hasło", validators=[DataRequired(REQUIRED), Length(max=MAX_PASSWORD_LENGTH)]
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        f"Nowe hasło (co najmniej {MIN_PASSWORD_LENGTH} znaków)",
        validators=[DataRequired(REQUIRED), Length(max=MAX_PASSWORD_LENGTH)],
    )
    confirm = PasswordField(
        "Powtórz nowe hasło",
        validators=[DataRequired(REQUIRED), EqualTo("password", "Hasła nie są takie same.")],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField("Obecne hasło", validators=[DataRequired(REQUIRED)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Adres e-mail", validators=[DataRequired(REQUIRED), Length(max=254)])


class InviteForm(FlaskForm):
    email = EmailField("Adres e-mail", validators=[DataRequired(REQUIRED), Length(max=254)])
    name = StringField(
        "Imię i nazwisko (opcjonalnie)",
        validators=[Length(max=200), one_line_of_text("Imię i nazwisko")],
    )
    role = SelectField("Rola", choices=ROLE_CHOICES)
    departments = department_field()


class StaffUpdateForm(FlaskForm):
    role = SelectField("Rola", choices=ROLE_CHOICES)
    departments = department_field()
    is_active = BooleanField("Konto aktywne")
