"""Forms of the office pages (Flask-WTF: CSRF on every one). The rules themselves live in
``tenants.office.services``; these forms only carry them to the fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    ColorField,
    EmailField,
    IntegerField,
    RadioField,
    StringField,
    TelField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Optional

from saas_platform.core.numbers import bounded_int
from saas_platform.core.tenancy.models import REPORT_COMMENT_CHOICES, Tenant
from tenants.office import services as office
from tenants.panel.forms import REQUIRED, CheckboxesField
from tenants.reports.comments import COMMENT_LIMIT

THRESHOLD_MESSAGE = "Podaj liczbę całkowitą od 0 do 100."
COMMENTS_MESSAGE = (
    "Wybierz jedną z podanych możliwości: bez komentarzy, tylko liczba komentarzy wg tematów "
    "albo najnowsze komentarze."
)


class WholeNumberField(IntegerField):
    """A whole number from ``minimum`` to ``maximum``, read within those bounds before any
    validator sees it (``bounded_int``); anything else is ``message``. Empty is None."""

    def __init__(self, label: str, minimum: int, maximum: int, message: str, **kwargs):
        super().__init__(label, **kwargs)
        self.minimum, self.maximum, self.message = minimum, maximum, message
        self.flags.min, self.flags.max = minimum, maximum  # the browser's own check, too

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        if valuelist[0].strip():
            self.data = bounded_int(valuelist[0], self.minimum, self.maximum)
            if self.data is None:
                raise ValueError(self.message)


class RecipientsField(TextAreaField):
    """E-mail addresses in a textarea, one a line; ``data`` becomes a list once checked."""

    def _value(self) -> str:
        if isinstance(self.data, list):
            return "\n".join(self.data)
        return super()._value()


def _checked_by(rule):
    """A WTForms validator from an ``office`` rule: its result replaces the field's data."""

    def validator(form, field):
        try:
            field.data = rule(field.data or "")
        except office.OfficeError as exc:
            raise ValidationError(str(exc)) from exc

    return validator


def _recipients(value: list | str) -> list[str]:
    return office.parse_recipients(value if isinstance(value, str) else "\n".join(value))


def _single_line(limit: int, what: str):
    return _checked_by(lambda value: office.clean_text(value, limit, what))


class OfficeForm(FlaskForm):
    name = StringField(
        "Oficjalna nazwa urzędu",
        validators=[DataRequired(REQUIRED), _single_line(200, "Nazwa urzędu")],
    )
    address = StringField("Adres", validators=[_single_line(300, "Adres")])
    contact_email = EmailField(
        "Adres e-mail do kontaktu", validators=[_checked_by(office.normalise_contact_email)]
    )
    contact_phone = TelField(
        "Telefon do kontaktu", validators=[_checked_by(office.normalise_phone)]
    )
    brand_colour = ColorField(
        "Kolor urzędu", validators=[DataRequired(REQUIRED), _checked_by(office.normalise_colour)]
    )
    score_threshold = WholeNumberField(
        "Próg oceny (0–100)",
        minimum=0,
        maximum=100,
        message=THRESHOLD_MESSAGE,
        validators=[InputRequired(THRESHOLD_MESSAGE)],
    )
    retention_years = WholeNumberField(
        "Przechowywanie odpowiedzi (lata)",
        minimum=1,
        maximum=office.MAX_RETENTION_YEARS,
        message=office.RETENTION_MESSAGE,
        validators=[Optional()],
    )
    public_results = BooleanField("Publiczna strona „Wyniki i zmiany” dla mieszkańców")
    report_recipients = RecipientsField("Odbiorcy raportów", validators=[_checked_by(_recipients)])
    report_comments = RadioField(
        "Komentarze mieszkańców w raportach",
        choices=[
            ("none", "bez komentarzy (zalecane, gdy raport jest publikowany)"),
            ("topics", "tylko liczba komentarzy wg tematów (bez treści komentarzy)"),
            ("newest", f"najnowsze komentarze (najwyżej {COMMENT_LIMIT}) w załączniku raportu"),
        ],
        # WTForms' own check speaks English; ours is below. Left out of a post, it keeps
        # the office's current choice.
        validate_choice=False,
        validators=[AnyOf(REPORT_COMMENT_CHOICES, COMMENTS_MESSAGE)],
    )
    extra_report_frequencies = CheckboxesField(
        "Dodatkowe raporty okresowe",
        choices=[
            ("quarterly", "co kwartał (za poprzedni kwartał)"),
            ("monthly", "co miesiąc (za poprzedni miesiąc)"),
        ],
    )

    @classmethod
    def for_office(cls, tenant: Tenant, read_request: bool = True) -> OfficeForm:
        """The form filled with the office's current data, and with the posted data unless
        ``read_request`` is False (another form of the page was posted)."""
        data = {name: getattr(tenant, name) for name in office.OFFICE_FIELDS}
        return cls(data=data) if read_request else cls(formdata=None, data=data)

    def values(self) -> dict:
        """The checked values, ready for ``office.update_office``."""
        return {name: self[name].data for name in office.OFFICE_FIELDS}


class DepartmentForm(FlaskForm):
    name = StringField(
        "Nazwa wydziału",
        validators=[DataRequired(REQUIRED), _single_line(office.MAX_DEPARTMENT_NAME, "Nazwa")],
    )
