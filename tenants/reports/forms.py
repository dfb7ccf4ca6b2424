"""The form staff ask for a report with."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional

PERIOD_CHOICES = [
    ("last_year", "poprzedni rok"),
    ("this_year", "bieżący rok"),
    ("last_12_months", "ostatnie 12 miesięcy"),
    ("custom", "własny zakres dat"),
]


class ReportRequestForm(FlaskForm):
    period = SelectField("Okres", choices=PERIOD_CHOICES, default="last_year")
    date_from = DateField("Od (dla własnego zakresu)", validators=[Optional()])
    date_to = DateField("Do (dla własnego zakresu)", validators=[Optional()])
    department = SelectField("Wydział", choices=[], validate_choice=False, default="")
