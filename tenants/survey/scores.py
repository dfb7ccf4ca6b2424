"""Ratings read from the running counts and scored: the satisfaction index, its 95 % interval,
the share of positive ratings and the significance of a change.

The methodology is the one ``tenants.reports.stats`` quotes in the report; the functions live
here, beside the counts they read, so that every area which shows an index (the dashboard and
the PDF through ``reports``, an action's measured effect through ``actions``) computes it the
same way. Only the count tables are read: the cost does not grow with the number of responses.
Call these inside a tenant scope.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from math import sqrt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, Subquery, func, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import expression
from sqlalchemy.sql.compiler import SQLCompiler

from saas_platform.core.db import db
from saas_platform.core.numbers import round_half_away
from tenants.survey.definition import NOT_APPLICABLE, RATING_VALUES, VersionDef, published_version
from tenants.survey.filters import Filters
from tenants.survey.models import RESPONSES_KEY, MonthlyResponseCount, ResponseCount

MIN_GROUP = 5
Z_95 = 1.96
TOP_RATINGS = ("4", "5")

RC = ResponseCount
MRC = MonthlyResponseCount
Distribution = Counter[str]  # value -> number of answers


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Score:
    """The ratings of a group. Hidden (every number None) under ``MIN_GROUP`` responses or
    when there is no rating at all. ``index`` is 0–100, shares are 0–1."""

    hidden: bool = True
    n_responses: int | None = None
    n_answers: int | None = None
    n_not_applicable: int | None = None
    mean: float | None = None
    index: float | None = None
    index_se: float | None = None
    index_low: float | None = None
    index_high: float | None = None
    share_top: float | None = None
    share_top_low: float | None = None
    share_top_high: float | None = None


HIDDEN = Score()


Totals = dict[tuple[int, str], dict[str, int]]  # (version id, question key) -> value -> count


COUNT_COLUMNS = ("version_id", "question_key", "department_id", "channel", "value", "count")
# The columns that add up (and are taken away): the count, the overall sums, the comments.
NUMBER_COLUMNS = frozenset({"count", "overall_n", "overall_sum", "overall_squares", "comments"})
# What each count row also holds of its responses' overall ratings (migration 0032).
OVERALL_SUM_COLUMNS = ("overall_n", "overall_sum", "overall_squares")


class month_of(expression.FunctionElement[date]):
    """The first day of a date's calendar month, as a date, in PostgreSQL and in SQLite."""

    type = sa.Date()
    inherit_cache = True


@compiles(month_of, "postgresql")
def _month_of_postgresql(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS date)"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


def period_counts(
    filters: Filters,
    keys: Collection[str] | None = None,
    with_overall: bool = False,
    with_comments: bool = False,
) -> Subquery:
    """The counts of the period and filters, as rows of ``COUNT_COLUMNS`` and ``month``;
    only the question ``keys`` when given (an action's few items, not the whole survey);
    with the ``OVERALL_SUM_COLUMNS`` too when ``with_overall``, and ``comments`` when
    ``with_comments``. Rows are to be summed (a key may come in several rows, some negative):
    every reader groups and sums them, and leaves out what sums to zero.

    Whole calendar months come from the monthly roll-up. A month the period covers only in
    part comes from whichever side has fewer days: the days inside it, from the daily counts,
    or the whole month less the days outside it (daily rows with their numbers negated). So
    no period reads more than about half a month of daily rows at each end: "the last 12
    months" from the 5th reads the month and takes away its first four days, where reading
    its days would be 27. A partial month counts as whole when the office has no counts on
    its days outside the period, which is always so for the current month of a period ending
    today.
    """
    date_from, date_to = filters.date_from, filters.date_to
    columns = (
        COUNT_COLUMNS
        + (OVERALL_SUM_COLUMNS if with_overall else ())
        + (("comments",) if with_comments else ())
    )
    first_month, last_month = month_index(date_from), month_index(date_to)
    months_from, months_after = month_start(first_month), month_start(last_month + 1)
    day = timedelta(days=1)
    # The days of the touched months outside the period, at each end, when any hold counts.
    before = (months_from, date_from - day) if months_from < date_from else None
    after = (date_to + day, months_after - day) if date_to + day < months_after else None
    if before and not _any_day(*before):
        before = None
    if after and not _any_day(*after):
        after = None
    added: list[tuple[date, date]] = []  # daily rows read as they are
    taken: list[tuple[date, date]] = []  # daily rows taken away from a month read whole
    if first_month == last_month:
        outside = sum(_length(r) for r in (before, after) if r)
        if outside and outside >= _length((date_from, date_to)):
            added.append((date_from, date_to))
            months_from = months_after  # no whole month
        else:
            taken.extend(r for r in (before, after) if r)
    else:
        if before:
            inside = (date_from, month_start(first_month + 1) - day)
            if _length(before) < _length(inside):
                taken.append(before)
            else:
                added.append(inside)
                months_from = month_start(first_month + 1)
        if after:
            inside = (month_start(last_month), date_to)
            if _length(after) < _length(inside):
                taken.append(after)
            else:
                added.append(inside)
                months_after = month_start(last_month)
    parts: list[Select[*tuple[Any, ...]]] = []
    if months_from < months_after:
        parts.append(
            select(*(MRC.__table__.c[name] for name in columns), MRC.month).where(
                MRC.month >= months_from,
                MRC.month < months_after,
                *_narrowing(MRC, filters, keys),
            )
        )
    parts += [_days(filters, first, last, keys, columns) for first, last in added]
    parts += [_days(filters, first, last, keys, columns, negated=True) for first, last in taken]
    if len(parts) == 1:
        return parts[0].subquery("counts")
    return union_all(*parts).subquery("counts")


def _length(days: tuple[date, date]) -> int:
    return (days[1] - days[0]).days + 1


def _any_day(first: date, last: date) -> bool:
    """Whether the office has any counts from ``first`` to ``last``."""
    found = select(RC.day).where(RC.day >= first, RC.day <= last).limit(1)
    return db.session.scalar(found) is not None


def _days(
    filters: Filters,
    first: date,
    last: date,
    keys: Collection[str] | None = None,
    columns: tuple[str, ...] = COUNT_COLUMNS,
    negated: bool = False,
) -> Select[*tuple[Any, ...]]:
    """The daily rows of ``first`` to ``last``; ``negated``: their numbers with a minus, to
    take them away from their month read whole."""
    table = RC.__table__.c
    selected = (
        (-table[name]).label(name) if negated and name in NUMBER_COLUMNS else table[name]
        for name in columns
    )
    return select(*selected, month_of(RC.day).label("month")).where(
        RC.day >= first, RC.day <= last, *_narrowing(RC, filters, keys)
    )


def _narrowing(
    model: type[ResponseCount | MonthlyResponseCount],
    filters: Filters,
    keys: Collection[str] | None = None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if keys is not None:
        conditions.append(model.question_key.in_(sorted(keys)))
    if filters.department_id is not None:
        conditions.append(model.department_id == filters.department_id)
    if filters.scope_ids is not None:  # a manager's departments: never another's, nor "none"
        conditions.append(model.department_id.in_(filters.scope_ids))
    if filters.channel is not None:
        conditions.append(model.channel == filters.channel)
    if filters.version_id is not None:
        conditions.append(model.version_id == filters.version_id)
    return conditions


def comment_total(filters: Filters) -> int:
    """How many comments (open-text answers) the counted responses of the period and filters
    left, from their ``RESPONSES_KEY`` count rows: the cost follows the period's months, not
    its comments. Comments of responses that retention has since deleted still count."""
    source = period_counts(filters, keys=(RESPONSES_KEY,), with_comments=True)
    return int(db.session.scalar(select(func.coalesce(func.sum(source.c.comments), 0))) or 0)


# (version id, question key, value) -> the rows' overall_n, overall_sum, overall_squares
PairTotals = dict[tuple[int, str, str], tuple[int, int, int]]


def value_totals(source: Subquery, pairs: PairTotals | None = None) -> Totals:
    """(version, key) -> value -> count over ``source``; with ``pairs`` (a ``period_counts``
    made ``with_overall``), the same query also fills in each value's overall sums."""
    counts = source.c
    columns = [counts.version_id, counts.question_key, counts.value, func.sum(counts.count)]
    if pairs is not None:
        columns += [func.sum(counts[name]) for name in OVERALL_SUM_COLUMNS]
    rows = db.session.execute(
        select(*columns)
        .group_by(counts.version_id, counts.question_key, counts.value)
        .having(func.sum(counts.count) != 0)
    )
    totals: Totals = defaultdict(dict)
    for row in rows:
        version_id, key, value, count = row[:4]
        totals[(version_id, key)][value] = int(count)
        if pairs is not None and row[4]:
            pairs[(version_id, key, value)] = (int(row[4]), int(row[5]), int(row[6]))
    return totals


def load_versions(version_ids: set[int]) -> dict[int, VersionDef]:
    versions = {}
    for version_id in version_ids:
        version = published_version(version_id)
        if version is None:  # responses only ever point at published versions
            raise LookupError(f"counts refer to survey version {version_id}, not published")
        versions[version_id] = version
    return versions


def ratings_by_key(totals: Totals, versions: Mapping[int, VersionDef]) -> dict[str, Distribution]:
    ratings: dict[str, Distribution] = defaultdict(Counter)
    for (version_id, key), values in totals.items():
        question = versions[version_id].questions.get(key)
        if question is not None and question.kind == "rating":
            ratings[key].update(values)
    return ratings


def answered(ratings: Distribution) -> int:
    """The responses that answered an item: its ratings and its "nie dotyczy" answers."""
    return sum(ratings[v] for v in (*RATING_VALUES, NOT_APPLICABLE))


def score_of(ratings: Distribution, n_responses: int) -> Score:
    counts = {int(value): ratings[value] for value in RATING_VALUES}
    n_answers = sum(counts.values())
    if n_responses < MIN_GROUP or n_answers == 0:
        return HIDDEN
    mean = sum(v * c for v, c in counts.items()) / n_answers
    squares = sum(v * v * c for v, c in counts.items())
    variance = (squares - n_answers * mean * mean) / (n_answers - 1) if n_answers > 1 else 0.0
    n = min(n_responses, n_answers)
    index = (mean - 1) * 25
    index_se = 25 * sqrt(max(variance, 0.0)) / sqrt(n)
    share_top = sum(ratings[v] for v in TOP_RATINGS) / n_answers
    share_low, share_high = _wilson(share_top, n)
    return Score(
        hidden=False,
        n_responses=n_responses,
        n_answers=n_answers,
        n_not_applicable=ratings[NOT_APPLICABLE],
        mean=mean,
        index=index,
        index_se=index_se,
        index_low=max(0.0, index - Z_95 * index_se),
        index_high=min(100.0, index + Z_95 * index_se),
        share_top=share_top,
        share_top_low=share_low,
        share_top_high=share_high,
    )


def _wilson(share: float, n: int) -> tuple[float, float]:
    z2 = Z_95 * Z_95
    denominator = 1 + z2 / n
    centre = (share + z2 / (2 * n)) / denominator
    half = Z_95 * sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def compare(current: Score, previous: Score) -> tuple[float | None, bool]:
    """The change of the index and whether it is significant (two-sample z test)."""
    index, previous_index = current.index, previous.index
    index_se, previous_se = current.index_se, previous.index_se
    if index is None or previous_index is None or index_se is None or previous_se is None:
        return None, False  # hidden: a shown score has every number
    change = index - previous_index
    se = sqrt(index_se**2 + previous_se**2)
    return change, abs(change) > Z_95 * se if se > 0 else change != 0


def shown_change(current: Score, previous: Score) -> tuple[float | None, bool]:
    """``compare`` with the significance decided on the change as shown (one decimal, halves
    away from zero): a change shown as 0,0 is never called significant. Every page, report
    and export that prints a verdict reads it from here."""
    change, significant = compare(current, previous)
    return change, significant and change is not None and round_half_away(change) != 0


def item_scores(filters: Filters, keys: Iterable[str]) -> dict[str, Score]:
    """The score of each rated item ``keys`` names, over ``filters``; an item without ratings
    in the period (or under the small-group rule) is ``HIDDEN``."""
    keys = list(keys)
    totals = value_totals(period_counts(filters, keys))
    versions = load_versions({version_id for version_id, _ in totals})
    ratings = ratings_by_key(totals, versions)
    scores = {}
    for key in keys:
        distribution = ratings.get(key, Counter())
        scores[key] = score_of(distribution, answered(distribution))
    return scores


@dataclass(frozen=True)
class PairSums:
    """The sums a Pearson correlation needs between an item's rating x and the overall rating
    y of the same response, over the responses that gave both a 1–5 rating."""

    n: int = 0
    sum_x: int = 0
    sum_y: int = 0
    sum_xy: int = 0
    sum_xx: int = 0
    sum_yy: int = 0

    def plus(self, other: PairSums) -> PairSums:
        return PairSums(
            self.n + other.n,
            self.sum_x + other.sum_x,
            self.sum_y + other.sum_y,
            self.sum_xy + other.sum_xy,
            self.sum_xx + other.sum_xx,
            self.sum_yy + other.sum_yy,
        )


def pairs_of_value(value: int, overall_n: int, overall_sum: int, overall_squares: int) -> PairSums:
    """An item's rating ``value`` given by ``overall_n`` responses whose overall ratings sum to
    ``overall_sum`` (squares: ``overall_squares``): x is the same for all of them."""
    return PairSums(
        n=overall_n,
        sum_x=value * overall_n,
        sum_y=overall_sum,
        sum_xy=value * overall_sum,
        sum_xx=value * value * overall_n,
        sum_yy=overall_squares,
    )


def pair_sums(filters: Filters) -> dict[str, PairSums]:
    """Rated item key -> its ``PairSums`` with the overall question over ``filters``, from the
    count rows of its values 1–5 (the overall question itself included: it pairs with itself).
    Items without a pair are left out. ``compute_results`` gets the same from its own query."""
    pairs: PairTotals = {}
    value_totals(period_counts(filters, with_overall=True), pairs)
    return pair_sums_of(pairs, load_versions({version_id for version_id, _, _ in pairs}))


def pair_sums_of(pairs: PairTotals, versions: Mapping[int, VersionDef]) -> dict[str, PairSums]:
    """The ``PairSums`` of each rated item from its values' overall sums."""
    sums: dict[str, PairSums] = {}
    for (version_id, key, value), (overall_n, overall_sum, squares) in pairs.items():
        question = versions[version_id].questions.get(key)
        if question is None or question.kind != "rating" or value not in RATING_VALUES:
            continue
        found = pairs_of_value(int(value), overall_n, overall_sum, squares)
        sums[key] = sums.get(key, PairSums()).plus(found)
    return sums
