"""An office's staff managed from outside its panel: the operator console and
``satysfakcja staff``. The same account services as the panel's own staff pages, inside the
office's scope, audited twice: in the office's log (``via`` says who) and in the platform's.
Services flush, never commit: the caller commits, then sends the invitation's mail task.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from saas_platform.operator.services import record
from tenants.accounts import services as staff
from tenants.accounts.models import StaffUser
from tenants.accounts.services import StaffError, StaffLink
from tenants.survey.departments import department_labels

COMMAND_LINE = "wiersz poleceń"


@dataclass(frozen=True)
class Invitation:
    """Who was invited (plain values: the account row is the office's, and its attributes
    expire at the commit, outside the office's scope) and the link to send."""

    email: str
    role: str
    link: StaffLink


def office_by_slug(slug: str) -> Tenant | None:
    """The office registered under ``slug`` (the registry is not tenant-scoped)."""
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug.strip().lower()))


def members_of(tenant: Tenant) -> list[StaffUser]:
    """The office's staff accounts, active or not, by e-mail address."""
    with tenant_scope(tenant):
        return list(db.session.scalars(select(StaffUser).order_by(StaffUser.email)))


def departments_of(tenant: Tenant) -> dict[int, str]:
    """The office's departments (inactive ones marked), id -> name, in the office's order:
    what a manager may be given."""
    with tenant_scope(tenant):
        return department_labels()


def _via(operator_email: str | None) -> str:
    return f"operator {operator_email}" if operator_email else COMMAND_LINE


def invite_member(
    operator_id: int | None,
    operator_email: str | None,
    tenant: Tenant,
    email: str,
    role: str,
    name: str = "",
    department_ids: Iterable[int] = (),
) -> Invitation:
    """Invite ``email`` into ``tenant`` with ``role`` (``operator_id`` None: the command line)
    and, for a manager, ``department_ids``; ``StaffError`` for an address already there, a role
    that does not exist, a bad address, a manager without departments or with another's."""
    with tenant_scope(tenant):
        user, link = staff.invite(
            email, role, name, via=_via(operator_email), department_ids=department_ids
        )
        departments = list(staff.department_names(user.department_ids).values())
    extra = {"departments": departments} if departments else {}
    record(operator_id, "staff.invite", tenant.slug, email=user.email, role=role, **extra)
    return Invitation(user.email, role, link)


def deactivate_member(
    operator_id: int | None, operator_email: str | None, tenant: Tenant, email: str
) -> str:
    """Deactivate the account of ``email`` in ``tenant`` (its sessions end at once); an account
    already inactive stays as it is. Returns the account's address. ``StaffError`` for no such
    account, or the last admin."""
    with tenant_scope(tenant):
        user = staff.find_by_email(email)
        if user is None:
            raise StaffError(
                f"W tym urzędzie nie ma konta {email.strip()}.",
                f"No account {email.strip()!r} at {tenant.slug}.",
            )
        if not user.is_active:
            return user.email
        staff.update_staff(user, user.role, False, via=_via(operator_email))
    record(operator_id, "staff.deactivate", tenant.slug, email=user.email)
    return user.email
