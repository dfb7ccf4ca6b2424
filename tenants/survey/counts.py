"""The running counts (``response_counts``): every write to them is here.

A count row is keyed by (office, version, question key, department, channel, day, value) and
holds how many counted responses gave that value; ``RESPONSES_KEY`` rows count the responses
themselves. It also holds, of those responses, how many rated the overall question 1–5 and the
sum of that rating and of its square (``OVERALL_SUMS``, migration 0032): the joint counts
"Priorytety" correlates an item with the overall question from, at no extra row. A
``RESPONSES_KEY`` row also holds how many comments (open-text answers) its responses left
(``comments``, migration 0037), so a period's comment total is read from the counts too.
Dashboards and reports read only these rows, so they must move in the same transaction as the
responses they count:

- a resident's answer adds one per counted value (``NEW_RESPONSE_COUNTS_SQL``, a part of the
  single storing statement in ``tenants.survey.services``; ``add_counts`` elsewhere);
- excluding a response takes them away (``subtract_counts``), restoring adds them back;
- merging departments moves them (``move_department_counts``).

The monthly roll-up (``monthly_response_counts``) follows by database triggers (migrations
0006, 0010, 0032, which carries the overall sums too, and 0037, the comments). Rows are
always written in key order, so concurrent writers take their row locks in the same order
and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import CursorResult, bindparam, select

from saas_platform.core.db import db, insert_for_dialect
from saas_platform.core.tenancy import current_tenant_id
from saas_platform.core.tenancy.isolation import ensure_tenant_setting
from tenants.survey.definition import OVERALL_QUESTION_KEY, RATING_VALUES, VersionDef
from tenants.survey.models import NO_DEPARTMENT, RESPONSES_KEY, Response, ResponseCount

COUNT_KEY_COLUMNS = ("version_id", "question_key", "department_id", "channel", "day", "value")
# A count row's key, in the order of ``COUNT_KEY_COLUMNS`` (department ``NO_DEPARTMENT``: none).
CountKey = tuple[int, str, int, str, date, str]
# What a count row adds up besides ``count`` (see ``Tally``).
OVERALL_SUMS = ("overall_n", "overall_sum", "overall_squares")
TALLY_COLUMNS = ("count", *OVERALL_SUMS, "comments")


@dataclass(frozen=True)
class Tally:
    """What a count row holds: responses, and of them the ones that rated the overall question
    1–5 (``overall_n``), the sum of that rating and the sum of its square; on a
    ``RESPONSES_KEY`` row also their comments (0 on every other row)."""

    count: int
    overall_n: int = 0
    overall_sum: int = 0
    overall_squares: int = 0
    comments: int = 0

    def plus(self, other: Tally) -> Tally:
        return Tally(
            self.count + other.count,
            self.overall_n + other.overall_n,
            self.overall_sum + other.overall_sum,
            self.overall_squares + other.overall_squares,
            self.comments + other.comments,
        )

    def columns(self) -> dict[str, int]:
        """The row's values, by column name (``TALLY_COLUMNS``)."""
        return {name: getattr(self, name) for name in TALLY_COLUMNS}


def overall_rating(version: VersionDef, answers: Iterable[tuple[str, str]]) -> int | None:
    """The response's rating of the overall question (1–5), or None: not rated, "nie
    dotyczy", or a survey version without the overall question."""
    if version.overall_question is None:
        return None
    for key, value in answers:
        if key == OVERALL_QUESTION_KEY and value in RATING_VALUES:
            return int(value)
    return None


def response_tally(overall: int | None) -> Tally:
    """What one response adds to each of its count rows, given its overall rating (its
    comments go to the ``RESPONSES_KEY`` row only: see ``tallies_by_key``)."""
    if overall is None:
        return Tally(1)
    return Tally(1, 1, overall, overall * overall)


def comments_of(version: VersionDef, answers: Iterable[tuple[str, str]]) -> int:
    """How many comments (open-text answers) a response left."""
    return sum(1 for key, _ in answers if version.questions[key].kind == "text")


def tallies_by_key(keys: Iterable[CountKey], tally: Tally, comments: int) -> dict[CountKey, Tally]:
    """One response's count keys with what it adds to each: ``tally`` everywhere, and its
    ``comments`` on the ``RESPONSES_KEY`` row. A key met twice adds twice."""
    counted: dict[CountKey, Tally] = {}
    for key in keys:
        added = replace(tally, comments=comments) if key[1] == RESPONSES_KEY else tally
        counted[key] = counted.get(key, Tally(0)).plus(added)
    return counted


# The count rows of one new response, as a part of the statement that stores it: the
# statement's CTE ``new_response`` and its parameters (``count_keys``/``count_values`` in key
# order, the response's ``Tally`` as ``overall_n``, ``overall_sum``, ``overall_squares``, and
# its comments as ``comments``, which only the ``RESPONSES_KEY`` row takes) feed it.
NEW_RESPONSE_COUNTS_SQL = """
        INSERT INTO response_counts (tenant_id, version_id, question_key, department_id,
                                     channel, day, value, count,
                                     overall_n, overall_sum, overall_squares, comments)
        SELECT :tenant_id, :version_id, c.key, :count_department, :channel, :answered_on,
               c.value, 1, :overall_n, :overall_sum, :overall_squares,
               CASE WHEN c.key = '*' THEN CAST(:comments AS integer) ELSE 0 END
        FROM new_response,
             unnest(CAST(:count_keys AS text[]), CAST(:count_values AS text[])) AS c(key, value)
        ORDER BY c.key, c.value
        ON CONFLICT (tenant_id, version_id, question_key, department_id, channel, day, value)
        DO UPDATE SET count = response_counts.count + EXCLUDED.count,
                      overall_n = response_counts.overall_n + EXCLUDED.overall_n,
                      overall_sum = response_counts.overall_sum + EXCLUDED.overall_sum,
                      overall_squares = response_counts.overall_squares + EXCLUDED.overall_squares,
                      comments = response_counts.comments + EXCLUDED.comments
    """


def counted_values(
    version: VersionDef, answers: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The (question key, value) pairs a response adds to the counts: itself, then each coded
    answer. Open text is read from the answers, not counted."""
    pairs = [(RESPONSES_KEY, "")]
    pairs.extend((key, value) for key, value in answers if version.questions[key].kind != "text")
    return pairs


def add_counts(tenant_id: int, increments: Mapping[CountKey, int | Tally]) -> None:
    """Add to the running counts, keyed like ``COUNT_KEY_COLUMNS``, in one upsert. A bare
    number adds responses without an overall rating."""
    if not increments:
        return
    table = ResponseCount.__table__
    statement = insert_for_dialect(table)
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", *COUNT_KEY_COLUMNS],
        set_={name: table.c[name] + statement.excluded[name] for name in TALLY_COLUMNS},
    )
    # A fixed order of rows keeps concurrent submissions from deadlocking on the same counts.
    # Parameters as a list (executemany): the statement compiles once and stays cached.
    rows = [
        {
            "tenant_id": tenant_id,
            **dict(zip(COUNT_KEY_COLUMNS, key, strict=True)),
            **_tally(added).columns(),
        }
        for key, added in sorted(increments.items())
    ]
    db.session.execute(statement, rows)


def _tally(number: int | Tally) -> Tally:
    return number if isinstance(number, Tally) else Tally(number)


def response_increments(
    version: VersionDef,
    answers: Iterable[tuple[str, str]],
    department_id: int | None,
    channel: str,
    day: date,
) -> dict[CountKey, Tally]:
    """What one response adds to the counts: each of its count keys, with its tally."""
    answers = list(answers)
    keys = [
        (version.id, key, department_id or NO_DEPARTMENT, channel, day, value)
        for key, value in counted_values(version, answers)
    ]
    tally = response_tally(overall_rating(version, answers))
    return tallies_by_key(keys, tally, comments_of(version, answers))


def response_count_keys(
    version: VersionDef, response: Response, answers: Iterable[tuple[str, str]]
) -> list[CountKey]:
    """The count keys ``submit_response`` added for a stored response and its answers."""
    return [
        (
            version.id,
            key,
            response.department_id or NO_DEPARTMENT,
            response.channel,
            response.answered_on,
            value,
        )
        for key, value in counted_values(version, answers)
    ]


def subtract_counts(
    tenant_id: int, keys: Iterable[CountKey], overall: int | None = None, comments: int = 0
) -> None:
    """Take one response from each count key (an excluded response, whose overall rating is
    ``overall`` and which left ``comments``); rows that reach zero are removed.

    Never inserts: a key that is not counted is a broken invariant, and the CHECKs on the
    count and its pairs refuse to go below zero rather than hide it.
    """
    table = ResponseCount.__table__
    decrements = tallies_by_key(keys, response_tally(overall), comments)
    if not decrements:
        return
    match = [table.c[name] == bindparam(f"k_{name}") for name in COUNT_KEY_COLUMNS]
    rows = [
        {
            "k_tenant_id": tenant_id,
            **{f"d_{name}": n for name, n in tally.columns().items()},
            **{f"k_{c}": v for c, v in zip(COUNT_KEY_COLUMNS, key, strict=True)},
        }
        for key, tally in sorted(decrements.items())
    ]
    where = [table.c.tenant_id == bindparam("k_tenant_id"), *match]
    less = {name: table.c[name] - bindparam(f"d_{name}") for name in TALLY_COLUMNS}
    # An UPDATE's result is a CursorResult (with the rowcount); the session types it wider.
    updated = cast(
        CursorResult[Any],
        db.session.execute(table.update().where(*where).values(less), rows),
    )
    if db.session.get_bind().dialect.supports_sane_multi_rowcount and updated.rowcount != len(rows):
        raise CountsOutOfStep("an excluded response was not in the counts")
    db.session.execute(table.delete().where(*where, table.c.count == 0), rows)


class CountsOutOfStep(RuntimeError):
    """The running counts do not hold a response they should hold."""


def move_department_counts(source_id: int, target_id: int) -> None:
    """Add the source department's count rows (and their overall sums) to the target's (same
    version, key, channel, day and value) and remove them, in two statements."""
    ensure_tenant_setting()
    table = ResponseCount.__table__
    tenant_id = current_tenant_id()
    key_columns = ["tenant_id", *COUNT_KEY_COLUMNS]
    rows = select(
        *(
            sa.literal(target_id).label("department_id")
            if name == "department_id"
            else table.c[name]
            for name in key_columns
        ),
        *(table.c[name] for name in TALLY_COLUMNS),
    ).where(table.c.tenant_id == tenant_id, table.c.department_id == source_id)
    statement = insert_for_dialect(table).from_select([*key_columns, *TALLY_COLUMNS], rows)
    statement = statement.on_conflict_do_update(
        index_elements=key_columns,
        set_={name: table.c[name] + statement.excluded[name] for name in TALLY_COLUMNS},
    )
    db.session.execute(statement)
    db.session.execute(
        table.delete().where(table.c.tenant_id == tenant_id, table.c.department_id == source_id)
    )
