"""Onboarding a municipality: the one service behind the operator console's form and
``satysfakcja tenants create``, with the same checks and the same platform audit entry.

A new office gets a survey template (the short one unless the operator chooses the full one)
and its departments, and (when an address is
given) an invitation for its first administrator; it serves its survey at once. Services flush,
never commit: the caller commits, then sends the invitation's mail task.
"""

from __future__ import annotations

import re

from saas_platform.core.db import db, duplicate_raises
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.services import DuplicateSlug, validate_slug
from saas_platform.core.text import RefusedCharacter, clean_text, refusal_message
from saas_platform.operator.services import record
from tenants.accounts import services as staff
from tenants.accounts.services import StaffLink
from tenants.comments.services import seed_topics
from tenants.survey.template import NEW_OFFICE_TEMPLATE, TEMPLATES, install_default_survey

TERYT_PATTERN = re.compile(r"[0-9]{7}")  # not \d, which takes "٣" and every other digit too


class OnboardingError(ValueError):
    """The new office's details break a rule; the message says which, in Polish."""


def _one_line(value: str, what: str) -> str:
    try:
        return clean_text(value, single_line=True)
    except RefusedCharacter as refused:
        raise OnboardingError(refusal_message(what, refused.character)) from refused


def create_tenant(
    slug: str,
    name: str,
    departments: list[str] | None = None,
    template: str = "full",
    **details: str,
) -> Tenant:
    """Register an office with the survey of ``template`` and the given departments (the
    template's list when None). Flushes only. Onboarding (``onboard_office``: the console and
    the command line) starts new offices with the short template; this lower step keeps the
    full one unless told, for the callers that build offices with a known survey (the demo,
    the tests)."""
    if template not in TEMPLATES:
        raise OnboardingError("Nieznany szablon ankiety: wybierz krótką albo pełną.")
    validate_slug(slug)
    name = _one_line(name, "Nazwa urzędu")
    if not name or len(name) > 200:
        raise OnboardingError("Nazwa urzędu jest wymagana (najwyżej 200 znaków).")
    tenant = Tenant(slug=slug, name=name, **details)
    with duplicate_raises(DuplicateSlug(slug)):  # onboarded a moment ago by another operator
        db.session.add(tenant)
    with tenant_scope(tenant):
        install_default_survey(tenant, departments, template)
        seed_topics()
    return tenant


def onboard_office(
    operator_id: int | None,
    name: str,
    slug: str,
    municipality: str = "",
    teryt: str = "",
    contact_email: str = "",
    admin_email: str = "",
    departments: list[str] | None = None,
    template: str = NEW_OFFICE_TEMPLATE,
) -> tuple[Tenant, StaffLink | None]:
    """Register an office, invite its first admin when ``admin_email`` is given, and record it
    in the platform's audit log (``operator_id`` None: the command line). Flushes only."""
    teryt = teryt.strip()
    if teryt and not TERYT_PATTERN.fullmatch(teryt):
        raise OnboardingError("Kod TERYT gminy ma 7 cyfr (np. 1434034).")
    names = None
    if departments is not None:
        names = [_one_line(d, "Nazwa wydziału")[:200] for d in departments]
        names = [n for n in names if n]
        if len({n.lower() for n in names}) != len(names):
            raise OnboardingError("Nazwy wydziałów powtarzają się.")
    if contact_email.strip():
        try:
            contact_email = staff.normalise_email(contact_email)
        except staff.StaffError as exc:
            raise OnboardingError("Podaj poprawny e-mail kontaktowy urzędu.") from exc
    tenant = create_tenant(
        slug,
        name,
        departments=names,
        template=template,
        municipality=_one_line(municipality, "Gmina lub miasto")[:120],
        teryt=teryt,
        contact_email=contact_email.strip(),
    )
    link = None
    if admin_email.strip():
        with tenant_scope(tenant):
            try:
                _, link = staff.invite(admin_email, "admin")
            except staff.StaffError as exc:
                raise OnboardingError(str(exc)) from exc
    record(
        operator_id,
        "office.create",
        tenant.slug,
        name=tenant.name,
        admin=admin_email.strip().lower(),
    )
    return tenant, link
