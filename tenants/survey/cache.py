"""What the survey page needs of an office besides the form: the live version and the
departments a resident can pick. Cached per app, keyed by the office's survey revision, which
the flush hook below bumps whenever the office's data, departments or survey versions change,
so a change is visible on the next request (in every process) without any call site
remembering to clear a cache. The blank-page micro-cache and the remembered offices are keyed
by host instead; this process empties them on the same changes (``invalidate_on``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from saas_platform.core.caching import BoundedCache, PerAppCache, invalidate_on
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.tenancy.models import Tenant, TenantDomain
from saas_platform.core.tenancy.resolver import offices_by_host
from tenants.survey.definition import live_version_id
from tenants.survey.models import Department, Question, Section, SurveyVersion

_WATCHED = (Department, SurveyVersion, Section, Question)


@dataclass(frozen=True)
class DepartmentChoice:
    id: int
    name: str


@dataclass(frozen=True)
class SurveyState:
    live_version_id: int | None
    departments: tuple[DepartmentChoice, ...]

    @property
    def department_ids(self) -> frozenset[int]:
        return frozenset(d.id for d in self.departments)


# By (office id, survey revision): a new revision is a new key, so nothing needs emptying.
_survey_states: PerAppCache[tuple[int, int], SurveyState] = PerAppCache("survey states")


def survey_state() -> SurveyState:
    """The current office's live version id and active departments (cached by revision)."""
    from tenants.survey.departments import active_departments

    tenant = current_tenant
    key = (tenant.id, tenant.survey_revision)
    state = _survey_states.get(key)
    if state is None:
        state = SurveyState(
            live_version_id(),
            tuple(DepartmentChoice(d.id, d.name) for d in active_departments()),
        )
        _survey_states.put(key, state)
    return state


@dataclass(frozen=True)
class BlankPage:
    """A rendered blank survey page, encoded once and cut at its per-request tokens:
    ``parts`` alternates literal UTF-8 bytes and the names of the tokens between them."""

    parts: tuple[bytes | str, ...]

    @classmethod
    def cut(cls, page: str, placeholders: dict[str, str]) -> BlankPage:
        """Cut ``page`` at each placeholder (name -> the unique text rendered in its place)."""
        names = {text: name for name, text in placeholders.items()}
        pattern = re.compile("(" + "|".join(re.escape(text) for text in names) + ")")
        pieces = pattern.split(page)
        return cls(tuple(names[p] if i % 2 else p.encode() for i, p in enumerate(pieces)))

    def fill(self, values: dict[str, str]) -> bytes:
        """The page with each token's value (every token of the page must have one)."""
        encoded = {name: value.encode() for name, value in values.items()}
        return b"".join(encoded[p] if i % 2 else p for i, p in enumerate(self.parts))


# Blank survey pages by (host, variant: the channel and any chosen department, language asked
# for): (page, office id, slug). Process-local, so another process may serve a page up to the
# TTL after a change; this one forgets at once, and forgets the remembered offices with them (a
# survey change moves their survey revision).
_pages_by_host: BoundedCache[tuple[str, str, str], tuple[BlankPage, int, str]] = BoundedCache(
    "blank survey pages by host"
)
invalidate_on((Tenant, TenantDomain, *_WATCHED), _pages_by_host, offices_by_host)


def remember_page(
    host: str, variant: str, language: str, tenant_id: int, slug: str, page: BlankPage, ttl: float
) -> None:
    """Keep a rendered blank survey page (with token placeholders) for ``ttl`` seconds."""
    _pages_by_host.put((host, variant, language), (page, tenant_id, slug), ttl)


def cached_page(host: str, variant: str, language: str) -> tuple[BlankPage, int, str] | None:
    """(page, office id, office slug) of a fresh blank page for this host, variant and
    language, or None."""
    return _pages_by_host.get((host, variant, language))


@event.listens_for(Session, "after_flush")
def _bump_survey_revision(session, flush_context) -> None:
    changed = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _WATCHED) and obj.tenant_id is not None:
            changed.add(obj.tenant_id)
        elif isinstance(obj, Tenant) and obj.id is not None and session.is_modified(obj):
            changed.add(obj.id)  # name, address, colour, logo: what the page header shows
    for tenant_id in sorted(changed):
        session.execute(
            update(Tenant)
            .where(Tenant.id == tenant_id)
            .values(survey_revision=Tenant.survey_revision + 1)
        )
