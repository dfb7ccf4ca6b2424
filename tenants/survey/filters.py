"""What a set of results covers (``Filters``), and the filters staff pick on the dashboard,
the responses list and the exports.

Read from the query string and checked against this office's departments and survey versions.
A department manager's filters always carry their departments as ``Filters.scope``: every
query built from ``Filters`` (the counts in ``scores``, the responses in ``responses``) adds
``department_id IN scope``, so no page, export or report made from them can reach another
department's data, whatever the query string says.
A value that does not fit is never a server error: its filter falls back to the default and
``errors`` says, in Polish, what was wrong. The pages then show the defaults with the message
(status 400); the exports refuse with the message, rather than hand over a file of other data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from saas_platform.core.db import db
from tenants.survey.departments import department_labels
from tenants.survey.models import NO_DEPARTMENT, SurveyVersion

PERIOD_PRESETS = {
    "this_year": "bieżący rok",
    "last_year": "poprzedni rok",
    "last_12_months": "ostatnie 12 miesięcy",
}
CHANNEL_LABELS = {
    "web": "strona internetowa",
    "banner": "baner „Oceń Urząd”",
    "qr": "kod QR",
    "kiosk": "kiosk",
    "paper": "ankieta papierowa",
    "widget": "przycisk „Oceń Urząd”",
}
NO_DEPARTMENT_LABEL = "nie wskazano wydziału"
# What a period's changes are measured against (the ``porownanie`` query value -> label).
YEAR_EARLIER = "rok"
PREVIOUS_PERIOD = "poprzedni"
COMPARISON_CHOICES = {
    YEAR_EARLIER: "ten sam okres rok wcześniej",
    PREVIOUS_PERIOD: "okres tej samej długości tuż przed",
}
DEFAULT_COMPARISON = YEAR_EARLIER


@dataclass(frozen=True)
class Filters:
    """What the results cover: an inclusive range of local days, optionally narrowed.

    ``scope`` is what the reader may see at all: None for the whole office, or the departments
    of a department manager (never the responses that named none). Unlike ``department_id``, a
    choice on a page, it is who is asking; comparisons (``dataclasses.replace``) keep it."""

    date_from: date
    date_to: date
    department_id: int | None = None  # NO_DEPARTMENT: responses that named none
    channel: str | None = None
    version_id: int | None = None
    scope: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ValueError("date_to is before date_from")
        outside = self.department_id is not None and self.department_id not in (
            self.scope if self.scope is not None else (self.department_id,)
        )
        if outside:
            raise ValueError("department_id is outside the scope")

    @property
    def scope_ids(self) -> list[int] | None:
        """The scope's departments in order (for an SQL ``IN``), or None for the whole office."""
        return None if self.scope is None else sorted(self.scope)


def period_preset(name: str, today: date) -> tuple[date, date]:
    """The (date_from, date_to) of a named period (a key of ``PERIOD_PRESETS``) seen from today."""
    if name == "this_year":
        return date(today.year, 1, 1), today
    if name == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if name == "last_12_months":
        return today - timedelta(days=364), today
    raise ValueError(f"unknown period preset: {name!r}")


CUSTOM_PERIOD = "custom"
PERIOD_CHOICES = {**PERIOD_PRESETS, CUSTOM_PERIOD: "własny zakres dat"}
DEFAULT_PERIOD = "this_year"
NO_DEPARTMENT_ARG = "brak"
EARLIEST_YEAR = 2000
# Ten years at most: the monthly trend has a row per month, and the previous period is as long.
MAX_RANGE = timedelta(days=3653)
FILTER_ARGS = ("okres", "od", "do", "wydzial", "kanal", "wersja", "porownanie")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FilterChoices:
    """What the filter form offers: (query value, label) pairs for each select."""

    periods: tuple[tuple[str, str], ...]
    comparisons: tuple[tuple[str, str], ...]
    departments: tuple[tuple[str, str], ...]
    channels: tuple[tuple[str, str], ...]
    versions: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ChosenFilters:
    """The filters in force, what the form shows again, and what was wrong with the input.

    ``form`` holds the input as typed (so a mistake can be corrected); ``args`` the filters
    actually applied, for links to other pages and to the exports.
    """

    filters: Filters
    period: str
    form: dict[str, str]
    args: dict[str, str]
    choices: FilterChoices
    errors: dict[str, str] = field(default_factory=dict)
    comparison: str = DEFAULT_COMPARISON  # a key of COMPARISON_CHOICES

    def shown(self, name: str) -> str:
        """What the form field ``name`` shows: the filter applied, except that a custom range
        which could not be used keeps the dates as typed, so they can be corrected."""
        period_failed = "okres" in self.errors
        asked_custom = self.form["okres"] == CUSTOM_PERIOD or (
            not self.form["okres"] and (self.form["od"] or self.form["do"])
        )
        if period_failed and asked_custom and name in ("okres", "od", "do"):
            return CUSTOM_PERIOD if name == "okres" else self.form[name]
        return self.args.get(name, "")

    @property
    def period_label(self) -> str:
        return PERIOD_CHOICES[self.period]

    @property
    def comparison_label(self) -> str:
        return COMPARISON_CHOICES[self.comparison]

    @property
    def scope_names(self) -> list[str] | None:
        """The departments the results are limited to (a manager's, by name), or None for
        the whole office."""
        if self.filters.scope is None:
            return None
        return [label for _, label in self.choices.departments]

    @property
    def department_label(self) -> str | None:
        return _label(self.choices.departments, self.args.get("wydzial"))

    @property
    def channel_label(self) -> str | None:
        return _label(self.choices.channels, self.args.get("kanal"))

    @property
    def version_label(self) -> str | None:
        return _label(self.choices.versions, self.args.get("wersja"))


def _label(pairs: tuple[tuple[str, str], ...], value: str | None) -> str | None:
    return dict(pairs).get(value) if value else None


def filter_choices(scope: frozenset[int] | None = None) -> FilterChoices:
    """The current office's departments (inactive ones too; within ``scope`` only, and then
    without "no department"), channels and published versions."""
    versions = db.session.execute(
        select(SurveyVersion.id, SurveyVersion.number, SurveyVersion.title)
        .where(SurveyVersion.published_at.is_not(None))
        .order_by(SurveyVersion.number.desc())
    ).all()
    return FilterChoices(
        periods=tuple(PERIOD_CHOICES.items()),
        comparisons=tuple(COMPARISON_CHOICES.items()),
        departments=(
            *((str(i), label) for i, label in department_labels(scope).items()),
            *(() if scope is not None else ((NO_DEPARTMENT_ARG, NO_DEPARTMENT_LABEL),)),
        ),
        channels=tuple(CHANNEL_LABELS.items()),
        versions=tuple((str(i), f"wersja {number}: {title}") for i, number, title in versions),
    )


def parse_filters(
    args: Mapping[str, str], today: date, scope: frozenset[int] | None
) -> ChosenFilters:
    """The filters asked for in ``args`` (a query string), checked; see the module docstring.

    ``scope`` is the reader's (``StaffUser.department_scope``): None for the whole office, or a
    manager's departments, which the filters then always carry; another department in
    ``wydzial`` is refused like an unknown one. No default, so no caller can forget it."""
    choices = filter_choices(scope)
    form = {name: (args.get(name) or "").strip()[:40] for name in FILTER_ARGS}
    errors: dict[str, str] = {}

    period, date_from, date_to = _period(form, today, errors)
    applied = {"okres": period}
    if period == CUSTOM_PERIOD:
        applied.update(od=date_from.isoformat(), do=date_to.isoformat())

    department_id = None
    if form["wydzial"]:
        if form["wydzial"] in dict(choices.departments):
            applied["wydzial"] = form["wydzial"]
            department_id = (
                NO_DEPARTMENT if form["wydzial"] == NO_DEPARTMENT_ARG else int(form["wydzial"])
            )
        else:
            errors["wydzial"] = (
                "Nie ma takiego wydziału w tym urzędzie; pokazano wszystkie."
                if scope is None
                else "Ten wydział nie należy do Twoich wydziałów; pokazano wszystkie Twoje."
            )

    channel = None
    if form["kanal"]:
        if form["kanal"] in CHANNEL_LABELS:
            channel = applied["kanal"] = form["kanal"]
        else:
            errors["kanal"] = "Nieznany sposób wypełnienia ankiety; pokazano wszystkie."

    version_id = None
    if form["wersja"]:
        if form["wersja"] in dict(choices.versions):
            applied["wersja"] = form["wersja"]
            version_id = int(form["wersja"])
        else:
            errors["wersja"] = "Nie ma takiej wersji ankiety; pokazano wszystkie."

    comparison = DEFAULT_COMPARISON
    if form["porownanie"]:
        if form["porownanie"] in COMPARISON_CHOICES:
            comparison = form["porownanie"]
            if comparison != DEFAULT_COMPARISON:
                applied["porownanie"] = comparison
        else:
            errors["porownanie"] = (
                "Nieznany okres porównania; porównano z tym samym okresem rok wcześniej."
            )

    return ChosenFilters(
        filters=Filters(date_from, date_to, department_id, channel, version_id, scope),
        comparison=comparison,
        period=period,
        form=form,
        args=applied,
        choices=choices,
        errors=errors,
    )


def _period(form: dict[str, str], today: date, errors: dict[str, str]) -> tuple[str, date, date]:
    """(period, from, to); dates count only with the custom period (or with no period given)."""
    period = form["okres"] or (CUSTOM_PERIOD if form["od"] or form["do"] else DEFAULT_PERIOD)
    if period not in PERIOD_CHOICES:
        errors["okres"] = "Nieznany okres; pokazano bieżący rok."
        period = DEFAULT_PERIOD
    if period != CUSTOM_PERIOD:
        return (period, *period_preset(period, today))

    date_from = _date(form, "od", "Data „od”", today, errors)
    date_to = _date(form, "do", "Data „do”", today, errors)
    if date_from and date_to:
        if date_from > date_to:
            errors["od"] = "Data „od” jest późniejsza niż data „do”."
        elif date_to - date_from >= MAX_RANGE:
            errors["od"] = "Zakres dat może obejmować najwyżej 10 lat."
        else:
            return period, date_from, date_to
    errors.setdefault("okres", "Nie udało się ustalić własnego zakresu dat; pokazano bieżący rok.")
    return (DEFAULT_PERIOD, *period_preset(DEFAULT_PERIOD, today))


def _date(
    form: dict[str, str], name: str, label: str, today: date, errors: dict[str, str]
) -> date | None:
    value = form[name]
    if not value:
        errors[name] = f"{label}: podaj datę (własny zakres wymaga obu dat)."
        return None
    try:
        parsed = date.fromisoformat(value) if _ISO_DATE.match(value) else None
    except ValueError:
        parsed = None
    if parsed is None:
        errors[name] = f"{label}: niepoprawna data; wpisz ją jako RRRR-MM-DD, np. 2026-01-31."
        return None
    if not EARLIEST_YEAR <= parsed.year <= today.year + 1:
        errors[name] = f"{label}: podaj datę z lat {EARLIEST_YEAR}–{today.year + 1}."
        return None
    return parsed
