"""Staff accounts and their one-time links (invitations, password resets)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas_platform.core.db import Model, TenantScoped, UTCDateTime, utcnow

ROLES = ("admin", "analyst", "manager")
# A department manager ("kierownik wydziału") sees the results, responses, comments and reports
# of the departments linked to them in ``staff_departments`` only (at least one).
MANAGER = "manager"
# The roles as staff read them (neutral forms), in the order the forms offer them.
ROLE_LABELS = {
    "analyst": "analityk (przegląda wyniki i raporty)",
    "manager": "kierownik wydziału (widzi wyniki swoich wydziałów)",
    "admin": "administrator",
}
TOKEN_PURPOSES = ("invitation", "password_reset")


class StaffUser(TenantScoped, Model):
    """A member of one office's staff. Admins run the office; analysts read results; managers
    read the results of their own departments (``department_ids``)."""

    __tablename__ = "staff_users"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.UniqueConstraint("tenant_id", "email"),
        sa.CheckConstraint(f"role IN {ROLES!r}", name="role"),
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    role: Mapped[str] = mapped_column(sa.String(16))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Bumped on logout, password change, deactivation and "sign out everywhere"; sessions
    # carry it, so older sessions (and copies of their cookies) stop working.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The departments a manager leads (empty for the other roles), loaded with the member: the
    # user loader reads it on every request, and every staff page needs the scope.
    department_links: Mapped[list[StaffDepartment]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True
    )

    # Flask-Login protocol
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.tenant_id}:{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        return self.role == MANAGER

    @property
    def department_ids(self) -> frozenset[int]:
        """The departments linked to this member (a manager's; none for other roles)."""
        return frozenset(link.department_id for link in self.department_links)

    @property
    def department_scope(self) -> frozenset[int] | None:
        """What part of the office's data this member may read: a manager's departments, or
        None for the whole office (admins, analysts). Every result filter is built with it
        (``tenants.survey.filters.parse_filters``)."""
        return self.department_ids if self.is_manager else None

    @property
    def display_name(self) -> str:
        return self.name or self.email


class StaffDepartment(TenantScoped, Model):
    """A department a manager leads. A table rather than an int[] column on ``staff_users``: the
    composite foreign keys keep every link inside the office and pointing at a department that
    exists, and a merge or deletion can find the managers of a department with an index.

    A deactivated department keeps its links (the manager still reads its past data); a merge
    adds the target department to the source's managers (the responses move there) and keeps
    the source's link; a department with managers cannot be deleted until they are re-linked.
    """

    __tablename__ = "staff_departments"
    tenant_id_index = False  # the primary key leads with it
    __table_args__ = (
        sa.PrimaryKeyConstraint("tenant_id", "user_id", "department_id"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["staff_users.tenant_id", "staff_users.id"],
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "department_id"],
            ["departments.tenant_id", "departments.id"],
            ondelete="CASCADE",
        ),
        sa.Index(None, "tenant_id", "department_id"),
    )

    user_id: Mapped[int] = mapped_column()
    department_id: Mapped[int] = mapped_column()


class StaffToken(TenantScoped, Model):
    """A single-use link (invitation or password reset). The link itself is signed with the
    secret key and names this row; the row makes it single-use and expiring."""

    __tablename__ = "staff_tokens"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["staff_users.tenant_id", "staff_users.id"],
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(f"purpose IN {TOKEN_PURPOSES!r}", name="purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column()
    purpose: Mapped[str] = mapped_column(sa.String(20))
    nonce: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
