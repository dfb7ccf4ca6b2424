"""Time of submission, coarsened: after 48 hours a response keeps only its office-local date
(the daily retention task drops the time of day), no count moves, the anti-abuse checks keep
the exact time they need, and the panel and its exports show the date only."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db, utcnow
from tenants.reports.stats import compute_results
from tenants.survey.definition import live_version_id, published_version
from tenants.survey.departments import active_departments
from tenants.survey.filters import Filters
from tenants.survey.forms import check_submission
from tenants.survey.models import MonthlyResponseCount, Response, ResponseCount
from tenants.survey.retention import EXACT_TIME_KEPT
from tenants.survey.services import submit_response
from tenants.survey.tasks import apply_retention

NOW = utcnow()
# 23:30 UTC in Warsaw is already the next day: the date kept is the office's, not UTC's.
LATE_EVENING = datetime.combine(NOW.date() - timedelta(days=5), time(23, 30), tzinfo=UTC)
OLD = (
    LATE_EVENING,
    NOW - timedelta(days=40, minutes=17),
    NOW - EXACT_TIME_KEPT - timedelta(minutes=5),
)
RECENT = (NOW - timedelta(hours=47), NOW - timedelta(minutes=3))


@pytest.fixture
def store(in_office, complete_answers):
    """Factory: one complete web response of ``office`` sent at ``when``; its id."""

    def store(office, when: datetime) -> int:
        with in_office(office) as tenant:
            version = published_version(live_version_id())
            departments = [d.id for d in active_departments()]
            form = MultiDict(complete_answers(departments[0]))
            form.update({"submission": str(uuid.uuid4()), "kanal": "web"})
            check = check_submission(version, form, frozenset(departments), 2000)
            assert not check.errors, check.errors
            submit_response(tenant.id, tenant.timezone, version, check.submission, now=when)
            db.session.commit()
            return db.session.scalar(select(Response.id).order_by(Response.id.desc()).limit(1))

    return store


def stored(in_office, office) -> dict[int, tuple[datetime, date]]:
    with in_office(office):
        return {r.id: (r.submitted_at, r.answered_on) for r in db.session.scalars(select(Response))}


def numbers(in_office, office) -> dict:
    period = Filters(NOW.date() - timedelta(days=60), NOW.date() + timedelta(days=1))
    with in_office(office):
        return {
            "daily": sorted(
                (c.question_key, c.department_id, c.channel, c.day, c.value, c.count)
                for c in db.session.scalars(select(ResponseCount))
            ),
            "monthly": sorted(
                (c.question_key, c.department_id, c.channel, c.month, c.value, c.count)
                for c in db.session.scalars(select(MonthlyResponseCount))
            ),
            "results": compute_results(period, 75.0),
        }


def test_no_stored_time_older_than_48_hours_has_a_time_of_day_and_no_count_moves(
    two_offices, store, in_office
):
    wolomin, sierpc = two_offices
    ids = {office: [store(office, when) for when in OLD + RECENT] for office in two_offices}
    before = {office: stored(in_office, office) for office in two_offices}
    counted = {office: numbers(in_office, office) for office in two_offices}
    assert before[wolomin][ids[wolomin][0]][1] == LATE_EVENING.date() + timedelta(days=1)

    apply_retention()

    for office in (wolomin, sierpc):
        after = stored(in_office, office)
        for response_id in ids[office][: len(OLD)]:
            submitted_at, answered_on = after[response_id]
            assert submitted_at == datetime.combine(answered_on, time(0), tzinfo=UTC)
            assert answered_on == before[office][response_id][1]  # the office-local day
        for response_id in ids[office][len(OLD) :]:  # the anti-abuse window keeps its time
            assert after[response_id] == before[office][response_id]
        assert numbers(in_office, office) == counted[office]
        # the whole table, as the database holds it: nothing older than 48 h has a time
        cutoff = utcnow() - EXACT_TIME_KEPT
        for submitted_at, _ in after.values():
            assert submitted_at >= cutoff or submitted_at.timetz() == time(0, tzinfo=UTC)

    apply_retention()  # a second run changes nothing
    assert stored(in_office, wolomin) != before[wolomin]
    assert numbers(in_office, wolomin) == counted[wolomin]


def test_the_burst_check_still_sees_the_minutes_it_needs(two_offices, store, in_office, app):
    """The exact time is kept far longer than the anti-abuse checks look back."""
    assert timedelta(minutes=app.config["BURST_WINDOW_MINUTES"]) * 10 < EXACT_TIME_KEPT
    wolomin, _ = two_offices
    recent = store(wolomin, NOW - timedelta(minutes=2))
    apply_retention()
    assert stored(in_office, wolomin)[recent][0] == NOW - timedelta(minutes=2)


def test_the_panel_and_the_csv_show_the_date_only_for_every_response(two_offices, store, logged_in):
    wolomin, sierpc = two_offices
    recent = store(wolomin, RECENT[1])
    store(wolomin, OLD[1])
    store(sierpc, RECENT[1])
    apply_retention()
    analyst = logged_in(wolomin, "analyst")
    period = f"okres=custom&od={(NOW - timedelta(days=60)).date()}&do={NOW.date()}"
    body = analyst.get(f"/panel/eksport.csv?{period}").get_data()
    rows = list(csv.reader(io.StringIO(body[3:].decode("utf-8")), delimiter=";"))
    assert rows[0][:4] == ["id", "data", "kanał", "wydział"]
    assert len(rows) == 3  # this office's two
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[1]) for row in rows[1:])
    assert not any(re.search(r"\d\d:\d\d", cell) for row in rows for cell in row)
    detail = analyst.get(f"/panel/odpowiedzi/{recent}").get_data(as_text=True)
    assert not re.search(r"\d\d:\d\d", detail.split("<main", 1)[1].split("</main>", 1)[0])


def test_the_embedded_sqlite_mode_drops_the_time_of_day_too(tmp_path, complete_answers):
    from flask_migrate import upgrade

    from saas_platform.app import create_app
    from saas_platform.core.tenancy import tenant_scope
    from saas_platform.onboarding import create_tenant
    from tests.conftest import sqlite_app_settings

    app = create_app(sqlite_app_settings(f"sqlite:///{tmp_path / 'coarse.sqlite'}"))
    with app.app_context():
        upgrade()
        offices = [create_tenant("wolomin", "Wołomin"), create_tenant("sierpc", "Sierpc")]
        db.session.commit()
        for office in offices:
            with tenant_scope(office):
                version = published_version(live_version_id())
                departments = [d.id for d in active_departments()]
                for when in (OLD[1], RECENT[1]):
                    form = MultiDict(complete_answers(departments[0]))
                    form.update({"submission": str(uuid.uuid4()), "kanal": "web"})
                    check = check_submission(version, form, frozenset(departments), 2000)
                    submit_response(office.id, office.timezone, version, check.submission, now=when)
                db.session.commit()
        apply_retention()
        for office in offices:
            with tenant_scope(office):
                kept = sorted(r.submitted_at for r in db.session.scalars(select(Response)))
                assert kept[0].timetz() == time(0, tzinfo=UTC)
                assert kept[0].date() - OLD[1].date() in (timedelta(0), timedelta(days=1))
                assert kept[1] == RECENT[1]
