"""What the residents' accessibility statement and privacy notice say, and what the office has
not filled in yet. The statement follows the ministry's structure ("Warunki techniczne
publikacji oraz struktura dokumentu elektronicznego deklaracji dostępności", version 2.0): the
page carries every prescribed ``a11y-*`` id; the parts only the office knows are its columns in
the registry (``Tenant.a11y_*``, ``controller_*``, ``iod_contact``), edited in the panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant, local_day
from tenants.survey.models import SurveyVersion

STATUS_LABELS = {
    "full": "zgodna",
    "partial": "częściowo zgodna",
    "none": "niezgodna",
}
ASSESSMENT_LABELS = {
    "self": "samooceny przeprowadzonej przez urząd",
    "external": "badania przeprowadzonego przez podmiot zewnętrzny",
}
# The ids the ministry's structure prescribes, in the order they appear on the page.
A11Y_IDS = (
    "a11y-deklaracja",
    "a11y-wstep",
    "a11y-podmiot",
    "a11y-url",
    "a11y-data-publikacja",
    "a11y-data-aktualizacja",
    "a11y-status",
    "a11y-ocena",
    "a11y-data-sporzadzenie",
    "a11y-data-przeglad",
    "a11y-audytor",
    "a11y-kontakt",
    "a11y-osoba",
    "a11y-email",
    "a11y-telefon",
    "a11y-procedura",
    "a11y-architektura",
    "a11y-aplikacje",
)

# Reports of the results are documents an office publishes (e.g. in its BIP): each comes as a
# PDF for print and an accessible HTML edition with the same content (tenants/reports).
REPORTS_NOTE = (
    "Raporty z wyników badania, które urząd publikuje (np. w Biuletynie Informacji "
    "Publicznej), są dostępne w dwóch wersjach o tej samej treści: PDF do druku oraz wersja "
    "dostępna (HTML) – jeden plik w języku polskim, z hierarchią nagłówków, tabelami danych "
    "z nagłówkami wierszy i kolumn oraz wykresami, które mają tytuł, opis tekstowy i tabelę "
    "z danymi."
)


@dataclass(frozen=True)
class StatementDates:
    """The survey's publication date and its last significant update (the newest version)."""

    published_on: date
    updated_on: date


def statement_email(tenant: Tenant) -> str:
    """Where accessibility requests go: the coordinator's address, else the office's."""
    return tenant.a11y_email or tenant.contact_email


def statement_dates(tenant: Tenant) -> StatementDates:
    """Publication: the office's first day on the platform; update: its newest published
    survey version (or the publication, before any)."""
    published_on = local_day(tenant.created_at, tenant.timezone)
    newest = db.session.scalar(select(func.max(SurveyVersion.published_at)))
    updated_on = local_day(newest, tenant.timezone) if newest else published_on
    return StatementDates(published_on, max(published_on, updated_on))


def missing_statement_parts(tenant: Tenant) -> list[str]:
    """The statement's parts the office still has to fill in, in Polish; empty when complete."""
    missing = []
    if not tenant.a11y_coordinator:
        missing.append("osoba odpowiedzialna za kontakt w sprawie dostępności")
    if not statement_email(tenant):
        missing.append("adres e-mail do zgłoszeń")
    if not tenant.a11y_phone:
        missing.append("numer telefonu do zgłoszeń")
    if not tenant.a11y_status:
        missing.append("status zgodności z ustawą")
    elif tenant.a11y_status != "full" and not tenant.a11y_shortcomings:
        missing.append("opis treści niedostępnych (status inny niż „zgodna”)")
    if not tenant.a11y_assessment:
        missing.append("sposób oceny (samoocena albo badanie podmiotu zewnętrznego)")
    elif tenant.a11y_assessment == "external" and not tenant.a11y_auditor:
        missing.append("nazwa podmiotu zewnętrznego, który zbadał dostępność")
    if tenant.a11y_prepared_on is None:
        missing.append("data sporządzenia deklaracji")
    return missing


def missing_privacy_parts(tenant: Tenant) -> list[str]:
    """The privacy notice's parts the office still has to fill in; empty when complete."""
    missing = []
    if not tenant.controller_name:
        missing.append("pełna nazwa administratora danych")
    if not tenant.controller_address:
        missing.append("adres administratora danych")
    if not tenant.iod_contact:
        missing.append("kontakt do inspektora ochrony danych (IOD)")
    return missing
