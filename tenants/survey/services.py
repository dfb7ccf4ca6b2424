"""Storing responses and keeping the counts current, in the same transaction."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from saas_platform.core.db import db, insert_for_dialect, utcnow
from saas_platform.core.tenancy.isolation import TENANT_SETTING_SQL, tenant_setting_ahead
from saas_platform.core.tenancy.models import Tenant, local_day
from tenants.survey import counts
from tenants.survey.counts import (
    add_counts,
    comments_of,
    counted_values,
    overall_rating,
    response_increments,
    response_tally,
)
from tenants.survey.definition import VersionDef
from tenants.survey.forms import SurveySubmission
from tenants.survey.models import (
    NO_DEPARTMENT,
    RESPONSES_KEY,
    Answer,
    Response,
)
from tenants.survey.responses import own_score


def answers_fingerprint(version: VersionDef, answers: Iterable[tuple[str, str]]) -> str:
    """sha256 of the sorted coded answers: equal for identical answers, and nothing else."""
    coded = sorted(pair for pair in counted_values(version, answers) if pair[0] != RESPONSES_KEY)
    return hashlib.sha256(json.dumps(coded, ensure_ascii=False).encode()).hexdigest()


log = logging.getLogger(__name__)

BURST_REASON = "burst"
# PostgreSQL aborts one side of a deadlock. A staff change that both adds to and takes from the
# same counts (a department merge) can meet a resident's upsert that way; the resident's
# transaction then stored nothing, and is simply run again.
DEADLOCK_DETECTED = "40P01"
STORE_ATTEMPTS = 3
# The residents' pages remember their office for SURVEY_PAGE_CACHE_SECONDS: an answer sent in
# that moment after another process deleted the office (or the chosen department) meets a
# foreign key instead of the office.
FOREIGN_KEY_VIOLATION = "23503"


class OfficeGone(LookupError):
    """The office an answer was sent to was deleted a moment ago; nothing was stored."""


class DepartmentGone(LookupError):
    """The department an answer names was deleted a moment ago; nothing was stored."""


def store_submission(
    tenant_id: int, timezone: str, version: VersionDef, submission: SurveySubmission
) -> int | None:
    """Store a resident's checked submission as a transaction of its own and commit it: the
    new response id, or None for a re-sent form.

    A deadlock (see ``DEADLOCK_DETECTED``) is run again, up to ``STORE_ATTEMPTS`` times in all.
    A foreign key that no longer holds raises ``OfficeGone`` or ``DepartmentGone``, after the
    rollback, so the caller only chooses the page to show.
    """
    attempt = 1
    while True:
        try:
            stored = submit_response(tenant_id, timezone, version, submission, alone=True)
            db.session.commit()
            return stored
        except IntegrityError as error:
            db.session.rollback()
            if getattr(error.orig, "pgcode", None) != FOREIGN_KEY_VIOLATION:
                raise
            if db.session.scalar(select(Tenant.id).where(Tenant.id == tenant_id)) is None:
                log.info("an answer arrived for office %s, deleted a moment ago", tenant_id)
                raise OfficeGone(tenant_id) from error
            log.info("an answer named a department of office %s deleted a moment ago", tenant_id)
            raise DepartmentGone(submission.department_id) from error
        except OperationalError as error:
            db.session.rollback()
            deadlock = getattr(error.orig, "pgcode", None) == DEADLOCK_DETECTED
            if not deadlock or attempt == STORE_ATTEMPTS:
                raise
            attempt += 1
            log.warning("deadlock while storing a response: attempt %d", attempt)


def submit_response(
    tenant_id: int,
    timezone: str,
    version: VersionDef,
    submission: SurveySubmission,
    now: datetime | None = None,
    answered_on: date | None = None,
    alone: bool = False,
) -> int | None:
    """Store a checked submission with its answers and counts; flushes only.

    ``answered_on`` is the date written on a paper form: the response and its counts belong to
    that day. Electronic submissions leave it out and count on the day they arrive.
    Returns the new response id, or None when this submission key is already stored (a double
    click or a re-sent form), in which case nothing is written.

    ``alone``: the submission is a transaction of its own (the resident's POST), not part of
    what the session holds. On PostgreSQL the server commits the one storing statement itself
    (see ``_store_alone``); elsewhere the caller commits as soon as this returns.
    """
    now = now or utcnow()
    day = answered_on or local_day(now, timezone)
    counted = sorted(counted_values(version, submission.answers))
    tally = response_tally(overall_rating(version, submission.answers))
    fingerprint = answers_fingerprint(version, submission.answers)
    score, lowest_rating = own_score(version, submission.answers)
    # Paper forms are typed in by staff: a stack of identical ones is not a bot.
    burst_size = current_app.config["BURST_SIZE"] if submission.channel != "paper" else 0
    burst_since = now - timedelta(minutes=current_app.config["BURST_WINDOW_MINUTES"])
    if db.session.get_bind().dialect.name == "postgresql":
        parameters = {
            "tenant_id": tenant_id,
            "version_id": version.id,
            "department_id": submission.department_id,
            "count_department": submission.department_id or NO_DEPARTMENT,
            "channel": submission.channel,
            "submission_key": submission.submission_key,
            "submitted_at": now,
            "answered_on": day,
            "answer_keys": [k for k, _ in submission.answers],
            "answer_values": [v for _, v in submission.answers],
            "count_keys": [k for k, _ in counted],
            "count_values": [v for _, v in counted],
            "overall_n": tally.overall_n,
            "overall_sum": tally.overall_sum,
            "overall_squares": tally.overall_squares,
            "comments": comments_of(version, submission.answers),
            "fingerprint": fingerprint,
            "score": score,
            "lowest_rating": lowest_rating,
            "burst_size": burst_size,
            "burst_since": burst_since,
            "burst_reason": BURST_REASON,
        }
        if alone:
            return _store_alone(tenant_id, parameters)
        # Raw SQL: the ORM hook does not see which tables it writes, so the office's setting
        # goes ahead of it, in the same round trip.
        setting = tenant_setting_ahead()
        return db.session.scalar(
            _STORE_RESPONSE if setting is None else _STORE_RESPONSE_WITH_SETTING,
            {**(setting or {}), **parameters},
        )
    in_burst = burst_size and _recent_identical(
        fingerprint, submission.department_id, burst_since, burst_size
    )
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
            fingerprint=fingerprint,
            flag_reason=BURST_REASON if in_burst else None,
            score=score,
            lowest_rating=lowest_rating,
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
        response_increments(
            version, submission.answers, submission.department_id, submission.channel, day
        ),
    )
    return response_id


def _store_alone(tenant_id: int, parameters: dict) -> int | None:
    """Run the storing statement, with the office's setting ahead of it, as one transaction
    that PostgreSQL commits as soon as it has run it.

    Concurrent residents of an office add to the same count rows, and each holds their locks
    until its transaction ends. Committed by the server, a transaction ends within its own
    round trip; committed by the app, it would hold them until this thread gets the GIL back
    and sends COMMIT, which under load is what the others queue behind.

    In autocommit, psycopg2 sends the setting and the statement as one simple query, which
    PostgreSQL runs as a single transaction: the transaction-local setting holds for the
    statement and ends with it. The connection is the pool's, not the session's: the session
    may hold one already, in a transaction of its own (the office read afresh), which this must
    not join. Autocommit is switched on psycopg2's connection itself: that sends nothing to the
    server, where SQLAlchemy's isolation level would cost a ``SET`` round trip when handed back.
    """
    with db.engine.connect() as connection:
        dbapi_connection = connection.connection.dbapi_connection
        dbapi_connection.autocommit = True
        try:
            return connection.execute(
                _STORE_RESPONSE_WITH_SETTING, {"app_tenant_id": str(tenant_id), **parameters}
            ).scalar()
        finally:
            if not dbapi_connection.closed:  # a lost connection is thrown away anyway
                dbapi_connection.autocommit = False


def _recent_identical(
    fingerprint: str, department_id: int | None, since: datetime, enough: int
) -> bool:
    recent = (
        select(Response.id)
        .where(
            Response.fingerprint == fingerprint,
            Response.submitted_at >= since,
            Response.department_id.is_not_distinct_from(department_id),
        )
        .limit(enough)
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(recent)) >= enough


# On PostgreSQL a response, its answers and its counts are stored by one statement: one round
# trip on the resident's hot path. The burst check (enough identical answers at this office and
# department in the last minutes) is a subquery of the same statement. A repeated submission
# key inserts no response, and so no answers and no counts. Counts are upserted in key order,
# so concurrent submissions take their row locks in the same order and cannot deadlock.
_STORE_RESPONSE_SQL = (
    """
    WITH new_response AS (
        INSERT INTO responses (tenant_id, version_id, department_id, channel, submission_key,
                               submitted_at, answered_on, fingerprint, score, lowest_rating,
                               flag_reason)
        VALUES (:tenant_id, :version_id, CAST(:department_id AS integer), :channel,
                :submission_key, :submitted_at, :answered_on, :fingerprint,
                CAST(:score AS numeric), CAST(:lowest_rating AS smallint),
                (SELECT CASE WHEN count(*) >= :burst_size AND :burst_size > 0
                             THEN CAST(:burst_reason AS text) END
                 FROM (SELECT 1 FROM responses
                       WHERE tenant_id = :tenant_id AND fingerprint = :fingerprint
                         AND submitted_at >= :burst_since
                         AND department_id IS NOT DISTINCT FROM CAST(:department_id AS integer)
                       LIMIT :burst_size) AS recent_identical))
        ON CONFLICT (tenant_id, submission_key) DO NOTHING
        RETURNING id
    ), new_answers AS (
        INSERT INTO answers (tenant_id, response_id, question_key, value)
        SELECT :tenant_id, new_response.id, a.key, a.value
        FROM new_response,
             unnest(CAST(:answer_keys AS text[]), CAST(:answer_values AS text[])) AS a(key, value)
    ), new_counts AS ("""
    + counts.NEW_RESPONSE_COUNTS_SQL
    + """)
    SELECT id FROM new_response
    """
)
_STORE_RESPONSE = text(_STORE_RESPONSE_SQL)
_STORE_RESPONSE_WITH_SETTING = text(TENANT_SETTING_SQL + _STORE_RESPONSE_SQL)
