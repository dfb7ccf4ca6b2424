"""Moderation of suspect responses: staff keep a flagged one, or exclude it from every count
(it stays stored and can be restored). The counts change in the same transaction, and each
decision is in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from saas_platform.core.db import db, utcnow
from tenants.audit import services as audit
from tenants.survey.counts import (
    CountKey,
    add_counts,
    comments_of,
    overall_rating,
    response_count_keys,
    response_tally,
    subtract_counts,
    tallies_by_key,
)
from tenants.survey.definition import published_version
from tenants.survey.filters import Filters
from tenants.survey.models import FLAG_REASONS, Answer, Response
from tenants.survey.responses import channel_label, response_conditions

LIST_LIMIT = 200


class ModerationError(Exception):
    """The decision does not apply to the response in its current state."""


@dataclass(frozen=True)
class SuspectRow:
    id: int
    answered_on: date
    channel: str
    reason: str
    excluded_at: datetime | None


def flag_label(reason: str | None) -> str:
    """The Polish explanation of a flag code."""
    return FLAG_REASONS.get(reason, reason) if reason else ""


def _rows(query) -> list[SuspectRow]:
    return [
        SuspectRow(
            r.id,
            r.answered_on,
            channel_label(r.channel),
            flag_label(r.flag_reason),
            r.excluded_at,
        )
        for r in db.session.scalars(query.limit(LIST_LIMIT))
    ]


def flagged_responses() -> list[SuspectRow]:
    """Flagged responses that still count, newest first: they wait for a decision."""
    return _rows(
        select(Response)
        .where(Response.flag_reason.is_not(None), Response.excluded_at.is_(None))
        .order_by(Response.submitted_at.desc())
    )


def excluded_responses() -> list[SuspectRow]:
    """Excluded responses, most recently answered first: they may be restored."""
    return _rows(
        select(Response)
        .where(Response.excluded_at.is_not(None))
        .order_by(Response.answered_on.desc(), Response.id.desc())
    )


def excluded_count(filters: Filters) -> int:
    """How many responses answered in the filtered period staff excluded from the results."""
    return db.session.scalar(
        select(func.count())
        .select_from(Response)
        .where(*response_conditions(filters, excluded=True))
    )


def _locked(response_id: int) -> Response:
    # The row lock makes two staff clicking "exclude" at once subtract the counts only once.
    response = db.session.scalar(
        select(Response).where(Response.id == response_id).with_for_update()
    )
    if response is None:
        raise ModerationError("Nie ma takiej odpowiedzi.")
    return response


def _count_keys(response: Response) -> tuple[list[CountKey], int | None, int]:
    """The response's count keys, its overall rating and its comments (what its count rows
    hold of it)."""
    version = published_version(response.version_id)
    rows = db.session.execute(
        select(Answer.question_key, Answer.value).where(Answer.response_id == response.id)
    ).all()
    answers = [(key, value) for key, value in rows]
    return (
        response_count_keys(version, response, answers),
        overall_rating(version, answers),
        comments_of(version, answers),
    )


def exclude_response(response_id: int) -> Response:
    """Take a response out of every count; it stays stored. Flushes only."""
    response = _locked(response_id)
    if response.excluded_at is not None:
        raise ModerationError("Ta odpowiedź jest już wyłączona z wyników.")
    keys, overall, comments = _count_keys(response)
    subtract_counts(response.tenant_id, keys, overall, comments)
    response.excluded_at = utcnow()
    audit.record(
        "response.exclude", "response", response.id,
        before={"flag_reason": response.flag_reason}, after={"excluded": True},
    )  # fmt: skip
    return response


def restore_response(response_id: int) -> Response:
    """Put an excluded response back into the counts; staff decided it is genuine."""
    response = _locked(response_id)
    if response.excluded_at is None:
        raise ModerationError("Ta odpowiedź nie jest wyłączona z wyników.")
    keys, overall, comments = _count_keys(response)
    add_counts(response.tenant_id, tallies_by_key(keys, response_tally(overall), comments))
    before = {"excluded": True, "flag_reason": response.flag_reason}
    response.excluded_at = None
    response.flag_reason = None
    db.session.flush()
    audit.record("response.restore", "response", response.id, before=before, after={})
    return response


def keep_response(response_id: int) -> Response:
    """Clear the flag: staff looked and the response counts as it always did."""
    response = _locked(response_id)
    if response.flag_reason is None or response.excluded_at is not None:
        raise ModerationError("Ta odpowiedź nie czeka na decyzję.")
    before = {"flag_reason": response.flag_reason}
    response.flag_reason = None
    db.session.flush()
    audit.record("response.keep", "response", response.id, before=before, after={})
    return response
