"""The short template ("Ankieta krótka"): at most 8 questions in Polish, English and Ukrainian,
its areas keyed like the full template's so the dashboard compares them; new offices start with
it at onboarding (command line and console) and the editor switches to it through the usual
publication, pre-change report first."""

from __future__ import annotations

import re
import tomllib
from datetime import date, timedelta

from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from tenants.reports.models import Report
from tenants.reports.stats import compute_results
from tenants.survey.definition import live_version_id, published_version, version_from_definition
from tenants.survey.filters import Filters
from tenants.survey.models import SurveyVersion
from tenants.survey.template import SHORT_TEMPLATE, default_template, survey_template
from tests.conftest import Office
from tests.office.test_survey_editor import _draft, _post, _start_draft
from tests.operator import test_console
from tests.survey.test_default_template import _texts

# the operator console's fixtures, shared
make_operator, operator = test_console.make_operator, test_console.operator
console_post = test_console._post

AREAS = ("wizerunek", "podejscie", "kompetencje", "terminowosc", "rzetelnosc")


def short_answers(rating: str = "4", comment: str = "Krótko i sprawnie.") -> dict:
    """A complete set of answers to the short survey (form field -> value)."""
    fields = {f"q-{area}_ogolnie": rating for area in AREAS}
    fields.update(
        {
            "q-ogolna_satysfakcja": rating,
            "q-najpierw_poprawic": "terminowosc",
            "q-komentarz": comment,
        }
    )
    return fields


def test_every_text_of_the_short_template_is_in_polish_english_and_ukrainian():
    with SHORT_TEMPLATE.open("rb") as fh:
        data = tomllib.load(fh)
    texts = list(_texts(data))
    assert len(texts) == 24  # 8 questions, a help text, 8 sections, 5 options, title, intro
    for where, polish, translations in texts:
        assert polish.strip(), where
        for language, text in translations.items():
            assert text and text.strip(), f"{where}: no {language} text"
            assert text != polish, f"{where}: the {language} text is the Polish one"
    ukrainian = " ".join(t["uk"] for _, _, t in texts)
    assert not set("ąćęłńóśźż") & set(ukrainian.lower())
    version = version_from_definition(survey_template("short"), 0, 0, 1)
    assert version.languages_complete == {"en", "uk"}


def test_the_short_template_has_at_most_8_questions_keyed_like_the_full_templates_areas():
    short, full = survey_template("short"), default_template()
    questions = [q for s in short["sections"] for q in s["questions"]]
    assert len(questions) <= 8
    assert short["title"] == "Ankieta krótka"
    full_sections = {s["key"] for s in full["sections"]}
    # every area of the full template is asked once, in a section with the same key
    for area in AREAS:
        [section] = [s for s in short["sections"] if s["key"] == area]
        assert area in full_sections
        assert [q.get("kind", "rating") for q in section["questions"]] == ["rating"]
    full_keys = {q["key"] for s in full["sections"] for q in s["questions"]}
    assert {"ogolna_satysfakcja", "komentarz"} <= full_keys
    [first] = [q for q in questions if q["key"] == "najpierw_poprawic"]
    assert {o["key"] for o in first["options"]} == set(AREAS)


def _template_of(app, slug: str) -> str:
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        with tenant_scope(tenant):
            return published_version(live_version_id()).title


def test_the_command_line_starts_new_offices_with_the_short_template_or_the_full_one(
    app, two_offices
):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["tenants", "create", "radzymin", "--name", "Urząd Radzymina"])
    assert short.exit_code == 0, short.output
    full = runner.invoke(
        args=["tenants", "create", "zielonka", "--name", "Urząd Zielonki", "--template", "full"]
    )
    assert full.exit_code == 0, full.output
    wrong = runner.invoke(
        args=["tenants", "create", "kobylka", "--name", "Urząd Kobyłki", "--template", "long"]
    )
    assert wrong.exit_code != 0 and "long" in wrong.output
    assert _template_of(app, "radzymin") == "Ankieta krótka"
    assert _template_of(app, "zielonka") == "Ankieta satysfakcji klienta"
    with app.app_context():
        assert db.session.scalar(select(Tenant).where(Tenant.slug == "kobylka")) is None


def test_a_new_office_on_the_short_template_serves_and_stores_its_8_questions(
    app, two_offices, client_for
):
    wolomin, _sierpc = two_offices
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tenants", "create", "radzymin", "--name", "Urząd"]).exit_code == 0
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "radzymin"))
        radzymin = Office(tenant.id, tenant.slug, tenant.name)
    resident = client_for(radzymin)
    page = resident.get("/").get_data(as_text=True)
    assert "Ankieta krótka" in page and "Co powinniśmy poprawić najpierw?" in page
    asked = set(re.findall(r'name="(q-[a-z_]+)"', page))
    assert asked == set(short_answers())  # the 8 questions, nothing else
    sent = resident.post("/", data={**resident.survey_form(), **short_answers()})
    assert sent.status_code == 303
    # the other office's form is its own (the full one)
    assert "Ankieta krótka" not in client_for(wolomin).get("/").get_data(as_text=True)


def test_switching_to_the_short_template_makes_the_pre_change_report_and_areas_compare(
    two_offices, logged_in, client_for, complete_answers, in_office
):
    wolomin, sierpc = two_offices
    resident = client_for(wolomin)
    for n in range(5):
        form = {**resident.survey_form(), **complete_answers()}
        assert resident.post("/", data=form, environ_base={"REMOTE_ADDR": f"203.0.113.{n}"})
    admin = logged_in(wolomin)
    editor_page = admin.get("/panel/ankieta").get_data(as_text=True)
    assert "Przejdź na ankietę krótką" in editor_page
    _start_draft(admin, "krotka")
    revision = _draft(in_office, wolomin).revision
    published = _post(admin, "/panel/ankieta/publikuj", {"wersja_szkicu": str(revision)})
    assert published.status_code == 302
    with in_office(wolomin):
        report = db.session.scalars(select(Report)).one()
        assert report.kind == "pre_change"
        versions = db.session.scalars(select(SurveyVersion).order_by(SurveyVersion.number)).all()
        assert [v.title for v in versions] == ["Ankieta satysfakcji klienta", "Ankieta krótka"]
    for n in range(5):
        form = {**resident.survey_form(), **short_answers("1")}
        sent = resident.post("/", data=form, environ_base={"REMOTE_ADDR": f"203.0.113.{50 + n}"})
        assert sent.status_code == 303
    today = date.today()
    days = (today - timedelta(days=2), today + timedelta(days=2))
    with in_office(wolomin):
        results = {
            name: {
                a.key: a.score for a in compute_results(Filters(*days, version_id=vid), 60).areas
            }
            for name, vid in (("full", versions[0].id), ("short", versions[1].id), ("all", None))
        }
    # each area of the dashboard pools the full template's items and the short one's item
    for area in AREAS:
        full, short, both = (results[name][area] for name in ("full", "short", "all"))
        assert short.n_responses == 5 and short.mean == 1.0, area
        assert full.mean > 1, area
        assert both.n_answers == full.n_answers + short.n_answers, area
        assert short.mean < both.mean < full.mean, area
    # Sierpc: untouched
    with in_office(sierpc):
        assert db.session.scalar(select(func.count()).select_from(SurveyVersion)) == 1
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_the_console_offers_both_templates_and_starts_with_the_short_one(
    app, operator, client_for, two_offices
):
    form_page = operator.get("/operator/urzedy/nowy").get_data(as_text=True)
    assert "Ankieta krótka (8 pytań, około minuty)" in form_page
    assert '<option selected value="short">' in form_page
    form = {
        "name": "Urząd Gminy Radzymin",
        "municipality": "Radzymin",
        "admin_email": "sekretarz@radzymin.example",
        "departments": "Biuro Obsługi Mieszkańców",
    }
    for slug, template, title in (
        ("radzymin", "short", "Ankieta krótka"),
        ("zielonka", "full", "Ankieta satysfakcji klienta"),
    ):
        created = console_post(
            operator, "/operator/urzedy/nowy", **{**form, "slug": slug, "template": template}
        )
        assert created.status_code == 302
        assert _template_of(app, slug) == title
    refused = console_post(
        operator, "/operator/urzedy/nowy", **{**form, "slug": "kobylka", "template": "long"}
    )
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Tenant).where(Tenant.slug == "kobylka")) is None
