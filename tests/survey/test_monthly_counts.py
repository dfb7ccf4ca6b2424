"""The monthly roll-up of the counts: kept by the database for every write, and read for the
whole months of a period with the edge days from the daily counts, giving the same numbers."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from datetime import date, timedelta

from flask_migrate import upgrade
from sqlalchemy import func, select

from saas_platform.app import create_app
from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.onboarding import create_tenant
from tenants.reports import stats
from tenants.survey import scores
from tenants.survey.counts import add_counts, subtract_counts
from tenants.survey.definition import live_version_id
from tenants.survey.filters import Filters
from tenants.survey.models import (
    NO_DEPARTMENT,
    RESPONSES_KEY,
    Department,
    MonthlyResponseCount,
    ResponseCount,
)
from tests.conftest import sqlite_app_settings

FIRST_DAY = date(2024, 11, 20)
DAYS = 200


def monthly_rows() -> dict[tuple, int]:
    m = MonthlyResponseCount
    rows = db.session.execute(
        select(m.version_id, m.question_key, m.department_id, m.channel, m.month, m.value, m.count)
    )
    return {tuple(row[:-1]): row[-1] for row in rows}


def daily_rolled_up() -> dict[tuple, int]:
    rolled: Counter = Counter()
    rc = ResponseCount
    rows = db.session.execute(
        select(
            rc.version_id, rc.question_key, rc.department_id, rc.channel, rc.day, rc.value
        ).add_columns(rc.count)
    )
    for version_id, key, department, channel, day, value, count in rows:
        rolled[(version_id, key, department, channel, day.replace(day=1), value)] += count
    return {key: n for key, n in rolled.items() if n}


def _random_writes(rng: random.Random, tenant_id: int, departments: list[int]) -> list[tuple]:
    """Adds counts on random days, then takes some of them away again; returns what is left."""
    version_id = live_version_id()
    written: list[tuple] = []
    for _ in range(60):
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        department = rng.choice([NO_DEPARTMENT, *departments])
        channel = rng.choice(["web", "qr", "paper"])
        responses = rng.randint(1, 4)
        increments = {(version_id, RESPONSES_KEY, department, channel, day, ""): responses}
        for key in ("ogolna_satysfakcja", "lokalizacja"):
            increments[(version_id, key, department, channel, day, str(rng.randint(1, 5)))] = (
                responses
            )
        add_counts(tenant_id, increments)
        db.session.flush()
        written.extend(key for key, n in increments.items() for _ in range(n))
    rng.shuffle(written)
    taken, kept = written[:40], written[40:]
    subtract_counts(tenant_id, taken)
    db.session.flush()
    return kept


def _reference_totals(filters: Filters) -> dict:
    """What the daily counts alone say for the period: (version, key) -> value -> count."""
    rc = ResponseCount
    totals: dict = defaultdict(Counter)
    rows = db.session.execute(
        select(rc.version_id, rc.question_key, rc.value, func.sum(rc.count))
        .where(rc.day >= filters.date_from, rc.day <= filters.date_to)
        .group_by(rc.version_id, rc.question_key, rc.value)
    )
    for version_id, key, value, count in rows:
        totals[(version_id, key)][value] = int(count)
    return {k: dict(v) for k, v in totals.items()}


def _reference_responses_per_month(filters: Filters) -> Counter:
    rc = ResponseCount
    rows = db.session.execute(
        select(rc.day, rc.count).where(
            rc.question_key == RESPONSES_KEY,
            rc.day >= filters.date_from,
            rc.day <= filters.date_to,
        )
    )
    per_month: Counter = Counter()
    for day, count in rows:
        per_month[day.replace(day=1)] += count
    return per_month


def test_the_database_keeps_the_months_equal_to_the_days_for_every_write(two_offices, in_office):
    rng = random.Random(26)
    for office in two_offices:
        with in_office(office) as tenant:
            departments = list(db.session.scalars(select(Department.id)))
            _random_writes(rng, tenant.id, departments)
            db.session.commit()
    for office in two_offices:
        with in_office(office):
            months = monthly_rows()
            assert months == daily_rolled_up()
            assert months and all(n > 0 for n in months.values())  # zeros are removed
            assert {key[4].day for key in months} == {1}
            # the triggers wrote each office's months under that office only
            owners = db.session.execute(
                select(MonthlyResponseCount.tenant_id)
                .distinct()
                .execution_options(cross_tenant="test: whose rows are these")
            )
            assert {row[0] for row in owners} == {office.id}


def test_any_period_gives_the_numbers_of_the_daily_counts(two_offices, in_office):
    rng = random.Random(11)
    wolomin, sierpc = two_offices
    with in_office(sierpc) as tenant:  # another office's counts on the same days
        _random_writes(rng, tenant.id, [])
        db.session.commit()
    with in_office(wolomin) as tenant:
        departments = list(db.session.scalars(select(Department.id)))
        _random_writes(rng, tenant.id, departments)
        version_id = live_version_id()
        for edge in (date(2024, 11, 30), date(2025, 2, 1)):  # a month's last and first day
            add_counts(tenant.id, {(version_id, RESPONSES_KEY, NO_DEPARTMENT, "web", edge, ""): 7})
        db.session.commit()
        periods = [
            Filters(date(2024, 11, 30), date(2025, 2, 1)),  # one day at each edge
            Filters(date(2024, 12, 1), date(2025, 2, 28)),  # whole months only
            Filters(date(2024, 11, 25), date(2025, 1, 3)),  # edges on both sides
            Filters(date(2025, 1, 1), date(2025, 1, 1)),  # one day
            Filters(date(2024, 1, 1), date(2026, 12, 31)),  # more than all the data
        ]
        for _ in range(16):
            start = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
            periods.append(Filters(start, start + timedelta(days=rng.randrange(120))))
        for filters in periods:
            totals = scores.value_totals(scores.period_counts(filters))
            assert totals == _reference_totals(filters), filters
            by_month = stats._breakdowns(scores.period_counts(filters), [])["month"]
            per_month = Counter({month: responses for month, (responses, _) in by_month.items()})
            assert per_month == _reference_responses_per_month(filters), filters
            assert stats.compute_results(filters, 75.0).responses == sum(per_month.values())


def test_the_embedded_sqlite_mode_keeps_the_months_too(tmp_path):
    app = create_app(sqlite_app_settings(f"sqlite:///{tmp_path / 'months.sqlite'}"))
    with app.app_context():
        upgrade()
        offices = [create_tenant("wolomin", "Wołomin"), create_tenant("sierpc", "Sierpc")]
        db.session.commit()
        rng = random.Random(3)
        for office in offices:
            with tenant_scope(office):
                departments = list(db.session.scalars(select(Department.id).limit(2)))
                _random_writes(rng, office.id, departments)
                _move_department(*departments)
                db.session.commit()
        seen = []
        for office in offices:
            with tenant_scope(office):
                months = monthly_rows()
                seen.append((months == daily_rolled_up(), bool(months)))
        db.engine.dispose()
    assert seen == [(True, True), (True, True)]


def _move_department(source: int, target: int) -> None:
    """Moves every count of one department to another, as merging two departments does: rows
    the target also has are added to it and removed, the others change their key in one
    statement."""
    rc = ResponseCount.__table__
    key = ("tenant_id", "version_id", "question_key", "channel", "day", "value")
    for row in db.session.execute(select(rc).where(rc.c.department_id == source)).all():
        same_key = [rc.c[name] == getattr(row, name) for name in key]
        added = db.session.execute(
            rc.update()
            .where(*same_key, rc.c.department_id == target)
            .values(count=rc.c.count + row.count)
        )
        if added.rowcount:
            db.session.execute(rc.delete().where(*same_key, rc.c.department_id == source))
    db.session.execute(rc.update().where(rc.c.department_id == source).values(department_id=target))
    db.session.flush()


def test_moving_counts_to_another_department_moves_their_months(two_offices, in_office):
    rng = random.Random(5)
    for office in two_offices:
        with in_office(office) as tenant:
            departments = list(db.session.scalars(select(Department.id)))
            _random_writes(rng, tenant.id, departments[:2])
            db.session.commit()
    wolomin, sierpc = two_offices
    with in_office(sierpc):
        sierpc_months = monthly_rows()
    with in_office(wolomin):
        source, target = list(db.session.scalars(select(Department.id).limit(2)))
        before = sum(monthly_rows().values())
        _move_department(source, target)
        db.session.commit()
        months = monthly_rows()
        assert months == daily_rolled_up()
        assert sum(months.values()) == before
        assert not any(key[2] == source for key in months)
    with in_office(sierpc):
        assert monthly_rows() == sierpc_months


def test_a_partial_month_is_read_whole_when_nothing_is_counted_outside_the_period(
    two_offices, in_office
):
    wolomin, sierpc = two_offices
    period = Filters(date(2025, 2, 1), date(2025, 3, 10))  # e.g. "this year" on 10 March

    def reads_days() -> bool:
        sql = str(scores.period_counts(period).compile(db.engine))
        return re.search(r"FROM response_counts\b(?!_monthly)", sql) is not None

    with in_office(sierpc) as tenant:  # another office's later days change nothing here
        version_id = live_version_id()
        add_counts(
            tenant.id, {(version_id, RESPONSES_KEY, NO_DEPARTMENT, "web", date(2025, 3, 20), ""): 1}
        )
        db.session.commit()
    with in_office(wolomin) as tenant:
        version_id = live_version_id()
        for day, n in ((date(2025, 2, 10), 4), (date(2025, 3, 10), 5)):
            add_counts(tenant.id, {(version_id, RESPONSES_KEY, NO_DEPARTMENT, "web", day, ""): n})
        db.session.commit()
        assert not reads_days()
        assert stats.compute_results(period, 75.0).responses == 9

        add_counts(
            tenant.id, {(version_id, RESPONSES_KEY, NO_DEPARTMENT, "web", date(2025, 3, 11), ""): 7}
        )
        db.session.commit()
        assert reads_days()  # March now has a day after the period: its days are read
        assert stats.compute_results(period, 75.0).responses == 9


def test_a_month_covered_but_for_a_few_days_is_read_whole_less_those_days(two_offices, in_office):
    wolomin, sierpc = two_offices
    # "The last 12 months" seen on 4 December 2025: December 2024 from its 5th day on.
    period = Filters(date(2024, 12, 5), date(2025, 12, 4))
    with in_office(sierpc) as tenant:  # another office's days on the same dates
        add_counts(
            tenant.id,
            {(live_version_id(), RESPONSES_KEY, NO_DEPARTMENT, "web", date(2024, 12, 3), ""): 2},
        )
        db.session.commit()
    with in_office(wolomin) as tenant:
        version_id = live_version_id()
        for day, n in ((date(2024, 12, 2), 4), (date(2024, 12, 5), 5), (date(2025, 6, 1), 6)):
            add_counts(tenant.id, {(version_id, RESPONSES_KEY, NO_DEPARTMENT, "web", day, ""): n})
        db.session.commit()
        sql = str(
            scores.period_counts(period).compile(db.engine, compile_kwargs={"literal_binds": True})
        )
        # December is read from its month, less its first four days (negated), not day by day.
        assert "response_counts_monthly.month >= '2024-12-01'" in sql
        assert "response_counts.day >= '2024-12-01'" in sql
        assert "response_counts.day <= '2024-12-04'" in sql
        assert stats.compute_results(period, 75.0).responses == 11
        assert scores.value_totals(scores.period_counts(period)) == _reference_totals(period)
        months = stats._breakdowns(scores.period_counts(period), [])["month"]
        assert {m: r for m, (r, _) in months.items()} == {
            date(2024, 12, 1): 5,
            date(2025, 6, 1): 6,
        }
