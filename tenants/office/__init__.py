"""What an office admin changes (§5 of the order): the office's data and logo, its departments
and its survey. Each change that alters how past results read (a new survey version, a
renamed, deactivated or merged department) first makes the pre-change report; every change is
in the audit log."""

from __future__ import annotations

from flask import Flask

from tenants.audit.labels import register_labels
from tenants.audit.naming import register_fields, register_object_type

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
    # recorded by the operator console in the office's log
    "office.suspend": "Zawieszenie ankiety urzędu",
    "office.reactivate": "Przywrócenie ankiety urzędu",
    "office.first_step": "Zaznaczenie pierwszego kroku jako wykonanego",
}
FIELD_LABELS = {
    "address": "adres",
    "contact_email": "adres e-mail do kontaktu",
    "contact_phone": "telefon do kontaktu",
    "brand_colour": "kolor urzędu",
    "score_threshold": "próg oceny",
    "report_recipients": "odbiorcy raportów",
    "extra_report_frequencies": "dodatkowe raporty okresowe",
    "report_comments": "komentarze w raportach",
    "retention_years": "przechowywanie odpowiedzi (lata)",
    "public_results": "publiczna strona „Wyniki i zmiany”",
    "bytes": "rozmiar pliku (bajty)",
    "sha256": "skrót SHA-256",
    "source": "źródło",
    "change": "zmiana",
    "key": "klucz pytania",
    "added": "dodane pytania",
    "changed": "zmienione pytania",
    "removed": "usunięte pytania",
    "step": "krok",
}


def init_app(app: Flask) -> None:
    """The audit labels and names; the office area has no pages of its own (the panel shows
    them)."""
    register_labels(AUDIT_LABELS)
    register_object_type("tenant", "urząd", _office_name)
    register_fields(FIELD_LABELS)


def _office_name(ids: set[int]) -> dict[int, str]:
    """The office by its name (an office's log only ever names the office itself)."""
    from saas_platform.core.db import db
    from saas_platform.core.tenancy import current_tenant_id
    from saas_platform.core.tenancy.models import Tenant

    office_id = current_tenant_id()
    tenant = db.session.get(Tenant, office_id) if office_id in ids else None
    return {tenant.id: tenant.name} if tenant is not None else {}
