"""The office's audit log: one call per change, inside the change's own transaction."""

from __future__ import annotations

from flask_login import current_user

from saas_platform.db import db
from tenants.panel.models import AuditEntry


def record(
    action: str,
    object_type: str,
    object_id: int | None,
    before: dict | None = None,
    after: dict | None = None,
    actor_id: int | None = None,
) -> AuditEntry:
    """Log a change made by the signed-in staff member (or ``actor_id``). Flushes only."""
    if actor_id is None and getattr(current_user, "is_authenticated", False):
        actor_id = current_user.id
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def changed_fields(obj, fields: tuple[str, ...], new_values: dict) -> tuple[dict, dict]:
    """(before, after) for the fields whose value changes; apply the new values to ``obj``."""
    before, after = {}, {}
    for name in fields:
        if name in new_values and getattr(obj, name) != new_values[name]:
            before[name], after[name] = getattr(obj, name), new_values[name]
            setattr(obj, name, new_values[name])
    return before, after


ACTION_LABELS = {
    "report.request": "Zamówienie raportu",
    "report.retry": "Ponowienie raportu",
    "staff.invite": "Zaproszenie pracownika",
    "staff.update": "Zmiana konta pracownika",
    "staff.invitation.used": "Przyjęcie zaproszenia",
    "staff.password_reset.used": "Ustawienie nowego hasła",
    "staff.password_change": "Zmiana hasła",
    "office.update": "Zmiana danych urzędu",
    "office.logo": "Nowe logo urzędu",
    "office.logo_remove": "Usunięcie logo urzędu",
    "department.create": "Dodanie wydziału",
    "department.rename": "Zmiana nazwy wydziału",
    "department.deactivate": "Wyłączenie wydziału",
    "department.reactivate": "Ponowne włączenie wydziału",
    "department.reorder": "Zmiana kolejności wydziałów",
    "department.delete": "Usunięcie wydziału",
    "response.paper_entry": "Wprowadzenie ankiety papierowej",
    "response.exclude": "Wyłączenie odpowiedzi z wyników",
    "response.restore": "Przywrócenie odpowiedzi do wyników",
    "response.keep": "Pozostawienie oznaczonej odpowiedzi",
    "response.retention_delete": "Usunięcie starych odpowiedzi (okres przechowywania)",
    "survey.draft_start": "Utworzenie szkicu ankiety",
    "survey.draft_edit": "Zmiana szkicu ankiety",
    "survey.draft_discard": "Usunięcie szkicu ankiety",
    "survey.publish": "Publikacja nowej wersji ankiety",
    "report.pre_change": "Raport przed zmianą",
    "department.merge": "Połączenie wydziałów",
    "kiosk.create": "Dodanie kiosku",
    "kiosk.revoke": "Wyłączenie kiosku",
}


def action_label(action: str) -> str:
    """The Polish name of an audit action (the code itself when it has none)."""
    return ACTION_LABELS.get(action, action)
