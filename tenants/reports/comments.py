"""Open-text answers (comments) of a period, read page by page, newest first."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from saas_platform.core.db import db
from tenants.survey.filters import Filters
from tenants.survey.models import Answer, Department, Question, Response
from tenants.survey.responses import like_pattern, response_conditions

# A yearly report of a busy office has thousands of comments; with the appendix chosen, the
# PDF prints the newest ones and says how many there are (all are in the panel and the CSV).
COMMENT_LIMIT = 500
# The ratings a drill-down page collects the comments of: "bardzo słabo" and "słabo".
LOW_RATINGS = ("1", "2")


@dataclass(frozen=True)
class Comment:
    response_id: int
    answered_on: date
    department: str | None
    text: str


def _text_question_keys() -> list[str]:
    return list(db.session.scalars(select(Question.key).where(Question.kind == "text").distinct()))


def _comments_query(
    filters: Filters, search: str | None = None, rated_low: Collection[str] = ()
) -> Select:
    query = (
        select(Answer.response_id, Response.answered_on, Department.name, Answer.value)
        .join(
            Response, (Response.id == Answer.response_id) & (Response.tenant_id == Answer.tenant_id)
        )
        .outerjoin(
            Department,
            (Department.id == Response.department_id)
            & (Department.tenant_id == Response.tenant_id),
        )
        .where(Answer.question_key.in_(_text_question_keys()), *response_conditions(filters))
    )
    if search:
        query = query.where(Answer.value.ilike(like_pattern(search), escape="\\"))
    if rated_low:
        rating = aliased(Answer)
        query = query.where(
            select(rating.id)
            .where(
                rating.tenant_id == Response.tenant_id,
                rating.response_id == Response.id,
                rating.question_key.in_(sorted(rated_low)),
                rating.value.in_(LOW_RATINGS),
            )
            .exists()
        )
    return query


def comments(
    filters: Filters,
    limit: int,
    offset: int = 0,
    search: str | None = None,
    rated_low: Collection[str] = (),
) -> list[Comment]:
    """One page of the period's comments, newest first; with ``rated_low`` (question keys),
    only those of responses that rated one of the questions 1 or 2."""
    rows = db.session.execute(
        _comments_query(filters, search, rated_low)
        .order_by(Response.answered_on.desc(), Answer.response_id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [Comment(*row) for row in rows]


def comment_count(
    filters: Filters, search: str | None = None, rated_low: Collection[str] = ()
) -> int:
    """How many comments the period holds (``rated_low`` as for ``comments``)."""
    return db.session.scalar(
        select(func.count()).select_from(_comments_query(filters, search, rated_low).subquery())
    )
