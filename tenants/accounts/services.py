"""Staff accounts: invitations, one-time links, passwords, roles, the signed-in member and
who gets the reports they set off. Services flush, never commit."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user
from sqlalchemy import func, select

from saas_platform.core.db import db, duplicate_raises, utcnow
from saas_platform.core.security import (
    hash_password,
    open_single_use,
    password_problem,
    sign_single_use,
)
from saas_platform.core.tenancy import current_tenant, current_tenant_id
from saas_platform.core.text import RefusedCharacter, clean_text, refusal_message
from tenants.accounts.models import MANAGER, ROLES, StaffDepartment, StaffToken, StaffUser
from tenants.audit import services as audit

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
LINK_LIFETIME = {"invitation": timedelta(days=7), "password_reset": timedelta(hours=1)}


class StaffError(ValueError):
    """A staff change breaks a rule; the message says which, in Polish (for the pages), and
    ``english`` says the same for the command line."""

    def __init__(self, message: str, english: str = "") -> None:
        super().__init__(message)
        self.english = english or message


@dataclass(frozen=True)
class StaffLink:
    """A one-time link to send: the token row and the signed string that names it."""

    token_id: int
    signed: str


def normalise_email(email: str) -> str:
    """Trimmed, lower-cased e-mail address, or ``StaffError`` if it does not look like one."""
    invalid = StaffError("Podaj poprawny adres e-mail.", "Not a valid e-mail address.")
    try:
        email = clean_text(email, single_line=True).lower()
    except RefusedCharacter as exc:
        raise invalid from exc
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        raise invalid
    return email


def check_role(role: str) -> None:
    """``StaffError`` unless ``role`` is one of the roles an account may have."""
    if role not in ROLES:
        raise StaffError(
            "Nieznana rola.", f"Unknown role {role!r}; the roles are: {', '.join(ROLES)}."
        )


# The departments table as the account rules read it: ids and names only. ``survey`` owns the
# model; ``accounts`` knows no area but ``audit``, so it names the table, not the class.
_departments = sa.table(
    "departments", sa.column("tenant_id"), sa.column("id"), sa.column("name"), sa.column("position")
)


def department_names(ids: Iterable[int]) -> dict[int, str]:
    """The current office's departments among ``ids``: id -> name (unknown ids left out)."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return {}
    rows = db.session.execute(
        select(_departments.c.id, _departments.c.name)
        .where(_departments.c.tenant_id == current_tenant_id(), _departments.c.id.in_(wanted))
        .order_by(_departments.c.position, _departments.c.name)
    )
    return {int(i): name for i, name in rows}


def check_departments(role: str, department_ids: Iterable[int]) -> frozenset[int]:
    """The departments a member of ``role`` is linked to: a manager's, checked (at least one,
    each of this office); none for the other roles (any given are dropped)."""
    if role != MANAGER:
        return frozenset()
    ids = frozenset(int(i) for i in department_ids)
    if not ids:
        raise StaffError(
            "Rola „kierownik wydziału” wymaga co najmniej jednego wydziału: zaznacz wydziały, "
            "których wyniki ta osoba ma widzieć.",
            "A department manager needs at least one department (--department ID).",
        )
    unknown = ids - department_names(ids).keys()
    if unknown:
        raise StaffError(
            "Nie ma takiego wydziału w tym urzędzie.",
            f"No department {', '.join(map(str, sorted(unknown)))} in this office.",
        )
    return ids


def _link_departments(user: StaffUser, department_ids: frozenset[int]) -> None:
    kept = [link for link in user.department_links if link.department_id in department_ids]
    have = {link.department_id for link in kept}
    user.department_links = kept + [
        StaffDepartment(department_id=d) for d in sorted(department_ids - have)
    ]


def _department_labels(department_ids: Iterable[int]) -> list[str]:
    """The departments as the audit log shows them: their names, in the office's order."""
    return list(department_names(department_ids).values())


def managers_of(department_id: int) -> list[StaffUser]:
    """The current office's managers linked to a department (inactive accounts too)."""
    return list(
        db.session.scalars(
            select(StaffUser)
            .join(
                StaffDepartment,
                sa.and_(
                    StaffDepartment.tenant_id == StaffUser.tenant_id,
                    StaffDepartment.user_id == StaffUser.id,
                ),
            )
            .where(StaffDepartment.department_id == department_id)
            .order_by(StaffUser.email)
        )
    )


def follow_merged_department(source_id: int, target_id: int) -> None:
    """A department merged into another: its managers get the target too (the responses moved
    there), keeping the source (its history), audited as a change of their account."""
    for user in managers_of(source_id):
        before = _department_labels(user.department_ids)
        _link_departments(user, user.department_ids | {target_id})
        db.session.flush()
        after = _department_labels(user.department_ids)
        if after != before:
            audit.record(
                "staff.update",
                "staff_user",
                user.id,
                before={"departments": before},
                after={"departments": after, "via": "department.merge"},
            )


def find_by_email(email: str) -> StaffUser | None:
    """The current office's staff member with this e-mail address (None for what is no
    address at all: a NUL in it would not even reach the database)."""
    try:
        email = normalise_email(email)
    except StaffError:
        return None
    return db.session.scalar(select(StaffUser).where(StaffUser.email == email))


def invite(
    email: str,
    role: str,
    name: str = "",
    via: str = "",
    department_ids: Iterable[int] = (),
) -> tuple[StaffUser, StaffLink]:
    """Create an account without a password and an invitation link to set one. ``via`` names
    who invited from outside the panel (an operator, the command line), for the office's log;
    ``department_ids`` are a manager's departments (required for one, ignored otherwise)."""
    email = normalise_email(email)
    check_role(role)
    departments = check_departments(role, department_ids)
    try:
        name = clean_text(name, single_line=True)[:200]
    except RefusedCharacter as refused:
        raise StaffError(refusal_message("Imię i nazwisko", refused.character)) from refused
    taken = StaffError(
        f"Konto {email} już istnieje w tym urzędzie.",
        f"{email} already has an account at this office.",
    )
    existing = find_by_email(email)
    if existing is not None and not existing.is_active:
        raise StaffError(
            f"Konto {email} istnieje w tym urzędzie, ale jest nieaktywne: "
            "przywróć je na stronie tego konta w panelu.",
            f"{email} has a deactivated account at this office; reactivate it in the panel.",
        )
    if existing is not None:
        raise taken
    user = StaffUser(email=email, role=role, name=name)
    _link_departments(user, departments)
    with duplicate_raises(taken):  # the same address invited a moment ago by another admin
        db.session.add(user)
    after: dict[str, object] = {"email": email, "role": role}
    if departments:
        after["departments"] = _department_labels(departments)
    if via:
        after["via"] = via
    audit.record("staff.invite", "staff_user", user.id, after=after)
    return user, issue_link(user, "invitation")


def issue_link(user: StaffUser, purpose: str) -> StaffLink:
    """A new single-use link for ``user``; earlier unused links of the same purpose lapse."""
    now = utcnow()
    for old in db.session.scalars(
        select(StaffToken).where(
            StaffToken.user_id == user.id,
            StaffToken.purpose == purpose,
            StaffToken.used_at.is_(None),
        )
    ):
        old.used_at = now
    token = StaffToken(
        user_id=user.id,
        purpose=purpose,
        nonce=secrets.token_urlsafe(24),
        expires_at=now + LINK_LIFETIME[purpose],
    )
    db.session.add(token)
    db.session.flush()
    return StaffLink(token.id, sign_single_use(token))


def signed_link_for(token: StaffToken) -> str:
    """The signed string for an existing token row (tasks rebuild links from ids)."""
    return sign_single_use(token)


def open_link(signed: str) -> StaffToken | None:
    """The unused, unexpired token row the signed link names, in the current office."""
    longest = int(max(LINK_LIFETIME.values()).total_seconds())
    return open_single_use(StaffToken, signed, longest)


def use_link(token: StaffToken, password: str) -> StaffUser:
    """Set the password through a link, which is then spent."""
    user = db.session.get(StaffUser, token.user_id)
    if user is None or not user.is_active:
        raise StaffError("To konto jest nieaktywne.")
    set_password(user, password)
    token.used_at = utcnow()
    audit.record(f"staff.{token.purpose}.used", "staff_user", user.id, actor_id=user.id)
    return user


def set_password(user: StaffUser, password: str) -> None:
    """Hash and store a new password; every other session of the user ends."""
    problem = password_problem(password)
    if problem:
        raise StaffError(problem)
    user.password_hash = hash_password(password)
    end_sessions(user)


def change_password(user: StaffUser, password: str) -> None:
    """A member changes their own password (every other session ends), audited."""
    set_password(user, password)
    audit.record("staff.password_change", "staff_user", user.id)


def end_sessions(user: StaffUser) -> None:
    """Every session of ``user`` ends on every device, copies of its cookie with it: the
    version each session carries no longer matches (``load_staff_user``)."""
    user.session_version += 1
    db.session.flush()


def sign_out_everywhere(user: StaffUser) -> None:
    """A member ends every session of their own account, on every device, audited."""
    end_sessions(user)
    audit.record("staff.sign_out_everywhere", "staff_user", user.id)


def active_admin_count() -> int:
    """How many active admins the current office has."""
    return db.session.scalar(
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == "admin", StaffUser.is_active.is_(True))
    )


def update_staff(
    user: StaffUser,
    role: str,
    is_active: bool,
    via: str = "",
    department_ids: Iterable[int] | None = None,
) -> None:
    """Change a member's role, departments (a manager's; None keeps them) or active state; the
    last active admin always stays one. ``via`` as for ``invite``."""
    check_role(role)
    departments = check_departments(
        role, user.department_ids if department_ids is None else department_ids
    )
    loses_admin = user.is_admin and user.is_active and (role != "admin" or not is_active)
    if loses_admin and active_admin_count() <= 1:
        raise StaffError(
            "To jedyny aktywny administrator urzędu: nie można go usunąć ani zmienić jego roli.",
            f"{user.email} is the office's only active administrator: invite another "
            "administrator first.",
        )
    before, after = audit.changed_fields(
        user, ("role", "is_active"), {"role": role, "is_active": is_active}
    )
    if departments != user.department_ids:
        before["departments"] = _department_labels(user.department_ids)
        after["departments"] = _department_labels(departments)
        _link_departments(user, departments)
        db.session.flush()
    if not after:
        return
    if "is_active" in after and not is_active:
        end_sessions(user)  # a deactivated member is signed out everywhere at once
    if via:
        after["via"] = via
    audit.record("staff.update", "staff_user", user.id, before=before, after=after)


def load_staff_user(session_id: str) -> StaffUser | None:
    """Flask-Login's user loader. Staff sessions carry ``office:user:session_version``; any
    mismatch (another office, the apex, an older password) means no user."""
    try:
        tenant_id, user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    if tenant_id != current_tenant_id():
        return None  # a session opened at another office, or on the apex
    user = db.session.get(StaffUser, user_id)
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


def acting_staff_id() -> int | None:
    """The signed-in staff member making a change, or None (a command, a task, a script)."""
    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


def staff_recipients() -> list[str]:
    """Who gets a report a staff member set off: they and the office's report recipients."""
    recipients = set(current_tenant.report_recipients or [])
    if acting_staff_id() is not None:
        recipients.add(current_user.email)
    return sorted(recipients)
