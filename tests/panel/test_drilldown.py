"""The drill-down pages of one area and one question: the numbers are the dashboard's, read
from the counts; the comments are those of the residents who rated the item 1 or 2 (excluded
responses left out); a key the office does not have is 404; a weak item leads to its actions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from saas_platform.core.db import db
from saas_platform.core.templating import pl_number, pl_percent
from tenants.actions.services import ActionValues, create_action
from tenants.reports.drilldown import QUESTION, item_detail
from tenants.reports.stats import compute_results
from tenants.survey.filters import PREVIOUS_PERIOD, Filters
from tenants.survey.models import Survey
from tenants.survey.moderation import exclude_response
from tenants.survey.template import publish_definition, survey_template
from tests.panel import test_results_pages
from tests.panel.test_results_pages import IN_MARCH, MARCH, MARCH_FILTERS, figure, html_of

store = test_results_pages.store  # the fixture that stores responses through the survey

QUESTION_URL = "/panel/wyniki/pytanie/ogolna_satysfakcja"


def test_question_page_shows_the_dashboards_numbers_distribution_and_breakdowns(
    two_offices, store, logged_in, in_office
):
    wolomin, sierpc = two_offices
    store(wolomin, 5, overall="5")
    store(wolomin, 3, overall="2", channel="qr")
    store(sierpc, 9, overall="1")

    page = logged_in(wolomin, "analyst").get(f"{QUESTION_URL}?{MARCH}")
    assert page.status_code == 200
    html = html_of(page)
    with in_office(wolomin) as tenant:
        item = next(
            i
            for i in compute_results(MARCH_FILTERS, tenant.score_threshold).items
            if i.key == "ogolna_satysfakcja"
        )
    assert figure(html, "indeks") == pl_number(item.score.index)
    assert figure(html, "oceny-pozytywne") == pl_percent(item.score.share_top)
    # the stacked bar's table: 3 of 8 rated 2 (37.5 % shows as 38 %), 5 of 8 rated 5
    table = re.search(r'id="tabela-rozkladu">(.*?)</table>', html, re.S).group(1)
    assert re.search(r"2 – słabo</th><td>3</td><td>38%</td>", table)
    assert re.search(r"5 – bardzo dobrze</th><td>5</td><td>63%</td>", table)
    assert re.search(r"nie dotyczy</th><td>0</td><td>0%</td>", table)
    assert '<title id="rozklad-tytul">' in html and '<desc id="wykres-trendu-opis">' in html
    # breakdowns: the month and the web channel have enough answers, the QR code (3) has not
    assert "marzec 2025" in html
    web = re.search(r"strona internetowa</th>(.*?)</tr>", html, re.S).group(1)
    assert "za mało odpowiedzi" not in web
    qr = re.search(r"kod QR</th>(.*?)</tr>", html, re.S).group(1)
    assert "za mało odpowiedzi" in qr


def test_area_page_lists_its_questions_each_linking_to_its_own_page(two_offices, store, logged_in):
    wolomin, sierpc = two_offices
    store(wolomin, 6)
    store(sierpc, 6)
    html = html_of(logged_in(wolomin).get(f"/panel/wyniki/obszar/terminowosc?{MARCH}"))
    assert "<h1>Obszar: " in html
    for key in ("czas_oczekiwania", "szybkosc_obslugi", "dotrzymanie_terminu"):
        assert f'href="/panel/wyniki/pytanie/{key}?' in html
    assert 'href="/panel/wyniki/pytanie/lokalizacja?' not in html  # another area's question


def test_comments_are_those_of_low_ratings_of_this_office_without_excluded_responses(
    two_offices, store, logged_in, in_office
):
    wolomin, sierpc = two_offices
    store(wolomin, 3, overall="1", comment="Fatalnie, nikt nie pomógł.")
    store(wolomin, 3, overall="5", comment="Wszystko świetnie.")
    [excluded] = store(wolomin, 1, overall="2", comment="Wykluczona opinia.")
    store(sierpc, 3, overall="1", comment="Sierpc: też źle.")
    with in_office(wolomin):
        exclude_response(excluded)
        db.session.commit()

    html = html_of(logged_in(wolomin).get(f"{QUESTION_URL}?{MARCH}"))
    section = html[html.index('id="komentarze"') :]
    assert section.count("Fatalnie, nikt nie pomógł.") == 3
    assert 'rel="next"' not in section
    assert "Wszystko świetnie." not in section
    assert "Wykluczona opinia." not in section
    assert "Sierpc" not in html


def test_comments_come_page_by_page(two_offices, store, logged_in):
    wolomin, sierpc = two_offices
    store(wolomin, 25, overall="1", comment="Za długo.")
    store(sierpc, 5, overall="1")
    client = logged_in(wolomin)
    first = html_of(client.get(f"{QUESTION_URL}?{MARCH}"))
    second = html_of(client.get(f"{QUESTION_URL}?{MARCH}&strona=2"))
    assert first.count("<blockquote>Za długo.</blockquote>") == 20
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert second.count("<blockquote>Za długo.</blockquote>") == 5
    assert "strona 2." in second and 'rel="next"' not in second and 'rel="prev"' in second
    far = client.get(f"{QUESTION_URL}?{MARCH}&strona=50")
    assert far.status_code == 200 and "Na stronie 50 nie ma już komentarzy." in html_of(far)


def test_unknown_keys_and_another_offices_keys_are_404(two_offices, store, logged_in, in_office):
    wolomin, sierpc = two_offices
    store(wolomin, 5)
    with in_office(sierpc):  # Sierpc alone adds the short survey, with keys of its own
        survey = db.session.query(Survey).one()
        publish_definition(survey, survey_template("short"))
        db.session.commit()
    own = logged_in(sierpc).get("/panel/wyniki/pytanie/wizerunek_ogolnie")
    assert own.status_code == 200
    client = logged_in(wolomin)
    for path in (
        "/panel/wyniki/pytanie/wizerunek_ogolnie",  # Sierpc's
        "/panel/wyniki/pytanie/nie_ma_takiego",
        "/panel/wyniki/pytanie/komentarz",  # an open question: no ratings to drill into
        "/panel/wyniki/obszar/nie_ma_takiego",
        "/panel/wyniki/obszar/" + "x" * 500,
        "/panel/wyniki/pytanie/%3Cscript%3E",
    ):
        assert client.get(path).status_code == 404, path


def test_bad_filters_on_a_drilldown_page_are_a_polish_message(two_offices, store, logged_in):
    wolomin, sierpc = two_offices
    store(wolomin, 5)
    store(sierpc, 5)
    page = logged_in(wolomin).get(f"{QUESTION_URL}?okres=custom&od=2025-13-45&porownanie=x")
    assert page.status_code == 400
    html = html_of(page)
    assert "niepoprawna data" in html and "Nieznany okres porównania" in html


def test_a_weak_question_offers_an_action_or_shows_the_linked_ones(
    two_offices, store, logged_in, in_office
):
    wolomin, sierpc = two_offices
    store(wolomin, 6, overall="1")
    store(sierpc, 6, overall="1")
    admin = logged_in(wolomin)
    html = html_of(admin.get(f"{QUESTION_URL}?{MARCH}"))
    assert 'href="/panel/dzialania/nowe?pytanie=ogolna_satysfakcja"' in html
    assert "Zaplanuj działanie" in html

    with in_office(wolomin):
        create_action(
            ActionValues(
                title="Dyżur informacyjny w holu",
                description="",
                kind="corrective",
                item_keys=["ogolna_satysfakcja"],
                department_ids=[],
                responsible_user_id=None,
                responsible_text="Sekretarz",
                planned_start=None,
                due_date=None,
                implemented_on=None,
                status="planned",
                abandon_reason="",
                effect_window_days=90,
            ),
            None,
        )
        db.session.commit()
    html = html_of(admin.get(f"{QUESTION_URL}?{MARCH}"))
    plan = html[html.index('id="dzialania"') :]
    assert "Dyżur informacyjny w holu" in plan and "Zaplanuj działanie" not in plan
    # Sierpc's weak question knows nothing of Wołomin's action
    other = html_of(logged_in(sierpc).get(f"{QUESTION_URL}?{MARCH}"))
    assert "Dyżur informacyjny" not in other and "Zaplanuj działanie" in other


def test_a_good_question_offers_no_action(two_offices, store, logged_in):
    wolomin, sierpc = two_offices
    store(wolomin, 6, overall="5")
    store(sierpc, 6, overall="5")
    html = html_of(logged_in(wolomin).get(f"{QUESTION_URL}?{MARCH}"))
    assert 'id="dzialania"' not in html


def test_drilldown_compares_with_the_chosen_period(two_offices, store, in_office):
    wolomin, sierpc = two_offices
    store(wolomin, 6, overall="5")
    store(wolomin, 6, overall="1", when=datetime(2025, 2, 10, tzinfo=UTC))  # the month before
    store(wolomin, 6, overall="3", when=datetime(2024, 3, 10, tzinfo=UTC))  # a year before
    store(sierpc, 6, overall="1", when=IN_MARCH)
    with in_office(wolomin) as tenant:
        year = item_detail(QUESTION, "ogolna_satysfakcja", MARCH_FILTERS, 75)
        before = item_detail(
            QUESTION, "ogolna_satysfakcja", MARCH_FILTERS, tenant.score_threshold, PREVIOUS_PERIOD
        )
    assert year.compared == Filters(date(2024, 3, 1), date(2024, 3, 31))
    assert year.row.change == 50.0  # 100 against 50
    assert before.compared == Filters(date(2025, 2, 1), date(2025, 2, 28))
    assert before.row.change == 100.0
