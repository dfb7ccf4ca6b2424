"""Exports over the threshold are made by the real Celery worker: the request answers at once
with the export's page, the page shows the progress, the file is stored and matches what a
streamed export of the same filters holds, and the member who asked gets a link by e-mail.
Smaller exports keep streaming. The sweeper re-sends what the broker lost; the task runs once
however often it is sent; other offices see nothing of it, down to row-level security."""

from __future__ import annotations

import io
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db, utcnow
from saas_platform.core.dispatch import enqueue
from tenants.exports.models import ExportJob
from tenants.exports.tasks import make_export, sweep_stuck_exports
from tenants.survey.definition import live_version_id, published_version
from tenants.survey.forms import check_submission
from tenants.survey.models import Department
from tenants.survey.services import submit_response
from tests.conftest import APP_ROLE, PG_HOST, wait_for_worker

MARCH = "okres=custom&od=2025-03-01&do=2025-03-31"
IN_MARCH = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
THRESHOLD = 4


@pytest.fixture
def small_threshold(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_THRESHOLD", THRESHOLD)


@pytest.fixture
def store(in_office, complete_answers):
    """Factory: ``count`` complete responses in an office in March, committed; their ids."""

    def store(office, count: int, comment: str = "Komentarz") -> list[int]:
        ids = []
        with in_office(office) as tenant:
            version = published_version(live_version_id())
            departments = frozenset(db.session.scalars(select(Department.id)))
            for _ in range(count):
                fields = {**complete_answers(None, comment), "submission": str(uuid.uuid4())}
                check = check_submission(version, MultiDict(fields), departments, 2000)
                ids.append(
                    submit_response(tenant.id, tenant.timezone, version, check.submission, IN_MARCH)
                )
            db.session.commit()
        return ids

    return store


def wait_for_job(in_office, office, job_id: int) -> ExportJob:
    return wait_for_worker(in_office, office, ExportJob, job_id, load=["content"])


def job_id_of(response) -> int:
    assert response.status_code == 303, response.status_code
    match = re.search(r"/panel/eksporty/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def test_an_export_over_the_threshold_is_made_by_the_worker_stored_and_mailed(
    two_offices, store, logged_in, in_office, mailbox, small_threshold, app, monkeypatch
):
    wolomin, sierpc = two_offices
    ours = store(wolomin, THRESHOLD + 2)
    store(sierpc, THRESHOLD + 3)
    admin = logged_in(wolomin, "analyst", email="analityczka@wolomin.example")

    started = time.monotonic()
    asked = admin.get(f"/panel/eksport.csv?{MARCH}&komentarz=1")
    assert time.monotonic() - started < 1.0
    job_id = job_id_of(asked)
    job = wait_for_job(in_office, wolomin, job_id)
    # the worker counted them (the request only saw there were more than the threshold)
    assert (job.status, job.total, job.rows_done, job.attempts) == ("done", len(ours), 6, 1)

    page = admin.get(f"/panel/eksporty/{job_id}").get_data(as_text=True)
    assert "Plik jest gotowy." in page
    assert f"/panel/eksporty/{job_id}/plik" in page
    file = admin.get(f"/panel/eksporty/{job_id}/plik")
    assert file.status_code == 200
    assert file.headers["Content-Disposition"] == (
        'attachment; filename="odpowiedzi-wolomin-2025-03-01-2025-03-31.csv"'
    )
    # the same file as a streamed export of the same filters
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_THRESHOLD", 1000)
    streamed = admin.get(f"/panel/eksport.csv?{MARCH}&komentarz=1")
    assert streamed.status_code == 200 and streamed.is_streamed
    assert file.get_data() == streamed.get_data()
    assert b"wynik" in file.get_data()

    (message,) = mailbox.wait_for(1)
    assert message["To"] == "analityczka@wolomin.example"
    assert "Plik z odpowiedziami jest gotowy" in message["Subject"]
    body = message.get_content()
    assert f"http://wolomin.satysfakcja.test/panel/eksporty/{job_id}" in body.replace(":80", "")
    with in_office(wolomin):
        assert db.session.get(ExportJob, job_id).email_status == "sent"

    # Sierpc sees nothing of it
    sierpc_admin = logged_in(sierpc)
    assert sierpc_admin.get(f"/panel/eksporty/{job_id}").status_code == 404
    assert sierpc_admin.get(f"/panel/eksporty/{job_id}/plik").status_code == 404
    assert admin.get("/panel/eksporty/99999999999999999999").status_code == 404


def test_a_large_xlsx_export_is_made_in_the_background_too(
    two_offices, store, logged_in, in_office, small_threshold
):
    wolomin, _ = two_offices
    ours = store(wolomin, THRESHOLD + 1)
    admin = logged_in(wolomin)
    job_id = job_id_of(admin.get(f"/panel/eksport.xlsx?{MARCH}"))
    assert wait_for_job(in_office, wolomin, job_id).status == "done"
    file = admin.get(f"/panel/eksporty/{job_id}/plik")
    sheet = load_workbook(io.BytesIO(file.get_data()), read_only=True)["Odpowiedzi"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("id", "data", "kanał", "wydział", "wynik")
    assert [row[0] for row in rows[1:]] == sorted(ours)


def test_exports_up_to_the_threshold_keep_streaming(
    two_offices, store, logged_in, in_office, small_threshold
):
    wolomin, sierpc = two_offices
    store(wolomin, THRESHOLD)
    store(sierpc, THRESHOLD + 5)  # another office's responses do not count
    admin = logged_in(wolomin)
    for path in ("/panel/eksport.csv", "/panel/eksport.xlsx"):
        response = admin.get(f"{path}?{MARCH}")
        assert response.status_code == 200 and response.is_streamed, path
    with in_office(wolomin):
        assert db.session.scalar(select(func.count(ExportJob.id))) == 0


def test_the_page_shows_the_progress_while_the_file_is_made(
    two_offices, store, logged_in, in_office, small_threshold
):
    wolomin, _ = two_offices
    store(wolomin, THRESHOLD + 1)
    admin = logged_in(wolomin)
    with in_office(wolomin):
        job = ExportJob(
            format="csv",
            args={"okres": "custom", "od": "2025-03-01", "do": "2025-03-31"},
            filename="odpowiedzi.csv",
            total=8000,
            rows_done=2000,
            status="running",
            started_at=utcnow(),
            email_status="none",
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    page = admin.get(f"/panel/eksporty/{job_id}").get_data(as_text=True)
    assert "2000 z 8000 odpowiedzi (25%)" in page
    assert '<progress class="export-progress" max="100" value="25"' in page
    assert 'data-poll="3"' in page  # static/live.js re-reads it; no timed reload
    assert admin.get(f"/panel/eksporty/{job_id}/plik").status_code == 404  # not ready yet


def test_asking_twice_for_the_same_export_while_it_waits_makes_one(
    two_offices, store, logged_in, in_office, small_threshold
):
    wolomin, _ = two_offices
    store(wolomin, THRESHOLD + 1)
    admin = logged_in(wolomin)
    with in_office(wolomin):
        job = ExportJob(
            format="csv",
            args={"okres": "custom", "od": "2025-03-01", "do": "2025-03-31"},
            filename="odpowiedzi.csv",
            total=5,
            status="running",  # as a worker holds it
            started_at=utcnow(),
            requested_by_id=None,
            email_status="none",
        )
        db.session.add(job)
        db.session.commit()
        theirs = job.id
    first = job_id_of(admin.get(f"/panel/eksport.csv?{MARCH}"))
    second = job_id_of(admin.get(f"/panel/eksport.csv?{MARCH}"))
    third = job_id_of(admin.get(f"/panel/eksport.xlsx?{MARCH}"))
    assert first == second != third
    assert first != theirs  # somebody else's export is not handed over


def test_the_task_is_idempotent_and_the_sweeper_resends_what_the_broker_lost(
    two_offices, store, in_office, small_threshold, dead_broker
):
    wolomin, _ = two_offices
    store(wolomin, THRESHOLD + 1)
    with in_office(wolomin):
        job = ExportJob(
            format="csv",
            args={"okres": "custom", "od": "2025-03-01", "do": "2025-03-31"},
            filename="odpowiedzi.csv",
            total=5,
            email_status="none",
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        task = dead_broker.tasks[make_export.name]
        assert enqueue(task, job_id=job_id, tenant_id=wolomin.id) is False
    time.sleep(0.5)
    with in_office(wolomin):
        job = db.session.get(ExportJob, job_id)
        assert job.status == "queued"
        job.queued_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
    assert sweep_stuck_exports() == 1
    done = wait_for_job(in_office, wolomin, job_id)
    assert (done.status, done.attempts) == ("done", 1)
    assert sweep_stuck_exports() == 0
    make_export(job_id=job_id, tenant_id=wolomin.id)  # sent again by mistake: nothing happens
    with in_office(wolomin):
        again = db.session.get(ExportJob, job_id)
        assert (again.status, again.attempts, again.content_sha256) == (
            "done",
            1,
            done.content_sha256,
        )


def test_an_export_whose_filters_no_longer_fit_fails_with_its_reason(
    two_offices, in_office, logged_in
):
    wolomin, _ = two_offices
    with in_office(wolomin):
        job = ExportJob(
            format="csv",
            args={"okres": "custom", "od": "2025-03-01", "do": "2025-03-31", "wydzial": "999999"},
            filename="odpowiedzi.csv",
            total=5,
            email_status="none",
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    make_export(job_id=job_id, tenant_id=wolomin.id)
    failed = wait_for_job(in_office, wolomin, job_id)
    assert failed.status == "failed" and "Nie ma takiego wydziału" in failed.error
    page = logged_in(wolomin).get(f"/panel/eksporty/{job_id}").get_data(as_text=True)
    assert "Nie udało się przygotować pliku" in page


def test_bad_filters_refuse_a_large_export_before_any_job(
    two_offices, store, logged_in, in_office, small_threshold
):
    wolomin, _ = two_offices
    store(wolomin, THRESHOLD + 1)
    refused = logged_in(wolomin).get(f"/panel/eksport.csv?{MARCH}&wynik_od=200")
    assert refused.status_code == 400
    assert "Wynik „od”: podaj liczbę od 0 do 100" in refused.get_data(as_text=True)
    with in_office(wolomin):
        assert db.session.scalar(select(func.count(ExportJob.id))) == 0


def test_export_jobs_are_invisible_to_the_app_role_without_an_office(
    two_offices, store, logged_in, in_office, small_threshold, database
):
    wolomin, sierpc = two_offices
    store(wolomin, THRESHOLD + 1)
    job_id = job_id_of(logged_in(wolomin).get(f"/panel/eksport.csv?{MARCH}"))
    wait_for_job(in_office, wolomin, job_id)
    connection = psycopg2.connect(host=PG_HOST, user=APP_ROLE, dbname=database.name)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM export_jobs")
            assert cursor.fetchone() == (0,)
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", (str(sierpc.id),))
            cursor.execute("SELECT count(*) FROM export_jobs")
            assert cursor.fetchone() == (0,)
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", (str(wolomin.id),))
            cursor.execute("SELECT count(*) FROM export_jobs")
            assert cursor.fetchone() == (1,)
    finally:
        connection.close()


def test_a_comment_search_is_decided_on_the_responses_before_the_search(
    two_offices, store, logged_in, in_office, small_threshold
):
    """The request does not run the comment search (a subquery per response) to decide: over
    the threshold before it, the worker makes the file, which holds only what it matches."""
    wolomin, _ = two_offices
    store(wolomin, THRESHOLD + 1, comment="Wszystko dobrze.")
    (parking,) = store(wolomin, 1, comment="Brak miejsc na parkingu.")
    admin = logged_in(wolomin)
    job_id = job_id_of(admin.get(f"/panel/eksport.csv?{MARCH}&q=parking"))
    job = wait_for_job(in_office, wolomin, job_id)
    assert (job.status, job.total) == ("done", 1)
    rows = job.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and rows[1].startswith(f"{parking};")


def test_an_xlsx_goes_to_the_worker_at_a_lower_threshold_than_a_csv(
    two_offices, store, logged_in, in_office, app, monkeypatch
):
    # A workbook is written whole before its first byte; a CSV streams as it is read.
    wolomin, sierpc = two_offices
    store(wolomin, 5)
    store(sierpc, 7)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_THRESHOLD", 20000)
    monkeypatch.setitem(app.config, "EXPORT_XLSX_BACKGROUND_THRESHOLD", 4)
    admin = logged_in(wolomin, "admin")
    streamed = admin.get(f"/panel/eksport.csv?{MARCH}")
    assert streamed.status_code == 200 and streamed.get_data(as_text=True).count("\n") == 6
    job = wait_for_job(in_office, wolomin, job_id_of(admin.get(f"/panel/eksport.xlsx?{MARCH}")))
    assert (job.format, job.status, job.total) == ("xlsx", "done", 5)
    monkeypatch.setitem(app.config, "EXPORT_XLSX_BACKGROUND_THRESHOLD", 5)
    workbook = admin.get(f"/panel/eksport.xlsx?{MARCH}")
    assert workbook.status_code == 200
    assert load_workbook(io.BytesIO(workbook.get_data())).active.max_row == 6
