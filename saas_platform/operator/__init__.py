"""The operator console on the apex host: onboarding offices and running the platform."""

from __future__ import annotations

from flask import Flask

from tenants.audit.labels import register_labels
from tenants.audit.naming import register_fields

# Every action the platform audit log records, in Polish (the same names as in an office's
# log where both record it).
AUDIT_LABELS = {
    "operator.create": "Utworzenie konta operatora",
    "operator.enrolled": "Aktywacja konta operatora (hasło i aplikacja uwierzytelniająca)",
    "operator.login": "Logowanie operatora",
    "secrets.rotate": "Ponowne zaszyfrowanie sekretów nowym kluczem",
    "office.create": "Utworzenie urzędu",
    "office.suspend": "Zawieszenie ankiety urzędu",
    "office.reactivate": "Przywrócenie ankiety urzędu",
    "office.domain_add": "Dodanie własnej domeny",
    "office.domain_remove": "Usunięcie własnej domeny",
    "office.export": "Pobranie archiwum danych urzędu",
    "office.delete": "Usunięcie urzędu ze wszystkimi danymi",
    "staff.invite": "Zaproszenie pracownika",  # the same name as in the office's own log
    "staff.deactivate": "Dezaktywacja konta pracownika",
}
FIELD_LABELS = {
    "name": "nazwa",
    "admin": "pierwszy administrator",
    "host": "domena",
    "reason": "powód",
    "rotated": "zaszyfrowane ponownie sekrety",
    "email": "adres e-mail",
    "role": "rola",
}


def init_app(app: Flask) -> None:
    """The console's blueprint and the Polish names of its audit log."""
    from saas_platform.operator.views import bp

    app.register_blueprint(bp)
    register_labels(AUDIT_LABELS)
    register_fields(FIELD_LABELS)
