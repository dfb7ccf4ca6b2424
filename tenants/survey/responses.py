"""Individual responses for the staff: the filtered list page by page, one response with its
answers labelled as the resident saw them, and the query the exports read in batches.

Everything here runs inside the current office's scope; the ORM hook and row-level security
keep other offices' responses out, the explicit ``tenant_id`` joins only help the indexes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    select,
)

from saas_platform.core.db import db
from saas_platform.core.web import MAX_PAGE
from tenants.survey.definition import RATING_VALUES, QuestionDef, VersionDef, published_version
from tenants.survey.filters import CHANNEL_LABELS, NO_DEPARTMENT_LABEL, Filters
from tenants.survey.models import NO_DEPARTMENT, Answer, Department, Question, Response

PAGE_SIZE = 50
MAX_ID = 2**31 - 1  # ids are PostgreSQL integers; a larger one in a URL simply does not exist
COMMENT_SEPARATOR = " · "


@dataclass(frozen=True)
class ResponseSearch:
    """Narrows the filtered responses: to those with a comment, or a comment containing
    ``text`` (any case); to a range of the response's own score (0–100, ends included, as
    rounded to one decimal: what the list shows); to those that rated any item 1 or 2."""

    text: str = ""
    with_comment: bool = False
    score_from: Decimal | None = None
    score_to: Decimal | None = None
    low_rating: bool = False


# The orders the list offers: (sort key, descending) -> the ORDER BY columns. Only these keys
# reach the query; the panel turns anything else into a message.
SORT_KEYS = ("data", "wynik", "wydzial", "kanal")
DEFAULT_SORT = ("data", True)
LOWEST_LOW_RATING = 2  # "rated any item 1–2": the lowest rating is at most this
SCORE_STEP = Decimal("0.1")


def response_conditions(filters: Filters, excluded: bool = False) -> list[ColumnElement[bool]]:
    """The WHERE conditions on ``Response`` for the same filters the counts are read with.

    Responses staff excluded are left out (of every list, comment and export), unless
    ``excluded`` asks for just those."""
    conditions = [
        Response.answered_on >= filters.date_from,
        Response.answered_on <= filters.date_to,
        Response.excluded_at.is_not(None) if excluded else Response.excluded_at.is_(None),
    ]
    if filters.department_id == NO_DEPARTMENT:
        conditions.append(Response.department_id.is_(None))
    elif filters.department_id is not None:
        conditions.append(Response.department_id == filters.department_id)
    if filters.scope_ids is not None:  # a manager's departments: never another's, nor "none"
        conditions.append(Response.department_id.in_(filters.scope_ids))
    if filters.channel is not None:
        conditions.append(Response.channel == filters.channel)
    if filters.version_id is not None:
        conditions.append(Response.version_id == filters.version_id)
    return conditions


def in_scope(department_id: int | None, scope: frozenset[int] | None) -> bool:
    """Whether a response naming ``department_id`` (None: no department) is within ``scope``
    (None: the whole office; else a manager's departments, which never include "none")."""
    return scope is None or (department_id is not None and department_id in scope)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with the user's ``%``, ``_`` and ``\\``
    taken literally (use with ``escape="\\\\"``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _comments_of_outer_response() -> Select:
    """The open-text answers of the enclosing query's response (a correlated subquery)."""
    return (
        select(Answer.id)
        .join(
            Question,
            and_(Question.tenant_id == Answer.tenant_id, Question.key == Answer.question_key),
        )
        .where(
            Answer.tenant_id == Response.tenant_id,
            Answer.response_id == Response.id,
            Question.version_id == Response.version_id,
            Question.kind == "text",
        )
    )


def score_of_ratings(ratings: Iterable[int]) -> Decimal | None:
    """A response's own score from its 1–5 ratings: the satisfaction index of them,
    (mean − 1) × 25 on the dashboard's 0–100 scale, rounded to one decimal (half away from
    zero, as PostgreSQL rounds a numeric); None without a rating."""
    ratings = list(ratings)
    if not ratings:
        return None
    points = Decimal(25 * (sum(ratings) - len(ratings))) / len(ratings)
    return points.quantize(SCORE_STEP, rounding=ROUND_HALF_UP)


def own_score(
    version: VersionDef, answers: Iterable[tuple[str, str]]
) -> tuple[Decimal | None, int | None]:
    """(score, lowest rating) of a response's answers, stored with it: its 1–5 ratings of the
    version's rating questions, "nie dotyczy" left out; (None, None) when it rated nothing."""
    ratings = [
        int(value)
        for key, value in answers
        if value in RATING_VALUES
        and (question := version.questions.get(key)) is not None
        and question.kind == "rating"
    ]
    return score_of_ratings(ratings), (min(ratings) if ratings else None)


def search_conditions(search: ResponseSearch, comments: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE conditions on ``Response`` for a search; without the comment conditions when
    ``comments`` is False (those are a subquery per response, the others read its columns)."""
    conditions: list[ColumnElement[bool]] = []
    if comments and search.text:
        matching = Answer.value.ilike(like_pattern(search.text), escape="\\")
        conditions.append(_comments_of_outer_response().where(matching).exists())
    elif comments and search.with_comment:
        conditions.append(_comments_of_outer_response().exists())
    if search.score_from is not None:
        conditions.append(Response.score >= search.score_from)
    if search.score_to is not None:
        conditions.append(Response.score <= search.score_to)
    if search.low_rating:
        conditions.append(Response.lowest_rating <= LOWEST_LOW_RATING)
    return conditions


def filtered_conditions(
    filters: Filters, search: ResponseSearch, comments: bool = True
) -> list[ColumnElement[bool]]:
    """Every WHERE condition on ``Response`` for the filters and the search (see
    ``search_conditions`` for ``comments``)."""
    return [*response_conditions(filters), *search_conditions(search, comments)]


def department_names() -> dict[int, str]:
    """Every department of the office (inactive ones too) by id."""
    return dict(db.session.execute(select(Department.id, Department.name)).all())


def version_ids(filters: Filters, search: ResponseSearch) -> list[int]:
    """The survey versions the filtered responses answered."""
    return list(
        db.session.scalars(
            select(Response.version_id).where(*filtered_conditions(filters, search)).distinct()
        )
    )


def versions_newest_first(ids: Iterable[int]) -> list[VersionDef]:
    """The published definitions of ``ids``, the newest version first."""
    found = (published_version(version_id) for version_id in ids)
    return sorted((v for v in found if v is not None), key=lambda v: -v.number)


def text_keys(version: VersionDef) -> list[str]:
    return [q.key for q in version.questions.values() if q.kind == "text"]


def value_label(question: QuestionDef, value: str) -> str:
    """An answer as the resident saw it ("4 – dobrze", "Złożenie wniosku"); open text as is."""
    return dict(question.choices).get(value, value)


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


# -- the list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseRow:
    id: int
    answered_on: date
    channel: str
    department: str
    version_number: int | None
    comment: str
    score: Decimal | None  # the response's own index, 0–100; None: it rated nothing


@dataclass(frozen=True)
class ResponsePage:
    rows: tuple[ResponseRow, ...]
    page: int
    has_next: bool
    total: int

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _order(sort: str, descending: bool) -> list[ColumnElement[Any]]:
    """ORDER BY for a sort key of ``SORT_KEYS``; ties newest first, then by id, so that the
    pages never overlap. Responses without a score, or a department, come last."""
    first: list[ColumnElement[Any]]
    if sort == "wynik":
        score = Response.score
        first = [score.desc().nulls_last() if descending else score.asc().nulls_last()]
    elif sort == "wydzial":
        name = Department.name
        first = [name.desc().nulls_last() if descending else name.asc().nulls_last()]
    elif sort == "kanal":
        label = case(CHANNEL_LABELS, value=Response.channel, else_=Response.channel)
        first = [label.desc() if descending else label.asc()]
    elif sort == "data":
        first = [Response.answered_on.desc() if descending else Response.answered_on.asc()]
    else:
        raise ValueError(f"unknown sort key: {sort!r}")
    newest: list[ColumnElement[Any]] = [Response.answered_on.desc(), Response.id.desc()]
    if sort == "data" and not descending:
        newest = [Response.id.asc()]
    return [*first, *newest]


def responses_page(
    filters: Filters,
    search: ResponseSearch,
    page: int,
    sort: tuple[str, bool] = DEFAULT_SORT,
) -> ResponsePage:
    """One page of the filtered responses in the ``sort`` order ((key of ``SORT_KEYS``,
    descending); newest first by default), each with its comments and its own score."""
    page = min(max(page, 1), MAX_PAGE)
    where = filtered_conditions(filters, search)
    found = db.session.scalars(
        select(Response)
        .outerjoin(Department, Department.id == Response.department_id)
        .where(*where)
        .order_by(*_order(*sort))
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    total = db.session.scalar(select(func.count(Response.id)).where(*where))
    shown = found[:PAGE_SIZE]
    comments = comments_by_response(shown)
    names = department_names()
    rows = []
    for response in shown:
        version = published_version(response.version_id)
        rows.append(
            ResponseRow(
                id=response.id,
                answered_on=response.answered_on,
                channel=channel_label(response.channel),
                department=_department_name(response.department_id, names),
                version_number=version.number if version else None,
                comment=COMMENT_SEPARATOR.join(comments.get(response.id, ())),
                score=_decimal(response.score),
            )
        )
    return ResponsePage(tuple(rows), page, len(found) > PAGE_SIZE, total)


def _decimal(value: Decimal | float | None) -> Decimal | None:
    """A stored score (SQLite may hand back a float) as a one-decimal Decimal."""
    return None if value is None else Decimal(str(value)).quantize(SCORE_STEP)


def _department_name(department_id: int | None, names: dict[int, str]) -> str:
    if department_id is None:
        return NO_DEPARTMENT_LABEL
    return names.get(department_id, f"wydział nr {department_id}")


def comments_by_response(responses: Iterable[Response]) -> dict[int, list[str]]:
    """The open-text answers of ``responses`` (one query), in the survey's order."""
    keys_by_response = {}
    for response in responses:
        version = published_version(response.version_id)
        keys_by_response[response.id] = text_keys(version) if version else []
    all_keys = {key for keys in keys_by_response.values() for key in keys}
    if not all_keys:
        return {}
    found: dict[int, dict[str, str]] = defaultdict(dict)
    rows = db.session.execute(
        select(Answer.response_id, Answer.question_key, Answer.value).where(
            Answer.response_id.in_(list(keys_by_response)),
            Answer.question_key.in_(sorted(all_keys)),
        )
    )
    for response_id, key, value in rows:
        found[response_id][key] = value
    return {
        response_id: [found[response_id][k] for k in keys if k in found[response_id]]
        for response_id, keys in keys_by_response.items()
        if found.get(response_id)
    }


# -- one response ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnsweredQuestion:
    key: str
    text: str
    kind: str
    values: tuple[str, ...]  # labels; empty when not answered


@dataclass(frozen=True)
class AnsweredSection:
    title: str
    questions: tuple[AnsweredQuestion, ...]


@dataclass(frozen=True)
class ResponseDetail:
    id: int
    answered_on: date
    channel: str
    department: str
    version: VersionDef
    sections: tuple[AnsweredSection, ...]


def response_detail(response_id: int, scope: frozenset[int] | None = None) -> ResponseDetail | None:
    """One response of the current office with every question of its version, or None (also
    for one outside ``scope``, a manager's departments: see ``Filters.scope``)."""
    if not 0 < response_id <= MAX_ID:
        return None
    response = db.session.get(Response, response_id)  # other offices' responses are invisible
    if response is None or not in_scope(response.department_id, scope):
        return None
    version = published_version(response.version_id)
    if version is None:
        return None
    values: dict[str, list[str]] = defaultdict(list)
    for key, value in db.session.execute(
        select(Answer.question_key, Answer.value)
        .where(Answer.response_id == response.id)
        .order_by(Answer.id)
    ):
        values[key].append(value)
    department = _department_name(response.department_id, department_names())
    sections = tuple(
        AnsweredSection(
            section.title,
            tuple(
                AnsweredQuestion(
                    q.key,
                    q.text,
                    q.kind,
                    (department,) if q.kind == "department" else _labels(q, values.get(q.key, [])),
                )
                for q in section.questions
            ),
        )
        for section in version.sections
    )
    return ResponseDetail(
        id=response.id,
        answered_on=response.answered_on,
        channel=channel_label(response.channel),
        department=department,
        version=version,
        sections=sections,
    )


def _labels(question: QuestionDef, values: list[str]) -> tuple[str, ...]:
    order = {value: rank for rank, (value, _) in enumerate(question.choices)}
    ordered = sorted(values, key=lambda v: order.get(v, len(order)))
    return tuple(value_label(question, v) for v in ordered)
