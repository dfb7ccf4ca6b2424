"""The response list's score column, its score-range, comment and low-rating filters, its
sortable columns, and the score in the exports: each office sees only its own responses, and
no input is a server error."""

from __future__ import annotations

import csv
import importlib.util
import io
import random
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict

from config import REPO_ROOT
from saas_platform.core.db import db
from saas_platform.core.templating import pl_number
from tenants.reports.stats import compute_results
from tenants.survey.definition import live_version_id, published_version
from tenants.survey.filters import Filters
from tenants.survey.forms import check_submission
from tenants.survey.models import Department, Response
from tenants.survey.responses import score_of_ratings
from tenants.survey.services import submit_response
from tests.conftest import COMPLETE_RATINGS

MARCH = "okres=custom&od=2025-03-01&do=2025-03-31"
IN_MARCH = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
RATED = list(COMPLETE_RATINGS)


def all_rated(value: str) -> dict[str, str]:
    return dict.fromkeys(RATED, value)


@pytest.fixture
def store(in_office, complete_answers):
    """Factory: store one response with these ``ratings`` (question key -> "1".."5" or "na",
    over the complete answers) in an office, through the survey's own check and service;
    returns its id."""

    def store(
        office,
        ratings: dict[str, str] | None = None,
        *,
        when: datetime = IN_MARCH,
        channel: str = "web",
        department: int | None = None,
        comment: str = "",
    ) -> int:
        with in_office(office) as tenant:
            version = published_version(live_version_id())
            departments = frozenset(db.session.scalars(select(Department.id)))
            fields = complete_answers(department, comment)
            fields.update({f"q-{key}": value for key, value in (ratings or {}).items()})
            fields.update({"kanal": channel, "submission": str(uuid.uuid4())})
            check = check_submission(version, MultiDict(fields), departments, 2000)
            assert not check.errors, check.errors
            response_id = submit_response(
                tenant.id, tenant.timezone, version, check.submission, when
            )
            db.session.commit()
        return response_id

    return store


def listed(client, query: str = "") -> list[int]:
    """The response ids a list page shows, in order."""
    response = client.get(f"/panel/odpowiedzi?{MARCH}&{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    return [int(i) for i in re.findall(r'<th scope="row"><a href="[^"]+">(\d+)<', html)]


def shown_scores(client, query: str = "") -> dict[int, str]:
    """Response id -> the score cell as shown."""
    html = client.get(f"/panel/odpowiedzi?{MARCH}&{query}").get_data(as_text=True)
    pairs = re.findall(
        r'<th scope="row"><a href="[^"]+">(\d+)<.*?<td class="results-score">([^<]*)</td>',
        html,
        flags=re.S,
    )
    return {int(i): score for i, score in pairs}


def csv_rows(response) -> list[list[str]]:
    body = response.get_data()
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline=""), delimiter=";"))


def test_each_response_shows_its_own_index_computed_as_the_dashboards(
    two_offices, store, logged_in, in_office
):
    """Five alike responses (the dashboard shows a group from five): the dashboard's index
    of them is each one's own score."""
    wolomin, sierpc = two_offices
    alike = [store(wolomin) for _ in range(5)]
    best = store(wolomin, all_rated("5"), channel="qr")
    theirs = store(sierpc, all_rated("1"))
    scores = shown_scores(logged_in(wolomin, "analyst"))

    march = Filters(date(2025, 3, 1), date(2025, 3, 31), channel="web")
    with in_office(wolomin) as tenant:
        dashboard = compute_results(march, tenant.score_threshold).overall.index
    given = [int(v) for v in COMPLETE_RATINGS.values() if v != "na"]
    assert dashboard == pytest.approx((sum(given) / len(given) - 1) * 25)
    assert {scores[i] for i in alike} == {pl_number(dashboard)}
    assert scores[best] == "100,0"
    assert theirs not in scores


def test_the_score_range_keeps_both_ends_and_the_rounded_value_decides(
    two_offices, store, logged_in
):
    wolomin, sierpc = two_offices
    zero = store(wolomin, all_rated("1"))
    fifty = store(wolomin, all_rated("3"))
    hundred = store(wolomin, all_rated("5"))
    # 24 ratings of 3 and one of 4 (parking answered): 50 + 25/25 = 51.0
    fifty_one = store(wolomin, {**all_rated("3"), "parking": "4"})
    store(sierpc, all_rated("3"))
    admin = logged_in(wolomin)

    assert set(listed(admin, "wynik_od=50&wynik_do=100")) == {fifty, fifty_one, hundred}
    assert set(listed(admin, "wynik_od=50,1")) == {fifty_one, hundred}
    assert set(listed(admin, "wynik_do=0")) == {zero}
    assert set(listed(admin, "wynik_od=51&wynik_do=51.0")) == {fifty_one}
    assert set(listed(admin, "wynik_od=0&wynik_do=100")) == {zero, fifty, fifty_one, hundred}


def test_with_a_comment_and_with_any_item_rated_one_or_two(two_offices, store, logged_in):
    wolomin, sierpc = two_offices
    low_with_comment = store(wolomin, {**all_rated("4"), "parking": "2"}, comment="Brak miejsc.")
    low_silent = store(wolomin, {**all_rated("5"), "czystosc": "1"})
    fine_with_comment = store(wolomin, all_rated("4"), comment="Wszystko dobrze.")
    store(wolomin, {**all_rated("3"), "parking": "na"})  # "nie dotyczy" is no low rating
    store(sierpc, all_rated("1"), comment="W Sierpcu źle.")
    admin = logged_in(wolomin)

    assert set(listed(admin, "niska_ocena=1")) == {low_with_comment, low_silent}
    assert set(listed(admin, "komentarz=1")) == {low_with_comment, fine_with_comment}
    assert listed(admin, "niska_ocena=1&komentarz=1") == [low_with_comment]
    assert listed(admin, "niska_ocena=1&komentarz=1&wynik_od=90") == []


def test_columns_sort_both_ways_with_ties_newest_first(two_offices, store, logged_in, in_office):
    wolomin, sierpc = two_offices
    with in_office(wolomin):
        names = dict(db.session.execute(select(Department.id, Department.name)).all())
    by_name = sorted(names, key=names.get)
    first_day = store(
        wolomin, all_rated("4"), when=datetime(2025, 3, 2, tzinfo=UTC), channel="qr",
        department=by_name[1],
    )  # fmt: skip
    middle = store(
        wolomin, all_rated("2"), when=datetime(2025, 3, 15, tzinfo=UTC), channel="banner",
        department=by_name[0],
    )  # fmt: skip
    last_day = store(
        wolomin, all_rated("5"), when=datetime(2025, 3, 30, tzinfo=UTC), channel="kiosk"
    )  # no department: last by department
    store(sierpc, all_rated("3"))
    admin = logged_in(wolomin)

    assert listed(admin) == [last_day, middle, first_day]  # newest first by default
    assert listed(admin, "sortuj=data&kolejnosc=rosnaco") == [first_day, middle, last_day]
    assert listed(admin, "sortuj=wynik") == [middle, first_day, last_day]  # lowest first
    assert listed(admin, "sortuj=wynik&kolejnosc=malejaco") == [last_day, first_day, middle]
    assert listed(admin, "sortuj=wydzial") == [middle, first_day, last_day]
    # by the channel's Polish name: baner „Oceń Urząd”, kiosk, kod QR
    assert listed(admin, "sortuj=kanal") == [middle, last_day, first_day]
    assert listed(admin, "sortuj=kanal&kolejnosc=malejaco") == [first_day, last_day, middle]

    html = admin.get(f"/panel/odpowiedzi?{MARCH}&sortuj=wynik").get_data(as_text=True)
    assert 'aria-sort="ascending"' in html
    assert "sortuj=wynik&amp;kolejnosc=malejaco" in html  # the header turns the order round
    # the pages and the exports keep the order's and the filters' arguments
    assert "sortuj=wynik" in re.search(r'href="([^"]*eksport\.csv[^"]*)"', html).group(1)


def test_a_response_list_sorted_by_score_pages_without_overlap(two_offices, store, logged_in):
    wolomin, _ = two_offices
    ids = [store(wolomin, all_rated("4")) for _ in range(52)]  # all the same score
    admin = logged_in(wolomin)
    first = listed(admin, "sortuj=wynik")
    second = listed(admin, "sortuj=wynik&strona=2")
    assert len(first) == 50 and len(second) == 2
    assert sorted(first + second) == sorted(ids)


BAD_INPUT = [
    ("wynik_od=abc", "Wynik „od”: podaj liczbę od 0 do 100"),
    ("wynik_od=101", "Wynik „od”: podaj liczbę od 0 do 100"),
    ("wynik_od=-1", "Wynik „od”: podaj liczbę od 0 do 100"),
    ("wynik_do=1e3", "Wynik „do”: podaj liczbę od 0 do 100"),
    ("wynik_do=50.55", "Wynik „do”: podaj liczbę od 0 do 100"),
    ("wynik_do=NaN", "Wynik „do”: podaj liczbę od 0 do 100"),
    ("wynik_od=" + "9" * 5000, "Wynik „od”: podaj liczbę od 0 do 100"),
    ("wynik_od=80&wynik_do=20", "Wynik „od” jest większy niż wynik „do”"),
    ("sortuj=id%3B+DROP+TABLE+responses", "Nieznany sposób sortowania"),
    ("sortuj=Response.id", "Nieznany sposób sortowania"),
    ("sortuj=wynik&kolejnosc=losowo", "Nieznana kolejność sortowania"),
]


@pytest.mark.parametrize(("query", "message"), BAD_INPUT)
def test_bad_score_or_order_is_a_polish_message_never_a_server_error(
    two_offices, store, logged_in, query, message
):
    wolomin, sierpc = two_offices
    ours = store(wolomin, all_rated("4"))
    store(sierpc, all_rated("4"))
    admin = logged_in(wolomin)
    page = admin.get(f"/panel/odpowiedzi?{MARCH}&{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert message in html
    assert re.findall(r'<th scope="row"><a href="[^"]+">(\d+)<', html) == [str(ours)]
    for export in ("eksport.csv", "eksport.xlsx"):
        refused = admin.get(f"/panel/{export}?{MARCH}&{query}")
        assert refused.status_code == 400, export
        assert message in refused.get_data(as_text=True), export


def test_the_response_list_offers_no_comparison_and_the_results_pages_do(
    two_offices, store, logged_in
):
    wolomin, sierpc = two_offices
    ours = store(wolomin, all_rated("4"))
    theirs = store(sierpc, all_rated("2"))
    for office, own, other in ((wolomin, ours, theirs), (sierpc, theirs, ours)):
        staff = logged_in(office)
        # a comparison in the list's address (a link from the dashboard) is neither applied,
        # nor refused, nor carried on to the list's links and downloads
        listing = staff.get(f"/panel/odpowiedzi?{MARCH}&porownanie=poprzedni")
        assert listing.status_code == 200
        html = listing.get_data(as_text=True)
        assert 'name="porownanie"' not in html and "Porównaj z" not in html
        assert "porownanie" not in html and "porównanie:" not in html
        rows = re.findall(r'<th scope="row"><a href="[^"]+">(\d+)<', html)
        assert rows == [str(own)] and str(other) not in rows
        assert staff.get(f"/panel/odpowiedzi?{MARCH}&porownanie=x").status_code == 200
        assert 'name="porownanie"' not in staff.get("/panel/komentarze").get_data(as_text=True)
        assert staff.get(f"/panel/komentarze?{MARCH}&porownanie=x").status_code == 200
        dashboard = staff.get(f"/panel/?{MARCH}").get_data(as_text=True)
        assert 'name="porownanie"' in dashboard and "Porównaj z" in dashboard
        drilldown = staff.get(f"/panel/wyniki/pytanie/parking?{MARCH}").get_data(as_text=True)
        assert 'name="porownanie"' in drilldown


def test_both_exports_carry_the_score_and_honour_the_list_filters(two_offices, store, logged_in):
    wolomin, sierpc = two_offices
    low = store(wolomin, {**all_rated("3"), "parking": "4"})  # 51,0
    high = store(wolomin, all_rated("5"))
    store(sierpc, all_rated("5"))
    admin = logged_in(wolomin)

    rows = csv_rows(admin.get(f"/panel/eksport.csv?{MARCH}"))
    assert rows[0][:5] == ["id", "data", "kanał", "wydział", "wynik"]
    assert {int(r[0]): r[4] for r in rows[1:]} == {low: "51,0", high: "100,0"}
    only_high = csv_rows(admin.get(f"/panel/eksport.csv?{MARCH}&wynik_od=60"))
    assert [int(r[0]) for r in only_high[1:]] == [high]

    response = admin.get(f"/panel/eksport.xlsx?{MARCH}&{urlencode({'wynik_do': '60'})}")
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True)["Odpowiedzi"]
    rows_x = list(sheet.iter_rows(values_only=True))
    assert rows_x[0][4] == "wynik"
    assert [(r[0], r[4]) for r in rows_x[1:]] == [(low, 51.0)]


def test_the_list_and_the_export_round_a_score_the_same_way(two_offices, store, logged_in):
    """Random ratings: the score SQL computes for the list, the one Python computes for the
    export and ``score_of_ratings`` agree, halves (x,x5) rounded away from zero."""
    wolomin, _ = two_offices
    rng = random.Random(17)
    given = {}
    for _ in range(12):
        ratings = {key: rng.choice(["1", "2", "3", "4", "5", "na"]) for key in RATED}
        ratings["ogolna_satysfakcja"] = rng.choice("12345")
        response_id = store(wolomin, ratings)
        given[response_id] = [int(v) for v in ratings.values() if v != "na"]
    admin = logged_in(wolomin)
    shown = shown_scores(admin)
    exported = {int(r[0]): r[4] for r in csv_rows(admin.get(f"/panel/eksport.csv?{MARCH}"))[1:]}
    for response_id, ratings in given.items():
        expected = str(score_of_ratings(ratings)).replace(".", ",")
        assert shown[response_id] == exported[response_id] == expected
    assert score_of_ratings([1, 2, 2, 2]) == Decimal("18.8")  # 18.75: half away from zero
    assert score_of_ratings([]) is None


def test_the_migration_fills_in_the_scores_the_submission_stores(
    two_offices, store, in_office, owner_engine
):
    """Responses stored before the score column get it from migration 0031's SQL: the same
    score and lowest rating as a submission stores (survey.responses.own_score)."""
    path = REPO_ROOT / "migrations" / "versions" / "0031_response_scores_and_export_jobs.py"
    spec = importlib.util.spec_from_file_location("migration_0031", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    rng = random.Random(31)
    for office in two_offices:
        for _ in range(8):
            ratings = {key: rng.choice(["1", "2", "3", "4", "5", "na"]) for key in RATED}
            ratings["ogolna_satysfakcja"] = rng.choice("12345")
            store(office, ratings)

    def stored() -> dict[int, tuple]:
        found = {}
        for office in two_offices:
            with in_office(office):
                rows = db.session.execute(
                    select(Response.id, Response.score, Response.lowest_rating)
                ).all()
                found.update({i: (score, lowest) for i, score, lowest in rows})
        return found

    submitted = stored()
    assert len(submitted) == 16 and all(score is not None for score, _ in submitted.values())
    with owner_engine.begin() as connection:
        for office in two_offices:
            connection.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(office.id)}
            )
            connection.execute(text("UPDATE responses SET score = NULL, lowest_rating = NULL"))
            connection.execute(text(migration._FILL_SCORES), {"tenant": office.id})
    assert stored() == submitted
