"""Survey templates: the full and the short one, shipped as data files, checked, and installed
for an office as its first published version (new offices start with the short one)."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from sqlalchemy import func, select

from saas_platform.core.db import db, utcnow
from saas_platform.core.text import refusal_message, refused_character
from tenants.survey.definition import TEXT_NAMES
from tenants.survey.models import (
    QUESTION_KINDS,
    TRANSLATION_LANGUAGES,
    Department,
    Question,
    Section,
    Survey,
    SurveyVersion,
)

DEFAULT_TEMPLATE = Path(__file__).with_name("default_template.toml")
SHORT_TEMPLATE = Path(__file__).with_name("short_template.toml")
# The templates an office chooses from (onboarding, the editor): name -> (file, Polish label).
TEMPLATES = {
    "short": (SHORT_TEMPLATE, "Ankieta krótka (8 pytań, około minuty)"),
    "full": (DEFAULT_TEMPLATE, "Ankieta pełna (32 pytania, kilka minut)"),
}
NEW_OFFICE_TEMPLATE = "short"
KEY_PATTERN = re.compile(r"^[a-z0-9_]{1,64}$")
CHOICE_KINDS = ("single_choice", "multiple_choice")


class InvalidTemplate(ValueError):
    """A survey definition breaks a rule; the message says which, in Polish."""


@cache
def survey_template(name: str) -> dict:
    """The template ``name`` (a key of ``TEMPLATES``), parsed and checked once per process.
    An unknown name raises ``InvalidTemplate``."""
    if name not in TEMPLATES:
        raise InvalidTemplate("Nieznany szablon ankiety.")
    with TEMPLATES[name][0].open("rb") as fh:
        data = tomllib.load(fh)
    check_template(data)
    return data


def default_template() -> dict:
    """The full template (its texts and departments are the reference for translations)."""
    return survey_template("full")


# Length limits of the texts of a definition (the database columns allow as much or more).
LIMITS = {
    "title": 200,
    "intro": 3000,
    "section_title": 200,
    "description": 1000,
    "text": 500,
    "help_text": 1000,
    "option_label": 200,
}
RATING_SCALE = 5  # every rating question is 1-5: results compare across versions and offices
TRANSLATED_FIELDS = {
    "survey": (("title", "title"), ("intro", "intro")),
    "section": (("title", "section_title"), ("description", "description")),
    "question": (("text", "text"), ("help_text", "help_text")),
}


def _check_length(value, limit_name: str, what: str) -> None:
    if not isinstance(value, str):
        raise InvalidTemplate(f"{what}: niepoprawna wartość.")
    limit = LIMITS[limit_name]
    if len(value) > limit:
        raise InvalidTemplate(f"{what} może mieć najwyżej {limit} znaków (ma {len(value)}).")
    refused = refused_character(value)
    if refused is not None:
        raise InvalidTemplate(refusal_message(what, refused))


def _check_translations(item: dict, kind: str, what: str, option_keys=()) -> None:
    translations = item.get("translations") or {}
    if not isinstance(translations, dict) or set(translations) - set(TRANSLATION_LANGUAGES):
        raise InvalidTemplate(f"{what}: tłumaczenia są możliwe tylko na angielski i ukraiński.")
    for language, texts in translations.items():
        label = f"{what} ({LANGUAGE_NAMES[language]})"
        if not isinstance(texts, dict):
            raise InvalidTemplate(f"{label}: niepoprawne tłumaczenie.")
        for field, limit_name in TRANSLATED_FIELDS[kind]:
            _check_length(texts.get(field, ""), limit_name, f"{label}: {TEXT_NAMES[field]}")
        options = texts.get("options") or {}
        if not isinstance(options, dict) or set(options) - set(option_keys):
            raise InvalidTemplate(f"{label}: tłumaczenie dotyczy opcji, której nie ma w pytaniu.")
        for option_label in options.values():
            _check_length(option_label, "option_label", f"{label}: etykieta opcji")


LANGUAGE_NAMES = {"en": "angielski", "uk": "ukraiński"}


def check_template(data: dict, allow_empty: bool = False) -> None:
    """Raise ``InvalidTemplate`` unless every section and question is well formed; a draft
    being edited (``allow_empty``) may have no questions yet."""
    if not data.get("title"):
        raise InvalidTemplate("Ankieta musi mieć tytuł.")
    _check_length(data["title"], "title", "Tytuł ankiety")
    _check_length(data.get("intro", ""), "intro", "Wstęp ankiety")
    _check_translations(data, "survey", "Ankieta")
    keys: set[str] = set()
    section_keys: set[str] = set()
    question_count = 0
    for section in data.get("sections", []):
        section_key = section.get("key", "")
        if not KEY_PATTERN.match(section_key):
            raise InvalidTemplate(
                f"Niepoprawny klucz sekcji {section_key!r}: dozwolone są małe litery bez "
                "polskich znaków, cyfry i podkreślnik (najwyżej 64 znaki)."
            )
        if section_key in section_keys:
            raise InvalidTemplate(f"Klucz sekcji {section_key!r} powtarza się.")
        section_keys.add(section_key)
        if not section.get("title"):
            raise InvalidTemplate(f"Sekcja {section_key} musi mieć tytuł.")
        _check_length(section["title"], "section_title", f"Tytuł sekcji {section_key}")
        _check_length(section.get("description", ""), "description", f"Opis sekcji {section_key}")
        _check_translations(section, "section", f"Sekcja {section_key}")
        for question in section.get("questions", []):
            question_count += 1
            _check_question(question, keys)
    if question_count == 0 and not allow_empty:
        raise InvalidTemplate("Ankieta musi zawierać co najmniej jedno pytanie.")


def _check_question(question: dict, keys: set[str]) -> None:
    key = question.get("key", "")
    if not KEY_PATTERN.match(key):
        raise InvalidTemplate(
            f"Niepoprawny klucz pytania {key!r}: dozwolone są małe litery bez polskich znaków, "
            "cyfry i podkreślnik (najwyżej 64 znaki)."
        )
    if key in keys:
        raise InvalidTemplate(f"Klucz pytania {key!r} powtarza się: każde pytanie musi mieć inny.")
    keys.add(key)
    kind = question.get("kind", "rating")
    if kind not in QUESTION_KINDS:
        raise InvalidTemplate(f"Pytanie {key}: nieznany rodzaj {kind!r}.")
    if not question.get("text"):
        raise InvalidTemplate(f"Pytanie {key}: treść jest wymagana.")
    _check_length(question["text"], "text", f"Treść pytania {key}")
    _check_length(question.get("help_text", ""), "help_text", f"Podpowiedź do pytania {key}")
    if kind == "rating" and question.get("scale", RATING_SCALE) != RATING_SCALE:
        raise InvalidTemplate(
            f"Pytanie {key}: skala ocen musi mieć {RATING_SCALE} stopni (od 1 do "
            f"{RATING_SCALE}), a podano {question.get('scale')!r}."
        )
    options = question.get("options", [])
    option_keys = [o.get("key", "") for o in options]
    if kind in CHOICE_KINDS:
        if len(options) < 2:
            raise InvalidTemplate(f"Pytanie {key}: pytanie wyboru potrzebuje co najmniej 2 opcji.")
        if len(set(option_keys)) != len(option_keys):
            raise InvalidTemplate(f"Pytanie {key}: klucze opcji powtarzają się.")
        for option in options:
            if not KEY_PATTERN.match(option.get("key", "")) or not option.get("label"):
                raise InvalidTemplate(
                    f"Pytanie {key}: opcja {option.get('label') or option.get('key')!r} "
                    "potrzebuje klucza (małe litery, cyfry, podkreślnik) i etykiety."
                )
            _check_length(option["label"], "option_label", f"Pytanie {key}: etykieta opcji")
    elif options:
        raise InvalidTemplate(f"Pytanie {key}: opcje mają tylko pytania wyboru.")
    _check_translations(question, "question", f"Pytanie {key}", option_keys)


def install_default_survey(
    tenant, departments: list[str] | None = None, template: str = "full"
) -> SurveyVersion:
    """Give a new office its departments (the template's when None) and the survey of
    ``template``, published as version 1."""
    data = survey_template(template)
    if departments is None:
        departments = data.get("default_departments", [])
    for position, name in enumerate(departments):
        db.session.add(Department(tenant_id=tenant.id, name=name, position=position))
    survey = Survey(tenant_id=tenant.id)
    db.session.add(survey)
    db.session.flush()
    return publish_definition(survey, data)


def publish_definition(survey: Survey, data: dict) -> SurveyVersion:
    """Store ``data`` as the survey's next version, published now. Flushes only.

    The version is built unpublished and published once complete: a published version never
    gains, loses or changes a row (``tenants.survey.models`` refuses it).
    """
    check_template(data)
    last = db.session.scalar(
        select(func.max(SurveyVersion.number)).where(SurveyVersion.survey_id == survey.id)
    )
    version = SurveyVersion(
        tenant_id=survey.tenant_id,
        survey_id=survey.id,
        number=(last or 0) + 1,
        title=data["title"],
        intro=data.get("intro", ""),
        translations=dict(data.get("translations") or {}),
    )
    db.session.add(version)
    db.session.flush()
    position = 0
    for section_position, section_data in enumerate(data["sections"]):
        section = Section(
            tenant_id=survey.tenant_id,
            version_id=version.id,
            key=section_data["key"],
            position=section_position,
            title=section_data["title"],
            description=section_data.get("description", ""),
            translations=dict(section_data.get("translations") or {}),
        )
        db.session.add(section)
        db.session.flush()
        for question_data in section_data["questions"]:
            kind = question_data.get("kind", "rating")
            db.session.add(
                Question(
                    tenant_id=survey.tenant_id,
                    version_id=version.id,
                    section_id=section.id,
                    key=question_data["key"],
                    position=position,
                    kind=kind,
                    text=question_data["text"],
                    help_text=question_data.get("help_text", ""),
                    required=question_data.get("required", False),
                    allow_not_applicable=kind == "rating"
                    and question_data.get("not_applicable", True),
                    options=list(question_data.get("options", [])),
                    translations=dict(question_data.get("translations") or {}),
                )
            )
            position += 1
    db.session.flush()
    version.published_at = utcnow()
    db.session.flush()
    return version
