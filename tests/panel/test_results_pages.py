"""The staff's results pages: the dashboard, the responses with their comments, and the
exports; every number from the one stats code path, every filter checked, and each office
seeing only its own responses."""

from __future__ import annotations

import copy
import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, time
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db
from saas_platform.core.templating import pl_number, pl_percent
from tenants.exports import writer
from tenants.reports.pdf import ReportRequest, report_html
from tenants.reports.stats import compute_results
from tenants.survey.definition import live_version_id, published_version
from tenants.survey.filters import PREVIOUS_PERIOD, YEAR_EARLIER, Filters
from tenants.survey.forms import check_submission
from tenants.survey.models import Department, Response, Survey
from tenants.survey.services import submit_response
from tenants.survey.template import default_template, publish_definition
from tests.reports import test_stats

MARCH = "okres=custom&od=2025-03-01&do=2025-03-31"
record = test_stats.record  # the fixture that writes counts straight into an office
MARCH_FILTERS = Filters(date(2025, 3, 1), date(2025, 3, 31))
IN_MARCH = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
IN_APRIL = datetime(2025, 4, 15, 12, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def store(in_office, complete_answers):
    """Factory: store ``count`` complete responses in an office through the survey's own
    check and service, at ``when`` (UTC), and commit; returns their ids."""

    def store(
        office,
        count: int = 1,
        *,
        when: datetime = IN_MARCH,
        channel: str = "web",
        department: int | None = None,
        comment: str = "Zażółć gęślą jaźń.",
        overall: str = "4",
    ) -> list[int]:
        ids = []
        with in_office(office) as tenant:
            version = published_version(live_version_id())
            departments = frozenset(db.session.scalars(select(Department.id)))
            for _ in range(count):
                fields = complete_answers(department, comment)
                fields.update(
                    {
                        "q-ogolna_satysfakcja": overall,
                        "kanal": channel,
                        "submission": str(uuid.uuid4()),
                    }
                )
                check = check_submission(version, MultiDict(fields), departments, 2000)
                assert not check.errors, check.errors
                ids.append(
                    submit_response(tenant.id, tenant.timezone, version, check.submission, when)
                )
            db.session.commit()
        return ids

    return store


def departments_of(in_office, office) -> list[int]:
    with in_office(office):
        return list(db.session.scalars(select(Department.id).order_by(Department.position)))


def results_of(in_office, office, filters: Filters = MARCH_FILTERS, comparison=YEAR_EARLIER):
    with in_office(office) as tenant:
        return compute_results(filters, tenant.score_threshold, comparison)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def figure(html: str, figure_id: str) -> str:
    match = re.search(rf'<dd id="{figure_id}">([^<]*)</dd>', html)
    assert match, figure_id
    return match.group(1).strip()


def csv_rows(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline=""), delimiter=";"))


# -- the dashboard -------------------------------------------------------------------------


def test_dashboard_numbers_are_compute_results_of_the_office_alone(
    two_offices, store, logged_in, in_office
):
    wolomin, sierpc = two_offices
    store(wolomin, 4, comment="Wołomin: długa kolejka.", overall="5")
    store(wolomin, 3, comment="Wołomin: miła obsługa.", overall="2")
    store(sierpc, 9, comment="Sierpc: tylko u nas.", overall="1")
    store(wolomin, 6, when=datetime(2025, 2, 10, tzinfo=UTC))  # the previous period

    page = logged_in(wolomin, "analyst").get(f"/panel/?{MARCH}&porownanie=poprzedni")
    assert page.status_code == 200
    html = html_of(page)
    expected = results_of(in_office, wolomin, comparison=PREVIOUS_PERIOD)
    assert expected.responses == 7
    assert figure(html, "liczba-odpowiedzi") == "7"
    assert figure(html, "indeks") == pl_number(expected.overall.index)
    assert figure(html, "oceny-pozytywne") == pl_percent(expected.overall.share_top)
    low, high = pl_number(expected.overall.index_low), pl_number(expected.overall.index_high)
    assert f"95% przedział: {low}–{high}" in html
    sign = "+" if expected.change > 0 else ""
    assert figure(html, "zmiana") == f"{sign}{pl_number(expected.change)} pkt"
    assert ("<strong>istotna zmiana</strong>" in html) == expected.significant_change
    # areas and items weakest first, exactly as computed
    areas_at = [html.index(f'">{area.title}</a></th>') for area in expected.areas]
    assert areas_at == sorted(areas_at)
    weakest = expected.items[0]
    assert weakest.below_threshold  # czas_oczekiwania is rated 1 by everybody
    # the summary names the weakest items, each a link to its own page
    row = re.search(rf">{weakest.text}</a>(.*?)</li>", html, re.S).group(1)
    assert pl_number(weakest.score.index) in row and "poniżej progu" in row
    assert f'href="/panel/wyniki/pytanie/{weakest.key}?' in html
    # the newest comments (the summary shows three, the rest are a link away)
    assert html.count("Wołomin: miła obsługa.") == 3 and "Wołomin: długa kolejka." not in html
    assert "Sierpc" not in html


def test_dashboard_shows_responses_sent_through_the_survey_today(
    two_offices, client_for, complete_answers, logged_in
):
    wolomin, sierpc = two_offices
    resident = client_for(wolomin)
    for _ in range(5):
        form = {**resident.survey_form("?kanal=qr"), **complete_answers(comment="Przez QR.")}
        assert resident.post("/", data=form).status_code == 303
    html = html_of(logged_in(wolomin).get("/panel/"))  # default: this year
    assert figure(html, "liczba-odpowiedzi") == "5"
    assert "Przez QR." in html
    assert '<th scope="row">kod QR</th>' in html
    # the other office has no response: its dashboard shows its first steps, none of these
    other = html_of(logged_in(sierpc).get("/panel/"))
    assert "Pierwsze kroki" in other and "Przez QR." not in other


def test_filters_by_department_channel_and_period(two_offices, store, logged_in, in_office):
    wolomin, _ = two_offices
    first, second = departments_of(in_office, wolomin)[:2]
    store(wolomin, 5, department=first, channel="web", overall="5")
    store(wolomin, 6, department=second, channel="qr", overall="1")
    store(wolomin, 8, when=IN_APRIL, department=first)
    admin = logged_in(wolomin)

    cases = {
        f"{MARCH}&wydzial={first}": (5, Filters(*_march(), department_id=first)),
        f"{MARCH}&kanal=qr": (6, Filters(*_march(), channel="qr")),
        MARCH: (11, MARCH_FILTERS),
        "okres=custom&od=2025-03-01&do=2025-04-30": (
            19,
            Filters(date(2025, 3, 1), date(2025, 4, 30)),
        ),
    }
    for query, (count, filters) in cases.items():
        html = html_of(admin.get(f"/panel/?{query}"))
        assert figure(html, "liczba-odpowiedzi") == str(count), query
        assert figure(html, "indeks") == pl_number(
            results_of(in_office, wolomin, filters).overall.index
        )

    no_department = html_of(admin.get(f"/panel/?{MARCH}&wydzial=brak"))
    assert figure(no_department, "liczba-odpowiedzi") == "0"


def _march() -> tuple[date, date]:
    return MARCH_FILTERS.date_from, MARCH_FILTERS.date_to


def test_small_groups_say_too_few_responses(two_offices, store, logged_in, in_office):
    wolomin, _ = two_offices
    first = departments_of(in_office, wolomin)[0]
    store(wolomin, 3, department=first)
    html = html_of(logged_in(wolomin).get(f"/panel/?{MARCH}"))
    assert figure(html, "indeks") == "za mało odpowiedzi"
    assert "za mało odpowiedzi</td>" in html


def test_a_period_over_two_survey_versions_says_so(two_offices, store, logged_in, in_office):
    wolomin, _ = two_offices
    store(wolomin, 5)
    with in_office(wolomin):
        data = copy.deepcopy(default_template())
        data["title"] = "Ankieta 2025, druga wersja"
        publish_definition(db.session.scalar(select(Survey)), data)
        db.session.commit()
    admin = logged_in(wolomin)
    assert "Okres obejmuje" not in html_of(admin.get(f"/panel/?{MARCH}"))
    store(wolomin, 5)
    html = html_of(admin.get(f"/panel/?{MARCH}"))
    assert "Okres obejmuje 2 wersje ankiety (v1, v2)" in html
    assert "wersja 2: Ankieta 2025, druga wersja" in html  # offered in the filter
    rows = csv_rows(admin.get(f"/panel/eksport.csv?{MARCH}"))
    assert len(rows) == 11
    assert len(rows[0]) == len(set(rows[0]))  # a key shared by both versions is one column


INVALID_FILTERS = [
    "okres=wieki",
    "okres=custom",
    "okres=custom&od=2025-13-01&do=2025-12-31",
    "okres=custom&od=2025-02-30&do=2025-03-01",
    "okres=custom&od=2025-05-01&do=2025-01-01",
    "okres=custom&od=0001-01-01&do=9999-12-31",
    "okres=custom&od=1990-01-01&do=2025-01-01",
    "od=2025-01-01&do=nie-data",
    "wydzial=999999",
    "wydzial=99999999999999999999999",
    "wydzial=-1",
    "kanal=fax",
    "wersja=abc",
    "wersja=2147483648",
]


@pytest.mark.parametrize("query", INVALID_FILTERS)
def test_invalid_filters_are_a_polish_message_never_a_server_error(two_offices, logged_in, query):
    admin = logged_in(two_offices[0], "analyst")
    for path in ("/panel/", "/panel/odpowiedzi"):
        page = admin.get(f"{path}?{query}")
        assert page.status_code == 400, (path, query)
        html = html_of(page)
        assert "Nie wszystkie filtry dało się zastosować" in html
        assert 'aria-invalid="true"' in html
    for path in ("/panel/eksport.csv", "/panel/eksport.xlsx"):
        page = admin.get(f"{path}?{query}")
        assert page.status_code == 400, (path, query)
        assert "Nie przygotowano pliku" in html_of(page)


def test_a_custom_range_that_cannot_be_used_keeps_the_dates_as_typed(two_offices, logged_in):
    page = logged_in(two_offices[0]).get("/panel/?okres=custom&od=2025-05-01&do=2025-01-01")
    assert page.status_code == 400
    html = html_of(page)
    assert "Data „od” jest późniejsza niż data „do”." in html
    assert 'value="2025-05-01"' in html and 'value="2025-01-01"' in html
    assert '<option value="custom" selected>' in html
    assert "(bieżący rok)" in html  # what is shown meanwhile


def test_another_offices_department_is_not_a_filter_here(two_offices, logged_in, in_office):
    wolomin, sierpc = two_offices
    theirs = departments_of(in_office, sierpc)[0]
    page = logged_in(wolomin).get(f"/panel/?wydzial={theirs}")
    assert page.status_code == 400
    assert "Nie ma takiego wydziału w tym urzędzie" in html_of(page)
    ours = departments_of(in_office, wolomin)[0]
    assert logged_in(wolomin, "analyst").get(f"/panel/?wydzial={ours}").status_code == 200


def test_inactive_departments_and_no_department_are_offered(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    with in_office(wolomin):
        department = db.session.scalars(select(Department).order_by(Department.position)).first()
        department.is_active = False
        name = department.name
        db.session.commit()
    html = html_of(logged_in(wolomin).get(f"/panel/?{MARCH}"))
    assert f"{name} (nieaktywny)</option>" in html
    assert '<option value="brak">nie wskazano wydziału</option>' in html


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_see_every_results_page(two_offices, store, logged_in, role):
    wolomin, _ = two_offices
    (response_id,) = store(wolomin)
    client = logged_in(wolomin, role)
    for path in (
        f"/panel/?{MARCH}",
        f"/panel/odpowiedzi?{MARCH}",
        f"/panel/odpowiedzi/{response_id}",
        f"/panel/eksport.csv?{MARCH}",
        f"/panel/eksport.xlsx?{MARCH}",
    ):
        assert client.get(path).status_code == 200, path
    assert 'href="/panel/odpowiedzi"' in html_of(client.get("/panel/"))  # in the menu


def test_results_pages_need_a_login(two_offices, client_for):
    visitor = client_for(two_offices[0])
    for path in ("/panel/", "/panel/odpowiedzi", "/panel/odpowiedzi/1", "/panel/eksport.csv"):
        page = visitor.get(path)
        assert page.status_code == 302 and "/panel/login" in page.headers["Location"], path


# -- the responses -------------------------------------------------------------------------


def test_responses_page_by_page_newest_first(two_offices, store, logged_in):
    wolomin, sierpc = two_offices
    older = store(wolomin, 30, when=IN_MARCH)
    newer = store(wolomin, 23, when=datetime(2025, 3, 20, tzinfo=UTC))
    theirs = store(sierpc, 3)
    admin = logged_in(wolomin)

    first = html_of(admin.get(f"/panel/odpowiedzi?{MARCH}"))
    shown = [int(i) for i in re.findall(r'<th scope="row"><a href="[^"]+">(\d+)<', first)]
    assert shown == sorted(newer, reverse=True) + sorted(older, reverse=True)[:27]
    assert "Znaleziono 53 odpowiedzi; strona 1 z 2." in first
    assert "strona=2" in first and "Starsze" in first
    second = html_of(admin.get(f"/panel/odpowiedzi?{MARCH}&strona=2"))
    shown = [int(i) for i in re.findall(r'<th scope="row"><a href="[^"]+">(\d+)<', second)]
    assert shown == sorted(older, reverse=True)[27:]
    assert "Starsze" not in second and "Nowsze" in second
    assert not set(theirs) & set(shown)
    # a page far beyond the end is empty, not an error
    assert admin.get(f"/panel/odpowiedzi?{MARCH}&strona=99999999999999999").status_code == 200


def test_comment_search_is_case_insensitive_and_takes_percent_and_underscore_literally(
    two_offices, store, logged_in
):
    wolomin, sierpc = two_offices
    (percent,) = store(wolomin, comment="Obsługa w 100% sprawna.")
    store(wolomin, comment="Czekałem 1000 minut.")
    (underscore,) = store(wolomin, comment="Formularz wniosek_B jest nieczytelny.")
    (letter,) = store(wolomin, comment="Formularz wnioskuB jest nieczytelny.")
    (polish,) = store(wolomin, comment="ŻÓŁTA tabliczka przy wejściu.")
    store(sierpc, comment="Obsługa w 100% sprawna i w Sierpcu.")
    admin = logged_in(wolomin)

    def found(term: str) -> set[int]:
        html = html_of(admin.get(f"/panel/odpowiedzi?{MARCH}&{urlencode({'q': term})}"))
        return {int(i) for i in re.findall(r'<th scope="row"><a href="[^"]+">(\d+)<', html)}

    assert found("100%") == {percent}
    assert found("k_B") == {underscore}
    assert found("formularz WNIOS") == {underscore, letter}
    assert found("żółta") == {polish}
    assert found("%") == {percent}
    assert found("nic takiego") == set()
    assert found("100%\x00") == {percent}  # PostgreSQL would refuse a NUL


def test_only_responses_with_a_comment(two_offices, store, logged_in):
    wolomin, _ = two_offices
    with_comment = store(wolomin, 2, comment="Jest komentarz.")
    store(wolomin, 3, comment="")
    html = html_of(logged_in(wolomin).get(f"/panel/odpowiedzi?{MARCH}&komentarz=1"))
    shown = {int(i) for i in re.findall(r'<th scope="row"><a href="[^"]+">(\d+)<', html)}
    assert shown == set(with_comment)


def test_one_response_with_every_answer_labelled(two_offices, store, logged_in, in_office):
    wolomin, _ = two_offices
    department = departments_of(in_office, wolomin)[2]
    (response_id,) = store(wolomin, department=department, channel="kiosk")
    with in_office(wolomin):
        name = db.session.get(Department, department).name
    html = html_of(logged_in(wolomin, "analyst").get(f"/panel/odpowiedzi/{response_id}"))
    assert f"Odpowiedź nr {response_id}" in html
    assert "10.03.2025" in html and "10:30" not in html and "09:30" not in html  # the day only
    assert "kiosk" in html and name in html
    assert _answer(html, "Lokalizacja urzędu") == "5 – bardzo dobrze"
    assert _answer(html, "Dostępność miejsc parkingowych") == "nie dotyczy / nie mam zdania"
    assert _answer(html, "W jakiej sprawie przyszedłeś/przyszłaś do urzędu?") == "Złożenie wniosku"
    assert (
        _answer(html, "Jak kontaktowałeś/kontaktowałaś się z urzędem w tej sprawie?")
        == "Osobiście, Przez ePUAP lub e-mail"
    )
    assert _answer(html, "Który wydział załatwiał Twoją sprawę?") == name
    assert "Zażółć gęślą jaźń." in html


def _answer(html: str, question: str) -> str:
    match = re.search(rf"<dt>{re.escape(question)}</dt>\s*<dd>([^<]*)</dd>", html)
    assert match, question
    return match.group(1).strip()


def test_another_offices_response_is_404(two_offices, store, logged_in):
    wolomin, sierpc = two_offices
    (theirs,) = store(sierpc, comment="Tylko dla Sierpca.")
    admin = logged_in(wolomin)
    assert admin.get(f"/panel/odpowiedzi/{theirs}").status_code == 404
    assert admin.get("/panel/odpowiedzi/99999999999999999999").status_code == 404
    assert logged_in(sierpc).get(f"/panel/odpowiedzi/{theirs}").status_code == 200


def test_a_script_in_a_comment_is_shown_as_text_everywhere(
    two_offices, client_for, complete_answers, logged_in, in_office
):
    wolomin, _ = two_offices
    resident = client_for(wolomin)
    form = {**resident.survey_form(), **complete_answers(comment=SCRIPT)}
    assert resident.post("/", data=form).status_code == 303
    with in_office(wolomin):
        response_id = db.session.scalar(select(Response.id))
    admin = logged_in(wolomin)
    for path in ("/panel/", "/panel/odpowiedzi", f"/panel/odpowiedzi/{response_id}"):
        html = html_of(admin.get(path))
        assert ESCAPED_SCRIPT in html, path
        assert "<script" not in html, path


# -- the exports ---------------------------------------------------------------------------


def test_csv_is_polish_excel_csv_of_the_filtered_responses_streamed(
    two_offices, store, logged_in, in_office
):
    wolomin, sierpc = two_offices
    first = departments_of(in_office, wolomin)[0]
    ours = store(wolomin, 3, department=first, channel="qr")
    store(wolomin, 2, when=IN_APRIL)  # outside March
    theirs = store(sierpc, 4)

    response = logged_in(wolomin, "analyst").get(f"/panel/eksport.csv?{MARCH}")
    assert response.status_code == 200
    assert response.is_streamed and "Content-Length" not in response.headers
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="odpowiedzi-wolomin-2025-03-01-2025-03-31.csv"'
    )
    body = response.get_data()
    assert b"\r\n" in body and body.count(b"\n") == body.count(b"\r\n")
    rows = csv_rows(response)
    header = rows[0]
    assert header[:4] == ["id", "data", "kanał", "wydział"]
    assert "lokalizacja – Lokalizacja urzędu" in header
    assert "komentarz – Co powinniśmy poprawić? Co było dobre?" in header
    assert not any(h.startswith("wydzial") for h in header)  # the department has its column
    assert [int(row[0]) for row in rows[1:]] == sorted(ours)
    assert not {int(row[0]) for row in rows[1:]} & set(theirs)
    with in_office(wolomin):
        department_name = db.session.get(Department, first).name
    values = dict(zip(header, rows[1], strict=True))
    assert values["data"] == "2025-03-10"
    assert not any(re.search(r"\d:\d\d", cell) for row in rows[1:] for cell in row)  # no time
    assert values["kanał"] == "kod QR"
    assert values["wydział"] == department_name
    assert values["lokalizacja – Lokalizacja urzędu"] == "5"
    assert values["parking – Dostępność miejsc parkingowych"] == "nie dotyczy"
    assert (
        values["wlasciwy_pracownik – Czy bez trudu trafiłeś/trafiłaś do właściwego pracownika?"]
        == "Tak"
    )
    kanal = next(h for h in header if h.startswith("kanal_kontaktu"))
    assert values[kanal] == "Osobiście, Przez ePUAP lub e-mail"
    assert values["komentarz – Co powinniśmy poprawić? Co było dobre?"] == "Zażółć gęślą jaźń."
    # the same filters as everywhere else
    qr_only = csv_rows(logged_in(wolomin).get(f"/panel/eksport.csv?{MARCH}&kanal=web"))
    assert len(qr_only) == 1


def test_exports_read_responses_in_batches_with_one_answer_query_each(
    two_offices, store, logged_in, app, monkeypatch
):
    wolomin, _ = two_offices
    store(wolomin, 5)
    admin = logged_in(wolomin)
    monkeypatch.setattr(writer, "EXPORT_BATCH", 2)
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        rows = csv_rows(admin.get(f"/panel/eksport.csv?{MARCH}"))
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert len(rows) == 6
    answer_queries = [s for s in statements if re.search(r"FROM answers\s+WHERE", s)]
    assert len(answer_queries) == 3  # 5 responses in batches of 2


def test_xlsx_opens_and_holds_the_filtered_responses(two_offices, store, logged_in):
    wolomin, sierpc = two_offices
    ours = store(wolomin, 2, overall="5")
    store(sierpc, 3)
    response = logged_in(wolomin).get(f"/panel/eksport.xlsx?{MARCH}")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="odpowiedzi-wolomin-2025-03-01-2025-03-31.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True)["Odpowiedzi"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:4] == ["id", "data", "kanał", "wydział"]
    assert [row[0] for row in rows[1:]] == sorted(ours)
    values = dict(zip(header, rows[1], strict=True))
    assert values["data"] == datetime(2025, 3, 10)
    assert not any(isinstance(v, datetime) and v.time() != time(0) for r in rows for v in r)
    assert values["kanał"] == "strona internetowa"
    assert values["ogolna_satysfakcja – Jak ogólnie oceniasz obsługę w urzędzie?"] == 5


@pytest.mark.parametrize(
    "comment", ['=HYPERLINK("http://zlo.example")', "+48 600", "-1+1", "@SUM(A1)"]
)
def test_formulas_in_comments_are_neutralised_in_both_exports(
    two_offices, store, logged_in, comment
):
    wolomin, _ = two_offices
    store(wolomin, comment=comment)
    admin = logged_in(wolomin)
    rows = csv_rows(admin.get(f"/panel/eksport.csv?{MARCH}"))
    assert (
        rows[1][rows[0].index("komentarz – Co powinniśmy poprawić? Co było dobre?")]
        == "'" + comment
    )
    workbook = load_workbook(io.BytesIO(admin.get(f"/panel/eksport.xlsx?{MARCH}").get_data()))
    sheet = workbook["Odpowiedzi"]
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(
        row=2, column=header.index("komentarz – Co powinniśmy poprawić? Co było dobre?") + 1
    )
    assert cell.value == "'" + comment
    assert cell.data_type == "s"


def test_an_index_shown_as_75_0_is_not_below_threshold_75_on_the_dashboard_nor_in_the_pdf(
    two_offices, record, logged_in, in_office
):
    wolomin, sierpc = two_offices
    # 499 ratings of 4 and one of 3: the index is 74.95, shown as 75,0 (threshold 75)
    record(wolomin, 500, {"ogolna_satysfakcja": {"4": 499, "3": 1}}, day=IN_MARCH.date())
    record(sierpc, 5, {"ogolna_satysfakcja": {"1": 5}}, day=IN_MARCH.date())
    with in_office(wolomin) as tenant:
        assert tenant.score_threshold == 75
        results = compute_results(MARCH_FILTERS, tenant.score_threshold)
        item = next(i for i in results.items if i.key == "ogolna_satysfakcja")
        area = next(a for a in results.areas if a.key == "ogolna")
        assert abs(item.score.index - 74.95) < 1e-9 and pl_number(item.score.index) == "75,0"
        assert not item.below_threshold and not area.below_threshold
        html = report_html(
            tenant,
            ReportRequest(MARCH_FILTERS.date_from, MARCH_FILTERS.date_to),
            datetime(2025, 4, 1, tzinfo=UTC),
        )
    assert f'<td>{item.text}</td><td class="num">75,0</td>' in html  # not the "flag" class
    improvement = html[html.index("Na tej liście urząd opiera plan") :]
    assert item.text not in improvement[: improvement.index("</table>")]

    page = html_of(logged_in(wolomin).get(f"/panel/?{MARCH}"))
    row = re.search(rf'">{area.title}</a></th>(.*?)</tr>', page, re.S).group(1)
    assert "75,0" in row and "poniżej progu" not in row
    attention = page[page.index('id="pytania"') : page.index('id="wiecej"')]
    assert item.text not in attention
