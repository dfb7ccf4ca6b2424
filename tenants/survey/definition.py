"""A published survey version as plain, immutable Python values, cached per process.

Published versions never change, so once loaded they can be kept for the life of the process;
the cache key includes the office, so one office can never be handed another's form.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import current_app
from sqlalchemy import select

from saas_platform.db import db
from saas_platform.tenancy import current_tenant_id
from tenants.survey.models import Question, Section, SurveyVersion

RATING_VALUES = ("1", "2", "3", "4", "5")
RATING_LABELS = ("bardzo słabo", "słabo", "dostatecznie", "dobrze", "bardzo dobrze")
NOT_APPLICABLE = "na"
NOT_APPLICABLE_LABEL = "nie dotyczy / nie mam zdania"
YES_NO_VALUES = ("tak", "nie")


@dataclass(frozen=True)
class Option:
    key: str
    label: str


@dataclass(frozen=True)
class QuestionDef:
    key: str
    kind: str
    text: str
    help_text: str
    required: bool
    allow_not_applicable: bool
    options: tuple[Option, ...]

    @cached_property
    def allowed_values(self) -> frozenset[str]:
        """Every value a resident may send for this question (not for text or department)."""
        if self.kind == "rating":
            values = RATING_VALUES + ((NOT_APPLICABLE,) if self.allow_not_applicable else ())
            return frozenset(values)
        if self.kind == "yes_no":
            return frozenset(YES_NO_VALUES)
        return frozenset(option.key for option in self.options)

    @property
    def field_name(self) -> str:
        return f"q-{self.key}"

    @cached_property
    def choices(self) -> tuple[tuple[str, str], ...]:
        """(value, label) pairs a resident picks from; empty for text and department."""
        if self.kind == "rating":
            scale = tuple(
                (value, f"{value} – {label}")
                for value, label in zip(RATING_VALUES, RATING_LABELS, strict=True)
            )
            return scale + (
                ((NOT_APPLICABLE, NOT_APPLICABLE_LABEL),) if self.allow_not_applicable else ()
            )
        if self.kind == "yes_no":
            return (("tak", "Tak"), ("nie", "Nie"))
        return tuple((option.key, option.label) for option in self.options)

    @property
    def first_input_id(self) -> str:
        """The id an error summary links to: the first radio or box, or the field itself."""
        return f"{self.field_name}-{self.choices[0][0]}" if self.choices else self.field_name


@dataclass(frozen=True)
class SectionDef:
    key: str
    title: str
    description: str
    questions: tuple[QuestionDef, ...]


@dataclass(frozen=True)
class VersionDef:
    id: int
    tenant_id: int
    number: int
    title: str
    intro: str
    sections: tuple[SectionDef, ...]

    @cached_property
    def questions(self) -> dict[str, QuestionDef]:
        return {q.key: q for section in self.sections for q in section.questions}

    @cached_property
    def questions_by_field(self) -> dict[str, QuestionDef]:
        return {q.field_name: q for q in self.questions.values()}

    @cached_property
    def department_question(self) -> QuestionDef | None:
        return next((q for q in self.questions.values() if q.kind == "department"), None)


def live_version_id() -> int | None:
    """The id of the current office's live version: its latest published one."""
    return db.session.scalar(
        select(SurveyVersion.id)
        .where(SurveyVersion.published_at.is_not(None))
        .order_by(SurveyVersion.number.desc())
        .limit(1)
    )


_CACHE_LIMIT = 4096


def published_version(version_id: int) -> VersionDef | None:
    """The current office's published version ``version_id``, or None if it has no such one."""
    # One cache per app (and so per database), keyed by office: never shared across either.
    cache = current_app.extensions.setdefault("published_survey_versions", {})
    key = (current_tenant_id(), version_id)
    found = cache.get(key)
    if found is None:
        found = _load_published(*key)
        if found is not None:  # a miss is never cached: the version may be published later
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[key] = found
    return found


def _load_published(tenant_id: int, version_id: int) -> VersionDef | None:
    version = db.session.get(SurveyVersion, version_id)
    if version is None or version.published_at is None or version.tenant_id != tenant_id:
        return None
    sections = db.session.scalars(
        select(Section).where(Section.version_id == version_id).order_by(Section.position)
    ).all()
    questions = db.session.scalars(
        select(Question).where(Question.version_id == version_id).order_by(Question.position)
    ).all()
    by_section: dict[int, list[QuestionDef]] = {s.id: [] for s in sections}
    for q in questions:
        by_section[q.section_id].append(
            QuestionDef(
                key=q.key,
                kind=q.kind,
                text=q.text,
                help_text=q.help_text,
                required=q.required,
                allow_not_applicable=q.allow_not_applicable,
                options=tuple(Option(o["key"], o["label"]) for o in q.options or ()),
            )
        )
    return VersionDef(
        id=version.id,
        tenant_id=version.tenant_id,
        number=version.number,
        title=version.title,
        intro=version.intro,
        sections=tuple(
            SectionDef(s.key, s.title, s.description, tuple(by_section[s.id])) for s in sections
        ),
    )
