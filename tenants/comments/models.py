"""Comment triage and the staff alerts digest.

A comment is one open-text answer: a response and the key of its text question. Triage gives
it a status and topics from the office's own list; a comment nobody has triaged has no row
and counts as "nowy". The digest is a per-member subscription and one row per window a
digest covers, claimed before anything is sent, so a window is never mailed twice.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas_platform.core.db import Model, TenantScoped, UTCDateTime, utcnow

TOPIC_NAME_LIMIT = 60
# Seeded for every office (new ones at onboarding, existing ones by migration 0033).
DEFAULT_TOPICS = (
    "czas oczekiwania",
    "parking",
    "uprzejmość",
    "informacja",
    "formularze",
    "godziny otwarcia",
    "inne",
)
STATUSES = ("new", "read", "forwarded", "resolved")
STATUS_LABELS = {
    "new": "nowy",
    "read": "przeczytany",
    "forwarded": "przekazany",
    "resolved": "wyjaśniony",
}
FREQUENCIES = ("daily", "weekly")
FREQUENCY_LABELS = {"daily": "codziennie", "weekly": "raz w tygodniu"}
WINDOW_STATUSES = ("pending", "sending", "sent", "empty")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CommentTopic(TenantScoped, Model):
    """A topic of the office's list ("parking"); admins add, rename and delete them."""

    __tablename__ = "comment_topics"
    tenant_id_index = False  # the unique keys lead with it

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(TOPIC_NAME_LIMIT))
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.CheckConstraint("name <> ''", name="name_not_empty"),
        # One name once per office, whatever its letter case (the services check the same).
        sa.Index(
            "uq_comment_topics_tenant_id_lower_name", "tenant_id", sa.func.lower(name), unique=True
        ),
    )


class CommentTriage(TenantScoped, Model):
    """The status of one comment and (through ``CommentTopicLink``) its topics."""

    __tablename__ = "comment_triage"
    tenant_id_index = False  # the unique keys lead with it
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.UniqueConstraint("tenant_id", "response_id", "question_key"),
        # Retention deletes responses: their comments' triage goes with them.
        sa.ForeignKeyConstraint(
            ["tenant_id", "response_id"],
            ["responses.tenant_id", "responses.id"],
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "updated_by_id"], ["staff_users.tenant_id", "staff_users.id"]
        ),
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        sa.Index(None, "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column()
    question_key: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="new")
    updated_by_id: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CommentTopicLink(TenantScoped, Model):
    """One topic of one triaged comment."""

    __tablename__ = "comment_topic_links"
    tenant_id_index = False  # the primary key leads with it
    __table_args__ = (
        sa.PrimaryKeyConstraint("tenant_id", "triage_id", "topic_id"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "triage_id"],
            ["comment_triage.tenant_id", "comment_triage.id"],
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "topic_id"],
            ["comment_topics.tenant_id", "comment_topics.id"],
            ondelete="CASCADE",
        ),
        sa.Index(None, "tenant_id", "topic_id"),
    )

    triage_id: Mapped[int] = mapped_column()
    topic_id: Mapped[int] = mapped_column()


class DigestSubscription(TenantScoped, Model):
    """A staff member's choice of the alerts digest: daily or weekly (no row: none)."""

    __tablename__ = "digest_subscriptions"
    tenant_id_index = False  # the unique key leads with it
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "user_id"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["staff_users.tenant_id", "staff_users.id"],
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_in("frequency", FREQUENCIES), name="frequency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column()
    frequency: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestWindow(TenantScoped, Model):
    """The office days one member's digest covers (``first_day`` to ``last_day``, inclusive).

    The beat task inserts the row (one per member and last day: a second run finds it and
    claims nothing), the mail task moves it from ``pending`` to ``sending`` atomically before
    it mails, so the same window is never mailed twice; ``empty``: there was nothing to say.
    """

    __tablename__ = "digest_windows"
    tenant_id_index = False  # the unique key leads with it
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "user_id", "last_day"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["staff_users.tenant_id", "staff_users.id"],
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_in("frequency", FREQUENCIES), name="frequency"),
        sa.CheckConstraint(_in("status", WINDOW_STATUSES), name="status"),
        sa.CheckConstraint("first_day <= last_day", name="days_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column()
    frequency: Mapped[str] = mapped_column(sa.String(8))
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(8), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
