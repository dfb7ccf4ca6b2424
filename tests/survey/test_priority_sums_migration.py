"""Migration 0032: the overall sums of the count rows are filled from the stored answers of the
counted responses, the roll-up triggers carry them, and the downgrade takes them away again,
on PostgreSQL and in the embedded SQLite mode."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from werkzeug.datastructures import MultiDict

from saas_platform.app import create_app
from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.isolation import ensure_tenant_setting
from saas_platform.onboarding import create_tenant
from tenants.survey.definition import live_version_id, published_version
from tenants.survey.forms import check_submission
from tenants.survey.models import Department
from tenants.survey.moderation import exclude_response
from tenants.survey.services import submit_response
from tests.conftest import app_settings, sqlite_app_settings

SUMS = "count, overall_n, overall_sum, overall_squares"
KEY = "tenant_id, version_id, question_key, department_id, channel, {day}, value"


def _store(tenant, complete_answers, overall: str, department_index: int, day: int) -> int:
    with tenant_scope(tenant):
        version = published_version(live_version_id())
        departments = list(db.session.scalars(select(Department.id).order_by(Department.id)))
        fields = complete_answers(departments[department_index])
        fields.update({"q-ogolna_satysfakcja": overall, "q-lokalizacja": str(1 + day % 5)})
        fields.update({"kanal": "web", "submission": str(uuid.uuid4())})
        check = check_submission(version, MultiDict(fields), frozenset(departments), 2000)
        assert not check.errors
        when = datetime(2025, 2 + day % 3, 1 + day, 10, tzinfo=UTC)
        response_id = submit_response(tenant.id, tenant.timezone, version, check.submission, when)
        db.session.commit()
        return response_id


def _columns(table: str) -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns(table)}


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_the_sums_are_filled_from_the_answers_and_the_downgrade_removes_them(
    dialect, empty_database, smtp_server, complete_answers, tmp_path
):
    if dialect == "postgresql":
        app = create_app(app_settings(empty_database, smtp_server.port))
    else:
        app = create_app(sqlite_app_settings(f"sqlite:///{tmp_path / 'sums.sqlite'}"))
    with app.app_context():
        upgrade()
        offices = [create_tenant("wolomin", "Wołomin"), create_tenant("sierpc", "Sierpc")]
        db.session.commit()
        stored = []
        for number, office in enumerate(offices):
            for day in range(12):
                overall = str(1 + (day * (number + 2)) % 5)
                stored.append(_store(office, complete_answers, overall, day % 2, day))
        with tenant_scope(offices[0]):
            exclude_response(stored[3])
            db.session.commit()
        days, months = _owner_rows(offices)
        assert any(sums[1] for sums in days.values())
        assert sum(sums[1] for sums in days.values()) == sum(s[1] for s in months.values())

        downgrade(revision="0031")  # the migration before 0032
        assert "overall_n" not in _columns("response_counts")
        assert "overall_sum" not in _columns("response_counts_monthly")

        upgrade()
        assert _owner_rows(offices) == (days, months)
        # The triggers made again carry the sums of the next response to the month too.
        _store(offices[1], complete_answers, "5", 0, 0)
        days_after, months_after = _owner_rows(offices)
        assert sum(s[2] for s in months_after.values()) > sum(s[2] for s in months.values())
        assert sum(s[2] for s in days_after.values()) == sum(s[2] for s in months_after.values())
        db.engine.dispose()


def _owner_rows(offices) -> tuple[dict, dict]:
    """Every daily and monthly count row of the offices with its sums, read office by office,
    after checking that the months are the days rolled up."""
    days, months, rolled = {}, {}, {}
    month = (
        "CAST(date_trunc('month', day) AS date)"
        if db.engine.dialect.name == "postgresql"
        else "date(day, 'start of month')"
    )
    for office in offices:
        with tenant_scope(office):
            ensure_tenant_setting()
            days.update(_rows_on(office.id, "response_counts", "day"))
            months.update(_rows_on(office.id, "response_counts_monthly", "month"))
            rolled.update(_rolled_on(office.id, month))
            db.session.commit()
    assert rolled == {(*k[:5], str(k[5]), k[6]): v for k, v in months.items()}
    return days, months


def _rows_on(tenant_id: int, table: str, day: str) -> dict[tuple, tuple]:
    key = KEY.format(day=day)
    found = db.session.execute(
        text(f"SELECT {key}, {SUMS} FROM {table} WHERE tenant_id = :t"), {"t": tenant_id}
    )
    return {tuple(row[:7]): tuple(row[7:]) for row in found}


def _rolled_on(tenant_id: int, month: str) -> dict[tuple, tuple]:
    """The days summed per month: what the monthly rows must hold."""
    key = KEY.format(day=month)
    sums = ", ".join(f"sum({c})" for c in SUMS.split(", "))
    found = db.session.execute(
        text(f"SELECT {key}, {sums} FROM response_counts WHERE tenant_id = :t GROUP BY {key}"),
        {"t": tenant_id},
    )
    return {(*row[:5], str(row[5]), row[6]): tuple(int(v) for v in row[7:]) for row in found}
