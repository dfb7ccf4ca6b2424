"""The survey editor: drafts, validation, preview, diff, publishing with the pre-change report,
and published versions that never change."""

from __future__ import annotations

import html
import threading
import time
from datetime import date

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from saas_platform.core.db import db, utcnow
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.tenancy.isolation import ensure_tenant_setting
from tenants.audit.models import AuditEntry
from tenants.office import survey_editor as editor
from tenants.reports.models import Report
from tenants.reports.pdf import ReportRequest, build_report_pdf
from tenants.reports.stats import versions_note
from tenants.survey import drafts
from tenants.survey.models import (
    Department,
    PublishedVersionChange,
    Question,
    Response,
    ResponseCount,
    Section,
    SurveyDraft,
    SurveyVersion,
)
from tenants.survey.template import InvalidTemplate
from tests.conftest import csrf_token_of
from tests.reports.test_end_to_end import pdf_text, wait_for_report


def _post(client, path: str, data: dict | None = None, page: str = "/panel/ankieta"):
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **(data or {})})


def _start_draft(client, source: str = "aktualna"):
    response = _post(client, "/panel/ankieta/szkic", {"zrodlo": source})
    assert response.status_code == 302
    return response


def _question_form(**fields) -> dict:
    base = {
        "key": "nowe_pytanie",
        "kind": "rating",
        "section": "uwagi",
        "text": "Jak oceniasz nowe pytanie?",
        "help_text": "",
        "not_applicable": "y",
        "options": "",
    }
    base.update(fields)
    return base


def _add_question(client, section="uwagi", **fields):
    return _post(
        client,
        f"/panel/ankieta/szkic/sekcje/{section}/pytania",
        _question_form(section=section, **fields),
    )


def _draft(in_office, office) -> SurveyDraft | None:
    with in_office(office):
        draft = db.session.scalar(select(SurveyDraft))
        if draft is not None:
            db.session.expunge(draft)
        return draft


def _version_rows(in_office, office) -> list:
    """Every published row of the office's survey, as plain tuples."""
    with in_office(office):
        versions = db.session.execute(
            select(SurveyVersion.id, SurveyVersion.number, SurveyVersion.title)
        ).all()
        sections = db.session.execute(
            select(Section.id, Section.key, Section.title, Section.position)
        ).all()
        questions = db.session.execute(
            select(Question.id, Question.key, Question.text, Question.kind, Question.options)
        ).all()
        return (
            sorted(map(tuple, versions))
            + sorted(map(tuple, sections))
            + sorted((q[0], q[1], q[2], q[3], str(q[4])) for q in questions)
        )


def test_admin_edits_a_draft_while_the_live_survey_runs_unchanged(
    two_offices, logged_in, client_for, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    assert (
        _add_question(
            admin,
            key="powod_wizyty",
            kind="single_choice",
            text="Po co przyszedłeś?",
            options="wniosek = Złożenie wniosku\nOdbiór dowodu",
        ).status_code
        == 302
    )
    edit = _question_form(
        key="lokalizacja", section="wizerunek", text="Dojazd do urzędu", required="y"
    )
    assert _post(admin, "/panel/ankieta/szkic/pytania/lokalizacja", edit).status_code == 302
    assert _post(admin, "/panel/ankieta/szkic/pytania/parking/usun").status_code == 302
    moved = _post(admin, "/panel/ankieta/szkic/pytania/oznakowanie/przesun", {"kierunek": "gora"})
    assert moved.status_code == 302

    draft = _draft(in_office, wolomin)
    _, added = drafts.find_question(draft.definition, "powod_wizyty")
    assert added["options"] == [
        {"key": "wniosek", "label": "Złożenie wniosku"},
        {"key": "odbior_dowodu", "label": "Odbiór dowodu"},
    ]
    wizerunek = drafts.find_section(draft.definition, "wizerunek")
    assert [q["key"] for q in wizerunek["questions"][:2]] == ["oznakowanie", "lokalizacja"]
    assert wizerunek["questions"][1]["required"] is True

    # The residents still answer the live version.
    resident = client_for(wolomin).get("/").get_data(as_text=True)
    assert "Dostępność miejsc parkingowych" in resident and "Po co przyszedłeś?" not in resident

    page = admin.get("/panel/ankieta").get_data(as_text=True)
    assert "Nowe pytanie: „Po co przyszedłeś?” (powod_wizyty)" in page
    assert "Zmienione pytanie: „Dojazd do urzędu” (lokalizacja): treść, wymagalność" in page
    assert "Usunięte pytanie: „Dostępność miejsc parkingowych” (parking)" in page

    # The other office has no draft and sees none.
    assert _draft(in_office, sierpc) is None
    other = logged_in(sierpc)
    assert "Szkic nie" not in other.get("/panel/ankieta").get_data(as_text=True)
    assert "powod_wizyty" not in other.get("/panel/ankieta").get_data(as_text=True)
    with in_office(wolomin):
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("survey.draft_edit") == 4 and "survey.draft_start" in actions


def test_sections_are_added_edited_moved_and_removed(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    added = _post(admin, "/panel/ankieta/szkic/sekcje", {"key": "dodatkowe", "title": "Dodatkowe"})
    assert added.status_code == 302
    edited = _post(
        admin,
        "/panel/ankieta/szkic/sekcje/dodatkowe",
        {
            "key": "dodatkowe",
            "title": "Pytania dodatkowe",
            "description": "Opis",
            "en_title": "Extra",
        },
    )
    assert edited.status_code == 302
    _post(admin, "/panel/ankieta/szkic/sekcje/dodatkowe/przesun", {"kierunek": "gora"})
    keys = [s["key"] for s in _draft(in_office, wolomin).definition["sections"]]
    assert keys[-2:] == ["dodatkowe", "uwagi"]
    section = drafts.find_section(_draft(in_office, wolomin).definition, "dodatkowe")
    assert section["translations"] == {"en": {"title": "Extra"}}
    _post(admin, "/panel/ankieta/szkic/sekcje/metryka/usun")
    definition = _draft(in_office, wolomin).definition
    assert "metryka" not in [s["key"] for s in definition["sections"]]
    with pytest.raises(InvalidTemplate):
        drafts.find_question(definition, "wiek")


def test_preview_shows_the_draft_exactly_as_residents_will_see_it(two_offices, logged_in):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    _add_question(admin, key="czy_polecisz", kind="yes_no", text="Czy polecisz nasz urząd?")
    page = admin.get("/panel/ankieta/podglad").get_data(as_text=True)
    assert "Czy polecisz nasz urząd?" in page
    assert 'name="q-czy_polecisz" value="tak"' in page  # the residents' own macros
    assert 'name="q-lokalizacja"' in page
    assert 'name="submission"' not in page and "disabled" in page  # cannot be sent


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"key": "lokalizacja"}, "Klucz pytania &#39;lokalizacja&#39; powtarza się"),
        ({"key": "Zły klucz"}, "Niepoprawny klucz pytania"),
        ({"kind": "single_choice", "options": ""}, "pytanie wyboru potrzebuje co najmniej 2 opcji"),
        ({"kind": "multiple_choice", "options": "Jedna"}, "co najmniej 2 opcji"),
        ({"text": "x" * 501}, "Treść pytania nowe_pytanie może mieć najwyżej 500 znaków"),
        ({"help_text": "x" * 1001}, "najwyżej 1000 znaków"),
        ({"text": ""}, "treść jest wymagana"),
        (
            {"kind": "single_choice", "options": "a = A\nb = B", "en_options": "c = C"},
            "opcji, której nie ma w pytaniu",
        ),
        (
            {"kind": "single_choice", "options": "a = A\nb = B", "uk_options": "a"},
            "klucz = tłumaczenie",
        ),
    ],
)
def test_an_invalid_question_is_refused_with_a_clear_message(
    two_offices, logged_in, in_office, fields, message
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    before = _draft(in_office, wolomin)
    response = _add_question(admin, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    after = _draft(in_office, wolomin)
    assert (after.revision, after.definition) == (before.revision, before.definition)


def test_rating_scale_out_of_range_and_empty_draft_are_refused(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    with in_office(wolomin):
        draft = editor.current_draft(lock=True)
        with pytest.raises(InvalidTemplate, match="skala ocen musi mieć 5 stopni"):
            editor.edit_draft(
                draft,
                lambda d: drafts.add_question(
                    d, "uwagi", {"key": "skala", "text": "Skala", "kind": "rating", "scale": 7}
                ),
                "question.add",
            )
        db.session.rollback()
    for section in [s["key"] for s in _draft(in_office, wolomin).definition["sections"]]:
        _post(admin, f"/panel/ankieta/szkic/sekcje/{section}/usun")
    assert _draft(in_office, wolomin).definition["sections"] == []
    revision = _draft(in_office, wolomin).revision
    refused = _post(admin, "/panel/ankieta/publikuj", {"wersja_szkicu": str(revision)})
    page = admin.get("/panel/ankieta").get_data(as_text=True)
    assert refused.status_code == 303
    assert "Ankieta musi zawierać co najmniej jedno pytanie." in page
    with in_office(wolomin):
        assert db.session.scalar(select(func.count()).select_from(SurveyVersion)) == 1
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_a_key_keeps_its_kind_across_versions(two_offices, logged_in):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    edit = _question_form(key="parking", section="wizerunek", kind="text", text="Parking?")
    response = _post(admin, "/panel/ankieta/szkic/pytania/parking", edit)
    assert response.status_code == 422
    assert "nadaj pytaniu nowy klucz" in response.get_data(as_text=True)


def test_analyst_may_look_but_not_edit(two_offices, logged_in, make_staff, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    analyst = logged_in(wolomin, role="analyst")
    assert analyst.get("/panel/ankieta").status_code == 200
    assert analyst.get("/panel/ankieta/podglad").status_code == 200
    assert analyst.get("/panel/ankieta/szkic/ogolne").status_code == 403
    assert _post(analyst, "/panel/ankieta/szkic/usun").status_code == 403
    revision = _draft(in_office, wolomin).revision
    assert _post(analyst, "/panel/ankieta/publikuj", {"wersja_szkicu": revision}).status_code == 403


def test_restoring_the_default_template_makes_a_draft(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    _post(admin, "/panel/ankieta/szkic/pytania/parking/usun")
    _start_draft(admin, "szablon")
    draft = _draft(in_office, wolomin)
    assert drafts.find_question(draft.definition, "parking")[1]["text"].startswith("Dostępność")
    assert "Szkic nie różni się od aktualnej wersji." in admin.get("/panel/ankieta").get_data(
        as_text=True
    )


def _submit(client, complete_answers, address: str) -> int:
    form = {**client.survey_form(), **complete_answers()}
    return client.post("/", data=form, environ_base={"REMOTE_ADDR": address}).status_code


def test_publishing_makes_the_pre_change_report_then_the_new_live_version(
    two_offices, logged_in, client_for, in_office, complete_answers
):
    wolomin, sierpc = two_offices
    resident = client_for(wolomin)
    for n in range(3):
        assert _submit(resident, complete_answers, f"203.0.113.{n}") == 303
    admin = logged_in(wolomin)
    _start_draft(admin)
    _add_question(admin, key="polecenie", kind="yes_no", text="Czy polecisz urząd znajomym?")
    before = _version_rows(in_office, wolomin)

    confirm = admin.get("/panel/ankieta/publikuj").get_data(as_text=True)
    assert "przygotuje raport „przed zmianą ankiety” z dotychczasowych wyników" in confirm
    assert "ze wszystkich wersji ankiety" in confirm
    revision = _draft(in_office, wolomin).revision
    published = _post(admin, "/panel/ankieta/publikuj", {"wersja_szkicu": str(revision)})
    assert published.status_code == 302

    with in_office(wolomin):
        versions = db.session.scalars(select(SurveyVersion).order_by(SurveyVersion.number)).all()
        report = db.session.scalars(select(Report)).one()
        entries = {e.action: e for e in db.session.scalars(select(AuditEntry))}
        assert db.session.scalar(select(SurveyDraft)) is None
        assert [v.number for v in versions] == [1, 2]
        new_id = versions[1].id
    assert report.kind == "pre_change"
    assert entries["report.pre_change"].object_id == report.id
    assert entries["survey.publish"].object_id == new_id
    assert entries["survey.publish"].after["pre_change_report_id"] == report.id
    assert entries["survey.publish"].after["added"] == ["polecenie"]
    # The old version's rows are exactly as they were.
    assert set(before) <= set(_version_rows(in_office, wolomin))

    log = admin.get("/panel/dziennik").get_data(as_text=True)
    assert "Publikacja nowej wersji ankiety" in log and "Raport przed zmianą" in log
    entry = html.unescape(
        admin.get(f"/panel/dziennik/{entries['survey.publish'].id}").get_data(as_text=True)
    )
    # the entry names the report it is linked to (ids are in the CSV export only)
    assert "raport przed zmianą ankiety za" in entry and "pre_change_report_id" not in entry

    done = wait_for_report(in_office, wolomin, report.id)
    assert done.status == "done", done.error
    reports_page = admin.get("/panel/raporty").get_data(as_text=True)
    assert "Raport przed zmianą ankiety" in reports_page
    assert "Czy polecisz urząd znajomym?" in client_for(wolomin).get("/").get_data(as_text=True)

    # Sierpc: still version 1, no report, no draft.
    assert "Czy polecisz" not in client_for(sierpc).get("/").get_data(as_text=True)
    with in_office(sierpc):
        assert db.session.scalar(select(func.count()).select_from(SurveyVersion)) == 1
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_publishing_a_draft_that_changed_meanwhile_is_a_conflict(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    first, second = logged_in(wolomin), logged_in(wolomin, email="drugi@wolomin.example")
    _start_draft(first)
    seen = _draft(in_office, wolomin).revision
    assert _post(first, "/panel/ankieta/publikuj", {"wersja_szkicu": str(seen)}).status_code == 302
    late = _post(second, "/panel/ankieta/publikuj", {"wersja_szkicu": str(seen)})
    assert late.status_code == 303
    assert "ktoś inny właśnie go opublikował" in second.get("/panel/ankieta").get_data(as_text=True)
    with in_office(wolomin):
        assert db.session.scalar(select(func.count()).select_from(SurveyVersion)) == 2
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1


def test_two_admins_publishing_at_the_same_moment_make_exactly_one_version(
    app, two_offices, logged_in, in_office
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    revision = _draft(in_office, wolomin).revision
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def publish() -> None:
        with in_office(wolomin):
            barrier.wait()
            try:
                editor.publish_draft(revision, date.today(), None, [])
                db.session.commit()
                outcomes.append("published")
            except editor.PublishConflict as exc:
                db.session.rollback()
                outcomes.append(f"conflict: {exc}")

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "published"]
    with in_office(wolomin):
        assert db.session.scalar(select(func.count()).select_from(SurveyVersion)) == 2
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1


def test_responses_submitted_while_publishing_land_in_exactly_one_version(
    app, two_offices, logged_in, client_for, in_office, complete_answers
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    revision = _draft(in_office, wolomin).revision
    accepted: list[int] = []
    stop = threading.Event()

    def submit_in_a_loop() -> None:
        resident = client_for(wolomin)
        n = 0
        while not stop.is_set() or n < 10:
            n += 1
            status = _submit(resident, complete_answers, f"198.51.100.{n % 250}")
            assert status == 303, status
            accepted.append(n)

    worker = threading.Thread(target=submit_in_a_loop)
    worker.start()
    while len(accepted) < 5:
        threading.Event().wait(0.05)
    assert (
        _post(admin, "/panel/ankieta/publikuj", {"wersja_szkicu": str(revision)}).status_code == 302
    )
    after_publish = len(accepted)
    # Forms opened before the publication (or a blank page another request cached for up to
    # SURVEY_PAGE_CACHE_SECONDS) still answer the old version; go on until fresh forms arrive.
    settle = time.monotonic() + app.config["SURVEY_PAGE_CACHE_SECONDS"] + 1
    while len(accepted) < after_publish + 5 or time.monotonic() < settle:
        threading.Event().wait(0.05)
    stop.set()
    worker.join(60)

    with in_office(wolomin):
        by_version = dict(
            db.session.execute(
                select(Response.version_id, func.count()).group_by(Response.version_id)
            ).all()
        )
        counted = dict(
            db.session.execute(
                select(ResponseCount.version_id, func.sum(ResponseCount.count))
                .where(ResponseCount.question_key == "*")
                .group_by(ResponseCount.version_id)
            ).all()
        )
        keys = db.session.scalar(select(func.count(func.distinct(Response.submission_key))))
    assert sum(by_version.values()) == len(accepted) == keys  # none lost, none doubled
    assert len(by_version) == 2  # some before, some after the publication
    assert counted == by_version
    with in_office(sierpc):
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_a_published_version_never_changes_through_the_orm(two_offices, in_office):
    wolomin, _ = two_offices
    with in_office(wolomin):
        question = db.session.scalars(select(Question).where(Question.key == "parking")).one()
        question.text = "Zmienione"
        with pytest.raises(PublishedVersionChange):
            db.session.flush()
        db.session.rollback()

        version = db.session.scalars(select(SurveyVersion)).one()
        version.title = "Inny tytuł"
        with pytest.raises(PublishedVersionChange):
            db.session.flush()
        db.session.rollback()

        version = db.session.scalars(select(SurveyVersion)).one()
        db.session.delete(version)
        with pytest.raises(PublishedVersionChange):
            db.session.flush()
        db.session.rollback()

        section = db.session.scalars(select(Section)).first()
        db.session.add(
            Section(version_id=section.version_id, key="nowa", position=99, title="Nowa")
        )
        with pytest.raises(PublishedVersionChange):
            db.session.flush()
        db.session.rollback()

        with pytest.raises(PublishedVersionChange):
            db.session.execute(update(Question).values(text="x"))
        db.session.rollback()
        with pytest.raises(PublishedVersionChange):
            db.session.execute(delete(SurveyVersion))
        db.session.rollback()


def test_the_database_refuses_to_change_a_published_version(two_offices, in_office):
    wolomin, _ = two_offices
    statements = [
        "UPDATE survey_questions SET text = 'x'",
        "DELETE FROM survey_questions",
        "UPDATE survey_versions SET title = 'x'",
        "DELETE FROM survey_sections",
        "INSERT INTO survey_sections (tenant_id, version_id, key, position, title) "
        "SELECT tenant_id, id, 'nowa', 99, 'Nowa' FROM survey_versions",
    ]
    for statement in statements:
        with in_office(wolomin):
            ensure_tenant_setting()  # raw SQL: RLS would otherwise show it no rows at all
            with pytest.raises(IntegrityError, match="published and cannot change"):
                db.session.execute(text(statement))
            db.session.rollback()


# -- departments: changes that affect results -------------------------------------------------


def _department_ids(in_office, office) -> dict[str, int]:
    with in_office(office):
        return dict(db.session.execute(select(Department.name, Department.id)).all())


def _count_totals(in_office, office) -> dict:
    with in_office(office):
        rows = db.session.execute(
            select(
                ResponseCount.department_id,
                ResponseCount.question_key,
                ResponseCount.value,
                func.sum(ResponseCount.count),
            ).group_by(ResponseCount.department_id, ResponseCount.question_key, ResponseCount.value)
        ).all()
    return {(d, k, v): int(n) for d, k, v, n in rows}


def test_merging_departments_moves_responses_and_counts_after_a_pre_change_report(
    two_offices, logged_in, client_for, in_office, complete_answers
):
    wolomin, sierpc = two_offices
    ids = _department_ids(in_office, wolomin)
    source, target = ids["Biuro Obsługi Mieszkańców"], ids["Urząd Stanu Cywilnego"]
    resident = client_for(wolomin)
    for n, department in enumerate([source] * 3 + [target] * 2):
        form = {**resident.survey_form(), **complete_answers(department_id=department)}
        response = resident.post("/", data=form, environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
        assert response.status_code == 303
    other = client_for(sierpc)
    sierpc_target = _department_ids(in_office, sierpc)["Urząd Stanu Cywilnego"]
    form = {**other.survey_form(), **complete_answers(department_id=sierpc_target)}
    assert other.post("/", data=form).status_code == 303
    before = _count_totals(in_office, wolomin)
    sierpc_before = _count_totals(in_office, sierpc)

    admin = logged_in(wolomin)
    page = admin.get(f"/panel/wydzialy/{source}").get_data(as_text=True)
    assert "system sam przygotowuje raport „przed zmianą”" in page
    merged = _post(
        admin,
        f"/panel/wydzialy/{source}/polacz",
        {"docelowy": str(target)},
        f"/panel/wydzialy/{source}",
    )
    assert merged.status_code == 302

    after = _count_totals(in_office, wolomin)
    assert not [key for key in after if key[0] == source]
    assert after[(target, "*", "")] == 5
    for department, key, value in before:  # nothing lost, nothing doubled
        if department in (source, target):
            assert after[(target, key, value)] == before.get((source, key, value), 0) + before.get(
                (target, key, value), 0
            )
    assert sum(after.values()) == sum(before.values())
    with in_office(wolomin):
        by_department = dict(
            db.session.execute(
                select(Response.department_id, func.count()).group_by(Response.department_id)
            ).all()
        )
        assert by_department == {target: 5}
        assert db.session.get(Department, source).is_active is False
        report = db.session.scalars(select(Report)).one()
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "department.merge")
        ).one()
    assert report.kind == "pre_change"
    assert entry.after["pre_change_report_id"] == report.id and entry.after["merged_into"] == target
    assert _count_totals(in_office, sierpc) == sierpc_before
    with in_office(sierpc):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_merging_into_itself_or_another_offices_department_is_refused(
    two_offices, logged_in, in_office
):
    wolomin, sierpc = two_offices
    source = _department_ids(in_office, wolomin)["Biuro Obsługi Mieszkańców"]
    foreign = _department_ids(in_office, sierpc)["Urząd Stanu Cywilnego"]
    admin = logged_in(wolomin)
    page = f"/panel/wydzialy/{source}"
    itself = _post(admin, f"{page}/polacz", {"docelowy": str(source)}, page)
    assert itself.status_code == 422
    assert "Wybierz inny wydział" in itself.get_data(as_text=True)
    elsewhere = _post(admin, f"{page}/polacz", {"docelowy": str(foreign)}, page)
    assert elsewhere.status_code == 422
    assert "Wybierz z listy wydział" in elsewhere.get_data(as_text=True)
    with in_office(wolomin):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0
        assert db.session.get(Department, source).is_active is True


def test_renaming_or_deactivating_a_department_first_makes_a_pre_change_report(
    two_offices, logged_in, in_office, client_for, complete_answers
):
    wolomin, sierpc = two_offices
    department = _department_ids(in_office, wolomin)["Wydział Ochrony Środowiska"]
    admin = logged_in(wolomin)
    page = f"/panel/wydzialy/{department}"
    assert _post(admin, page, {"name": "Wydział Środowiska"}, page).status_code == 302
    # a response after the first report: the second change needs a report of its own
    assert _submit(client_for(wolomin), complete_answers, "203.0.113.1") == 303
    assert _post(admin, f"{page}/stan", {"aktywny": "nie"}, page).status_code == 302
    with in_office(wolomin):
        reports = db.session.scalars(select(Report).order_by(Report.id)).all()
        reasons = [
            e.after["reason"]
            for e in db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "report.pre_change")
            )
        ]
    assert [(r.kind, r.subject) for r in reports] == [("pre_change", "departments")] * 2
    assert reports[0].covers_response_id is None
    assert reports[1].covers_response_id is not None
    assert sorted(reasons) == ["department.deactivate", "department.rename"]
    assert wait_for_report(in_office, wolomin, reports[0].id).status == "done"
    with in_office(sierpc):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


# -- comparability ---------------------------------------------------------------------------


def test_versions_note_counts_in_polish():
    assert versions_note((1,)) is None
    assert versions_note((1, 2)) == "Okres obejmuje 2 wersje ankiety (v1, v2)"
    assert versions_note((1, 2, 3, 4, 5)) == "Okres obejmuje 5 wersji ankiety (v1, v2, v3, v4, v5)"


def test_dashboard_and_pdf_say_when_the_period_spans_two_versions(
    two_offices, logged_in, client_for, in_office, complete_answers
):
    wolomin, sierpc = two_offices
    resident = client_for(wolomin)
    assert _submit(resident, complete_answers, "203.0.113.1") == 303
    admin = logged_in(wolomin)
    _start_draft(admin)
    _post(admin, "/panel/ankieta/szkic/pytania/parking/usun")
    revision = _draft(in_office, wolomin).revision
    assert (
        _post(admin, "/panel/ankieta/publikuj", {"wersja_szkicu": str(revision)}).status_code == 302
    )
    form = {**resident.survey_form(), **complete_answers()}
    form.pop("q-parking")
    assert (
        resident.post("/", data=form, environ_base={"REMOTE_ADDR": "203.0.113.3"}).status_code
        == 303
    )

    note = "Okres obejmuje 2 wersje ankiety (v1, v2)"
    assert note in admin.get("/panel/?okres=this_year").get_data(as_text=True)
    assert note not in logged_in(sierpc).get("/panel/?okres=this_year").get_data(as_text=True)
    with in_office(wolomin) as tenant:
        today = current_tenant.today()
        pdf = build_report_pdf(tenant, ReportRequest(today.replace(day=1), today), utcnow())
    assert note in " ".join(pdf_text(pdf).split())


def test_control_characters_in_texts_are_refused_not_a_500(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    response = _add_question(admin, text="Pytanie\x00z zerem", en_text="Bad\x07bell")
    assert response.status_code == 422
    assert "zawiera niedozwolone znaki sterujące" in response.get_data(as_text=True)
    with in_office(wolomin):
        assert db.session.scalar(select(func.count()).select_from(SurveyVersion)) == 1


def test_preview_in_english_uses_the_translations_and_english_interface(two_offices, logged_in):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _start_draft(admin)
    edit = _question_form(key="parking", section="wizerunek", text="Parking", en_text="Car park")
    assert _post(admin, "/panel/ankieta/szkic/pytania/parking", edit).status_code == 302
    page = admin.get("/panel/ankieta/podglad?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page and "Car park" in page and "Send the survey" in page
    untranslated = admin.get("/panel/ankieta/podglad?lang=uk").get_data(as_text=True)
    assert '<html lang="uk">' in untranslated and "brakuje 1 tekstu" in untranslated
    assert '<legend><span lang="pl">Parking</span>' in untranslated


def test_no_editor_form_touches_a_published_version(
    two_offices, logged_in, in_office, client_for, complete_answers
):
    """Every editor path, twice around the publish cycle: the rows of published versions are
    exactly as they were, in both offices."""
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    resident = client_for(wolomin)
    assert _submit(resident, complete_answers, "203.0.113.50") == 303
    before = _version_rows(in_office, wolomin), _version_rows(in_office, sierpc)

    def every_form() -> None:
        _start_draft(admin)
        general = {"title": "Nowy tytuł", "intro": "Nowy wstęp", "en_title": "New title"}
        assert _post(admin, "/panel/ankieta/szkic/ogolne", general).status_code == 302
        section = {"key": "extra", "title": "Dodatkowe"}
        assert _post(admin, "/panel/ankieta/szkic/sekcje", section).status_code == 302
        section["title"] = "Dodatkowe pytania"
        assert _post(admin, "/panel/ankieta/szkic/sekcje/extra", section).status_code == 302
        _post(admin, "/panel/ankieta/szkic/sekcje/extra/przesun", {"kierunek": "gora"})
        assert _add_question(admin, "extra", key="dodatkowe", text="Dodatkowe?").status_code == 302
        edit = _question_form(key="lokalizacja", section="extra", text="Lokalizacja (nowa)")
        assert _post(admin, "/panel/ankieta/szkic/pytania/lokalizacja", edit).status_code == 302
        _post(admin, "/panel/ankieta/szkic/pytania/czystosc/przesun", {"kierunek": "dol"})
        _post(admin, "/panel/ankieta/szkic/pytania/wiedza/usun")
        _post(admin, "/panel/ankieta/szkic/sekcje/rzetelnosc/usun")
        _start_draft(admin, "szablon")
        _post(admin, "/panel/ankieta/szkic/usun")
        _start_draft(admin)
        _post(admin, "/panel/ankieta/szkic/pytania/parking/usun")
        revision = str(_draft(in_office, wolomin).revision)
        assert (
            _post(admin, "/panel/ankieta/publikuj", {"wersja_szkicu": revision}).status_code == 302
        )

    every_form()
    middle = _version_rows(in_office, wolomin)
    assert set(before[0]) < set(middle)
    every_form()
    assert set(middle) < set(_version_rows(in_office, wolomin))
    assert _version_rows(in_office, sierpc) == before[1]
    with in_office(wolomin):
        numbers = db.session.scalars(select(SurveyVersion.number)).all()
    assert sorted(numbers) == [1, 2, 3]
