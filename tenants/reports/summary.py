"""The figures of a report's two-page summary, as plain values: the PDF prints them, and the
HTML edition can show the same ones. Call inside a tenant scope."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date

from tenants.actions.services import completed_between, open_actions
from tenants.reports.priorities import Priorities, office_priorities
from tenants.reports.stats import ItemScore, Results, previous_period
from tenants.survey.filters import Filters
from tenants.survey.models import RESPONSES_KEY
from tenants.survey.scores import (
    Score,
    compare,
    load_versions,
    period_counts,
    ratings_by_key,
    score_of,
    value_totals,
)

# How many items the summary names as the strongest and as the weakest.
SUMMARY_ITEMS = 3


@dataclass(frozen=True)
class Comparison:
    """The office's index in another period, and the change to the report's period."""

    date_from: date
    date_to: date
    score: Score
    change: float | None
    significant: bool


@dataclass(frozen=True)
class ActionStatus:
    """The action register at a glance: open now, of them overdue, implemented in the period."""

    open: int
    overdue: int
    completed: int


def year_earlier_day(day: date) -> date:
    """The same day a year before (29 February: the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def year_earlier(filters: Filters) -> Filters:
    """The same filters for the same dates a year before (29 February: the 28th)."""
    return replace(
        filters,
        date_from=year_earlier_day(filters.date_from),
        date_to=year_earlier_day(filters.date_to),
    )


def overall_score(filters: Filters) -> Score:
    """The office's satisfaction index (all ratings together) over ``filters``."""
    totals = value_totals(period_counts(filters))
    ratings = ratings_by_key(totals, load_versions({version_id for version_id, _ in totals}))
    responses = sum(
        sum(values.values()) for (_, key), values in totals.items() if key == RESPONSES_KEY
    )
    return score_of(sum(ratings.values(), Counter()), responses)


def comparison(results: Results, other: Filters) -> Comparison:
    """The report's index against the one of ``other`` (computed from the counts)."""
    score = overall_score(other)
    change, significant = compare(results.overall, score)
    return Comparison(other.date_from, other.date_to, score, change, significant)


def against_previous_period(results: Results) -> Comparison:
    """The report's index against the period of the same length just before it."""
    other = previous_period(results.filters)
    change, significant = compare(results.overall, results.previous)
    return Comparison(other.date_from, other.date_to, results.previous, change, significant)


def against_year_earlier(results: Results) -> Comparison:
    """The report's index against the same period a year earlier."""
    return comparison(results, year_earlier(results.filters))


def strongest(results: Results, count: int = SUMMARY_ITEMS) -> list[ItemScore]:
    """The shown items with the highest index, best first."""
    return [item for item in results.items if not item.score.hidden][::-1][:count]


def weakest(results: Results, count: int = SUMMARY_ITEMS) -> list[ItemScore]:
    """The shown items with the lowest index, worst first (none also named strongest)."""
    shown = [item for item in results.items if not item.score.hidden]
    return shown[: max(0, min(count, len(shown) - count))]


def priorities(results: Results) -> Priorities | None:
    """The report's "Priorytety": the importance–performance view of its period, whose
    ``top`` names the items to improve first; None when the survey has no overall question."""
    return office_priorities(results)


def action_status(period_start: date, period_end: date, today: date) -> ActionStatus:
    """How many actions are open today (and overdue), and how many were implemented in the
    period."""
    opened = open_actions()
    return ActionStatus(
        open=len(opened),
        overdue=sum(1 for action in opened if action.is_overdue(today)),
        completed=len(completed_between(period_start, period_end)),
    )
