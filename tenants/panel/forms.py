"""Staff forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from saas_platform.core.security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from saas_platform.core.text import RefusedCharacter, clean_text, refusal_message

ROLE_CHOICES = [("analyst", "analityk (przegląda wyniki i raporty)"), ("admin", "administrator")]
REQUIRED = "To pole jest wymagane."


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


class StaffUpdateForm(FlaskForm):
    role = SelectField("Rola", choices=ROLE_CHOICES)
    is_active = BooleanField("Konto aktywne")
