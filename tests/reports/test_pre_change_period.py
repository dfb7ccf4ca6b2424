"""The pre-change report covers "the results so far": the 12 months up to the change, across
survey versions, however recently the survey was published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant
from tenants.reports.models import Report
from tenants.reports.services import pre_change_period
from tenants.reports.stats import year_earlier_day
from tests.office.test_survey_editor import _add_question, _draft, _post, _start_draft, _submit
from tests.reports.test_end_to_end import pdf_text, wait_for_report
from tests.survey.test_retention import store  # noqa: F401 (a fixture)


def test_pre_change_report_after_a_same_day_publish_covers_twelve_months(
    two_offices,
    store,  # noqa: F811
    logged_in,
    in_office,
    client_for,
    complete_answers,
):
    wolomin, sierpc = two_offices
    now = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    store(wolomin, now - timedelta(days=500), 5)  # before the 12 months: left out
    store(wolomin, now - timedelta(days=200), 6)
    store(sierpc, now - timedelta(days=100), 7)
    admin = logged_in(wolomin)
    _start_draft(admin)
    _add_question(admin, key="polecenie", kind="yes_no", text="Czy polecisz urząd znajomym?")
    revision = _draft(in_office, wolomin).revision
    published = _post(admin, "/panel/ankieta/publikuj", {"wersja_szkicu": str(revision)})
    assert published.status_code == 302
    # The same morning: a resident answers the new version, then the office data change.
    assert _submit(client_for(wolomin), complete_answers, "203.0.113.9") == 303
    office_form = {
        "name": "Urząd Miejski w Wołominie", "address": "", "contact_email": "",
        "contact_phone": "", "brand_colour": "#1d4f91", "score_threshold": "70",
        "report_recipients": "",
    }  # fmt: skip
    assert _post(admin, "/panel/urzad", office_form, "/panel/urzad").status_code == 302

    with in_office(wolomin):
        today = current_tenant.today()
        reports = db.session.scalars(select(Report).order_by(Report.id)).all()
        assert pre_change_period(today) == (year_earlier_day(today) + timedelta(days=1), today)
    assert [(r.kind, r.subject) for r in reports] == [
        ("pre_change", "survey"),
        ("pre_change", "office"),
    ]
    for report in reports:
        assert report.period_start == year_earlier_day(today) + timedelta(days=1)
        assert report.period_end == today
    done = wait_for_report(in_office, wolomin, reports[1].id)
    assert done.status == "done", done.error
    with in_office(wolomin):
        pdf = db.session.get(Report, done.id).pdf
    text = " ".join(pdf_text(pdf).split())
    assert "Raport przed zmianą danych urzędu" in text
    assert "Okres obejmuje 2 wersje ankiety (v1, v2)" in text
    assert "Liczba odpowiedzi w okresie 7" in text  # 6 in the 12 months and 1 today
    assert "ostatnie 12 miesięcy przed zmianą" in text
    with in_office(sierpc):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0
