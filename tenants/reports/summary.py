"""The figures of a report's two-page summary, as plain values: the PDF prints them, and the
HTML edition can show the same ones. Call inside a tenant scope."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from tenants.actions.services import completed_between, open_actions
from tenants.reports.priorities import Priorities, office_priorities
from tenants.reports.stats import (
    ItemScore,
    Results,
    previous_period,
    year_earlier,
)
from tenants.survey.filters import PREVIOUS_PERIOD, YEAR_EARLIER, Filters
from tenants.survey.models import RESPONSES_KEY
from tenants.survey.scores import (
    Score,
    load_versions,
    period_counts,
    ratings_by_key,
    score_of,
    shown_change,
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
    change, significant = shown_change(results.overall, score)
    return Comparison(other.date_from, other.date_to, score, change, significant)


def _against(results: Results, kind: str, other: Filters) -> Comparison:
    if results.comparison == kind:  # the results hold it already
        return Comparison(
            other.date_from,
            other.date_to,
            results.previous,
            results.change,
            results.significant_change,
        )
    return comparison(results, other)


def against_previous_period(results: Results) -> Comparison:
    """The report's index against the period of the same length just before it."""
    return _against(results, PREVIOUS_PERIOD, previous_period(results.filters))


def against_year_earlier(results: Results) -> Comparison:
    """The report's index against the same period a year earlier."""
    return _against(results, YEAR_EARLIER, year_earlier(results.filters))


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


def action_status(
    period_start: date, period_end: date, today: date, scope: frozenset[int] | None = None
) -> ActionStatus:
    """How many actions are open today (and overdue), and how many were implemented in the
    period (of those a reader of ``scope`` sees: a department's report, its own)."""
    opened = open_actions(scope)
    return ActionStatus(
        open=len(opened),
        overdue=sum(1 for action in opened if action.is_overdue(today)),
        completed=len(completed_between(period_start, period_end, scope)),
    )
