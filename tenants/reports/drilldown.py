"""One area or one question in depth: its 1–5 distribution with the "nie dotyczy" share, its
monthly trend, its department and channel breakdowns, and (for an area) its questions.

The same method as the dashboard (``tenants.reports.stats``), read from the same running
counts narrowed to the item's question keys: the cost depends on the number of days, months,
departments and channels, never on the number of responses. A question is a rated question
key of any published version of the office; an area is a section key holding one. Titles,
and the area a question belongs to, come from the newest version that has the key. Call
inside a tenant scope.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select, union_all

from saas_platform.core.db import db
from tenants.reports.stats import (
    AreaScore,
    GroupRow,
    ItemScore,
    QuestionInfo,
    area_rows,
    channel_rows,
    compared_period,
    department_rows,
    item_rows,
    latest_questions,
    month_rows,
)
from tenants.survey.definition import NOT_APPLICABLE, RATING_VALUES, VersionDef
from tenants.survey.filters import DEFAULT_COMPARISON, Filters
from tenants.survey.models import SurveyVersion
from tenants.survey.scores import (
    Distribution,
    Totals,
    answered,
    load_versions,
    period_counts,
    ratings_by_key,
    value_totals,
)

AREA = "area"
QUESTION = "question"
DIMENSIONS = ("department_id", "channel", "month")


@dataclass(frozen=True)
class Share:
    """One part of the distribution bar: a rating 1–5 or "nie dotyczy"."""

    value: str
    label: str
    count: int
    share: float  # of all the item's answers, "nie dotyczy" included


@dataclass(frozen=True)
class Detail:
    """Everything a drill-down page shows for one area or question."""

    kind: str  # AREA or QUESTION
    key: str
    title: str
    area_key: str
    area_title: str
    row: AreaScore | ItemScore  # the index, the change and the flags, as on the dashboard
    distribution: tuple[Share, ...]  # empty when the item is hidden
    questions: tuple[ItemScore, ...]  # an area's questions, weakest first; () for a question
    monthly: tuple[GroupRow, ...]
    by_department: tuple[GroupRow, ...]
    by_channel: tuple[GroupRow, ...]
    compared: Filters
    comparison: str

    @property
    def item_keys(self) -> tuple[str, ...]:
        """The question keys the page covers (an area's, or the one question's)."""
        return tuple(q.key for q in self.questions) if self.kind == AREA else (self.key,)


SHARE_LABELS = {
    "1": "1 – bardzo słabo",
    "2": "2 – słabo",
    "3": "3 – średnio",
    "4": "4 – dobrze",
    "5": "5 – bardzo dobrze",
    NOT_APPLICABLE: "nie dotyczy",
}


def rated_questions() -> dict[str, QuestionInfo]:
    """Every rated question key of the office's published versions, with the text and area
    of the newest version that has it."""
    ids = db.session.scalars(
        select(SurveyVersion.id)
        .where(SurveyVersion.published_at.is_not(None))
        .order_by(SurveyVersion.number.desc())
    ).all()
    versions = load_versions(set(ids))
    return latest_questions([versions[i] for i in ids], ("rating",))


def item_detail(
    kind: str,
    key: str,
    filters: Filters,
    threshold: float,
    comparison: str = DEFAULT_COMPARISON,
) -> Detail | None:
    """The area or question ``key`` of the current office over ``filters``; None when the
    office has no such area or rated question (another office's key included)."""
    known = rated_questions()
    if kind == AREA:
        questions = {k: q for k, q in known.items() if q.area_key == key}
    elif kind == QUESTION:
        questions = {key: known[key]} if key in known else {}
    else:
        raise ValueError(f"unknown kind: {kind!r}")
    if not questions:
        return None
    first = next(iter(questions.values()))
    keys = list(questions)
    compared = compared_period(filters, comparison)

    grouped = _grouped(period_counts(filters, keys))
    totals = _totals(grouped)
    previous_totals = value_totals(period_counts(compared, keys))
    versions = load_versions({v for v, _ in totals} | {v for v, _ in previous_totals})
    ratings = ratings_by_key(totals, versions)
    previous_ratings = ratings_by_key(previous_totals, versions)

    items = item_rows(questions, ratings, previous_ratings, threshold)
    row: AreaScore | ItemScore
    if kind == AREA:
        row = area_rows(questions, ratings, previous_ratings, threshold)[0]
        title = first.area
    else:
        row = items[0]
        title = first.definition.text
    breakdowns = _breakdowns(grouped, versions)
    return Detail(
        kind=kind,
        key=key,
        title=title,
        area_key=first.area_key,
        area_title=first.area,
        row=row,
        distribution=_distribution(ratings) if not row.score.hidden else (),
        questions=items if kind == AREA else (),
        monthly=month_rows(filters, breakdowns["month"]),
        by_department=department_rows(breakdowns["department_id"]),
        by_channel=channel_rows(breakdowns["channel"]),
        compared=compared,
        comparison=comparison,
    )


def _distribution(ratings: dict[str, Distribution]) -> tuple[Share, ...]:
    together: Distribution = sum(ratings.values(), Counter())
    values = (*RATING_VALUES, NOT_APPLICABLE)
    total = sum(together[v] for v in values)
    return tuple(
        Share(v, SHARE_LABELS[v], together[v], together[v] / total if total else 0.0)
        for v in values
    )


# (dimension, version id, question key, group, value, count): the period's counts grouped by
# each dimension in turn.
GroupedRow = tuple[str, int, str, Any, str, int]


def _grouped(counts: Any) -> list[GroupedRow]:
    """The period's counts grouped per department, per channel and per month, in one
    statement: the rows are read once (a CTE) and grouped by each dimension in turn, so the
    rows fetched are the sum of the dimensions' groups, not their product (at a million
    responses, about 1,000 rather than 21,000). Each part fills its own dimension's column
    and leaves the others NULL, so every group keeps its type."""
    period = select(*counts.c).cte("period")
    c = period.c
    empty = {
        "department_id": sa.null().cast(sa.Integer),
        "channel": sa.null().cast(sa.String),
        "month": sa.null().cast(sa.Date),
    }
    rows = db.session.execute(
        union_all(
            *(
                select(
                    sa.literal(name).label("dimension"),
                    c.version_id,
                    c.question_key,
                    *(
                        (c[column] if column == name else empty[column]).label(column)
                        for column in DIMENSIONS
                    ),
                    c.value,
                    func.sum(c.count).label("count"),
                )
                .group_by(c.version_id, c.question_key, c[name], c.value)
                .having(func.sum(c.count) != 0)  # a month read whole less days may sum to none
                for name in DIMENSIONS
            )
        )
    )
    return [
        (dimension, version_id, key, groups[DIMENSIONS.index(dimension)], value, int(count))
        for dimension, version_id, key, *groups, value, count in rows
    ]


def _totals(rows: list[GroupedRow]) -> Totals:
    """(version, key) -> value -> count over the period: one dimension's groups summed (each
    dimension divides the same rows), so no second reading of the counts."""
    summed: Counter[tuple[int, str, str]] = Counter()
    for dimension, version_id, key, _, value, count in rows:
        if dimension == "channel":
            summed[(version_id, key, value)] += count
    totals: Totals = defaultdict(dict)
    for (version_id, key, value), count in summed.items():
        if count:
            totals[(version_id, key)][value] = count
    return dict(totals)


def _breakdowns(rows: list[GroupedRow], versions: dict[int, VersionDef]) -> dict[str, Any]:
    """Per department, channel and month: (responses that answered the item, its ratings).
    For an area, a group's responses are the most that answered one of its questions, as
    for the area's own score."""
    # dimension -> group -> question key -> value -> count
    found: dict[str, defaultdict[Any, defaultdict[str, Distribution]]] = {
        name: defaultdict(lambda: defaultdict(Counter)) for name in DIMENSIONS
    }
    for name, version_id, key, group, value, count in rows:
        question = versions[version_id].questions.get(key)
        if question is None or question.kind != "rating":
            continue
        found[name][group][key][value] += count
    return {
        name: {
            group: (
                max(answered(part) for part in by_key.values()),
                sum(by_key.values(), Counter()),
            )
            for group, by_key in groups.items()
        }
        for name, groups in found.items()
    }
