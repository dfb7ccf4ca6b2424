"""The public "Wyniki i zmiany" page's figures: the satisfaction index by year, the areas of
the latest year with enough responses, and the completed actions the office chose to publish
("Zmieniliśmy dzięki Waszym ocenom"). No comments, and the small-group rule as everywhere.

Kept per office, survey revision and language for ``RESULTS_PAGE_CACHE_SECONDS``. The survey
revision moves with the office's data (the page's opt-in among them) and its survey; the flush
hook below moves it also when a published action (or one being unpublished) changes, so such a
change is seen on the next request by this process and within ``SURVEY_PAGE_CACHE_SECONDS``
by the others (their remembered office expires).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from saas_platform.core.caching import PerAppCache, invalidate_on
from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.resolver import offices_by_host
from tenants.actions.models import Action
from tenants.reports.stats import AreaScore, compute_results
from tenants.survey.cache import survey_state
from tenants.survey.definition import VersionDef, published_version
from tenants.survey.filters import Filters
from tenants.survey.models import RESPONSES_KEY
from tenants.survey.scores import (
    Score,
    load_versions,
    period_counts,
    ratings_by_key,
    score_of,
    value_totals,
)

YEARS_SHOWN = 5
ACTIONS_SHOWN = 30


@dataclass(frozen=True)
class YearScore:
    """One calendar year (this one up to today); ``score`` hidden under the small-group rule."""

    year: int
    responses: int
    score: Score


@dataclass(frozen=True)
class PublishedAction:
    """A completed action as residents see it: no owner, no notes, no dates but the last."""

    title: str
    description: str
    implemented_on: date
    items: tuple[str, ...]


@dataclass(frozen=True)
class PublicResults:
    years: tuple[YearScore, ...]
    areas_year: int | None
    areas: tuple[AreaScore, ...]
    actions: tuple[PublishedAction, ...]


_results: PerAppCache[tuple[int, int, str, date], PublicResults] = PerAppCache(
    "public results pages", max_size=1024
)


# The residents' pages find their office (and so its survey revision) in a per-process cache:
# this process forgets it when it writes an action; others within SURVEY_PAGE_CACHE_SECONDS.
invalidate_on((Action,), offices_by_host)


def public_results(tenant: Tenant, version: VersionDef, today: date) -> PublicResults:
    """The public figures of ``tenant`` (the current office), with texts from ``version``
    (the live survey in the resident's language; a text it lacks stays as the office wrote
    it). Cached."""
    key = (tenant.id, tenant.survey_revision, version.language, today)
    results = _results.get(key)
    if results is None:
        results = _compute(version, today, tenant.score_threshold)
        _results.put(key, results, current_app.config["RESULTS_PAGE_CACHE_SECONDS"])
    return results


def _compute(version: VersionDef, today: date, threshold: int) -> PublicResults:
    years: list[YearScore] = []
    for year in range(today.year - YEARS_SHOWN + 1, today.year + 1):
        responses, score = year_score(Filters(date(year, 1, 1), min(date(year, 12, 31), today)))
        if responses or years:  # from the first year with a response on
            years.append(YearScore(year, responses, score))
    shown = [y for y in years if not y.score.hidden]
    areas_year = shown[-1].year if shown else None
    areas: tuple[AreaScore, ...] = ()
    if areas_year is not None:
        filters = Filters(date(areas_year, 1, 1), min(date(areas_year, 12, 31), today))
        titles = {section.key: section.title for section in version.sections}
        areas = tuple(
            AreaScore(
                key=area.key,
                title=titles.get(area.key, area.title),
                score=area.score,
                change=area.change,
                below_threshold=area.below_threshold,
                significantly_worse=area.significantly_worse,
            )
            for area in compute_results(filters, threshold).areas
        )
    return PublicResults(tuple(years), areas_year, areas, _published_actions(version))


def year_score(filters: Filters) -> tuple[int, Score]:
    """The responses of a period and the index of all their ratings (the dashboard's
    headline), read from the counts."""
    totals = value_totals(period_counts(filters))
    versions = load_versions({version_id for version_id, _ in totals})
    ratings = ratings_by_key(totals, versions)
    responses = sum(
        sum(values.values()) for (_, key), values in totals.items() if key == RESPONSES_KEY
    )
    return responses, score_of(sum(ratings.values(), Counter()), responses)


def _published_actions(version: VersionDef) -> tuple[PublishedAction, ...]:
    texts = {q.key: q.text for section in version.sections for q in section.questions}
    actions = db.session.scalars(
        select(Action)
        .where(Action.published, Action.status == "done")
        .order_by(Action.implemented_on.desc(), Action.id.desc())
        .limit(ACTIONS_SHOWN)
    )
    return tuple(
        PublishedAction(
            title=action.title,
            description=action.description,
            implemented_on=action.implemented_on,
            items=tuple(texts[key] for key in action.item_keys if key in texts),
        )
        for action in actions
        if action.implemented_on is not None
    )


def live_version() -> VersionDef | None:
    """The current office's live survey version (unlocalised), or None."""
    version_id = survey_state().live_version_id
    return published_version(version_id) if version_id else None


def _shows_on_public_page(action: Action) -> bool:
    history = inspect(action).attrs.published.history
    return bool(action.published or history.deleted)


@event.listens_for(Session, "after_flush")
def _bump_revision_on_published_action(session: Session, flush_context: Any) -> None:
    changed = {
        obj.tenant_id
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, Action) and obj.tenant_id is not None and _shows_on_public_page(obj)
    }
    for tenant_id in sorted(changed):
        session.execute(
            update(Tenant)
            .where(Tenant.id == tenant_id)
            .values(survey_revision=Tenant.survey_revision + 1)
        )
