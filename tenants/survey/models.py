"""Survey, its immutable published versions, departments, responses and the running counts.

Foreign keys between tenant rows are composite ``(tenant_id, id)``, so the database itself
refuses a response that points at another office's version or department.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from saas_platform.core.db import Model, TenantScoped, UTCDateTime, utcnow

QUESTION_KINDS = ("rating", "single_choice", "multiple_choice", "yes_no", "text", "department")
CHANNELS = ("web", "banner", "qr", "kiosk", "paper", "widget")
# Languages a survey may be offered in besides Polish, which is always complete.
TRANSLATION_LANGUAGES = ("en", "uk")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _same_tenant_fk(column: str, target: str, ondelete: str | None = None):
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], ondelete=ondelete
    )


class Department(TenantScoped, Model):
    """A wydział or referat; the resident may say which one served them."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        # Unique regardless of case, as the database's lower() folds it (ASCII only on SQLite);
        # tenants.office.services checks with the same function.
        sa.Index(
            "uq_departments_tenant_id_lower_name", "tenant_id", sa.func.lower(name), unique=True
        ),
    )


class Survey(TenantScoped, Model):
    """The office's survey; what residents see is its latest published version."""

    __tablename__ = "surveys"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "id"), sa.UniqueConstraint("tenant_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyVersion(TenantScoped, Model):
    """One published form. Never changed after publication; responses point at it."""

    __tablename__ = "survey_versions"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.UniqueConstraint("survey_id", "number"),
        _same_tenant_fk("survey_id", "surveys", ondelete="CASCADE"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column()
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    intro: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # {"en": {"title": ..., "intro": ...}, "uk": {...}}; a missing text falls back to Polish.
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")


class Section(TenantScoped, Model):
    """A group of questions, shown as one fieldset (e.g. "Wizerunek Urzędu")."""

    __tablename__ = "survey_sections"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.UniqueConstraint("version_id", "key"),
        _same_tenant_fk("version_id", "survey_versions", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column()
    key: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # {"en": {"title": ..., "description": ...}, "uk": {...}}
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")


class Question(TenantScoped, Model):
    """A question with a stable ``key``: results of the same key compare across versions."""

    __tablename__ = "survey_questions"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "key"),
        _same_tenant_fk("version_id", "survey_versions", ondelete="CASCADE"),
        _same_tenant_fk("section_id", "survey_sections", ondelete="CASCADE"),
        sa.CheckConstraint(_in("kind", QUESTION_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column()
    section_id: Mapped[int] = mapped_column()
    key: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.String(500))
    help_text: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    allow_not_applicable: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # [{"key": "wniosek", "label": "Złożenie wniosku"}, ...] for choice questions.
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    # {"en": {"text": ..., "help_text": ..., "options": {"wniosek": "Application"}}, "uk": {...}}
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")


class SurveyDraft(TenantScoped, Model):
    """The one draft of a survey an admin is editing: a definition (the shape of
    ``default_template.toml``) that becomes a new published version when it is published.

    Kept as one document rather than as version rows, so that keys can be renamed and
    questions moved freely without touching the unique keys of published rows.
    """

    __tablename__ = "survey_drafts"
    __table_args__ = (
        sa.UniqueConstraint("survey_id"),  # one draft per survey
        _same_tenant_fk("survey_id", "surveys", ondelete="CASCADE"),
        _same_tenant_fk("based_on_id", "survey_versions"),
        sa.CheckConstraint("revision > 0", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column()
    # The live version when the draft was started (None: the survey had none).
    based_on_id: Mapped[int | None] = mapped_column()
    definition: Mapped[dict] = mapped_column(sa.JSON)
    # Bumped by every edit: publishing names the revision the admin looked at.
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Response(TenantScoped, Model):
    """One completed survey. Anonymous: no IP address, user agent or other personal data."""

    __tablename__ = "responses"
    tenant_id_index = False  # uq (tenant_id, id) leads with it
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        # The form carries a random key, so a double click or a re-sent POST stores nothing new.
        sa.UniqueConstraint("tenant_id", "submission_key"),
        _same_tenant_fk("version_id", "survey_versions"),
        _same_tenant_fk("department_id", "departments"),
        sa.CheckConstraint(_in("channel", CHANNELS), name="channel"),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
        sa.CheckConstraint("lowest_rating BETWEEN 1 AND 5", name="lowest_rating_range"),
        sa.Index(None, "tenant_id", "submitted_at"),
        sa.Index(None, "tenant_id", "answered_on"),
        # A department's responses: "may it be deleted?" and the foreign-key check on delete.
        sa.Index(None, "tenant_id", "department_id"),
        # Burst detection: the same answers in the last minutes, at submission time.
        sa.Index(None, "tenant_id", "fingerprint", "submitted_at"),
        # The few flagged or excluded responses, found without scanning the others.
        sa.Index(
            "ix_responses_flagged",
            "tenant_id",
            "submitted_at",
            postgresql_where=sa.text("flag_reason IS NOT NULL"),
            sqlite_where=sa.text("flag_reason IS NOT NULL"),
        ),
        sa.Index(
            "ix_responses_excluded",
            "tenant_id",
            "answered_on",
            postgresql_where=sa.text("excluded_at IS NOT NULL"),
            sqlite_where=sa.text("excluded_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column()
    department_id: Mapped[int | None] = mapped_column()
    channel: Mapped[str] = mapped_column(sa.String(10))
    submission_key: Mapped[str] = mapped_column(sa.String(36))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The date written on a paper form; equals the submission date for electronic channels.
    answered_on: Mapped[date] = mapped_column(sa.Date)
    # sha256 of the coded answers (never of anything about the client); NULL before 0005.
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    # Why the response needs a look from staff (a code of FLAG_REASONS); None: nothing to see.
    flag_reason: Mapped[str | None] = mapped_column(sa.String(32))
    # Staff excluded it from results: it stays stored but leaves every count.
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The response's own index of its 1–5 ratings, 0–100 to one decimal, and its lowest rating
    # ("nie dotyczy" left out; NULL: it rated nothing), written with it: the staff's list sorts
    # and filters by them without reading answers (survey.responses.own_score).
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(4, 1))
    lowest_rating: Mapped[int | None] = mapped_column(sa.SmallInteger)


class Answer(TenantScoped, Model):
    """One value of one question in one response (several rows for a multiple choice)."""

    __tablename__ = "answers"
    tenant_id_index = False  # (tenant_id, response_id) leads with it
    tenant_id_foreign_key = False  # the office is the response's: the composite key checks it
    __table_args__ = (
        _same_tenant_fk("response_id", "responses", ondelete="CASCADE"),
        sa.Index(None, "tenant_id", "response_id"),
        # Comments are read by question (the open-text ones), then filtered by period.
        sa.Index(None, "tenant_id", "question_key", "response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column()
    question_key: Mapped[str] = mapped_column(sa.String(64))
    value: Mapped[str] = mapped_column(sa.Text)


class ResponseCount(TenantScoped, Model):
    """How many responses gave ``value`` to ``question_key``, per department, channel and day.

    Dashboards and reports read these instead of scanning answers, so their cost does not grow
    with the number of responses. ``question_key = '*'`` counts whole responses.
    ``department_id = 0`` means "not given" (a NULL would defeat the upsert's unique key).
    """

    __tablename__ = "response_counts"
    tenant_id_index = False  # the primary key leads with it
    __table_args__ = (
        sa.PrimaryKeyConstraint(
            "tenant_id", "version_id", "question_key", "department_id", "channel", "day", "value"
        ),
        _same_tenant_fk("version_id", "survey_versions"),
        sa.CheckConstraint("count >= 0", name="count_not_negative"),
        # (PostgreSQL only, migration 0032: SQLite would copy the table to add it.)
        sa.CheckConstraint("overall_n >= 0 AND overall_n <= count", name="overall_pairs"),
        sa.CheckConstraint("comments >= 0", name="comments_not_negative"),  # (0037, as above)
        # Dashboards and reports read one office's period: day is their leading filter.
        sa.Index(None, "tenant_id", "day"),
        # A few items over some days (an action's effect windows, a drill-down page, the
        # responses' own rows behind the comment total): the keys lead, not every key's day.
        # No counted column in it, so a count's update can stay a heap-only one.
        sa.Index(None, "tenant_id", "question_key", "day"),
    )

    version_id: Mapped[int] = mapped_column()
    question_key: Mapped[str] = mapped_column(sa.String(64))
    department_id: Mapped[int] = mapped_column()
    channel: Mapped[str] = mapped_column(sa.String(10))
    day: Mapped[date] = mapped_column(sa.Date)
    value: Mapped[str] = mapped_column(sa.String(64))
    count: Mapped[int] = mapped_column()
    # Of the responses counted here: how many rated the overall question 1–5, and the sum of
    # that rating and of its square. Paired with ``value`` they give the sums a correlation of
    # an item with the overall question needs ("Priorytety", ``tenants.reports.priorities``).
    overall_n: Mapped[int] = mapped_column(server_default="0")
    overall_sum: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    overall_squares: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    # On a ``RESPONSES_KEY`` row: the comments (open-text answers) its responses left, so a
    # period's comment total comes from the counts (migration 0037); 0 on every other row.
    comments: Mapped[int] = mapped_column(server_default="0")


class MonthlyResponseCount(TenantScoped, Model):
    """``response_counts`` summed per calendar month (``month`` is its first day).

    Kept by database triggers on ``response_counts`` (migration 0006), never written by the
    application: every change to a daily count reaches its month in the same statement.
    Dashboards and reports read whole months here and the edge days of a period from the daily
    counts, so a year costs twelve rows per key instead of 365.
    """

    __tablename__ = "response_counts_monthly"
    tenant_id_index = False  # the primary key leads with it
    __table_args__ = (
        sa.PrimaryKeyConstraint(
            "tenant_id", "version_id", "question_key", "department_id", "channel", "month", "value"
        ),
        _same_tenant_fk("version_id", "survey_versions"),
        sa.CheckConstraint("count >= 0", name="count_not_negative"),
        # (PostgreSQL only, migration 0032: SQLite would copy the table to add it.)
        sa.CheckConstraint("overall_n >= 0 AND overall_n <= count", name="overall_pairs"),
        sa.CheckConstraint("comments >= 0", name="comments_not_negative"),  # (0037, as above)
        # Covering on PostgreSQL: a period's months are read by an index-only scan.
        sa.Index(
            None,
            "tenant_id",
            "month",
            postgresql_include=[
                "version_id",
                "question_key",
                "department_id",
                "channel",
                "value",
                "count",
                "overall_n",
                "overall_sum",
                "overall_squares",
                "comments",
            ],
        ),
    )

    version_id: Mapped[int] = mapped_column()
    question_key: Mapped[str] = mapped_column(sa.String(64))
    department_id: Mapped[int] = mapped_column()
    channel: Mapped[str] = mapped_column(sa.String(10))
    month: Mapped[date] = mapped_column(sa.Date)
    value: Mapped[str] = mapped_column(sa.String(64))
    count: Mapped[int] = mapped_column()
    overall_n: Mapped[int] = mapped_column(server_default="0")
    overall_sum: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    overall_squares: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    comments: Mapped[int] = mapped_column(server_default="0")


class KioskDevice(TenantScoped, Model):
    """A shared tablet in the office. Only a hash of its token is stored; the token itself is
    shown to the admin once, inside the kiosk link."""

    __tablename__ = "kiosk_devices"
    __table_args__ = (sa.UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


FLAG_REASONS = {"burst": "seria identycznych odpowiedzi"}
RESPONSES_KEY = "*"
NO_DEPARTMENT = 0


# -- published versions never change ---------------------------------------------------------


class PublishedVersionChange(RuntimeError):
    """Something tried to change or delete a published survey version, section or question."""


_VERSION_PARTS = (Section, Question)


def _published_before(obj) -> bool:
    """Whether a survey version was already published when it was loaded from the database."""
    history = sa.inspect(obj).attrs.published_at.history
    original = history.deleted or history.unchanged
    return bool(original and original[0] is not None)


def _in_published_version(session, part) -> bool:
    history = sa.inspect(part).attrs.version_id.history
    version_ids = {*history.deleted, *history.unchanged, *history.added}
    with session.no_autoflush:
        for version_id in version_ids:
            version = session.get(SurveyVersion, version_id) if version_id else None
            if version is not None and _published_before(version):
                return True
    return False


@sa.event.listens_for(Session, "before_flush")
def _refuse_changes_to_published_versions(session, flush_context, instances) -> None:
    for obj in session.dirty:
        if not session.is_modified(obj):
            continue
        if (isinstance(obj, SurveyVersion) and _published_before(obj)) or (
            isinstance(obj, _VERSION_PARTS) and _in_published_version(session, obj)
        ):
            raise PublishedVersionChange(f"{obj!r} belongs to a published survey version")
    for obj in session.deleted:
        if (isinstance(obj, SurveyVersion) and _published_before(obj)) or (
            isinstance(obj, _VERSION_PARTS) and _in_published_version(session, obj)
        ):
            raise PublishedVersionChange(f"{obj!r} belongs to a published survey version")
    for obj in session.new:
        if isinstance(obj, _VERSION_PARTS) and _in_published_version(session, obj):
            raise PublishedVersionChange(f"{obj!r} would join a published survey version")


@sa.event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes_to_versions(state) -> None:
    mapper = state.bind_mapper
    guarded = mapper is not None and mapper.class_ in (SurveyVersion, *_VERSION_PARTS)
    if guarded and (state.is_update or state.is_delete):
        raise PublishedVersionChange("survey versions change only by publishing a draft")
