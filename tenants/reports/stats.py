"""Every number the staff dashboard and the PDF report show, computed in one place.

Only the running counts (``response_counts``) are read, with a few GROUP BY queries, so the
cost depends on the number of days, departments, channels and questions in the period, never on
the number of responses. Call ``compute_results`` inside a tenant scope.

Methodology (quoted in the report's methodology note):

- Ratings use the scale 1 (bardzo słabo) to 5 (bardzo dobrze). "Nie dotyczy" answers are
  counted separately and left out of every mean and share.
- The satisfaction index is the mean rating on a 0–100 scale: (mean − 1) / 4 × 100. The share
  of positive ratings is the share of 4 and 5 among the ratings.
- Confidence intervals are 95%. For the index: index ± 1.96 × SE, SE = 25 × sd / √n, where sd
  is the sample standard deviation of the ratings; for the share of positive ratings: the
  Wilson score interval. Both are clipped to their scale.
- n is the number of responses, not the number of ratings (and never more than the number of
  ratings): the ratings one person gives to several items are correlated, so they are not
  independent observations. With n counted this way the interval is right when a person's
  ratings move together and wider than needed when they do not, so it errs on the side of
  caution. For one item n is the number of its ratings. For an area, n is the largest number of
  responses that answered one of its items: at least that many answered the area.
- A period is compared with the same period a year earlier (by default) or with the period
  of the same length just before it. A change is significant when
  |index₁ − index₂| / √(SE₁² + SE₂²) > 1.96 (two-sample z test at the 5% level) and the change
  as shown (one decimal) is not zero.
- Numbers are shown to one decimal, rounded half away from zero (74.95 is 75.0), and the flags
  are decided on the number shown: an index is below the threshold when its rounded value is
  (74.95 is not below 75); a fall is a significant change whose rounded value is negative.
- A group (department, channel, month, item, area, question) with fewer than 5 responses is
  not shown: it would say too much about the few people in it and too little about the office.
  An item counts the responses that rated it or answered "nie dotyczy".
- A multiple-choice question shows each option's share of the responses to the survey versions
  that asked it: the counts do not record who skipped it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Subquery, and_, func, or_, select
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import KeyedColumnElement

from saas_platform.core.db import db
from saas_platform.core.numbers import round_half_away
from tenants.survey.definition import RATING_VALUES, QuestionDef, VersionDef
from tenants.survey.filters import (
    CHANNEL_LABELS,
    DEFAULT_COMPARISON,
    NO_DEPARTMENT_LABEL,
    PREVIOUS_PERIOD,
    YEAR_EARLIER,
    Filters,
)
from tenants.survey.models import NO_DEPARTMENT, RESPONSES_KEY, Department
from tenants.survey.scores import (
    HIDDEN,
    MIN_GROUP,
    Distribution,
    PairSums,
    PairTotals,
    Score,
    Totals,
    answered,
    load_versions,
    month_index,
    month_start,
    pair_sums_of,
    period_counts,
    ratings_by_key,
    score_of,
    shown_change,
    value_totals,
)

CHOICE_KINDS = ("single_choice", "multiple_choice", "yes_no")
MONTH_NAMES = (
    "styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec",
    "lipiec", "sierpień", "wrzesień", "październik", "listopad", "grudzień",
)  # fmt: skip

# The value ``counted_values`` writes for RESPONSES_KEY; no question has an empty value.
_RESPONSE_VALUE = ""


def previous_period(filters: Filters) -> Filters:
    """The same filters for the period of the same length that ends the day before.

    A period of whole calendar months (a year, a quarter, a month) is compared with the same
    number of months before it, so 2025 is compared with 2024 whatever the leap days; any other
    period with the same number of days before it.
    """
    next_day = filters.date_to + timedelta(days=1)
    if filters.date_from.day == 1 and next_day.day == 1:
        months = month_index(next_day) - month_index(filters.date_from)
        start = month_start(month_index(filters.date_from) - months)
        return replace(filters, date_from=start, date_to=filters.date_from - timedelta(days=1))
    length = filters.date_to - filters.date_from + timedelta(days=1)
    return replace(
        filters,
        date_from=filters.date_from - length,
        date_to=filters.date_from - timedelta(days=1),
    )


COMPARED_TEXT = {
    YEAR_EARLIER: "w tym samym okresie rok wcześniej",
    PREVIOUS_PERIOD: "w poprzednim okresie tej samej długości",
}


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


def compared_period(filters: Filters, comparison: str = DEFAULT_COMPARISON) -> Filters:
    """The filters a period is compared with: ``YEAR_EARLIER`` (the same dates a year before)
    or ``PREVIOUS_PERIOD`` (the period of the same length just before)."""
    if comparison == YEAR_EARLIER:
        return year_earlier(filters)
    if comparison == PREVIOUS_PERIOD:
        return previous_period(filters)
    raise ValueError(f"unknown comparison: {comparison!r}")


def is_below(score: Score, threshold: float) -> bool:
    """Whether the index as shown (one decimal, halves away from zero) is under
    ``threshold``; never for a hidden score."""
    return score.index is not None and round_half_away(score.index) < threshold


def is_significant_fall(change: float | None, significant: bool) -> bool:
    """A significant change whose value as shown is negative."""
    return significant and change is not None and round_half_away(change) < 0


@dataclass(frozen=True)
class ItemScore:
    """One rated item (question key) and its change against the comparison period."""

    key: str
    text: str
    area_key: str
    area: str
    score: Score
    change: float | None
    below_threshold: bool
    significantly_worse: bool
    # How many ratings 1, 2, 3, 4 and 5 the item had (empty when it is hidden).
    distribution: tuple[int, ...] = ()


@dataclass(frozen=True)
class AreaScore:
    """One area (survey section): all ratings of its items together."""

    key: str
    title: str
    score: Score
    change: float | None
    below_threshold: bool
    significantly_worse: bool


@dataclass(frozen=True)
class GroupRow:
    """A department (int id, ``NO_DEPARTMENT`` for none), channel or month ("YYYY-MM").
    ``responses`` is None when the group is hidden."""

    key: int | str
    label: str
    responses: int | None
    score: Score

    @property
    def hidden(self) -> bool:
        return self.responses is None


@dataclass(frozen=True)
class ChoiceShare:
    key: str
    label: str
    count: int
    share: float


@dataclass(frozen=True)
class ChoiceQuestion:
    """A single-choice, multiple-choice or yes/no question; ``options`` empty when hidden.
    ``n_responses``: the responses the shares are of (for multiple choice: those asked)."""

    key: str
    kind: str
    text: str
    area: str
    hidden: bool
    n_responses: int | None
    options: tuple[ChoiceShare, ...]


@dataclass(frozen=True)
class Results:
    """Everything the dashboard and the report show for one set of filters."""

    filters: Filters
    threshold: float
    responses: int
    overall: Score
    # The score of the period compared with (``comparison``: YEAR_EARLIER or PREVIOUS_PERIOD).
    previous: Score
    change: float | None
    significant_change: bool
    items: tuple[ItemScore, ...]
    areas: tuple[AreaScore, ...]
    by_department: tuple[GroupRow, ...]
    by_channel: tuple[GroupRow, ...]
    monthly: tuple[GroupRow, ...]
    choices: tuple[ChoiceQuestion, ...]
    versions: tuple[int, ...]
    comparison: str = DEFAULT_COMPARISON
    compared: Filters | None = None  # the period compared with

    @property
    def compared_text(self) -> str:
        """ "w tym samym okresie rok wcześniej" or "w poprzednim okresie tej samej długości"."""
        return COMPARED_TEXT[self.comparison]

    @property
    def overall_below_threshold(self) -> bool:
        return is_below(self.overall, self.threshold)

    # Rated item key -> the sums of its correlation with the overall question ("Priorytety").
    pair_sums: Mapping[str, PairSums] = field(default_factory=dict)

    @property
    def versions_note(self) -> str | None:
        """ "Okres obejmuje 2 wersje ankiety (v1, v2)" when the period spans several versions."""
        return versions_note(self.versions)


def compute_results(
    filters: Filters, threshold: float, comparison: str = DEFAULT_COMPARISON
) -> Results:
    """All results for ``filters`` in the current office; ``threshold`` flags weak items,
    changes are against the ``comparison`` period (see ``compared_period``)."""
    compared = compared_period(filters, comparison)
    # Worked out once: the totals and the breakdowns read the same. The totals' query also sums
    # the overall ratings paired with each value ("Priorytety", ``reports.priorities``).
    counts = period_counts(filters, with_overall=True)
    pairs: PairTotals = {}
    totals = value_totals(counts, pairs)
    previous_totals = value_totals(period_counts(compared))
    current_ids = {version_id for version_id, _ in totals}
    versions = load_versions(current_ids | {version_id for version_id, _ in previous_totals})
    current_versions = sorted((versions[i] for i in current_ids), key=lambda v: -v.number)
    rating_questions = latest_questions(current_versions, ("rating",))
    ratings = ratings_by_key(totals, versions)
    previous_ratings = ratings_by_key(previous_totals, versions)

    responses = _responses(totals)
    overall = score_of(sum(ratings.values(), Counter()), responses)
    previous = score_of(sum(previous_ratings.values(), Counter()), _responses(previous_totals))
    change, significant_change = shown_change(overall, previous)

    breakdowns = _breakdowns(counts, current_versions)
    return Results(
        filters=filters,
        threshold=threshold,
        responses=responses,
        overall=overall,
        previous=previous,
        change=change,
        significant_change=significant_change,
        items=item_rows(rating_questions, ratings, previous_ratings, threshold),
        areas=area_rows(rating_questions, ratings, previous_ratings, threshold),
        by_department=department_rows(breakdowns["department_id"]),
        by_channel=channel_rows(breakdowns["channel"]),
        monthly=month_rows(filters, breakdowns["month"]),
        choices=_choices(current_versions, totals),
        versions=tuple(sorted(v.number for v in current_versions)),
        comparison=comparison,
        compared=compared,
        pair_sums=pair_sums_of(pairs, versions),
    )


def versions_note(versions: tuple[int, ...]) -> str | None:
    """The dashboard's and the report's note when a period spans several survey versions,
    e.g. "Okres obejmuje 2 wersje ankiety (v1, v2)"; None for one version or none."""
    if len(versions) < 2:
        return None
    n = len(versions)
    noun = "wersje" if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else "wersji"
    listed = ", ".join(f"v{number}" for number in versions)
    return f"Okres obejmuje {n} {noun} ankiety ({listed})"


# -- the queries ---------------------------------------------------------------------------

BREAKDOWNS = ("department_id", "channel", "month")


def _rating_filter(
    versions: Iterable[VersionDef], counts: ReadOnlyColumnCollection[str, KeyedColumnElement[Any]]
) -> ColumnElement[bool]:
    """Rows of whole responses and of rating answers (a key's kind is its version's)."""
    by_version = [
        and_(counts.version_id == v.id, counts.question_key.in_(keys))
        for v in versions
        if (keys := [q.key for q in v.questions.values() if q.kind == "rating"])
    ]
    return or_(counts.question_key == RESPONSES_KEY, *by_version)


# group (a department id, a channel, a month's first day) -> (responses, their ratings)
GroupKey = TypeVar("GroupKey")
Breakdown = dict[GroupKey, tuple[int, Distribution]]


def _breakdowns(source: Subquery, versions: Iterable[VersionDef]) -> dict[str, Breakdown[Any]]:
    """Per department, channel and month: the number of responses and all their ratings
    together. One query, grouped by all three at once, folded here."""
    counts = source.c
    rows = db.session.execute(
        select(counts.department_id, counts.channel, counts.month, counts.value)
        .add_columns(func.sum(counts.count))
        .where(_rating_filter(versions, counts))
        .group_by(counts.department_id, counts.channel, counts.month, counts.value)
        .having(func.sum(counts.count) != 0)  # a month read whole less days may sum to none
    )
    # The groups are whatever the rows hold: department ids, channels and months.
    responses: dict[str, Counter[Any]] = {name: Counter() for name in BREAKDOWNS}
    ratings: dict[str, defaultdict[Any, Distribution]] = {
        name: defaultdict(Counter) for name in BREAKDOWNS
    }
    for department_id, channel, month, value, count in rows:
        for name, group in zip(BREAKDOWNS, (department_id, channel, month), strict=True):
            if value == _RESPONSE_VALUE:
                responses[name][group] += int(count)
            else:
                ratings[name][group][value] += int(count)
    return {
        name: {
            group: (responses[name][group], ratings[name][group])
            for group in responses[name].keys() | ratings[name]
        }
        for name in BREAKDOWNS
    }


# -- definitions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionInfo:
    definition: QuestionDef
    area_key: str
    area: str


def latest_questions(
    newest_first: list[VersionDef], kinds: tuple[str, ...]
) -> dict[str, QuestionInfo]:
    """Question key -> its text and section in the newest version that has it, in the order
    of the newest version, then the keys only older versions have."""
    found: dict[str, QuestionInfo] = {}
    for version in newest_first:
        for section in version.sections:
            for question in section.questions:
                if question.kind in kinds and question.key not in found:
                    found[question.key] = QuestionInfo(question, section.key, section.title)
    return found


# -- the numbers ---------------------------------------------------------------------------


def _responses(totals: Totals) -> int:
    return sum(sum(values.values()) for (_, key), values in totals.items() if key == RESPONSES_KEY)


Scored = TypeVar("Scored", ItemScore, AreaScore)


def _weakest_first(rows: Iterable[Scored]) -> tuple[Scored, ...]:
    # Stable: equal indexes and hidden rows keep the survey's order.
    return tuple(sorted(rows, key=lambda r: (r.score.hidden, r.score.index or 0.0)))


def item_rows(
    questions: Mapping[str, QuestionInfo],
    ratings: Mapping[str, Distribution],
    previous_ratings: Mapping[str, Distribution],
    threshold: float,
) -> tuple[ItemScore, ...]:
    """Each rated question's row (index, change, flags), weakest first."""
    items = []
    for key, question in questions.items():
        now, before = ratings.get(key, Counter()), previous_ratings.get(key, Counter())
        score = score_of(now, answered(now))
        change, significant = shown_change(score, score_of(before, answered(before)))
        items.append(
            ItemScore(
                key=key,
                text=question.definition.text,
                area_key=question.area_key,
                area=question.area,
                score=score,
                change=change,
                below_threshold=is_below(score, threshold),
                significantly_worse=is_significant_fall(change, significant),
                distribution=() if score.hidden else tuple(now[v] for v in RATING_VALUES),
            )
        )
    return _weakest_first(items)


def area_rows(
    questions: Mapping[str, QuestionInfo],
    ratings: Mapping[str, Distribution],
    previous_ratings: Mapping[str, Distribution],
    threshold: float,
) -> tuple[AreaScore, ...]:
    """Each area's row (all its questions' ratings together), weakest first."""
    titles: dict[str, str] = {}
    keys: dict[str, list[str]] = defaultdict(list)
    for key, question in questions.items():
        titles.setdefault(question.area_key, question.area)
        keys[question.area_key].append(key)

    def area_score(source: Mapping[str, Distribution], area_key: str) -> Score:
        parts = [source.get(key, Counter()) for key in keys[area_key]]
        return score_of(sum(parts, Counter()), max(answered(part) for part in parts))

    areas = []
    for area_key, title in titles.items():
        score = area_score(ratings, area_key)
        change, significant = shown_change(score, area_score(previous_ratings, area_key))
        areas.append(
            AreaScore(
                key=area_key,
                title=title,
                score=score,
                change=change,
                below_threshold=is_below(score, threshold),
                significantly_worse=is_significant_fall(change, significant),
            )
        )
    return _weakest_first(areas)


def _group(key: int | str, label: str, responses: int, ratings: Distribution) -> GroupRow:
    if responses < MIN_GROUP:
        return GroupRow(key, label, None, HIDDEN)
    return GroupRow(key, label, responses, score_of(ratings, responses))


def department_rows(breakdown: Breakdown[int]) -> tuple[GroupRow, ...]:
    """Departments in the office's order (inactive ones too), "not given" last."""
    known = db.session.execute(
        select(Department.id, Department.name).order_by(Department.position, Department.name)
    ).all()
    order = {department_id: rank for rank, (department_id, _) in enumerate(known)}
    names = dict(known)
    rows = []
    for department_id in sorted(breakdown, key=lambda d: (d == NO_DEPARTMENT, order.get(d, d))):
        if department_id == NO_DEPARTMENT:
            label = NO_DEPARTMENT_LABEL
        else:
            label = names.get(department_id, f"wydział nr {department_id}")
        rows.append(_group(department_id, label, *breakdown[department_id]))
    return tuple(rows)


def channel_rows(breakdown: Breakdown[str]) -> tuple[GroupRow, ...]:
    """Channels in the order of ``CHANNEL_LABELS``, unknown ones last."""
    order = list(CHANNEL_LABELS)
    return tuple(
        _group(channel, CHANNEL_LABELS.get(channel, channel), *breakdown[channel])
        for channel in sorted(breakdown, key=lambda c: (order.index(c) if c in order else 99, c))
    )


def month_rows(filters: Filters, by_month: Breakdown[date]) -> tuple[GroupRow, ...]:
    """One row per calendar month of the range, empty months included."""
    responses: Counter[tuple[int, int]] = Counter()
    ratings: dict[tuple[int, int], Distribution] = defaultdict(Counter)
    for first_day, (month_responses, month_ratings) in by_month.items():
        responses[(first_day.year, first_day.month)] += month_responses
        ratings[(first_day.year, first_day.month)].update(month_ratings)
    rows = []
    year, month = filters.date_from.year, filters.date_from.month
    while (year, month) <= (filters.date_to.year, filters.date_to.month):
        key, label = f"{year:04d}-{month:02d}", f"{MONTH_NAMES[month - 1]} {year}"
        rows.append(_group(key, label, responses[(year, month)], ratings[(year, month)]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(rows)


def _choices(newest_first: list[VersionDef], totals: Totals) -> tuple[ChoiceQuestion, ...]:
    result = []
    for key, question in latest_questions(newest_first, CHOICE_KINDS).items():
        counts: Distribution = Counter()
        labels: dict[str, str] = {}
        base = 0
        surely_answered = 0  # a lower bound on the responses that answered
        for version in newest_first:
            definition = version.questions.get(key)
            if definition is None or definition.kind not in CHOICE_KINDS:
                continue
            for value, label in definition.choices:
                labels.setdefault(value, label)
            values = totals.get((version.id, key), {})
            counts.update(values)
            if definition.kind == "multiple_choice":
                base += sum(totals.get((version.id, RESPONSES_KEY), {}).values())
                surely_answered += max(values.values(), default=0)
            else:
                base += sum(values.values())
                surely_answered += sum(values.values())
        hidden = surely_answered < MIN_GROUP
        options = tuple(
            ChoiceShare(value, label, counts[value], counts[value] / base)
            for value, label in labels.items()
            if not hidden
        )
        result.append(
            ChoiceQuestion(
                key=key,
                kind=question.definition.kind,
                text=question.definition.text,
                area=question.area,
                hidden=hidden,
                n_responses=None if hidden else base,
                options=options,
            )
        )
    return tuple(result)
