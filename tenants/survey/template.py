"""Survey templates: the default one shipped as a data file, checked, and installed for an
office as its first published version."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from sqlalchemy import func, select

from saas_platform.db import db, utcnow
from tenants.survey.models import (
    QUESTION_KINDS,
    Department,
    Question,
    Section,
    Survey,
    SurveyVersion,
)

DEFAULT_TEMPLATE = Path(__file__).with_name("default_template.toml")
KEY_PATTERN = re.compile(r"^[a-z0-9_]{1,64}$")
CHOICE_KINDS = ("single_choice", "multiple_choice")


class InvalidTemplate(ValueError):
    """A survey definition breaks a rule; the message says which, in Polish."""


@cache
def default_template() -> dict:
    """The default template, parsed and checked once per process."""
    with DEFAULT_TEMPLATE.open("rb") as fh:
        data = tomllib.load(fh)
    check_template(data)
    return data


def check_template(data: dict) -> None:
    """Raise ``InvalidTemplate`` unless every section and question is well formed."""
    if not data.get("title") or len(data["title"]) > 200:
        raise InvalidTemplate("Ankieta musi mieć tytuł (najwyżej 200 znaków).")
    keys: set[str] = set()
    section_keys: set[str] = set()
    question_count = 0
    for section in data.get("sections", []):
        if not KEY_PATTERN.match(section.get("key", "")) or section["key"] in section_keys:
            raise InvalidTemplate(
                f"Niepoprawny lub powtórzony klucz sekcji: {section.get('key')!r}"
            )
        section_keys.add(section["key"])
        if not section.get("title") or len(section["title"]) > 200:
            raise InvalidTemplate(f"Sekcja {section['key']} musi mieć tytuł (najwyżej 200 znaków).")
        for question in section.get("questions", []):
            question_count += 1
            key = question.get("key", "")
            if not KEY_PATTERN.match(key) or key in keys:
                raise InvalidTemplate(f"Niepoprawny lub powtórzony klucz pytania: {key!r}")
            keys.add(key)
            kind = question.get("kind", "rating")
            if kind not in QUESTION_KINDS:
                raise InvalidTemplate(f"Pytanie {key}: nieznany rodzaj {kind!r}.")
            if not question.get("text") or len(question["text"]) > 500:
                raise InvalidTemplate(f"Pytanie {key}: treść jest wymagana (najwyżej 500 znaków).")
            if len(question.get("help_text", "")) > 1000:
                raise InvalidTemplate(f"Pytanie {key}: podpowiedź ma więcej niż 1000 znaków.")
            options = question.get("options", [])
            if kind in CHOICE_KINDS:
                option_keys = [o.get("key", "") for o in options]
                if len(options) < 2 or len(set(option_keys)) != len(option_keys):
                    raise InvalidTemplate(f"Pytanie {key}: potrzebne są co najmniej 2 różne opcje.")
                for option in options:
                    if not KEY_PATTERN.match(option.get("key", "")) or not option.get("label"):
                        raise InvalidTemplate(f"Pytanie {key}: niepoprawna opcja {option!r}.")
            elif options:
                raise InvalidTemplate(f"Pytanie {key}: opcje mają tylko pytania wyboru.")
    if question_count == 0:
        raise InvalidTemplate("Ankieta musi zawierać co najmniej jedno pytanie.")


def install_default_survey(tenant, departments: list[str] | None = None) -> SurveyVersion:
    """Give a new office its departments (the template's when None) and the default survey,
    published as version 1."""
    data = default_template()
    if departments is None:
        departments = data.get("default_departments", [])
    for position, name in enumerate(departments):
        db.session.add(Department(tenant_id=tenant.id, name=name, position=position))
    survey = Survey(tenant_id=tenant.id)
    db.session.add(survey)
    db.session.flush()
    return publish_definition(survey, data)


def publish_definition(survey: Survey, data: dict) -> SurveyVersion:
    """Store ``data`` as the survey's next version, published now. Flushes only."""
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
        published_at=utcnow(),
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
                )
            )
            position += 1
    db.session.flush()
    return version
