"""Platform operators (no office), their one-time setup links, and the platform audit log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas_platform.core.db import Model, UTCDateTime, utcnow
from saas_platform.core.secrets_box import EncryptedString

# A base32 TOTP secret (pyotp makes 32 characters); stored encrypted with SECRETS_KEY.
TOTP_SECRET_MAX_LENGTH = 64


class PlatformOperator(Model):
    """Runs the platform. Signs in with a password and a TOTP code, always both."""

    __tablename__ = "platform_operators"
    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString(TOTP_SECRET_MAX_LENGTH))
    # The last TOTP time step accepted: a code is never accepted twice.
    last_totp_step: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_enrolled(self) -> bool:
        return bool(self.password_hash and self.totp_secret)


class OperatorSetupLink(Model):
    """A single-use, expiring link to set the password and enrol the second factor."""

    __tablename__ = "operator_setup_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("platform_operators.id", ondelete="CASCADE"), index=True
    )
    nonce: Mapped[str] = mapped_column(sa.String(64))
    pending_totp_secret: Mapped[str] = mapped_column(EncryptedString(TOTP_SECRET_MAX_LENGTH))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlatformAuditEntry(Model):
    """Every operator action. Keeps the office's slug, so it outlives the office."""

    __tablename__ = "platform_audit_entries"
    __table_args__ = (sa.Index(None, "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("platform_operators.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(sa.String(64))
    office_slug: Mapped[str] = mapped_column(sa.String(63), default="", server_default="")
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
