"""The office's audit log: one row for every change staff (or the system) made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas_platform.core.db import Model, TenantScoped, UTCDateTime, utcnow


class AuditEntry(TenantScoped, Model):
    """Who changed what, when, with the values before and after."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "actor_id"], ["staff_users.tenant_id", "staff_users.id"]
        ),
        sa.Index(None, "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column()  # None: the system or the platform operator
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    object_id: Mapped[int | None] = mapped_column()
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
