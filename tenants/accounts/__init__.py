"""Staff accounts: users, one-time links (invitations, password resets), the signed-in member
and who receives the reports they set off. Records its changes in the audit log, and knows
no other area."""

from __future__ import annotations

from flask import Flask

from saas_platform.core.security import login_manager
from tenants.audit.labels import register_labels
from tenants.audit.naming import register_fields, register_object_type, register_value_labels

AUDIT_LABELS = {
    "staff.invite": "Zaproszenie pracownika",
    "staff.update": "Zmiana konta pracownika",
    "staff.invitation.used": "Przyjęcie zaproszenia",
    "staff.password_reset.used": "Ustawienie nowego hasła",
    "staff.password_change": "Zmiana hasła",
    "staff.sign_out_everywhere": "Wylogowanie ze wszystkich urządzeń",
}


def init_app(app: Flask) -> None:
    """The session user loader, the mail task and the audit labels."""
    from tenants.accounts import tasks  # noqa: F401 - registers the Celery task
    from tenants.accounts.models import ROLE_LABELS
    from tenants.accounts.services import load_staff_user

    login_manager.user_loader(load_staff_user)
    register_labels(AUDIT_LABELS)
    register_object_type("staff_user", "użytkownik", _staff_names)
    register_fields(
        {"email": "adres e-mail", "role": "rola", "is_active": "aktywny", "departments": "wydziały"}
    )
    register_value_labels("role", ROLE_LABELS)


def _staff_names(ids: set[int]) -> dict[int, str]:
    from sqlalchemy import select

    from saas_platform.core.db import db
    from tenants.accounts.models import StaffUser

    users = db.session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))
    return {user.id: f"użytkownik {user.display_name}" for user in users}
