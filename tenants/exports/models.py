"""Exports made in the background: one row per large export asked for (§10 of issue 17).

The row is the source of truth, as a report's is (``tenants.reports.models``): it is written
first, the task that makes the file is sent after the commit, and the sweeper sends it again
if the broker lost it or a worker died. The finished file is kept in the row.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas_platform.core.db import Model, TenantScoped, UTCDateTime, utcnow

EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_STATUSES = ("queued", "running", "done", "failed")
EMAIL_STATUSES = ("none", "pending", "sent", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ExportJob(TenantScoped, Model):
    """A spreadsheet of an office's filtered responses made by a worker, and its progress."""

    __tablename__ = "export_jobs"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "requested_by_id"], ["staff_users.tenant_id", "staff_users.id"]
        ),
        sa.CheckConstraint(_in("format", EXPORT_FORMATS), name="format"),
        sa.CheckConstraint(_in("status", EXPORT_STATUSES), name="status"),
        sa.CheckConstraint(_in("email_status", EMAIL_STATUSES), name="email_status"),
        sa.CheckConstraint("rows_done >= 0", name="rows_done_positive"),
        sa.CheckConstraint("status <> 'done' OR content IS NOT NULL", name="done_has_file"),
        sa.Index(None, "tenant_id", "created_at"),
        sa.Index(None, "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    format: Mapped[str] = mapped_column(sa.String(8))
    # The filters and search as query-string arguments, the period as fixed dates: the worker
    # reads them with the same parsers as the page, so the file holds what the page showed.
    args: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    filename: Mapped[str] = mapped_column(sa.String(200))
    # The responses to export, counted by the worker when it starts (0 until then)
    total: Mapped[int] = mapped_column()
    rows_done: Mapped[int] = mapped_column(default=0, server_default="0")
    requested_by_id: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    content_size: Mapped[int | None] = mapped_column()
    content_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    email_status: Mapped[str] = mapped_column(sa.String(16), default="none")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_pending(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def percent_done(self) -> int:
        """How far the worker is, 0–100 (a done export is 100 whatever the count said)."""
        if self.status == "done":
            return 100
        return min(99, self.rows_done * 100 // self.total) if self.total else 0
