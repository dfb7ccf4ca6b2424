"""Operators and what they do to offices. Services flush, never commit.

Operators see counts and settings, never responses or comments: the overview reads only the
running counts and the registry, one office at a time, inside that office's scope.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pyotp
from sqlalchemy import delete, func, select

from saas_platform.core.caching import clear_all
from saas_platform.core.db import db, duplicate_raises, utcnow
from saas_platform.core.security import (
    hash_password,
    open_single_use,
    password_problem,
    sign_single_use,
    verify_password,
)
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant, TenantDomain
from saas_platform.core.text import clean_text, refusal_message, refused_character
from saas_platform.operator.models import OperatorSetupLink, PlatformAuditEntry, PlatformOperator
from tenants.audit import services as office_audit

SETUP_LINK_LIFETIME = timedelta(days=2)
TOTP_ISSUER = "Satysfakcja Klienta"
HOST_PATTERN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class OperatorError(ValueError):
    """An operator action breaks a rule; the message says which, in Polish."""


def office_names(entries) -> dict[str, str]:
    """slug -> the office's name for the entries of the platform log: the registry's name,
    or the name the entry kept (a deleted office)."""
    slugs = {e.office_slug for e in entries if e.office_slug}
    names = {e.office_slug: e.details["name"] for e in entries if (e.details or {}).get("name")}
    if slugs:
        names.update(
            db.session.execute(select(Tenant.slug, Tenant.name).where(Tenant.slug.in_(slugs)))
            .tuples()
            .all()
        )
    return {slug: names.get(slug, slug) for slug in slugs}


def record(operator_id: int | None, action: str, office_slug: str = "", **details) -> None:
    """Write one line of the platform audit log."""
    db.session.add(
        PlatformAuditEntry(
            operator_id=operator_id, action=action, office_slug=office_slug, details=details
        )
    )
    db.session.flush()


# --- operators ---------------------------------------------------------------------------


def create_operator(email: str) -> tuple[PlatformOperator, str]:
    """An operator without password or second factor, and the signed one-time setup link."""
    email = email.strip().lower()
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise OperatorError("Podaj poprawny adres e-mail.")
    if db.session.scalar(select(PlatformOperator).where(PlatformOperator.email == email)):
        raise OperatorError(f"Operator {email} już istnieje.")
    operator = PlatformOperator(email=email)
    db.session.add(operator)
    db.session.flush()
    return operator, issue_setup_link(operator)


def issue_setup_link(operator: PlatformOperator) -> str:
    """A new setup link (earlier unused ones lapse), with the TOTP secret it will enrol."""
    now = utcnow()
    for old in db.session.scalars(
        select(OperatorSetupLink).where(
            OperatorSetupLink.operator_id == operator.id, OperatorSetupLink.used_at.is_(None)
        )
    ):
        old.used_at = now
    link = OperatorSetupLink(
        operator_id=operator.id,
        nonce=secrets.token_urlsafe(24),
        pending_totp_secret=pyotp.random_base32(),
        expires_at=now + SETUP_LINK_LIFETIME,
    )
    db.session.add(link)
    db.session.flush()
    return sign_single_use(link)


def open_setup_link(signed: str) -> OperatorSetupLink | None:
    """The unused, unexpired setup link the signed string names."""
    return open_single_use(OperatorSetupLink, signed, int(SETUP_LINK_LIFETIME.total_seconds()))


def provisioning_uri(link: OperatorSetupLink) -> str:
    """The otpauth:// address the authenticator app scans."""
    operator = db.session.get(PlatformOperator, link.operator_id)
    return pyotp.TOTP(link.pending_totp_secret).provisioning_uri(
        name=operator.email, issuer_name=TOTP_ISSUER
    )


def _accept_code(secret: str, code: str, last_step: int, at: datetime | None = None) -> int | None:
    """The time step of a valid, not yet used code (±1 step of clock drift), else None."""
    code = code.strip().replace(" ", "")
    if not re.fullmatch(r"[0-9]{6}", code):  # \d takes "٣", which compare_digest refuses
        return None
    totp = pyotp.TOTP(secret)
    now = at or utcnow()
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if step > last_step and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def complete_setup(link: OperatorSetupLink, password: str, code: str) -> PlatformOperator:
    """Set the password and enrol the second factor; the link is spent."""
    problem = password_problem(password)
    if problem:
        raise OperatorError(problem)
    step = _accept_code(link.pending_totp_secret, code, 0)
    if step is None:
        raise OperatorError("Kod z aplikacji uwierzytelniającej jest nieprawidłowy.")
    operator = db.session.get(PlatformOperator, link.operator_id)
    operator.password_hash = hash_password(password)
    operator.totp_secret = link.pending_totp_secret
    operator.last_totp_step = step
    end_sessions(operator)
    link.used_at = utcnow()
    record(operator.id, "operator.enrolled")
    return operator


def check_password(email: str, password: str) -> PlatformOperator | None:
    """The enrolled, active operator with this e-mail and password (first factor)."""
    email = email.strip().lower()
    # PostgreSQL refuses a NUL in a query; no operator's address holds a refused character.
    operator = None
    if refused_character(email) is None:
        operator = db.session.scalar(
            select(PlatformOperator).where(PlatformOperator.email == email)
        )
    matches = verify_password(operator.password_hash if operator else None, password)
    if matches and operator.is_active and operator.is_enrolled:
        return operator
    return None


def end_sessions(operator: PlatformOperator) -> None:
    """Every session of ``operator`` ends, copies of its cookie with it: the version each
    session carries no longer matches (``current_operator``)."""
    operator.session_version += 1
    db.session.flush()


def check_code(operator: PlatformOperator, code: str) -> bool:
    """The second factor: a current TOTP code, never one used before."""
    step = _accept_code(operator.totp_secret or "", code, operator.last_totp_step)
    if step is None:
        return False
    operator.last_totp_step = step
    operator.last_login_at = utcnow()
    return True


# --- offices -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeOverview:
    """What an operator may know of an office: counts and settings, no content."""

    tenant: Tenant
    responses_this_year: int
    responses_last_30_days: int
    last_response_on: date | None
    last_report_at: datetime | None
    has_logo: bool
    has_departments: bool
    has_first_response: bool
    has_banner_response: bool

    @property
    def checklist_done(self) -> int:
        return sum(
            (self.has_logo, self.has_departments, self.has_first_response, self.has_banner_response)
        )


def office_overview(tenant: Tenant, today: date | None = None) -> OfficeOverview:
    """Counts of one office, read from its running counts inside its own scope. "This year"
    and "the last 30 days" end on ``today``, by default the office's own day."""
    from tenants.reports.models import Report
    from tenants.survey.models import RESPONSES_KEY, Department, ResponseCount

    today = today or tenant.today()

    with tenant_scope(tenant):
        responses = select(func.coalesce(func.sum(ResponseCount.count), 0)).where(
            ResponseCount.question_key == RESPONSES_KEY
        )
        this_year = db.session.scalar(responses.where(ResponseCount.day >= date(today.year, 1, 1)))
        last_30 = db.session.scalar(responses.where(ResponseCount.day > today - timedelta(days=30)))
        last_day = db.session.scalar(
            select(func.max(ResponseCount.day)).where(ResponseCount.question_key == RESPONSES_KEY)
        )
        banner = db.session.scalar(
            select(func.count())
            .select_from(ResponseCount)
            .where(ResponseCount.question_key == RESPONSES_KEY, ResponseCount.channel == "banner")
        )
        departments = db.session.scalar(
            select(func.count()).select_from(Department).where(Department.is_active.is_(True))
        )
        last_report = db.session.scalar(select(func.max(Report.created_at)))
    return OfficeOverview(
        tenant=tenant,
        responses_this_year=int(this_year),
        responses_last_30_days=int(last_30),
        last_response_on=last_day,
        last_report_at=last_report,
        has_logo=tenant.has_logo,
        has_departments=departments > 0,
        has_first_response=last_day is not None,
        has_banner_response=banner > 0,
    )


MAX_SUSPENSION_REASON = 500
NO_REASON = (
    "Podaj powód zawieszenia: zobaczą go pracownicy urzędu na każdej stronie panelu. "
    "Ankiety nie zawieszono."
)


def check_suspension_reason(reason: str) -> str:
    """The reason as stored and shown to the office's staff; ``OperatorError`` when it is
    missing, too long or carries a character the platform does not keep."""
    character = refused_character(reason)
    if character is not None:
        raise OperatorError(
            refusal_message("Powód zawieszenia", character) + " Ankiety nie zawieszono."
        )
    reason = clean_text(reason)
    if not reason:
        raise OperatorError(NO_REASON)
    if len(reason) > MAX_SUSPENSION_REASON:
        raise OperatorError(
            f"Powód zawieszenia może mieć najwyżej {MAX_SUSPENSION_REASON} znaków. "
            "Ankiety nie zawieszono."
        )
    return reason


def suspend_office(operator_id: int, tenant: Tenant, reason: str) -> None:
    """Suspend an office's survey for ``reason`` (stored, shown to its staff, audited on both
    sides). Flushes only."""
    reason = check_suspension_reason(reason)
    if not tenant.is_active:
        raise OperatorError("Ten urząd jest już zawieszony.")
    tenant.status, tenant.suspension_reason = "suspended", reason
    db.session.flush()
    record(operator_id, "office.suspend", tenant.slug, name=tenant.name, reason=reason)
    with tenant_scope(tenant):
        office_audit.record("office.suspend", "tenant", tenant.id, after={"reason": reason})


def reactivate_office(operator_id: int, tenant: Tenant) -> None:
    """Bring a suspended office's survey back; audited on both sides. Flushes only."""
    if tenant.is_active:
        raise OperatorError("Ten urząd jest aktywny.")
    reason = tenant.suspension_reason
    tenant.status, tenant.suspension_reason = "active", ""
    db.session.flush()
    record(operator_id, "office.reactivate", tenant.slug, name=tenant.name, reason=reason)
    with tenant_scope(tenant):
        office_audit.record("office.reactivate", "tenant", tenant.id, before={"reason": reason})


def add_domain(operator_id: int, tenant: Tenant, host: str, platform_domain: str) -> TenantDomain:
    """Serve the office at a custom domain too (e.g. ankieta.wolomin.pl)."""
    host = host.strip().lower().rstrip(".")
    if not HOST_PATTERN.match(host):
        raise OperatorError("Podaj poprawną nazwę domeny, np. ankieta.wolomin.pl.")
    if host == platform_domain or host.endswith("." + platform_domain):
        raise OperatorError("Domeny platformy nie dodaje się jako własnej domeny urzędu.")
    taken = db.session.scalar(
        select(func.count())
        .select_from(TenantDomain)
        .where(TenantDomain.host == host)
        .execution_options(cross_tenant="operator: a custom domain must be unique")
    )
    assigned = OperatorError(f"Domena {host} jest już przypisana.")
    if taken:
        raise assigned
    with tenant_scope(tenant), duplicate_raises(assigned):  # added a moment ago elsewhere
        domain = TenantDomain(tenant_id=tenant.id, host=host)
        db.session.add(domain)
    record(operator_id, "office.domain_add", tenant.slug, host=host)
    return domain


def remove_domain(operator_id: int, tenant: Tenant, domain_id: int) -> None:
    """Stop serving the office at a custom domain."""
    with tenant_scope(tenant):
        domain = db.session.get(TenantDomain, domain_id)
        if domain is None:
            raise OperatorError("Nie ma takiej domeny.")
        host = domain.host
        db.session.delete(domain)
        db.session.flush()
    record(operator_id, "office.domain_remove", tenant.slug, host=host)


def domains_of(tenant: Tenant) -> list[TenantDomain]:
    """The office's custom domains."""
    with tenant_scope(tenant):
        return list(db.session.scalars(select(TenantDomain).order_by(TenantDomain.host)))


def delete_office(operator_id: int, tenant: Tenant, typed_slug: str) -> None:
    """Remove the office and every row it owns (the database cascades from the registry)."""
    if typed_slug.strip() != tenant.slug:
        raise OperatorError("Wpisany adres nie zgadza się z adresem urzędu. Nic nie usunięto.")
    slug, name = tenant.slug, tenant.name
    db.session.execute(delete(Tenant).where(Tenant.id == tenant.id))
    db.session.expunge_all()
    # The registry row (and by cascade everything the office owned) went by a bulk DELETE,
    # which the caches' flush hook never sees: empty them all, here, once.
    clear_all()
    record(operator_id, "office.delete", slug, name=name)
