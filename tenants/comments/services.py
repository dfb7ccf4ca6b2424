"""Comment triage: the office's topic list, each comment's status and topics, the comment list
filtered by them, and the topic counts of a period. Flushes only; every change is audited."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_login import current_user
from sqlalchemy import ColumnElement, Select, and_, exists, func, select

from saas_platform.core.db import db, duplicate_raises
from saas_platform.core.text import RefusedCharacter, clean_text, refusal_message
from tenants.audit import services as audit
from tenants.comments.models import (
    DEFAULT_TOPICS,
    STATUS_LABELS,
    STATUSES,
    TOPIC_NAME_LIMIT,
    CommentTopic,
    CommentTopicLink,
    CommentTriage,
)
from tenants.survey.filters import Filters
from tenants.survey.models import Answer, Department, Question, Response
from tenants.survey.responses import response_conditions
from tenants.survey.scores import comment_total

PAGE_SIZE = 25


class TriageError(Exception):
    """A triage or topic change that cannot be made; the message is for staff, in Polish."""


class UnknownComment(TriageError):
    """No such comment in this office (the view answers 404)."""


@dataclass(frozen=True)
class CommentRow:
    response_id: int
    question_key: str
    answered_on: date
    department: str | None
    text: str
    status: str
    topic_ids: tuple[int, ...]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class CommentPage:
    rows: list[CommentRow]
    total: int
    page: int
    last_page: int


@dataclass(frozen=True)
class TopicCount:
    topic_id: int
    name: str
    count: int


@dataclass(frozen=True)
class TopicCounts:
    """A period's comments by topic (a comment with two topics counts in both) and by status."""

    comments: int
    topics: list[TopicCount]
    without_topic: int
    by_status: dict[str, int]


# -- the topic list ------------------------------------------------------------------------


def seed_topics() -> None:
    """Give the current office the starting topic list, unless it has topics already."""
    if db.session.scalar(select(func.count()).select_from(CommentTopic)):
        return
    for position, name in enumerate(DEFAULT_TOPICS, start=1):
        db.session.add(CommentTopic(name=name, position=position))
    db.session.flush()


def topics() -> list[CommentTopic]:
    """The office's topics in their order."""
    return list(
        db.session.scalars(select(CommentTopic).order_by(CommentTopic.position, CommentTopic.id))
    )


def topic_or_none(topic_id: int) -> CommentTopic | None:
    """The office's topic of that id (another office's is invisible)."""
    return db.session.get(CommentTopic, topic_id)


def check_topic_name(raw: str, keep_id: int | None = None) -> str:
    """The name as stored: one line, trimmed, at most ``TOPIC_NAME_LIMIT`` characters, and no
    other topic of the office with the same name in any letter case. Raises ``TriageError``."""
    try:
        name = clean_text(raw or "", single_line=True)
    except RefusedCharacter as refused:
        raise TriageError(refusal_message("Nazwa tematu", refused.character)) from None
    if not name:
        raise TriageError("Podaj nazwę tematu, np. „parking”.")
    if len(name) > TOPIC_NAME_LIMIT:
        raise TriageError(
            f"Nazwa tematu może mieć najwyżej {TOPIC_NAME_LIMIT} znaków (wpisano {len(name)})."
        )
    same = select(CommentTopic.id).where(func.lower(CommentTopic.name) == func.lower(name))
    if keep_id is not None:
        same = same.where(CommentTopic.id != keep_id)
    if db.session.scalar(same) is not None:
        raise TriageError(f"Temat „{name}” już jest na liście.")
    return name


def _duplicate(name: str) -> TriageError:
    return TriageError(f"Temat „{name}” już jest na liście.")


def add_topic(raw_name: str) -> CommentTopic:
    """Add a topic at the end of the list."""
    name = check_topic_name(raw_name)
    last = db.session.scalar(select(func.max(CommentTopic.position))) or 0
    topic = CommentTopic(name=name, position=last + 1)
    with duplicate_raises(_duplicate(name)):  # added a moment ago by another admin
        db.session.add(topic)
        db.session.flush()
    audit.record("comment_topic.create", "comment_topic", topic.id, after={"name": name})
    return topic


def rename_topic(topic: CommentTopic, raw_name: str) -> None:
    """Rename a topic; the comments keep it."""
    name = check_topic_name(raw_name, keep_id=topic.id)
    if name == topic.name:
        return
    before = topic.name
    with duplicate_raises(_duplicate(name)):
        topic.name = name
        db.session.flush()
    audit.record(
        "comment_topic.rename", "comment_topic", topic.id,
        before={"name": before}, after={"name": name},
    )  # fmt: skip


def delete_topic(topic: CommentTopic) -> None:
    """Delete a topic; the comments that had it lose it (their status stays)."""
    used = db.session.scalar(
        select(func.count())
        .select_from(CommentTopicLink)
        .where(CommentTopicLink.topic_id == topic.id)
    )
    audit.record(
        "comment_topic.delete", "comment_topic", topic.id,
        before={"name": topic.name, "comments": used},
    )  # fmt: skip
    db.session.delete(topic)
    db.session.flush()


# -- triage --------------------------------------------------------------------------------


def _text_keys() -> list[str]:
    return list(db.session.scalars(select(Question.key).where(Question.kind == "text").distinct()))


def comment_text(
    response_id: int, question_key: str, scope: frozenset[int] | None = None
) -> str | None:
    """The comment's text, or None when the office has no such comment (or it is a response
    outside ``scope``, a manager's departments; see ``Filters.scope``)."""
    if question_key not in _text_keys():
        return None
    query = select(Answer.value).where(
        Answer.response_id == response_id, Answer.question_key == question_key
    )
    if scope is not None:
        query = query.join(
            Response,
            (Response.tenant_id == Answer.tenant_id) & (Response.id == Answer.response_id),
        ).where(Response.department_id.in_(sorted(scope)))
    return db.session.scalar(query)


def _topic_names(topic_ids: Collection[int]) -> list[str]:
    """The names of these topics, in the list's order (for the audit log)."""
    return [topic.name for topic in topics() if topic.id in topic_ids]


def triage(
    response_id: int,
    question_key: str,
    status: str,
    topic_ids: Collection[int],
    scope: frozenset[int] | None = None,
) -> bool:
    """Set a comment's status and topics. Every topic must be one of the office's; nothing is
    written when any is not; a comment outside ``scope`` (a manager's departments) is unknown.
    Returns whether anything changed (only a change is audited)."""
    if comment_text(response_id, question_key, scope) is None:
        raise UnknownComment("Nie ma takiego komentarza.")
    if status not in STATUSES:
        raise TriageError("Wybierz stan komentarza: nowy, przeczytany, przekazany albo wyjaśniony.")
    known = {t.id for t in topics()}
    wanted = set(topic_ids)
    if not wanted <= known:
        raise TriageError(
            "Nie ma takiego tematu na liście urzędu. Odśwież stronę i wybierz ponownie."
        )
    row = db.session.scalar(
        select(CommentTriage)
        .where(CommentTriage.response_id == response_id, CommentTriage.question_key == question_key)
        .with_for_update()
    )
    before_topics = _linked(row.id) if row else set()
    before_status = row.status if row else "new"
    if before_status == status and before_topics == wanted:
        return False
    if row is None:
        row = CommentTriage(response_id=response_id, question_key=question_key)
        with duplicate_raises(TriageError("Ktoś właśnie zmienił ten komentarz. Spróbuj ponownie.")):
            db.session.add(row)
            db.session.flush()
    row.status = status
    row.updated_by_id = (
        current_user.id if getattr(current_user, "is_authenticated", False) else None
    )
    for topic_id in before_topics - wanted:
        db.session.delete(db.session.get(CommentTopicLink, (row.tenant_id, row.id, topic_id)))
    for topic_id in wanted - before_topics:
        db.session.add(CommentTopicLink(triage_id=row.id, topic_id=topic_id))
    db.session.flush()
    audit.record(
        "comment.triage",
        "response",
        response_id,
        before={
            "comment_status": STATUS_LABELS[before_status],
            "topics": _topic_names(before_topics),
        },
        after={"comment_status": STATUS_LABELS[status], "topics": _topic_names(wanted)},
    )
    return True


def _linked(triage_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(CommentTopicLink.topic_id).where(CommentTopicLink.triage_id == triage_id)
        )
    )


# -- reading -------------------------------------------------------------------------------


def _triage_join() -> ColumnElement[bool]:
    return and_(
        CommentTriage.tenant_id == Answer.tenant_id,
        CommentTriage.response_id == Answer.response_id,
        CommentTriage.question_key == Answer.question_key,
    )


def _has_topic(topic_id: int) -> ColumnElement[bool]:
    return exists().where(
        CommentTopicLink.triage_id == CommentTriage.id, CommentTopicLink.topic_id == topic_id
    )


def _comment_rows(
    filters: Filters, topic_id: int | None, status: str | None
) -> Select[*tuple[Any, ...]]:
    query = (
        select(
            Answer.response_id,
            Answer.question_key,
            Response.answered_on,
            Department.name,
            Answer.value,
            func.coalesce(CommentTriage.status, "new").label("status"),
            CommentTriage.id.label("triage_id"),
        )
        .join(
            Response, (Response.id == Answer.response_id) & (Response.tenant_id == Answer.tenant_id)
        )
        .outerjoin(
            Department,
            (Department.id == Response.department_id)
            & (Department.tenant_id == Response.tenant_id),
        )
        .outerjoin(CommentTriage, _triage_join())
        .where(Answer.question_key.in_(_text_keys()), *response_conditions(filters))
    )
    if status == "new":
        query = query.where((CommentTriage.id.is_(None)) | (CommentTriage.status == "new"))
    elif status is not None:
        query = query.where(CommentTriage.status == status)
    if topic_id is not None:
        query = query.where(_has_topic(topic_id))
    return query


def comment_page(
    filters: Filters, page: int, topic_id: int | None = None, status: str | None = None
) -> CommentPage:
    """One page of the period's comments, newest first, narrowed to a topic and a status."""
    query = _comment_rows(filters, topic_id, status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    last_page = max(1, -(-total // PAGE_SIZE))
    page = min(page, last_page)
    rows = db.session.execute(
        query.order_by(Response.answered_on.desc(), Answer.response_id.desc(), Answer.question_key)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    triage_ids = [row[6] for row in rows if row[6] is not None]
    links: dict[int, list[int]] = {}
    if triage_ids:
        for triage_id, topic in db.session.execute(
            select(CommentTopicLink.triage_id, CommentTopicLink.topic_id).where(
                CommentTopicLink.triage_id.in_(triage_ids)
            )
        ):
            links.setdefault(triage_id, []).append(topic)
    return CommentPage(
        rows=[
            CommentRow(r[0], r[1], r[2], r[3], r[4], r[5], tuple(sorted(links.get(r[6], ()))))
            for r in rows
        ],
        total=total,
        page=page,
        last_page=last_page,
    )


def topic_counts(filters: Filters) -> TopicCounts:
    """How many of the period's comments have each topic, none, and each status.

    The total comes from the running counts (``survey.scores.comment_total``: the comments of
    the period's responses, summed over its months), so it costs the same at a million
    responses as at a thousand. A comment is "nowy" until staff triage it, so only the
    triaged ones are read: their statuses, and their topic links, joined to the responses by
    their key. What is not triaged (or triaged back to "nowy") is new."""
    total = comment_total(filters)
    triaged_rows = db.session.execute(
        select(CommentTriage.status, func.count())
        .join(
            Response,
            (Response.id == CommentTriage.response_id)
            & (Response.tenant_id == CommentTriage.tenant_id),
        )
        .where(CommentTriage.status != "new", *response_conditions(filters))
        .group_by(CommentTriage.status)
    ).all()
    by_status = dict.fromkeys(STATUSES, 0)
    for name, count in triaged_rows:
        by_status[name] = count
    by_status["new"] = max(0, total - sum(by_status.values()))
    linked = (
        select(CommentTopicLink.topic_id, CommentTopicLink.triage_id)
        .join(CommentTriage, CommentTriage.id == CommentTopicLink.triage_id)
        .join(
            Response,
            (Response.id == CommentTriage.response_id)
            & (Response.tenant_id == CommentTriage.tenant_id),
        )
        .where(*response_conditions(filters))
        .subquery()
    )
    counted: dict[int, int] = dict(
        db.session.execute(
            select(linked.c.topic_id, func.count()).group_by(linked.c.topic_id)
        ).all()
    )
    with_topic = db.session.scalar(select(func.count(func.distinct(linked.c.triage_id)))) or 0
    return TopicCounts(
        comments=total,
        topics=[TopicCount(t.id, t.name, counted.get(t.id, 0)) for t in topics()],
        without_topic=total - with_topic,
        by_status=by_status,
    )
