"""Issue #19 item 2: an office may choose "topic counts only" as its reports' comment appendix:
the PDF then counts the period's comments per triage topic and prints no comment's text."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from saas_platform.core.db import db, utcnow
from saas_platform.core.tenancy.models import Tenant
from tenants.comments import services
from tenants.comments.models import CommentTopic
from tenants.reports.html_edition import build_editions
from tenants.reports.pdf import ReportRequest
from tenants.survey.models import Response
from tests.conftest import csrf_token_of
from tests.reports.test_end_to_end import pdf_text


def _submit(client_for, complete_answers, office, comment: str) -> None:
    client = client_for(office)
    form = {**client.survey_form(), **complete_answers(comment=comment)}
    assert client.post("/", data=form).status_code == 303


def _triage_all(in_office, office, topic_names: list[list[str]]) -> None:
    with in_office(office):
        ids = {t.name: t.id for t in db.session.scalars(select(CommentTopic))}
        responses = db.session.scalars(select(Response.id).order_by(Response.id)).all()
        for response_id, names in zip(responses, topic_names, strict=False):
            services.triage(response_id, "komentarz", "read", [ids[n] for n in names])
        db.session.commit()


def test_an_office_chooses_topic_counts_only_in_its_settings(app, two_offices, logged_in):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    page = admin.get("/panel/urzad").get_data(as_text=True)
    assert "tylko liczba komentarzy wg tematów" in page
    office_form = {
        "csrf_token": csrf_token_of(page), "name": "Urząd Miejski w Wołominie", "address": "",
        "contact_email": "", "contact_phone": "", "brand_colour": "#1d4f91",
        "score_threshold": "75", "report_recipients": "", "report_comments": "topics",
    }  # fmt: skip
    assert admin.post("/panel/urzad", data=office_form).status_code == 302
    with app.app_context():
        assert db.session.get(Tenant, wolomin.id).report_comments == "topics"
        assert db.session.get(Tenant, sierpc.id).report_comments == "none"


def test_the_topic_appendix_counts_comments_per_topic_without_their_text(
    app, two_offices, client_for, complete_answers, in_office
):
    wolomin, sierpc = two_offices
    for text in ("Parking za mały, pan Jan Kowalski", "Parking płatny", "Długa kolejka"):
        _submit(client_for, complete_answers, wolomin, text)
    _submit(client_for, complete_answers, sierpc, "Sierpc: parking")
    _triage_all(in_office, wolomin, [["parking"], ["parking", "inne"], []])
    _triage_all(in_office, sierpc, [["uprzejmość"]])
    with app.app_context():
        for office in two_offices:
            db.session.get(Tenant, office.id).report_comments = "topics"
        db.session.commit()

    texts, html = {}, {}
    for office in two_offices:
        with in_office(office) as tenant:
            today = tenant.today()
            request = ReportRequest(date(today.year, 1, 1), today)
            editions = build_editions(tenant, request, utcnow())
            texts[office.slug], html[office.slug] = pdf_text(editions.pdf), editions.html
    text = texts["wolomin"]
    assert "Załącznik: komentarze według tematów" in text
    assert "Załącznik: uwagi mieszkańców" not in text
    appendix = text[text.index("Załącznik: komentarze według tematów") :]
    rows = dict(re.findall(r"^\s*([a-ząćęłńóśźż ]+?)\s{2,}(\d+)\s*$", appendix, re.MULTILINE))
    assert rows["parking"] == "2" and rows["inne"] == "1" and rows["uprzejmość"] == "0"
    assert rows["bez tematu"] == "1"
    flowing = " ".join(appendix.split())
    assert "Komentarzy w okresie: 3." in flowing
    assert "przeczytane 3" in flowing
    for comment in ("Jan Kowalski", "Parking płatny", "Długa kolejka", "Sierpc: parking"):
        assert comment not in text

    other = texts["sierpc"]
    other_appendix = other[other.index("Załącznik: komentarze według tematów") :]
    other_rows = dict(
        re.findall(r"^\s*([a-ząćęłńóśźż ]+?)\s{2,}(\d+)\s*$", other_appendix, re.MULTILINE)
    )
    assert other_rows["uprzejmość"] == "1" and other_rows["parking"] == "0"
    assert "Parking za mały" not in other

    # The HTML edition has the same appendix, as a table with its caption.
    edition = html["wolomin"][html["wolomin"].index('id="tematy"') :]
    cells = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', edition))
    assert cells["parking"] == "2" and cells["inne"] == "1" and cells["bez tematu"] == "1"
    for comment in ("Jan Kowalski", "Parking płatny", "Długa kolejka", "Sierpc: parking"):
        assert comment not in html["wolomin"]
