"""Corrective and improvement actions (§4): the register of what an office does about its
results, with a dated log of progress notes.

An action links survey items by their stable question keys and departments by id (both
checked against the office by the services), has one responsible person (a staff member or a
unit or person named as text) and a version column: a save made from a stale form is refused
rather than written over someone else's change.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas_platform.core.db import Model, TenantScoped, UTCDateTime, utcnow

KINDS = ("corrective", "improvement")
STATUSES = ("planned", "in_progress", "done", "abandoned")
OPEN_STATUSES = ("planned", "in_progress")
KIND_LABELS = {"corrective": "naprawcze", "improvement": "doskonalące"}
STATUS_LABELS = {
    "planned": "planowane",
    "in_progress": "w toku",
    "done": "zrealizowane",
    "abandoned": "porzucone",
}
TITLE_LIMIT = 200
DESCRIPTION_LIMIT = 5000
RESPONSIBLE_TEXT_LIMIT = 200
REASON_LIMIT = 1000
NOTE_LIMIT = 2000
DEFAULT_WINDOW_DAYS = 90
MIN_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 365


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Action(TenantScoped, Model):
    """One corrective or improvement action of an office."""

    __tablename__ = "actions"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "responsible_user_id"], ["staff_users.tenant_id", "staff_users.id"]
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by_id"], ["staff_users.tenant_id", "staff_users.id"]
        ),
        sa.CheckConstraint(_in("kind", KINDS), name="kind"),
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        sa.CheckConstraint(
            "planned_start IS NULL OR due_date IS NULL OR planned_start <= due_date",
            name="dates_order",
        ),
        sa.CheckConstraint("status <> 'abandoned' OR abandon_reason <> ''", name="abandon_reason"),
        sa.CheckConstraint(
            "(status = 'done') = (implemented_on IS NOT NULL)", name="implemented_when_done"
        ),
        sa.CheckConstraint("NOT published OR status = 'done'", name="published_when_done"),
        sa.CheckConstraint(
            f"effect_window_days BETWEEN {MIN_WINDOW_DAYS} AND {MAX_WINDOW_DAYS}",
            name="effect_window_range",
        ),
        sa.Index(None, "tenant_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_LIMIT))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    kind: Mapped[str] = mapped_column(sa.String(16))
    # Stable question keys of rated items, and department ids, both of this office.
    item_keys: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    department_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    responsible_user_id: Mapped[int | None] = mapped_column()
    responsible_text: Mapped[str] = mapped_column(
        sa.String(RESPONSIBLE_TEXT_LIMIT), default="", server_default=""
    )
    planned_start: Mapped[date | None] = mapped_column(sa.Date)
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    implemented_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="planned")
    abandon_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    effect_window_days: Mapped[int] = mapped_column(
        default=DEFAULT_WINDOW_DAYS, server_default=str(DEFAULT_WINDOW_DAYS)
    )
    # Listed on the office's public page ("Zmieniliśmy dzięki Waszym ocenom"); done ones only.
    published: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The office's day a reminder was last sent for this action (the beat task's marker).
    reminded_on: Mapped[date | None] = mapped_column(sa.Date)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_by_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        """Open and past its due date."""
        return self.is_open and self.due_date is not None and self.due_date < today


class ActionNote(TenantScoped, Model):
    """A dated progress note on an action; notes are added, never edited."""

    __tablename__ = "action_notes"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "action_id"], ["actions.tenant_id", "actions.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "author_id"], ["staff_users.tenant_id", "staff_users.id"]
        ),
        sa.Index(None, "tenant_id", "action_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column()
    author_id: Mapped[int | None] = mapped_column()
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
