"""Priorytety: which items to improve first, from how much they matter and how well they do.

Method (quoted on the dashboard and in the report's methodology):

- An item's importance is the Pearson correlation r between its rating (1–5) and the rating of
  the overall question "Jak ogólnie oceniasz obsługę w urzędzie?" in the same response, over
  the responses that gave both a 1–5 rating ("nie dotyczy" and skipped answers leave the pair
  out): r = (nΣxy − ΣxΣy) / √((nΣx² − (Σx)²)(nΣy² − (Σy)²)). The sums come from the running
  counts (``tenants.survey.scores.pair_sums``), so the cost does not grow with the number of
  responses. It is a measure of association, not proof of cause.
- An item's performance is its satisfaction index (0–100), as everywhere else.
- Under ``MIN_PAIRS`` (30) pairs the importance is not worked out ("za mało danych"), nor when
  every pair has the same item rating or the same overall rating (no variation to correlate).
- The quadrant lines are the means of the importance and of the index over the items that
  have both. An item at or above the mean importance and below the mean index is a priority;
  at or above the mean importance and not below the mean index, a strength to keep; below the
  mean importance, of lower priority (low index) or less important (high index).
- The top priorities are the priority-quadrant items with the largest importance × (100 −
  index): the ones that matter most and have the most room to improve. At most three.

The computation is pure: ``rank_priorities`` takes the items' scores and their sums;
``office_priorities`` takes the sums ``compute_results`` read with the totals (no query).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from math import sqrt

from tenants.reports.stats import ItemScore, Results
from tenants.survey.definition import OVERALL_QUESTION_KEY
from tenants.survey.scores import PairSums

MIN_PAIRS = 30
TOP_PRIORITIES = 3

PRIORITY = "priorytet"
STRENGTH = "mocna strona"
LOWER_PRIORITY = "niski priorytet"
LESS_IMPORTANT = "mniej istotne"
QUADRANT_LABELS = {
    PRIORITY: "Priorytet: poprawić w pierwszej kolejności",
    STRENGTH: "Mocna strona: utrzymać",
    LOWER_PRIORITY: "Niski priorytet",
    LESS_IMPORTANT: "Mniej istotne, dobrze oceniane",
}


def correlation(sums: PairSums) -> float | None:
    """Pearson's r from the sums (exact integer arithmetic up to the last division); None
    without variation in x or in y."""
    covariance = sums.n * sums.sum_xy - sums.sum_x * sums.sum_y
    variance_x = sums.n * sums.sum_xx - sums.sum_x * sums.sum_x
    variance_y = sums.n * sums.sum_yy - sums.sum_y * sums.sum_y
    if variance_x <= 0 or variance_y <= 0:
        return None
    return max(-1.0, min(1.0, covariance / sqrt(variance_x * variance_y)))


@dataclass(frozen=True)
class ItemPriority:
    """One rated item on the importance–performance view. ``number`` labels its point in the
    chart and its row in the table (1 = most important)."""

    number: int
    key: str
    text: str
    area: str
    pairs: int
    importance: float | None  # None: "za mało danych" (see ``missing``)
    index: float | None  # None: the item is hidden (small-group rule)
    quadrant: str | None = None  # one of QUADRANT_LABELS; None when not on the chart

    @property
    def on_chart(self) -> bool:
        return self.importance is not None and self.index is not None

    @property
    def missing(self) -> str | None:
        """Why the item is not on the chart, in Polish; None when it is."""
        if self.pairs < MIN_PAIRS:
            return "za mało danych"
        if self.index is None:
            return "za mało odpowiedzi"
        if self.importance is None:
            return "oceny bez zróżnicowania"
        return None

    @property
    def quadrant_label(self) -> str:
        return QUADRANT_LABELS[self.quadrant] if self.quadrant else ""

    @property
    def weight(self) -> float:
        """How much improving the item promises: importance × room to improve."""
        if self.importance is None or self.index is None:
            return 0.0
        return self.importance * (100.0 - self.index)


@dataclass(frozen=True)
class Priorities:
    """The importance–performance view of one set of filters."""

    items: tuple[ItemPriority, ...]  # most important first, then those without enough data
    mean_importance: float | None
    mean_index: float | None
    top: tuple[ItemPriority, ...]
    min_pairs: int = MIN_PAIRS

    @property
    def charted(self) -> tuple[ItemPriority, ...]:
        return tuple(item for item in self.items if item.on_chart)

    def importance_range(self) -> tuple[float, float]:
        """The chart's importance axis: from 0 (or the lowest r) to the highest r, in steps
        of 0.1 with a margin, within −1…1."""
        values = [item.importance for item in self.charted if item.importance is not None]
        low = min([0.0, *values])
        high = max([0.5, *values])
        return max(-1.0, _step_down(low, 0.1)), min(1.0, _step_up(high + 0.05, 0.1))

    def index_range(self) -> tuple[float, float]:
        """The chart's index axis: the items' indexes with a margin, in steps of 10, 0–100."""
        values = [item.index for item in self.charted if item.index is not None]
        if not values:
            return 0.0, 100.0
        low = max(0.0, _step_down(min(values) - 5, 10.0))
        high = min(100.0, _step_up(max(values) + 5, 10.0))
        return (low, high) if high > low else (0.0, 100.0)


def _step_down(value: float, step: float) -> float:
    return (value // step) * step


def _step_up(value: float, step: float) -> float:
    return -((-value) // step) * step


def rank_priorities(
    items: Iterable[ItemScore], sums: Mapping[str, PairSums], count: int = TOP_PRIORITIES
) -> Priorities:
    """Importance and performance of each rated item (the overall question left out), their
    quadrants, and the top ``count`` priorities (see the module's method). Pure."""
    found = []
    for item in items:
        if item.key == OVERALL_QUESTION_KEY:
            continue
        pairs = sums.get(item.key, PairSums())
        importance = correlation(pairs) if pairs.n >= MIN_PAIRS else None
        found.append((item, pairs.n, importance))
    charted = [
        (importance, item.score.index)
        for item, _, importance in found
        if importance is not None and item.score.index is not None
    ]
    mean_importance = sum(i for i, _ in charted) / len(charted) if charted else None
    mean_index = sum(x for _, x in charted) / len(charted) if charted else None

    def quadrant(importance: float | None, index: float | None) -> str | None:
        if importance is None or index is None or mean_importance is None or mean_index is None:
            return None
        if importance >= mean_importance:
            return PRIORITY if index < mean_index else STRENGTH
        return LOWER_PRIORITY if index < mean_index else LESS_IMPORTANT

    # Most important first; those off the chart after them, in the survey's order.
    ordered = sorted(
        enumerate(found),
        key=lambda entry: (
            entry[1][2] is None or entry[1][0].score.index is None,
            -(entry[1][2] or 0.0),
            entry[0],
        ),
    )
    ranked = tuple(
        ItemPriority(
            number=number,
            key=item.key,
            text=item.text,
            area=item.area,
            pairs=n,
            importance=importance,
            index=item.score.index,
            quadrant=quadrant(importance, item.score.index),
        )
        for number, (_, (item, n, importance)) in enumerate(ordered, start=1)
    )
    priorities = [item for item in ranked if item.quadrant == PRIORITY]
    top = tuple(sorted(priorities, key=lambda item: -item.weight)[:count])
    return Priorities(ranked, mean_importance, mean_index, top)


def available(items: Iterable[ItemScore]) -> bool:
    """Whether the period's survey has the overall question (else no "Priorytety")."""
    return any(item.key == OVERALL_QUESTION_KEY for item in items)


def office_priorities(results: Results) -> Priorities | None:
    """The view for ``results`` (the sums its own query read); None when the period's survey
    has no overall question."""
    if not available(results.items):
        return None
    return rank_priorities(results.items, results.pair_sums)
