"""A department manager sees the results, responses, comments, reports, actions and exports of
their own departments only: every panel URL with another department's (or another office's)
ids is a 404 (a 403 on admin-only pages), the filters refuse another department, and the
figures count only their departments' responses.

Wołomin has departments A and B: A has 7 responses, B 5, and 3 name no department; Sierpc has
4 of its own. The manager leads A.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db
from tenants.accounts.models import StaffUser
from tenants.actions.models import Action
from tenants.exports.models import ExportJob
from tenants.reports import services as reports
from tenants.reports.stats import compute_results
from tenants.survey.definition import live_version_id, published_version
from tenants.survey.filters import Filters
from tenants.survey.forms import check_submission
from tenants.survey.models import Department
from tenants.survey.services import submit_response
from tests.conftest import csrf_token_of

MARCH = "okres=custom&od=2025-03-01&do=2025-03-31"
IN_MARCH = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
A_COUNT, B_COUNT, NONE_COUNT, SIERPC_COUNT = 7, 5, 3, 4


@dataclass
class Scene:
    a: int
    b: int
    a_responses: list[int]
    b_responses: list[int]
    none_responses: list[int]
    sierpc_responses: list[int]
    ids: dict[str, list[int]]  # URL argument -> ids the manager must not reach


@pytest.fixture
def store(in_office, complete_answers):
    """Factory: store a complete response in March 2025 (naming ``department``)."""

    def store(office, department: int | None, comment: str) -> int:
        with in_office(office) as tenant:
            version = published_version(live_version_id())
            departments = frozenset(db.session.scalars(select(Department.id)))
            fields = complete_answers(department, comment)
            fields.update({"kanal": "web", "submission": str(uuid.uuid4())})
            check = check_submission(version, MultiDict(fields), departments, 2000)
            assert not check.errors, check.errors
            response_id = submit_response(
                tenant.id, tenant.timezone, version, check.submission, IN_MARCH
            )
            db.session.commit()
        return response_id

    return store


def _departments(in_office, office) -> list[int]:
    with in_office(office):
        return list(db.session.scalars(select(Department.id).order_by(Department.position)))


def _objects(in_office, office, department: int | None, admin_email: str) -> dict[str, int]:
    """A report, an action and an admin's export job of ``department`` (None: office-wide)."""
    with in_office(office) as tenant:
        admin = db.session.scalar(select(StaffUser).where(StaffUser.email == admin_email))
        report = reports.request_report(
            "on_demand", date(2025, 1, 1), date(2025, 3, 31), department_id=department,
            today=tenant.today(),
        )  # fmt: skip
        report.status, report.pdf, report.pdf_size = "done", b"%PDF-1.4 x", 10
        report.html, report.html_size = "<html></html>", 13
        action = Action(
            title="Krótsze kolejki", kind="corrective", status="planned",
            item_keys=["czas_oczekiwania"], department_ids=[department] if department else [],
        )  # fmt: skip
        job = ExportJob(
            format="csv", args={}, filename="x.csv", total=1, requested_by_id=admin.id,
            status="done", content=b"x", email_status="none",
        )  # fmt: skip
        db.session.add_all([action, job])
        db.session.commit()
        return {"report_id": report.id, "action_id": action.id, "job_id": job.id}


@pytest.fixture
def scene(two_offices, store, in_office, make_staff) -> Scene:
    wolomin, sierpc = two_offices
    a, b = _departments(in_office, wolomin)[:2]
    (sierpc_department,) = _departments(in_office, sierpc)[:1]
    a_ids = [store(wolomin, a, f"Komentarz A{i}") for i in range(A_COUNT)]
    b_ids = [store(wolomin, b, f"Komentarz B{i}") for i in range(B_COUNT)]
    none_ids = [store(wolomin, None, f"Komentarz bez wydziału {i}") for i in range(NONE_COUNT)]
    sierpc_ids = [store(sierpc, sierpc_department, "Z Sierpca") for _ in range(SIERPC_COUNT)]
    admin = make_staff(wolomin, "admin")
    other_admin = make_staff(sierpc, "admin")
    theirs_b = _objects(in_office, wolomin, b, admin)
    theirs_office = _objects(in_office, wolomin, None, admin)
    theirs_sierpc = _objects(in_office, sierpc, sierpc_department, other_admin)
    ids = {
        name: [theirs_b[name], theirs_office[name], theirs_sierpc[name]]
        for name in ("report_id", "action_id", "job_id")
    }
    ids["response_id"] = [b_ids[0], none_ids[0], sierpc_ids[0]]
    ids["department_id"] = [b, sierpc_department]
    ids["user_id"] = []  # filled per test (admin-only pages)
    return Scene(a, b, a_ids, b_ids, none_ids, sierpc_ids, ids)


@pytest.fixture
def manager(scene, two_offices, logged_in):
    return logged_in(two_offices[0], "manager", departments=[scene.a])


# Admin-only pages: a manager gets a 403 there, as an analyst does.
ADMIN_ONLY_ID_ARGS = {"user_id", "department_id", "entry_id", "topic_id", "device_id"}
# Admin-only routes whose id is a response or an action: refused before the lookup.
ADMIN_ONLY_ENDPOINTS = {"panel.actions.edit", "panel.moderation_decide"}


def _panel_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/panel/")]


def test_every_panel_url_with_another_departments_or_offices_id_is_refused(
    app, scene, manager, two_offices, in_office
):
    """Every /panel/ route with an id, asked with department B's object, an office-wide
    object, a response naming no department, or Sierpc's: 404 (403 on admin-only pages)."""
    with in_office(two_offices[0]):
        scene.ids["user_id"] = list(db.session.scalars(select(StaffUser.id)))
        scene.ids["entry_id"] = [1]
        scene.ids["topic_id"] = [1]
        scene.ids["device_id"] = [1]
    token = csrf_token_of(manager.get("/panel/konto").get_data(as_text=True))
    checked = set()
    for rule in _panel_rules(app):
        id_args = [
            a
            for a in rule.arguments
            if rule._converters[a].__class__.__name__ == "IntegerConverter"
        ]
        if not id_args:
            continue
        (arg,) = id_args
        assert arg in scene.ids, f"{rule.rule}: no test ids for <{arg}>; add them to the scene"
        extra = {"question_key": "komentarz"}
        for object_id in scene.ids[arg]:
            path = rule.build({arg: object_id, **extra}, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if method == "GET":
                    response = manager.get(path)
                else:
                    response = manager.post(path, data={"csrf_token": token, "status": "read"})
                admin_only = arg in ADMIN_ONLY_ID_ARGS or rule.endpoint in ADMIN_ONLY_ENDPOINTS
                expected = 403 if admin_only else 404
                assert response.status_code == expected, (method, path, response.status_code)
                checked.add(rule.endpoint)
    assert {
        "panel.response_detail", "panel.reports.pdf", "panel.reports.html", "panel.reports.retry",
        "panel.export_job", "panel.export_job_file", "panel.actions.detail",
        "panel.actions.add_note", "panel.comments.triage", "panel.staff_edit",
    } <= checked  # fmt: skip


def test_the_managers_own_objects_open(scene, manager, in_office, two_offices):
    """The same routes with department A's objects work: the 404s above are the scope."""
    assert manager.get(f"/panel/odpowiedzi/{scene.a_responses[0]}").status_code == 200
    with in_office(two_offices[0]):
        reports_of_a = reports.request_report(
            "on_demand", date(2025, 1, 1), date(2025, 3, 31), department_id=scene.a
        )
        reports_of_a.status, reports_of_a.pdf, reports_of_a.pdf_size = "done", b"%PDF-1.4 a", 10
        action = Action(title="Wydział A", kind="corrective", department_ids=[scene.a])
        db.session.add(action)
        db.session.commit()
        report_id, action_id = reports_of_a.id, action.id
    assert manager.get(f"/panel/raporty/{report_id}/pdf").status_code == 200
    assert manager.get(f"/panel/dzialania/{action_id}").status_code == 200
    listing = manager.get("/panel/raporty").get_data(as_text=True)
    assert f"/panel/raporty/{report_id}/pdf" in listing
    assert not re.search(rf"/panel/raporty/{scene.ids['report_id'][0]}/", listing)
    assert not re.search(rf"/panel/raporty/{scene.ids['report_id'][1]}/", listing)
    actions = manager.get("/panel/dzialania").get_data(as_text=True)
    assert f"/panel/dzialania/{action_id}" in actions
    assert f'/panel/dzialania/{scene.ids["action_id"][0]}"' not in actions


def test_pages_without_ids_show_only_the_managers_departments(app, scene, manager):
    """Every GET page of the panel without an id answers (no 500), admin-only ones with a 403;
    the dashboard, the responses and the comments count only A's responses."""
    for rule in _panel_rules(app):
        if rule.arguments or "GET" not in rule.methods:
            continue
        response = manager.get(f"{rule.rule}?{MARCH}")
        assert response.status_code in (200, 302, 403), (rule.rule, response.status_code)
    dashboard = manager.get(f"/panel/?{MARCH}").get_data(as_text=True)
    assert re.search(r'id="liczba-odpowiedzi">7<', dashboard)
    assert "Wyniki wydziału:" in dashboard
    listed = manager.get(f"/panel/odpowiedzi?{MARCH}").get_data(as_text=True)
    shown = {int(i) for i in re.findall(r'<th scope="row"><a href="[^"]+">(\d+)<', listed)}
    assert shown == set(scene.a_responses)
    comments = manager.get(f"/panel/komentarze?{MARCH}").get_data(as_text=True)
    assert comments.count("Komentarz A") == A_COUNT
    assert "Komentarz B" not in comments and "bez wydziału" not in comments


@pytest.mark.parametrize(
    "path",
    ["/panel/", "/panel/odpowiedzi", "/panel/komentarze", "/panel/wyniki/pytanie/czas_oczekiwania"],
)
def test_another_departments_filter_is_refused_with_a_polish_message(scene, manager, path):
    for other in (str(scene.b), "brak", "999999"):
        response = manager.get(f"{path}?{MARCH}&wydzial={other}")
        assert response.status_code == 400, (path, other)
        html = response.get_data(as_text=True)
        assert "Ten wydział nie należy do Twoich wydziałów" in html
        assert "Komentarz B" not in html


def test_the_filter_offers_only_the_managers_departments(scene, manager, in_office, two_offices):
    html = manager.get(f"/panel/?{MARCH}").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="wydzial".*?</select>', html, re.S).group(0)
    values = set(re.findall(r'<option value="([^"]*)"', select_html))
    assert values - {""} == {str(scene.a)}


def test_exports_hold_only_the_managers_departments_rows(scene, manager):
    csv_body = manager.get(f"/panel/eksport.csv?{MARCH}").get_data()
    rows = list(csv.reader(io.StringIO(csv_body[3:].decode("utf-8")), delimiter=";"))
    assert len(rows) - 1 == A_COUNT
    xlsx = manager.get(f"/panel/eksport.xlsx?{MARCH}").get_data()
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.max_row - 1 == A_COUNT


def test_a_background_export_holds_only_the_managers_departments_rows(
    app, scene, manager, in_office, two_offices, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_THRESHOLD", 2)
    response = manager.get(f"/panel/eksport.csv?{MARCH}")
    assert response.status_code == 303
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    import time

    deadline = time.monotonic() + 60
    while True:
        with in_office(two_offices[0]):
            job = db.session.get(ExportJob, job_id)
            status, content = job.status, job.content
        if status in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == "done"
    rows = list(csv.reader(io.StringIO(content[3:].decode("utf-8")), delimiter=";"))
    assert len(rows) - 1 == A_COUNT
    assert manager.get(f"/panel/eksporty/{job_id}/plik").status_code == 200


def test_results_read_with_a_scope_count_only_its_departments(scene, in_office, two_offices):
    """The scope is in the query, not the page: dropping it from ``Filters`` changes the count."""
    march = Filters(date(2025, 3, 1), date(2025, 3, 31))
    with in_office(two_offices[0]) as tenant:
        office = compute_results(march, tenant.score_threshold).responses
        scoped = Filters(march.date_from, march.date_to, scope=frozenset({scene.a}))
        only_a = compute_results(scoped, tenant.score_threshold).responses
    assert office == A_COUNT + B_COUNT + NONE_COUNT
    assert only_a == A_COUNT


def test_whole_office_pages_and_menu_entries_are_not_the_managers(scene, manager):
    assert manager.get("/panel/do-sprawdzenia").status_code == 403
    assert manager.get("/panel/ankieta-papierowa").status_code == 403
    assert manager.get("/panel/uzytkownicy").status_code == 403
    html = manager.get(f"/panel/?{MARCH}").get_data(as_text=True)
    nav = re.search(r"<nav.*?</nav>", html, re.S).group(0)
    for hidden in ("/panel/do-sprawdzenia", "/panel/ankieta-papierowa", "/panel/uzytkownicy"):
        assert hidden not in nav
    for shown in ("/panel/odpowiedzi", "/panel/komentarze", "/panel/raporty", "/panel/dzialania"):
        assert shown in nav


def test_a_manager_asks_for_reports_of_their_departments_only(scene, manager):
    page = manager.get("/panel/raporty").get_data(as_text=True)
    token = csrf_token_of(page)
    select_html = re.search(r'<select[^>]*name="department".*?</select>', page, re.S).group(0)
    assert set(re.findall(r'<option value="([^"]*)"', select_html)) == {str(scene.a)}
    for department in (str(scene.b), ""):
        refused = manager.post(
            "/panel/raporty",
            data={"csrf_token": token, "period": "last_year", "department": department},
        )
        assert refused.status_code == 422
        assert "wydział" in refused.get_data(as_text=True).lower()
