"""Reports: one row per report asked for (by staff, by the schedule, or before a survey change),
with its PDF and its accessible HTML edition.

The row is the source of truth: it is written first, the task that renders it is sent after
the commit, and the sweeper sends it again if the broker lost it or a worker died.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas_platform.core.db import Model, TenantScoped, UTCDateTime, utcnow

REPORT_KINDS = ("on_demand", "scheduled", "pre_change")
REPORT_STATUSES = ("queued", "running", "done", "failed")
EMAIL_STATUSES = ("none", "pending", "sent", "failed")
FREQUENCIES = ("yearly", "quarterly", "monthly")
KIND_LABELS = {
    "on_demand": "Raport na żądanie",
    "scheduled": "Raport okresowy",
    "pre_change": "Raport przed zmianą",
}
# What a pre-change report was made before: its label names it.
PRE_CHANGE_LABELS = {
    "survey": "Raport przed zmianą ankiety",
    "departments": "Raport przed zmianą wydziałów",
    "office": "Raport przed zmianą danych urzędu",
}


def report_label(kind: str, subject: str | None = None) -> str:
    """The Polish name of a report's kind; a pre-change report's names what changed."""
    if kind == "pre_change" and subject in PRE_CHANGE_LABELS:
        return PRE_CHANGE_LABELS[subject]
    return KIND_LABELS[kind]


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Report(TenantScoped, Model):
    """A report (PDF and HTML edition) of one office's results for a period, and the state of
    making it."""

    __tablename__ = "reports"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "department_id"], ["departments.tenant_id", "departments.id"]
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "requested_by_id"], ["staff_users.tenant_id", "staff_users.id"]
        ),
        sa.CheckConstraint(_in("kind", REPORT_KINDS), name="kind"),
        sa.CheckConstraint(_in("status", REPORT_STATUSES), name="status"),
        sa.CheckConstraint(_in("email_status", EMAIL_STATUSES), name="email_status"),
        sa.CheckConstraint(
            "frequency IS NULL OR " + _in("frequency", FREQUENCIES), name="frequency"
        ),
        sa.CheckConstraint(
            "subject IS NULL OR " + _in("subject", tuple(PRE_CHANGE_LABELS)), name="subject"
        ),
        sa.CheckConstraint("period_start <= period_end", name="period_order"),
        sa.CheckConstraint("status <> 'done' OR pdf IS NOT NULL", name="done_has_pdf"),
        # The dispatcher may run twice: one scheduled report per office and period, ever.
        sa.Index(
            "uq_reports_scheduled_period",
            "tenant_id",
            "period_start",
            "period_end",
            unique=True,
            postgresql_where=sa.text("kind = 'scheduled'"),
            sqlite_where=sa.text("kind = 'scheduled'"),
        ),
        sa.Index(None, "tenant_id", "created_at"),
        sa.Index(None, "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    frequency: Mapped[str | None] = mapped_column(sa.String(16))
    # Pre-change reports only: what changed ("survey", "departments", "office"), and the
    # newest response id when the report was asked for (None: no response yet).
    subject: Mapped[str | None] = mapped_column(sa.String(16))
    covers_response_id: Mapped[int | None] = mapped_column()
    # The threshold the report flags items against; None: the office's current one. A
    # pre-change report keeps the one in force before the change.
    score_threshold: Mapped[int | None] = mapped_column()
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    department_id: Mapped[int | None] = mapped_column()
    requested_by_id: Mapped[int | None] = mapped_column()
    recipients: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    pdf_size: Mapped[int | None] = mapped_column()
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    # The accessible HTML edition, made with the PDF from the same figures (None for a report
    # made before the edition existed).
    html: Mapped[str | None] = mapped_column(sa.Text, deferred=True)
    html_size: Mapped[int | None] = mapped_column()
    email_status: Mapped[str] = mapped_column(sa.String(16), default="none")
    email_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def label(self) -> str:
        return report_label(self.kind, self.subject)

    @property
    def is_pending(self) -> bool:
        return self.status in ("queued", "running")
