"""The survey editor's services: the office's one draft, its edits, and publishing it.

Publishing is the only way a new version comes to life, and it always starts with the
pre-change report of the results so far. Services flush, never commit; every change is
audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from saas_platform.core.db import db, utcnow
from tenants.audit import services as audit
from tenants.reports.models import Report
from tenants.reports.pre_change import make_pre_change_report
from tenants.survey.definition import (
    VersionDef,
    definition_of,
    live_version_id,
    published_version,
    version_from_definition,
)
from tenants.survey.drafts import DraftDiff, diff_definitions, import_translations
from tenants.survey.models import Question, Survey, SurveyDraft, SurveyVersion
from tenants.survey.template import (
    InvalidTemplate,
    check_template,
    publish_definition,
    survey_template,
)

# "template" is the full template (the editor's "przywróć szablon domyślny"); "short" the short
# one. Switching templates is a draft like any other: its publication makes the pre-change
# report first.
DRAFT_SOURCES = ("live", "template", "short")


class PublishConflict(RuntimeError):
    """Someone else published or changed the draft first; the message says what, in Polish."""


def office_survey() -> Survey:
    """The current office's survey (every office has exactly one)."""
    return db.session.scalars(select(Survey)).one()


def live_version() -> VersionDef | None:
    """The version residents answer now."""
    version_id = live_version_id()
    return published_version(version_id) if version_id else None


def current_draft(lock: bool = False) -> SurveyDraft | None:
    """The office's draft, freshly read; ``lock`` holds its row until the commit."""
    query = select(SurveyDraft).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def draft_preview(draft: SurveyDraft) -> VersionDef:
    """The draft as the resident's form is rendered from it (id 0: it cannot be answered)."""
    live = live_version()
    number = (live.number + 1) if live else 1
    return version_from_definition(draft.definition, 0, draft.tenant_id, number)


def draft_diff(draft: SurveyDraft) -> DraftDiff:
    """What the draft adds, changes and removes against the live version."""
    live = live_version()
    return diff_definitions(definition_of(live) if live else None, draft.definition)


def start_draft(source: str) -> SurveyDraft:
    """A draft copied from the live version, from the full template ("przywróć szablon
    domyślny") or from the short one ("ankieta krótka"); an existing draft is replaced."""
    if source not in DRAFT_SOURCES:
        raise InvalidTemplate("Nieznane źródło szkicu.")
    live = live_version()
    if source == "live" and live is None:
        raise InvalidTemplate("Urząd nie ma jeszcze opublikowanej ankiety.")
    definition = (
        definition_of(live)
        if source == "live"
        else _template_definition("short" if source == "short" else "full")
    )
    survey = office_survey()
    draft = current_draft(lock=True)
    if draft is None:
        draft = SurveyDraft(survey_id=survey.id, definition=definition, revision=1)
        db.session.add(draft)
    else:
        draft.definition = definition
        draft.revision += 1
        draft.updated_at = utcnow()
    draft.based_on_id = live.id if live else None
    db.session.flush()
    audit.record("survey.draft_start", "survey_draft", draft.id, after={"source": source})
    return draft


def _template_definition(name: str) -> dict:
    return definition_of(version_from_definition(survey_template(name), 0, 0, 0))


def edit_draft(
    draft: SurveyDraft, change: Callable[[dict], dict], what: str, key: str | None = None
) -> None:
    """Apply one edit to the draft; a result that breaks a rule is refused, nothing stored."""
    definition = change(draft.definition)
    check_template(definition, allow_empty=True)
    _check_kinds_kept(definition)
    draft.definition = definition
    draft.revision += 1
    draft.updated_at = utcnow()
    db.session.flush()
    audit.record("survey.draft_edit", "survey_draft", draft.id, after={"change": what, "key": key})


def import_template_translations() -> int:
    """Fill the draft's missing English and Ukrainian texts from the templates (full and
    short), where a text's Polish is still a template's; with no draft, one is started from
    the live version first. The live version changes only when the draft is published.
    Returns how many texts were filled."""
    draft = current_draft(lock=True) or start_draft("live")
    copied = 0

    def change(definition: dict) -> dict:
        nonlocal copied
        for name in ("full", "short"):  # a text of either template brings its translations
            definition, found = import_translations(definition, survey_template(name))
            copied += found
        return definition

    edit_draft(draft, change, "translations.import")
    return copied


def discard_draft(draft: SurveyDraft) -> None:
    """Throw the draft away; the live version runs on unchanged."""
    draft_id = draft.id
    db.session.delete(draft)
    db.session.flush()
    audit.record("survey.draft_discard", "survey_draft", draft_id)


def _check_kinds_kept(definition: dict) -> None:
    """A key keeps its kind across versions: its results are compared with its past."""
    kinds = {
        q["key"]: q.get("kind", "rating") for s in definition["sections"] for q in s["questions"]
    }
    if not kinds:
        return
    earlier = db.session.execute(
        select(Question.key, Question.kind)
        .join(
            SurveyVersion,
            (SurveyVersion.id == Question.version_id)
            & (SurveyVersion.tenant_id == Question.tenant_id),
        )
        .where(Question.key.in_(kinds), SurveyVersion.published_at.is_not(None))
        .distinct()
    )
    for key, kind in earlier:
        if kinds[key] != kind:
            raise InvalidTemplate(
                f"Pytanie {key} miało w opublikowanych wersjach inny rodzaj odpowiedzi; "
                "aby zmienić rodzaj, nadaj pytaniu nowy klucz (jego wyniki zaczną się od nowa)."
            )


@dataclass(frozen=True)
class Published:
    version: SurveyVersion
    report: Report


def publish_draft(
    revision: int, today: date, actor_id: int | None, recipients: list[str]
) -> Published:
    """Make the pre-change report, then the draft the new live version, in the caller's
    transaction. ``revision`` is the draft the admin confirmed; the survey row is locked, so
    of two admins publishing at once exactly one succeeds and the other gets
    ``PublishConflict``."""
    survey = db.session.scalars(
        select(Survey).with_for_update().execution_options(populate_existing=True)
    ).one()
    draft = current_draft(lock=True)
    if draft is None:
        raise PublishConflict(
            "Tego szkicu nie ma już: ktoś inny właśnie go opublikował albo usunął. "
            "Sprawdź aktualną wersję ankiety."
        )
    live_id = live_version_id()
    if draft.revision != revision or draft.based_on_id != live_id:
        raise PublishConflict(
            "Szkic zmienił się, odkąd go oglądano (albo opublikowano w międzyczasie inną "
            "wersję). Sprawdź zmiany i potwierdź publikację jeszcze raz."
        )
    check_template(draft.definition)
    _check_kinds_kept(draft.definition)
    diff = draft_diff(draft)
    previous = published_version(live_id) if live_id else None
    report = make_pre_change_report(
        "survey.publish",
        "survey",
        today,
        actor_id,
        recipients,
        version=previous.number if previous else None,
    )
    try:
        with db.session.begin_nested():
            version = publish_definition(survey, draft.definition)
    except IntegrityError as exc:  # a version of this number appeared meanwhile
        raise PublishConflict(
            "W tej chwili opublikowano już inną wersję ankiety. Sprawdź ją przed kolejną zmianą."
        ) from exc
    db.session.delete(draft)
    db.session.flush()
    audit.record(
        "survey.publish",
        "survey_version",
        version.id,
        before={"version": previous.number if previous else None},
        after={"version": version.number, "pre_change_report_id": report.id, **diff.summary()},
    )
    return Published(version, report)
