"""A published survey version as plain, immutable Python values, cached per process.

Published versions never change, so once loaded they can be kept for the life of the process;
the cache key includes the office, so one office can never be handed another's form.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

from sqlalchemy import select

from saas_platform.core.caching import PerAppCache
from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant_id
from tenants.survey.models import Question, Section, SurveyVersion


def N_(text: str) -> str:
    """Marks an interface text for the catalogues; it is translated where it is shown (the
    survey templates pass rating and yes/no labels through ``_``)."""
    return text


RATING_VALUES = ("1", "2", "3", "4", "5")
RATING_CHOICE_LABELS = (
    N_("1 – bardzo słabo"),
    N_("2 – słabo"),
    N_("3 – dostatecznie"),
    N_("4 – dobrze"),
    N_("5 – bardzo dobrze"),
)
NOT_APPLICABLE = "na"
# The overall question of both templates ("Jak ogólnie oceniasz obsługę w urzędzie?"): the
# count rows pair every answer with it ("Priorytety"). A version without a rating question of
# this key has no overall rating and no priorities.
OVERALL_QUESTION_KEY = "ogolna_satysfakcja"
NOT_APPLICABLE_LABEL = N_("nie dotyczy / nie mam zdania")
YES_NO_VALUES = ("tak", "nie")
YES_NO_CHOICES = (("tak", N_("Tak")), ("nie", N_("Nie")))


TEXT_NAMES = {
    "title": "tytuł",
    "intro": "wstęp",
    "description": "opis",
    "text": "treść",
    "help_text": "podpowiedź",
}


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
    # {"en": {"text": ..., "help_text": ..., "options": {key: label}}}: see ``localized``
    translations: dict = field(default_factory=dict, compare=False)
    # the texts ``localized`` left in Polish ("text", "help_text", "option:<key>"): the page
    # marks them lang="pl", so a screen reader reads them as Polish
    polish_texts: frozenset[str] = field(default=frozenset(), compare=False)

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
            scale = tuple(zip(RATING_VALUES, RATING_CHOICE_LABELS, strict=True))
            return scale + (
                ((NOT_APPLICABLE, NOT_APPLICABLE_LABEL),) if self.allow_not_applicable else ()
            )
        if self.kind == "yes_no":
            return YES_NO_CHOICES
        return tuple((option.key, option.label) for option in self.options)

    @property
    def first_input_id(self) -> str:
        """The id an error summary links to: the first radio or box, or the field itself."""
        return f"{self.field_name}-{self.choices[0][0]}" if self.choices else self.field_name

    def localized(self, language: str) -> QuestionDef:
        """This question in ``language``; every missing text stays Polish."""
        texts = self.translations.get(language) or {}
        labels = texts.get("options") or {}
        return replace(
            self,
            text=texts.get("text") or self.text,
            help_text=texts.get("help_text") or self.help_text,
            options=tuple(Option(o.key, labels.get(o.key) or o.label) for o in self.options),
            polish_texts=frozenset(name for name, _ in self.missing_texts(language)),
        )

    def missing_texts(self, language: str) -> list[tuple[str, str]]:
        """(name, Polish text) of each text of this question without a ``language`` one."""
        texts = self.translations.get(language) or {}
        labels = texts.get("options") or {}
        missing = [
            (name, getattr(self, name))
            for name in ("text", "help_text")
            if getattr(self, name) and not texts.get(name)
        ]
        missing += [(f"option:{o.key}", o.label) for o in self.options if not labels.get(o.key)]
        return missing


@dataclass(frozen=True)
class SectionDef:
    key: str
    title: str
    description: str
    questions: tuple[QuestionDef, ...]
    translations: dict = field(default_factory=dict, compare=False)
    polish_texts: frozenset[str] = field(default=frozenset(), compare=False)

    def localized(self, language: str) -> SectionDef:
        texts = self.translations.get(language) or {}
        return replace(
            self,
            title=texts.get("title") or self.title,
            description=texts.get("description") or self.description,
            questions=tuple(q.localized(language) for q in self.questions),
            polish_texts=frozenset(name for name, _ in self.missing_texts(language)),
        )

    def missing_texts(self, language: str) -> list[tuple[str, str]]:
        """(name, Polish text) of the section's own texts without a ``language`` one."""
        texts = self.translations.get(language) or {}
        return [
            (name, getattr(self, name))
            for name in ("title", "description")
            if getattr(self, name) and not texts.get(name)
        ]


@dataclass(frozen=True)
class VersionDef:
    id: int
    tenant_id: int
    number: int
    title: str
    intro: str
    sections: tuple[SectionDef, ...]
    translations: dict = field(default_factory=dict, compare=False)
    language: str = "pl"
    polish_texts: frozenset[str] = field(default=frozenset(), compare=False)

    def localized(self, language: str) -> VersionDef:
        """The version as a resident reading ``language`` sees it (cached per language)."""
        if language == self.language or language not in self.translations_present:
            return self
        found = self._localized.get(language)
        if found is None:
            texts = self.translations.get(language) or {}
            found = replace(
                self,
                title=texts.get("title") or self.title,
                intro=texts.get("intro") or self.intro,
                sections=tuple(s.localized(language) for s in self.sections),
                language=language,
                polish_texts=frozenset(
                    name
                    for name in ("title", "intro")
                    if getattr(self, name) and not texts.get(name)
                ),
            )
            self._localized[language] = found
        return found

    @cached_property
    def _localized(self) -> dict[str, VersionDef]:
        return {}

    @cached_property
    def translations_present(self) -> frozenset[str]:
        """Languages some text of this version is translated into."""
        found = set(self.translations)
        for section in self.sections:
            found.update(section.translations)
            for question in section.questions:
                found.update(question.translations)
        return frozenset(found)

    def missing_texts(self, language: str) -> list[str]:
        """The texts of this version that have no ``language`` translation, each named in
        Polish for the editor ("pytanie „Lokalizacja urzędu”: treść")."""
        texts = self.translations.get(language) or {}
        missing = [
            f"ankieta: {TEXT_NAMES[name]}"
            for name in ("title", "intro")
            if getattr(self, name) and not texts.get(name)
        ]
        for section in self.sections:
            missing += [
                f"sekcja „{section.title}”: {TEXT_NAMES[name]}"
                for name, _ in section.missing_texts(language)
            ]
            for question in section.questions:
                for name, text in question.missing_texts(language):
                    what = f"opcja „{text}”" if name.startswith("option:") else TEXT_NAMES[name]
                    missing.append(f"pytanie „{question.text}”: {what}")
        return missing

    @cached_property
    def languages_complete(self) -> frozenset[str]:
        """Translation languages that every text of this version has."""
        return frozenset(
            language for language in self.translations_present if not self.missing_texts(language)
        )

    @cached_property
    def questions(self) -> dict[str, QuestionDef]:
        return {q.key: q for section in self.sections for q in section.questions}

    @cached_property
    def questions_by_field(self) -> dict[str, QuestionDef]:
        return {q.field_name: q for q in self.questions.values()}

    @cached_property
    def overall_question(self) -> QuestionDef | None:
        """The overall rating question (``OVERALL_QUESTION_KEY``), if this version has it."""
        question = self.questions.get(OVERALL_QUESTION_KEY)
        return question if question is not None and question.kind == "rating" else None

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


# One cache per app (and so per database), keyed by office: never shared across either.
_published_versions: PerAppCache[tuple[int, int], VersionDef] = PerAppCache(
    "published survey versions"
)


def published_version(version_id: int) -> VersionDef | None:
    """The current office's published version ``version_id``, or None if it has no such one."""
    key = (current_tenant_id(), version_id)
    found = _published_versions.get(key)
    if found is None:
        found = _load_published(*key)
        if found is not None:  # a miss is never cached: the version may be published later
            _published_versions.put(key, found)
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
    by_section: dict[int, list[dict]] = {s.id: [] for s in sections}
    for q in questions:
        by_section[q.section_id].append(
            {
                "key": q.key,
                "kind": q.kind,
                "text": q.text,
                "help_text": q.help_text,
                "required": q.required,
                "not_applicable": q.allow_not_applicable,
                "options": list(q.options or ()),
                "translations": dict(q.translations or {}),
            }
        )
    data = {
        "title": version.title,
        "intro": version.intro,
        "translations": dict(version.translations or {}),
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "description": s.description,
                "translations": dict(s.translations or {}),
                "questions": by_section[s.id],
            }
            for s in sections
        ],
    }
    return version_from_definition(data, version.id, version.tenant_id, version.number)


def version_from_definition(data: dict, version_id: int, tenant_id: int, number: int) -> VersionDef:
    """A definition (the shape of ``default_template.toml``) as a ``VersionDef``: what the
    resident's form is rendered from, for published versions and for a draft's preview."""
    return VersionDef(
        id=version_id,
        tenant_id=tenant_id,
        number=number,
        title=data["title"],
        intro=data.get("intro", ""),
        translations=dict(data.get("translations") or {}),
        sections=tuple(
            SectionDef(
                key=s["key"],
                title=s["title"],
                description=s.get("description", ""),
                translations=dict(s.get("translations") or {}),
                questions=tuple(
                    QuestionDef(
                        key=q["key"],
                        kind=q.get("kind", "rating"),
                        text=q["text"],
                        help_text=q.get("help_text", ""),
                        required=q.get("required", False),
                        allow_not_applicable=q.get("kind", "rating") == "rating"
                        and q.get("not_applicable", True),
                        options=tuple(Option(o["key"], o["label"]) for o in q.get("options", ())),
                        translations=dict(q.get("translations") or {}),
                    )
                    for q in s.get("questions", ())
                ),
            )
            for s in data.get("sections", ())
        ),
    )


def definition_of(version: VersionDef) -> dict:
    """A version as an editable definition, every field explicit (a draft starts from it)."""
    return {
        "title": version.title,
        "intro": version.intro,
        "translations": version.translations,
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "description": s.description,
                "translations": s.translations,
                "questions": [
                    {
                        "key": q.key,
                        "kind": q.kind,
                        "text": q.text,
                        "help_text": q.help_text,
                        "required": q.required,
                        "not_applicable": q.allow_not_applicable,
                        "options": [{"key": o.key, "label": o.label} for o in q.options],
                        "translations": q.translations,
                    }
                    for q in s.questions
                ],
            }
            for s in version.sections
        ],
    }
