"""Reports end to end: a real Celery worker renders the PDF, stores it and mails it; the
schedule, the sweeper, and the walls between offices."""

from __future__ import annotations

import re
import subprocess
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from saas_platform.core.db import db, utcnow
from saas_platform.core.dispatch import enqueue
from saas_platform.core.templating import pl_number
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.tenancy.models import Tenant
from tenants.reports.models import Report
from tenants.reports.pdf import ReportRequest, build_report_pdf, html_to_pdf
from tenants.reports.stats import compute_results
from tenants.reports.tasks import dispatch_due_reports, render_report, sweep_stuck_reports
from tenants.survey.filters import Filters
from tests.conftest import csrf_token_of, wait_for_worker

POLISH_COMMENT = "Zażółć gęślą jaźń – świetna obsługa, dziękuję!"
HOSTILE_COMMENT = '<img src="file:///etc/passwd"><style>body{display:none}</style><b>pogrubione</b>'


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def wait_for_report(in_office, office, report_id: int) -> Report:
    return wait_for_worker(in_office, office, Report, report_id)


@pytest.fixture
def offices_with_responses(app, two_offices, client_for, complete_answers):
    """Wołomin: 6 responses with a Polish and a hostile comment, its reports with the newest
    comments; Sierpc: 5 others, its reports without comments (the default)."""
    wolomin, sierpc = two_offices
    for office, comments, rating in (
        (wolomin, [POLISH_COMMENT, HOSTILE_COMMENT] + ["ok"] * 4, "5"),
        (sierpc, ["Sierpc komentarz"] * 5, "2"),
    ):
        client = client_for(office)
        for comment in comments:
            form = {
                **client.survey_form(),
                **complete_answers(comment=comment),
                "q-ogolna_satysfakcja": rating,
            }
            assert client.post("/", data=form).status_code == 303
    with app.app_context():
        db.session.get(Tenant, wolomin.id).report_comments = "newest"
        db.session.commit()
    return two_offices


def _ask_for_report(client, period="this_year"):
    token = csrf_token_of(client.get("/panel/raporty").get_data(as_text=True))
    return client.post(
        "/panel/raporty", data={"csrf_token": token, "period": period, "department": ""}
    )


def test_staff_report_is_made_by_the_worker_stored_and_mailed(
    offices_with_responses, logged_in, in_office, mailbox
):
    wolomin, _ = offices_with_responses
    staff = logged_in(wolomin, "analyst")
    assert _ask_for_report(staff).status_code == 302
    listing = staff.get("/panel/raporty").get_data(as_text=True)
    assert "Odśwież listę raportów" in listing or "gotowy" in listing
    assert 'http-equiv="refresh"' not in listing  # no timed refresh (WCAG 2.2.1)
    with in_office(wolomin):
        report_id = db.session.scalar(select(Report.id))
    report = wait_for_report(in_office, wolomin, report_id)
    assert report.status == "done", report.error
    assert report.pdf_size > 10_000 and len(report.pdf_sha256) == 64

    download = staff.get(f"/panel/raporty/{report_id}/pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    text = pdf_text(download.data)
    assert "Urząd Miejski w Wołominie" in text
    assert POLISH_COMMENT in text  # ą, ę, ł, ó, ś, ź, ż survive
    assert '<img src="file:///etc/passwd">' in text  # shown as text, never fetched
    assert "Strona 1 z" in text and "Obszary do poprawy" in text and "Metodologia" in text
    assert "Sierpc komentarz" not in text
    with in_office(wolomin):
        today = current_tenant.today()  # past the office's midnight, UTC is still yesterday
        results = compute_results(Filters(date(today.year, 1, 1), today), 75.0)
    assert results.responses == 6
    assert f"Liczba odpowiedzi w okresie {results.responses}" in " ".join(text.split())
    assert pl_number(results.overall.index) in text

    listing = staff.get("/panel/raporty").get_data(as_text=True)
    assert f'href="/panel/raporty/{report_id}/pdf">PDF do druku' in listing
    assert f'href="/panel/raporty/{report_id}/html">Wersja dostępna (HTML)' in listing
    edition = staff.get(f"/panel/raporty/{report_id}/html")
    assert edition.status_code == 200 and edition.mimetype == "text/html"
    assert edition.headers["Content-Disposition"] == (
        f'inline; filename="raport-wolomin-{report.period_start}-{report.period_end}.html"'
    )
    assert edition.headers["Content-Security-Policy"].startswith("default-src 'none';")
    html = edition.get_data(as_text=True)
    assert '<html lang="pl">' in html and "Urząd Miejski w Wołominie" in html
    assert POLISH_COMMENT in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html  # shown as text, escaped
    assert "Sierpc komentarz" not in html
    assert pl_number(results.overall.index) in html

    message = mailbox.wait_for(1)[0]
    assert message["X-Envelope-To"] == staff.email
    assert "Urząd Miejski w Wołominie" in message["Subject"]
    pdf_attachment, html_attachment = message.iter_attachments()
    assert pdf_attachment.get_content_type() == "application/pdf"
    assert pdf_attachment.get_content() == download.data
    assert html_attachment.get_content_type() == "text/html"
    assert html_attachment.get_filename().endswith(".html")
    assert html_attachment.get_content() == html
    assert "wersję dostępną" in message.get_body(("plain",)).get_content()
    deadline = time.monotonic() + 10
    while wait_for_report(in_office, wolomin, report_id).email_status != "sent":
        assert time.monotonic() < deadline


def test_report_over_the_attachment_limit_is_mailed_as_a_link(
    app, offices_with_responses, logged_in, in_office, mailbox, monkeypatch
):
    monkeypatch.setitem(app.config, "REPORT_ATTACHMENT_LIMIT", 1000)
    wolomin, _ = offices_with_responses
    staff = logged_in(wolomin)
    _ask_for_report(staff)
    message = mailbox.wait_for(1, timeout=60)[0]
    assert list(message.iter_attachments()) == []
    body = message.get_body(("plain",)).get_content()
    assert re.search(r"PDF do druku: http://wolomin\.satysfakcja\.test/panel/raporty/\d+/pdf", body)
    assert re.search(
        r"Wersja dostępna \(HTML\): http://wolomin\.satysfakcja\.test/panel/raporty/\d+/html",
        body,
    )
    # the office's name starts with "Urząd": the text does not say it twice
    assert f"klientów – {wolomin.name} – za okres" in body and "urzędu Urząd" not in body


def test_another_offices_report_is_404_by_id(offices_with_responses, logged_in, in_office):
    wolomin, sierpc = offices_with_responses
    staff = logged_in(wolomin)
    _ask_for_report(staff)
    with in_office(wolomin):
        report_id = db.session.scalar(select(Report.id))
    wait_for_report(in_office, wolomin, report_id)
    stranger = logged_in(sierpc)
    assert stranger.get(f"/panel/raporty/{report_id}/pdf").status_code == 404
    assert stranger.get(f"/panel/raporty/{report_id}/html").status_code == 404
    assert staff.get(f"/panel/raporty/{report_id}/html").status_code == 200
    token = csrf_token_of(stranger.get("/panel/raporty").get_data(as_text=True))
    assert (
        stranger.post(f"/panel/raporty/{report_id}/ponow", data={"csrf_token": token}).status_code
        == 404
    )
    listing = stranger.get("/panel/raporty").get_data(as_text=True)
    assert f"/panel/raporty/{report_id}/pdf" not in listing
    assert f"/panel/raporty/{report_id}/html" not in listing


def test_failed_report_shows_why_and_can_be_retried(offices_with_responses, logged_in, in_office):
    wolomin, _ = offices_with_responses
    staff = logged_in(wolomin)
    with in_office(wolomin):
        report = Report(
            kind="on_demand",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 6, 30),
            status="failed",
            error="ConnectionError: baza danych niedostępna",
        )
        db.session.add(report)
        db.session.commit()
        report_id = report.id
    assert "baza danych niedostępna" in staff.get("/panel/raporty").get_data(as_text=True)
    token = csrf_token_of(staff.get("/panel/raporty").get_data(as_text=True))
    assert (
        staff.post(f"/panel/raporty/{report_id}/ponow", data={"csrf_token": token}).status_code
        == 302
    )
    assert wait_for_report(in_office, wolomin, report_id).status == "done"


def test_invalid_report_request_is_refused_clearly(offices_with_responses, logged_in, in_office):
    staff = logged_in(offices_with_responses[0])
    token = csrf_token_of(staff.get("/panel/raporty").get_data(as_text=True))
    response = staff.post(
        "/panel/raporty",
        data={
            "csrf_token": token,
            "period": "custom",
            "date_from": "2026-05-01",
            "date_to": "2026-01-01",
        },
    )
    assert response.status_code == 422
    assert "Początek okresu musi być przed jego końcem." in response.get_data(as_text=True)
    response = staff.post(
        "/panel/raporty", data={"csrf_token": token, "period": "this_year", "department": "999999"}
    )
    assert response.status_code == 422
    with in_office(offices_with_responses[0]):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_dispatcher_twice_makes_one_yearly_report_per_active_office(
    app, two_offices, make_office, in_office
):
    wolomin, sierpc = two_offices
    suspended = make_office("radzymin")
    with app.app_context():
        db.session.get(Tenant, suspended.id).status = "suspended"
        db.session.get(Tenant, sierpc.id).extra_report_frequencies = ["quarterly"]
        db.session.commit()
    assert dispatch_due_reports(today="2027-01-05") == 3  # yearly for both, quarterly for Sierpc
    assert dispatch_due_reports(today="2027-01-05") == 0
    assert dispatch_due_reports(today="2027-01-06") == 0
    with in_office(wolomin):
        periods = db.session.execute(
            select(Report.kind, Report.period_start, Report.period_end)
        ).all()
        assert periods == [("scheduled", date(2026, 1, 1), date(2026, 12, 31))]
    with in_office(sierpc):
        frequencies = set(db.session.scalars(select(Report.frequency)))
        assert frequencies == {"yearly", "quarterly"}
    with in_office(suspended):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_dispatcher_waits_for_the_platform_day(app, two_offices, in_office):
    assert dispatch_due_reports(today="2027-01-01") == 0  # SCHEDULED_REPORTS_DAY is the 2nd
    assert dispatch_due_reports(today="2027-01-02") == 2


def test_report_asked_while_the_broker_is_down_is_made_after_the_sweeper_runs(
    app, offices_with_responses, logged_in, in_office, dead_broker
):
    wolomin, _ = offices_with_responses
    with in_office(wolomin):
        report = Report(
            kind="on_demand", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
        )
        db.session.add(report)
        db.session.commit()
        report_id = report.id
        # The same task, as an app whose broker is down would send it (the web's view of an
        # unreachable Redis): enqueue reports failure, and the row stays queued.
        started = time.monotonic()
        task = dead_broker.tasks[render_report.name]
        assert enqueue(task, report_id=report_id, tenant_id=wolomin.id) is False
        assert time.monotonic() - started < 10
    time.sleep(1)
    with in_office(wolomin):
        assert db.session.get(Report, report_id).status == "queued"
        db.session.get(Report, report_id).queued_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
    assert sweep_stuck_reports() == 1
    assert wait_for_report(in_office, wolomin, report_id).status == "done"
    assert sweep_stuck_reports() == 0


def test_report_running_past_the_timeout_is_sent_again_and_made_once(
    app, offices_with_responses, in_office
):
    wolomin, _ = offices_with_responses
    with in_office(wolomin):
        report = Report(
            kind="on_demand",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            status="running",
            started_at=utcnow() - timedelta(hours=1),
            attempts=1,
        )
        db.session.add(report)
        db.session.commit()
        report_id = report.id
    assert sweep_stuck_reports() == 1
    done = wait_for_report(in_office, wolomin, report_id)
    assert (done.status, done.attempts) == ("done", 2)


def test_render_is_idempotent(app, offices_with_responses, in_office):
    wolomin, _ = offices_with_responses
    with in_office(wolomin):
        report = Report(
            kind="on_demand", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
        )
        db.session.add(report)
        db.session.commit()
        report_id = report.id
    render_report(report_id=report_id, tenant_id=wolomin.id)
    render_report(report_id=report_id, tenant_id=wolomin.id)
    with in_office(wolomin):
        report = db.session.get(Report, report_id)
        assert (report.status, report.attempts) == ("done", 1)


def test_pdf_renderer_fetches_no_local_or_remote_resource(tmp_path):
    secret = tmp_path / "secret.png"
    from PIL import Image

    Image.new("RGB", (400, 400), "red").save(secret)
    html = f'<html><body><p>x</p><img src="{secret}"><img src="file://{secret}"><img src="http://127.0.0.1:9/x.png"></body></html>'
    out = tmp_path / "out.pdf"
    out.write_bytes(html_to_pdf(html))
    listing = subprocess.run(
        ["pdfimages", "-list", str(out)], capture_output=True, check=True, text=True
    )
    # A header and a rule, and no image: a 400×400 image would be embedded otherwise. (Size
    # is no measure: the base font is embedded, so even an empty PDF carries a font subset.)
    assert listing.stdout.splitlines()[2:] == []


def test_cli_writes_the_same_report_synchronously(app, offices_with_responses, in_office, tmp_path):
    out = tmp_path / "raport.pdf"
    with in_office(offices_with_responses[0]):
        today = current_tenant.today()  # the office's day, as its staff would name the period
    result = app.test_cli_runner().invoke(
        args=[
            "reports",
            "generate",
            "--tenant",
            "wolomin",
            "--from",
            f"{today.year}-01-01",
            "--to",
            today.isoformat(),
            "--out",
            str(out),
            "--html",
            str(tmp_path / "raport.html"),
        ]
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert "Urząd Miejski w Wołominie" in text and POLISH_COMMENT in text
    assert "Sierpc komentarz" not in text
    html = (tmp_path / "raport.html").read_text(encoding="utf-8")
    assert '<html lang="pl">' in html and POLISH_COMMENT in html
    assert "Sierpc komentarz" not in html
    bad = app.test_cli_runner().invoke(
        args=[
            "reports",
            "generate",
            "--tenant",
            "nie-ma",
            "--from",
            "2026-01-01",
            "--to",
            "2026-02-01",
            "--out",
            str(out),
        ]
    )
    assert bad.exit_code != 0 and "No office with the slug 'nie-ma'" in bad.output


def test_smtp_failure_keeps_the_report_and_the_mail_is_retried_until_sent(
    app, offices_with_responses, logged_in, in_office, mailbox, smtp_server, monkeypatch
):
    wolomin, _ = offices_with_responses
    monkeypatch.setitem(app.config, "EMAIL_RETRY_BASE_SECONDS", 1)
    staff = logged_in(wolomin)
    smtp_server.stop()  # SMTP is down
    _ask_for_report(staff)
    with in_office(wolomin):
        report_id = db.session.scalar(select(Report.id))
    assert wait_for_report(in_office, wolomin, report_id).status == "done"
    deadline = time.monotonic() + 20
    while (report := wait_for_report(in_office, wolomin, report_id)).email_error == "":
        assert time.monotonic() < deadline, "the failed delivery was not recorded"
    assert report.email_status == "pending" and "Connection" in report.email_error
    assert "oczekuje" in staff.get("/panel/raporty").get_data(as_text=True)

    smtp_server.start()  # SMTP is back
    message = mailbox.wait_for(1, timeout=30)[0]
    assert message["X-Envelope-To"] == staff.email
    deadline = time.monotonic() + 10
    while wait_for_report(in_office, wolomin, report_id).email_status != "sent":
        assert time.monotonic() < deadline


def test_office_adds_quarterly_reports_in_its_settings(app, two_offices, logged_in, in_office):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    token = csrf_token_of(admin.get("/panel/urzad").get_data(as_text=True))
    office_form = {
        "csrf_token": token, "name": "Urząd Miejski w Wołominie", "address": "",
        "contact_email": "", "contact_phone": "", "brand_colour": "#1d4f91",
        "score_threshold": "75", "report_recipients": "",
    }  # fmt: skip
    refused = admin.post("/panel/urzad", data={**office_form, "extra_report_frequencies": "daily"})
    assert refused.status_code in (400, 422)
    assert (
        admin.post(
            "/panel/urzad", data={**office_form, "extra_report_frequencies": "quarterly"}
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Tenant, wolomin.id).extra_report_frequencies == ["quarterly"]
        assert db.session.get(Tenant, sierpc.id).extra_report_frequencies == []
    assert dispatch_due_reports(today="2027-04-05") == 3  # Wołomin: year and Q1; Sierpc: year
    with in_office(wolomin):
        # the settings change made its pre-change report too (§5); the schedule made these
        scheduled = select(Report.frequency).where(Report.kind == "scheduled")
        assert set(db.session.scalars(scheduled)) == {"yearly", "quarterly"}


def test_report_prints_no_comment_unless_the_office_chose_the_appendix(
    app, offices_with_responses, in_office
):
    wolomin, sierpc = offices_with_responses
    for office, shown in ((sierpc, False), (wolomin, True)):
        with in_office(office) as tenant:
            today = tenant.today()
            request = ReportRequest(date(today.year, 1, 1), today)
            text = " ".join(pdf_text(build_report_pdf(tenant, request, utcnow())).split())
        assert ("Załącznik: uwagi mieszkańców" in text) is shown
        assert ("Sierpc komentarz" in text) is False
        assert (POLISH_COMMENT in text) is shown
        assert "Komentarzy w okresie: " + ("6." if shown else "5 (urząd wybrał") in text


def test_office_chooses_the_comment_appendix_in_its_settings(app, two_offices, logged_in):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    page = admin.get("/panel/urzad").get_data(as_text=True)
    assert "Komentarze mieszkańców mogą zawierać dane osobowe" in page
    token = csrf_token_of(page)
    office_form = {
        "csrf_token": token, "name": "Urząd Miejski w Wołominie", "address": "",
        "contact_email": "", "contact_phone": "", "brand_colour": "#1d4f91",
        "score_threshold": "75", "report_recipients": "",
    }  # fmt: skip
    refused = admin.post("/panel/urzad", data={**office_form, "report_comments": "all"})
    assert refused.status_code in (400, 422)
    assert "Wybierz jedną z podanych możliwości" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Tenant, wolomin.id).report_comments == "none"
    chosen = admin.post("/panel/urzad", data={**office_form, "report_comments": "newest"})
    assert chosen.status_code == 302
    with app.app_context():
        assert db.session.get(Tenant, wolomin.id).report_comments == "newest"
        assert db.session.get(Tenant, sierpc.id).report_comments == "none"


def test_a_report_made_before_the_html_edition_offers_its_pdf_only(
    offices_with_responses, logged_in, in_office
):
    wolomin, sierpc = offices_with_responses
    with in_office(wolomin):
        report = Report(
            kind="on_demand",
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            status="done",
            pdf=b"%PDF-1.4 an old report",
            pdf_size=22,
            pdf_sha256="0" * 64,
        )
        db.session.add(report)
        db.session.commit()
        report_id = report.id
    staff = logged_in(wolomin)
    listing = staff.get("/panel/raporty").get_data(as_text=True)
    assert f"/panel/raporty/{report_id}/pdf" in listing
    assert f"/panel/raporty/{report_id}/html" not in listing
    assert staff.get(f"/panel/raporty/{report_id}/html").status_code == 404
    assert staff.get(f"/panel/raporty/{report_id}/pdf").status_code == 200
    assert logged_in(sierpc).get(f"/panel/raporty/{report_id}/pdf").status_code == 404
