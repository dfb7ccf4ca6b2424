"""Retention (RODO): an office's setting, and the daily task that deletes its old raw
responses while every count, dashboard and report number of the old periods stays."""

from __future__ import annotations

import html
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db
from tenants.audit.models import AuditEntry
from tenants.reports.stats import compute_results
from tenants.survey.definition import live_version_id, published_version
from tenants.survey.departments import active_departments
from tenants.survey.filters import Filters
from tenants.survey.forms import check_submission
from tenants.survey.models import Answer, Response, ResponseCount
from tenants.survey.retention import retention_cutoff
from tenants.survey.services import submit_response
from tenants.survey.tasks import apply_retention
from tests.conftest import csrf_token_of

TODAY = "2026-11-26"
OLD_DAYS = (datetime(2022, 3, 10, 9, tzinfo=UTC), datetime(2023, 5, 20, 9, tzinfo=UTC))
NEW_DAY = datetime(2025, 10, 1, 9, tzinfo=UTC)
OLD_PERIOD = "okres=custom&od=2022-01-01&do=2023-12-31"
OLD_FILTERS = Filters(date(2022, 1, 1), date(2023, 12, 31))


@pytest.fixture
def store(in_office, complete_answers):
    """Factory: ``count`` complete web responses of ``office`` sent on ``when`` (an hour
    apart, each with its own comment), stored with their counts as the survey stores them."""

    def store(office, when: datetime, count: int) -> None:
        with in_office(office) as tenant:
            version = published_version(live_version_id())
            departments = [d.id for d in active_departments()]
            for i in range(count):
                form = MultiDict(
                    complete_answers(departments[i % 2], comment=f"Komentarz {when:%Y} nr {i}")
                )
                form.update({"submission": str(uuid.uuid4()), "kanal": "web"})
                check = check_submission(version, form, frozenset(departments), 2000)
                assert not check.errors, check.errors
                submit_response(
                    tenant.id,
                    tenant.timezone,
                    version,
                    check.submission,
                    now=when + timedelta(hours=i),
                )
            db.session.commit()

    return store


def set_retention(in_office, office, years: int | None) -> None:
    with in_office(office) as tenant:
        tenant.retention_years = years
        db.session.commit()


def snapshot(in_office, office) -> dict:
    """Everything retention may or may not touch, as plain values."""
    with in_office(office):
        return {
            "responses": sorted(
                (r.answered_on, r.id) for r in db.session.scalars(select(Response))
            ),
            "answers": db.session.scalar(select(func.count()).select_from(Answer)),
            "orphans": db.session.scalar(
                select(func.count())
                .select_from(Answer)
                .where(Answer.response_id.not_in(select(Response.id)))
            ),
            "counts": sorted(
                (c.version_id, c.question_key, c.department_id, c.channel, c.day, c.value, c.count)
                for c in db.session.scalars(select(ResponseCount))
            ),
            "results": compute_results(OLD_FILTERS, 75.0),
            "audit": [
                (e.action, e.after)
                for e in db.session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "response.retention_delete")
                )
            ],
        }


def dashboard_count(client) -> int:
    page = client.get(f"/panel/?{OLD_PERIOD}").get_data(as_text=True)
    return int(re.search(r'<dd id="liczba-odpowiedzi">(\d+)</dd>', page).group(1))


def test_old_raw_responses_go_only_where_retention_is_set_and_every_number_stays(
    two_offices, store, in_office, logged_in, app, monkeypatch
):
    wolomin, sierpc = two_offices
    for office in (wolomin, sierpc):
        for day in OLD_DAYS:
            store(office, day, 3)
        store(office, NEW_DAY, 2)
    set_retention(in_office, wolomin, 2)  # keep from 26.11.2024 on
    monkeypatch.setitem(app.config, "RETENTION_BATCH_SIZE", 4)  # 6 old responses: 2 batches
    staff = {office: logged_in(office, role="analyst") for office in (wolomin, sierpc)}
    before = {office: snapshot(in_office, office) for office in (wolomin, sierpc)}
    dashboards = {office: dashboard_count(staff[office]) for office in (wolomin, sierpc)}
    assert dashboards == {wolomin: 6, sierpc: 6}
    assert len(before[wolomin]["responses"]) == 8 and before[wolomin]["answers"] > 8 * 25

    assert apply_retention(today=TODAY) == 6

    after = snapshot(in_office, wolomin)
    assert [day for day, _ in after["responses"]] == [date(2025, 10, 1)] * 2
    assert after["responses"] == before[wolomin]["responses"][-2:]
    assert after["answers"] == before[wolomin]["answers"] * 2 // 8  # the new ones' answers
    assert after["orphans"] == 0
    # what the dashboard and reports read is untouched
    assert after["counts"] == before[wolomin]["counts"]
    assert after["results"] == before[wolomin]["results"]
    assert after["results"].responses == 6
    assert dashboard_count(staff[wolomin]) == 6
    assert after["audit"] == [
        (
            "response.retention_delete",
            {"deleted_responses": 6, "answered_before": "2024-11-26", "retention_years": 2},
        )
    ]
    # the office without a retention period keeps everything
    assert snapshot(in_office, sierpc) == before[sierpc]
    assert dashboard_count(staff[sierpc]) == 6

    # a second run the same day finds nothing more and audits nothing more
    assert apply_retention(today=TODAY) == 0
    assert snapshot(in_office, wolomin)["audit"] == after["audit"]


def test_the_beat_runs_retention_daily_through_a_real_worker(two_offices, store, in_office, app):
    wolomin, sierpc = two_offices
    celery = app.extensions["celery"]
    entry = celery.conf.beat_schedule["apply-retention"]
    assert entry["task"] in celery.tasks
    assert entry["schedule"].hour == {app.config["RETENTION_HOUR"]}
    store(wolomin, OLD_DAYS[0], 2)
    store(sierpc, OLD_DAYS[0], 2)
    set_retention(in_office, wolomin, 1)
    set_retention(in_office, sierpc, 20)  # set, but nothing is that old
    celery.tasks[entry["task"]].apply_async(kwargs={"today": TODAY})
    deadline = time.monotonic() + 30
    while snapshot(in_office, wolomin)["responses"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert snapshot(in_office, wolomin)["responses"] == []
    assert len(snapshot(in_office, sierpc)["responses"]) == 2
    assert snapshot(in_office, sierpc)["audit"] == []


def test_the_cutoff_is_the_same_day_years_back():
    assert retention_cutoff(date(2026, 11, 26), 2) == date(2024, 11, 26)
    assert retention_cutoff(date(2028, 2, 29), 1) == date(2027, 2, 28)
    assert retention_cutoff(date(2026, 1, 1), 20) == date(2006, 1, 1)


# -- the setting -----------------------------------------------------------------------------

OFFICE_DATA = {
    "name": "Urząd Miejski w Wołominie",
    "address": "",
    "contact_email": "",
    "contact_phone": "",
    "brand_colour": "#1d4f91",
    "score_threshold": "75",
    "report_recipients": "",
}


def _post_office(client, **fields):
    token = csrf_token_of(client.get("/panel/urzad").get_data(as_text=True))
    return client.post("/panel/urzad", data={"csrf_token": token, **OFFICE_DATA, **fields})


def _office_audit(in_office, office) -> list[tuple]:
    with in_office(office):
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "office.update").order_by(AuditEntry.id)
        )
        # each change links its pre-change report (§5; tests/office/test_office_data_pre_change.py)
        return [
            (e.before, {k: v for k, v in e.after.items() if k != "pre_change_report_id"})
            for e in entries
            if "pre_change_report_id" in e.after
        ]


def test_an_admin_sets_and_clears_the_retention_period_and_it_is_audited(
    two_offices, logged_in, in_office, client_for
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    page = admin.get("/panel/urzad").get_data(as_text=True)
    assert "Przechowywanie odpowiedzi (lata)" in page
    assert _post_office(admin, retention_years="2").status_code == 302
    assert "przez 2 lata od" in client_for(wolomin).get("/ochrona-danych").get_data(as_text=True)
    assert _post_office(admin, retention_years=" 5 ").status_code == 302
    with in_office(wolomin) as tenant:
        assert tenant.retention_years == 5
    with in_office(sierpc) as tenant:
        assert tenant.retention_years is None
    assert 'value="5"' in admin.get("/panel/urzad").get_data(as_text=True)
    # residents read it in the information clause; the other office has set none
    clause = client_for(wolomin).get("/ochrona-danych").get_data(as_text=True)
    assert "przechowujemy przez 5 lat od wypełnienia" in clause
    other = client_for(sierpc).get("/ochrona-danych").get_data(as_text=True)
    assert "przechowujemy przez" not in other and "Urząd nie ustalił okresu" in other
    assert _post_office(admin, retention_years="").status_code == 302
    with in_office(wolomin) as tenant:
        assert tenant.retention_years is None
    assert _office_audit(in_office, wolomin) == [
        ({"retention_years": None}, {"retention_years": 2}),
        ({"retention_years": 2}, {"retention_years": 5}),
        ({"retention_years": 5}, {"retention_years": None}),
    ]
    assert _office_audit(in_office, sierpc) == []


@pytest.mark.parametrize("value", ["0", "21", "-3", "pięć", "2.5", "9" * 30])
def test_a_retention_period_outside_one_to_twenty_years_is_refused(
    two_offices, logged_in, in_office, value
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    response = _post_office(admin, retention_years=value, score_threshold="60")
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Podaj liczbę lat od 1 do 20 albo zostaw pole puste" in page
    with in_office(wolomin) as tenant:
        assert tenant.retention_years is None and tenant.score_threshold == 75
    assert _office_audit(in_office, wolomin) == []


def test_analysts_cannot_change_the_retention_period(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    analyst = logged_in(wolomin, role="analyst")
    assert analyst.get("/panel/urzad").status_code == 403
