"""What an office admin changes (§5 of the order): the office's data and logo, its departments
and its survey. Each change that alters how past results read (a new survey version, a
renamed, deactivated or merged department) first makes the pre-change report; every change is
in the audit log."""

from __future__ import annotations

from flask import Flask

from tenants.audit.labels import register_labels

AUDIT_LABELS = {
    "office.update": "Zmiana danych urzędu",
    "office.logo": "Nowe logo urzędu",
    "office.logo_remove": "Usunięcie logo urzędu",
    "department.create": "Dodanie wydziału",
    "department.rename": "Zmiana nazwy wydziału",
    "department.deactivate": "Wyłączenie wydziału",
    "department.reactivate": "Ponowne włączenie wydziału",
    "department.reorder": "Zmiana kolejności wydziałów",
    "department.delete": "Usunięcie wydziału",
    "survey.draft_start": "Utworzenie szkicu ankiety",
    "survey.draft_edit": "Zmiana szkicu ankiety",
    "survey.draft_discard": "Usunięcie szkicu ankiety",
    "survey.publish": "Publikacja nowej wersji ankiety",
    "department.merge": "Połączenie wydziałów",
    "office.statement_update": "Zmiana deklaracji dostępności",
    "office.privacy_update": "Zmiana informacji o ochronie danych",
}


def init_app(app: Flask) -> None:
    """The audit labels; the office area has no pages of its own (the panel shows them)."""
    register_labels(AUDIT_LABELS)
