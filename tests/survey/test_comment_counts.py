"""The comments of a period from the counts (``comments`` on the ``'*'`` count rows, migration
0037): every submission, exclusion and restore moves them with the responses, the months
follow the days, and the migration fills them in from the stored answers and takes them away
again, on PostgreSQL and in the embedded SQLite mode."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from saas_platform.app import create_app
from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.isolation import ensure_tenant_setting
from saas_platform.onboarding import create_tenant
from tenants.survey import moderation
from tenants.survey.filters import Filters
from tenants.survey.models import (
    RESPONSES_KEY,
    Answer,
    Department,
    MonthlyResponseCount,
    Question,
    Response,
    ResponseCount,
)
from tenants.survey.scores import comment_total
from tests.conftest import app_settings, sqlite_app_settings
from tests.survey.test_priority_sums_migration import _store
from tests.survey.test_trustworthy_results import _post, _responses

EVERYTHING = Filters(date(2000, 1, 1), date(2100, 12, 31))


def _comments_from_raw_rows(department_id: int | None = None) -> int:
    """The text answers of the office's counted responses, counted from scratch."""
    text_keys = {(q.version_id, q.key) for q in db.session.scalars(select(Question))
                 if q.kind == "text"}  # fmt: skip
    query = (
        select(Response.version_id, Answer.question_key)
        .join(Answer, Answer.response_id == Response.id)
        .where(Response.excluded_at.is_(None))
    )
    if department_id is not None:
        query = query.where(Response.department_id == department_id)
    return sum(1 for row in db.session.execute(query) if tuple(row) in text_keys)


def _months_follow_the_days() -> bool:
    rolled: Counter = Counter()
    for c in db.session.scalars(select(ResponseCount).where(ResponseCount.question_key == "*")):
        rolled[(c.version_id, c.department_id, c.channel, c.day.replace(day=1))] += c.comments
    months = {
        (m.version_id, m.department_id, m.channel, m.month): m.comments
        for m in db.session.scalars(
            select(MonthlyResponseCount).where(MonthlyResponseCount.question_key == "*")
        )
    }
    return {k: n for k, n in rolled.items() if n} == {k: n for k, n in months.items() if n}


def test_the_comment_total_follows_every_submission_exclusion_and_restore(
    app, two_offices, client_for, complete_answers, in_office, monkeypatch
):
    wolomin, sierpc = two_offices
    monkeypatch.setitem(app.config, "BURST_SIZE", 100)
    with in_office(wolomin):
        departments = db.session.scalars(select(Department.id).limit(2)).all()
    for i in range(9):
        # Two of three responses leave a comment; one of three names no department.
        answers = complete_answers(
            departments[i % 2] if i % 3 else None, comment=f"Uwaga nr {i}" if i % 3 != 2 else ""
        )
        address = {"REMOTE_ADDR": f"192.0.2.{i}"}
        assert _post(client_for(wolomin), answers, "", address).status_code == 303
    for i in range(3):  # the other office's comments are never this office's
        address = {"REMOTE_ADDR": f"198.51.100.{i}"}
        assert _post(client_for(sierpc), complete_answers(), "", address).status_code == 303

    with in_office(wolomin):
        assert comment_total(EVERYTHING) == _comments_from_raw_rows() == 6
        department = Filters(EVERYTHING.date_from, EVERYTHING.date_to, departments[0])
        assert comment_total(department) == _comments_from_raw_rows(departments[0]) > 0
    rng = random.Random(37)
    ids = [r.id for r in _responses(in_office, wolomin)]
    with in_office(wolomin):
        for _ in range(20):
            response_id = rng.choice(ids)
            if db.session.get(Response, response_id).excluded_at is None:
                moderation.exclude_response(response_id)
            else:
                moderation.restore_response(response_id)
            db.session.commit()
            db.session.expire_all()
            assert comment_total(EVERYTHING) == _comments_from_raw_rows()
        assert _months_follow_the_days()
    with in_office(sierpc):
        assert comment_total(EVERYTHING) == _comments_from_raw_rows() == 3


def _star_rows(offices, table: str, day: str) -> dict[tuple, int]:
    """Each office's '*' rows with their comments, read as the owner office by office."""
    found = {}
    for office in offices:
        with tenant_scope(office):
            ensure_tenant_setting()
            rows = db.session.execute(
                text(
                    f"SELECT tenant_id, version_id, department_id, channel, {day}, comments"
                    f" FROM {table} WHERE tenant_id = :t AND question_key = :k"
                ),
                {"t": office.id, "k": RESPONSES_KEY},
            )
            found.update({(*row[:4], str(row[4])): row[5] for row in rows})
            db.session.commit()
    return found


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_the_comments_are_filled_from_the_answers_and_the_downgrade_removes_them(
    dialect, empty_database, smtp_server, complete_answers, tmp_path
):
    if dialect == "postgresql":
        app = create_app(app_settings(empty_database, smtp_server.port))
    else:
        app = create_app(sqlite_app_settings(f"sqlite:///{tmp_path / 'comments.sqlite'}"))
    with app.app_context():
        upgrade()
        offices = [create_tenant("wolomin", "Wołomin"), create_tenant("sierpc", "Sierpc")]
        db.session.commit()
        stored = [
            _store(office, complete_answers, "4", day % 2, day)
            for office in offices
            for day in range(6)
        ]
        with tenant_scope(offices[0]):
            moderation.exclude_response(stored[2])
            db.session.commit()
        days = _star_rows(offices, "response_counts", "day")
        months = _star_rows(offices, "response_counts_monthly", "month")
        assert sum(days.values()) == sum(months.values()) == 11  # 12 comments, one excluded

        downgrade(revision="0036")  # the migration before 0037
        columns = {c["name"] for c in inspect(db.engine).get_columns("response_counts")}
        assert "comments" not in columns and "overall_n" in columns

        upgrade()
        assert _star_rows(offices, "response_counts", "day") == days
        assert _star_rows(offices, "response_counts_monthly", "month") == months
        # The triggers made again carry the next response's comment to its month too.
        _store(offices[1], complete_answers, "5", 0, 0)
        assert sum(_star_rows(offices, "response_counts_monthly", "month").values()) == 12
        db.engine.dispose()
