"""The parts of the accessibility statement and the privacy notice only the office knows
(``tenants.survey.statement`` renders them and names what is missing). Checked, audited,
flushed; never committed. Not a change of how past results read, so no pre-change report."""

from __future__ import annotations

from datetime import date
from typing import Any

from saas_platform.core import text as text_policy
from saas_platform.core.db import db
from saas_platform.core.tenancy.models import A11Y_ASSESSMENTS, A11Y_STATUSES, Tenant
from tenants.audit import services as audit
from tenants.office.services import (
    OfficeError,
    clean_text,
    normalise_contact_email,
    normalise_phone,
)

STATEMENT_FIELDS = (
    "a11y_coordinator",
    "a11y_email",
    "a11y_phone",
    "a11y_status",
    "a11y_shortcomings",
    "a11y_assessment",
    "a11y_auditor",
    "a11y_prepared_on",
    "a11y_reviewed_on",
    "a11y_architecture",
)
PRIVACY_FIELDS = ("controller_name", "controller_address", "iod_contact")
LONG_TEXT_LIMIT = 3000


def _long_text(value: str, what: str) -> str:
    try:
        value = text_policy.clean_text(value)
    except text_policy.RefusedCharacter as refused:
        raise OfficeError(text_policy.refusal_message(what, refused.character)) from refused
    if len(value) > LONG_TEXT_LIMIT:
        raise OfficeError(f"{what} może mieć najwyżej {LONG_TEXT_LIMIT} znaków.")
    return value


def _check_day(value: date | None, today: date, what: str) -> date | None:
    if value is not None and value > today:
        raise OfficeError(f"{what} nie może być późniejsza niż dzisiaj.")
    return value


def _as_json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _apply(tenant: Tenant, action: str, fields: tuple[str, ...], values: dict[str, Any]) -> bool:
    before, after = audit.changed_fields(tenant, fields, values)
    if not after:
        return False
    db.session.flush()
    audit.record(action, "tenant", tenant.id, before=_as_json(before), after=_as_json(after))
    return True


def update_statement(
    tenant: Tenant,
    *,
    coordinator: str,
    email: str,
    phone: str,
    status: str,
    shortcomings: str,
    assessment: str,
    auditor: str,
    prepared_on: date | None,
    reviewed_on: date | None,
    architecture: str,
) -> bool:
    """Check and store the statement's office parts; audited. True when something changed."""
    if status not in A11Y_STATUSES:
        raise OfficeError("Wybierz status zgodności z listy.")
    if assessment not in A11Y_ASSESSMENTS:
        raise OfficeError("Wybierz sposób oceny z listy.")
    today = tenant.today()
    prepared_on = _check_day(prepared_on, today, "Data sporządzenia deklaracji")
    reviewed_on = _check_day(reviewed_on, today, "Data przeglądu deklaracji")
    if reviewed_on is not None and (prepared_on is None or reviewed_on < prepared_on):
        raise OfficeError("Data przeglądu nie może być wcześniejsza niż data sporządzenia.")
    values = {
        "a11y_coordinator": clean_text(coordinator, 200, "Osoba do kontaktu"),
        "a11y_email": normalise_contact_email(email),
        "a11y_phone": normalise_phone(clean_text(phone, 40, "Telefon")),
        "a11y_status": status,
        "a11y_shortcomings": _long_text(shortcomings, "Opis treści niedostępnych"),
        "a11y_assessment": assessment,
        "a11y_auditor": clean_text(auditor, 200, "Podmiot zewnętrzny"),
        "a11y_prepared_on": prepared_on,
        "a11y_reviewed_on": reviewed_on,
        "a11y_architecture": _long_text(architecture, "Dostępność architektoniczna"),
    }
    return _apply(tenant, "office.statement_update", STATEMENT_FIELDS, values)


def update_privacy(
    tenant: Tenant, *, controller_name: str, controller_address: str, iod_contact: str
) -> bool:
    """Check and store the privacy notice's controller and IOD; audited. True when changed."""
    values = {
        "controller_name": clean_text(controller_name, 300, "Nazwa administratora danych"),
        "controller_address": clean_text(controller_address, 300, "Adres administratora"),
        "iod_contact": clean_text(iod_contact, 300, "Kontakt do inspektora ochrony danych"),
    }
    return _apply(tenant, "office.privacy_update", PRIVACY_FIELDS, values)
