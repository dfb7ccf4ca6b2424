"""Storing responses and keeping the counts current, in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from saas_platform.db import db, insert_for_dialect, utcnow
from tenants.survey.definition import VersionDef
from tenants.survey.forms import SurveySubmission
from tenants.survey.models import (
    NO_DEPARTMENT,
    RESPONSES_KEY,
    Answer,
    Department,
    Response,
    ResponseCount,
)

COUNT_KEY_COLUMNS = ("version_id", "question_key", "department_id", "channel", "day", "value")


def active_departments() -> list[Department]:
    """The current office's departments a resident can pick, in display order."""
    return list(
        db.session.scalars(
            select(Department)
            .where(Department.is_active.is_(True))
            .order_by(Department.position, Department.name)
        )
    )


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar day of ``moment`` in the office's timezone."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def counted_values(
    version: VersionDef, answers: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The (question key, value) pairs a response adds to the counts: itself, then each coded
    answer. Open text is read from the answers, not counted."""
    pairs = [(RESPONSES_KEY, "")]
    pairs.extend((key, value) for key, value in answers if version.questions[key].kind != "text")
    return pairs


def submit_response(
    tenant_id: int,
    timezone: str,
    version: VersionDef,
    submission: SurveySubmission,
    now: datetime | None = None,
    answered_on: date | None = None,
) -> int | None:
    """Store a checked submission with its answers and counts; flushes only.

    ``answered_on`` is the date written on a paper form: the response and its counts belong to
    that day. Electronic submissions leave it out and count on the day they arrive.
    Returns the new response id, or None when this submission key is already stored (a double
    click or a re-sent form), in which case nothing is written.
    """
    now = now or utcnow()
    day = answered_on or local_day(now, timezone)
    response_id = db.session.scalar(
        insert_for_dialect(Response)
        .values(
            tenant_id=tenant_id,
            version_id=version.id,
            department_id=submission.department_id,
            channel=submission.channel,
            submission_key=submission.submission_key,
            submitted_at=now,
            answered_on=day,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "submission_key"])
        .returning(Response.id)
    )
    if response_id is None:
        return None
    if submission.answers:
        db.session.execute(
            insert(Answer),
            [
                {"tenant_id": tenant_id, "response_id": response_id, "question_key": k, "value": v}
                for k, v in submission.answers
            ],
        )
    add_counts(
        tenant_id,
        {
            (
                version.id,
                key,
                submission.department_id or NO_DEPARTMENT,
                submission.channel,
                day,
                value,
            ): 1
            for key, value in counted_values(version, submission.answers)
        },
    )
    return response_id


def add_counts(tenant_id: int, increments: dict[tuple, int]) -> None:
    """Add to the running counts, keyed like ``COUNT_KEY_COLUMNS``, in one upsert."""
    if not increments:
        return
    table = ResponseCount.__table__
    statement = insert_for_dialect(table)
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", *COUNT_KEY_COLUMNS],
        set_={"count": table.c.count + statement.excluded["count"]},
    )
    # A fixed order of rows keeps concurrent submissions from deadlocking on the same counts.
    # Parameters as a list (executemany): the statement compiles once and stays cached.
    rows = [
        {"tenant_id": tenant_id, **dict(zip(COUNT_KEY_COLUMNS, key, strict=True)), "count": n}
        for key, n in sorted(increments.items())
    ]
    db.session.execute(statement, rows)
