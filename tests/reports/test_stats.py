"""The numbers of the dashboard and the report: computed from the counts alone, with exact
values for known distributions, small groups hidden, and each office seeing only its own."""

from __future__ import annotations

import copy
import re
import statistics
from collections import Counter
from datetime import date, timedelta
from math import sqrt

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, select

from saas_platform.app import create_app
from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.onboarding import create_tenant
from tenants.actions.effects import ItemEffect
from tenants.reports.stats import (
    compute_results,
    is_below,
    is_significant_fall,
    previous_period,
    year_earlier,
)
from tenants.survey.counts import add_counts
from tenants.survey.definition import live_version_id
from tenants.survey.filters import PREVIOUS_PERIOD, YEAR_EARLIER, Filters, period_preset
from tenants.survey.models import NO_DEPARTMENT, RESPONSES_KEY, Department, Survey
from tenants.survey.scores import MIN_GROUP, Score, compare, score_of, shown_change
from tenants.survey.template import default_template, publish_definition
from tests.conftest import COMPLETE_RATINGS, sqlite_app_settings

MARCH = Filters(date(2025, 3, 1), date(2025, 3, 31))
IN_MARCH = date(2025, 3, 10)


def expected_score(ratings: list[int], n_responses: int) -> dict[str, float]:
    """The methodology, written out independently of the code under test."""
    n = min(n_responses, len(ratings))
    index = (statistics.mean(ratings) - 1) / 4 * 100
    se = statistics.stdev(ratings) / sqrt(n) / 4 * 100
    share = sum(r >= 4 for r in ratings) / len(ratings)
    z = 1.96
    centre = share + z * z / (2 * n)
    spread = z * sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return {
        "index": index,
        "se": se,
        "index_low": max(0.0, index - z * se),
        "index_high": min(100.0, index + z * se),
        "share_top": share,
        "share_top_low": (centre - spread) / (1 + z * z / n),
        "share_top_high": (centre + spread) / (1 + z * z / n),
    }


def assert_score(score, ratings: list[int], n_responses: int) -> None:
    expected = expected_score(ratings, n_responses)
    assert not score.hidden
    assert score.n_answers == len(ratings)
    assert score.n_responses == n_responses
    assert score.mean == pytest.approx(statistics.mean(ratings))
    for name in ("index", "index_low", "index_high", "share_top"):
        assert getattr(score, name) == pytest.approx(expected[name]), name
    assert score.index_se == pytest.approx(expected["se"])
    assert score.share_top_low == pytest.approx(expected["share_top_low"])
    assert score.share_top_high == pytest.approx(expected["share_top_high"])


def spread(distribution: dict[str, int]) -> list[int]:
    """{"4": 2, "5": 1, "na": 3} -> [4, 4, 5]: the ratings, "nie dotyczy" left out."""
    return [int(v) for v, n in distribution.items() if v != "na" for _ in range(n)]


@pytest.fixture
def record(in_office):
    """Factory: count ``responses`` whole responses and their ``answers`` ({key: {value: n}})
    straight into an office's counts, then commit."""

    def record(
        office,
        responses: int,
        answers: dict[str, dict[str, int]] | None = None,
        *,
        day: date = IN_MARCH,
        department: int = NO_DEPARTMENT,
        channel: str = "web",
        version_id: int | None = None,
    ) -> None:
        with in_office(office) as tenant:
            version_id = version_id or live_version_id()
            increments = {(version_id, RESPONSES_KEY, department, channel, day, ""): responses}
            for key, values in (answers or {}).items():
                for value, n in values.items():
                    increments[(version_id, key, department, channel, day, value)] = n
            add_counts(tenant.id, increments)
            db.session.commit()

    return record


@pytest.fixture
def results_for(in_office):
    """Factory: the results an office's staff would see."""

    def results(
        office, filters: Filters = MARCH, threshold: float = 75.0, comparison: str = YEAR_EARLIER
    ):
        with in_office(office):
            return compute_results(filters, threshold, comparison)

    return results


def department_ids(in_office, office) -> list[int]:
    with in_office(office):
        return list(db.session.scalars(select(Department.id).order_by(Department.position)))


def by_key(rows):
    return {row.key: row for row in rows}


# -- periods -----------------------------------------------------------------------------


def test_previous_period_is_the_same_length_right_before():
    # whole calendar months compare with as many months before
    march = Filters(date(2025, 3, 1), date(2025, 3, 31), department_id=3, channel="qr")
    assert previous_period(march) == Filters(
        date(2025, 2, 1), date(2025, 2, 28), department_id=3, channel="qr"
    )
    year_2025 = Filters(date(2025, 1, 1), date(2025, 12, 31))  # 2024 was a leap year
    assert previous_period(year_2025) == Filters(date(2024, 1, 1), date(2024, 12, 31))
    quarter = Filters(date(2026, 1, 1), date(2026, 3, 31))
    assert previous_period(quarter) == Filters(date(2025, 10, 1), date(2025, 12, 31))
    # any other period: as many days before
    one_day = Filters(date(2025, 1, 1), date(2025, 1, 1))
    assert previous_period(one_day) == Filters(date(2024, 12, 31), date(2024, 12, 31))
    ten_days = Filters(date(2025, 3, 5), date(2025, 3, 14))
    assert previous_period(ten_days) == Filters(date(2025, 2, 23), date(2025, 3, 4))


def test_period_presets():
    today = date(2026, 2, 14)
    assert period_preset("this_year", today) == (date(2026, 1, 1), today)
    assert period_preset("last_year", today) == (date(2025, 1, 1), date(2025, 12, 31))
    assert period_preset("last_12_months", today) == (date(2025, 2, 15), today)
    with pytest.raises(ValueError):
        period_preset("forever", today)
    with pytest.raises(ValueError):
        Filters(date(2026, 2, 2), date(2026, 2, 1))


# -- the numbers -------------------------------------------------------------------------


def test_index_share_and_intervals_of_a_known_distribution_without_not_applicable(
    two_offices, record, results_for
):
    wolomin, _ = two_offices
    lokalizacja = {"1": 1, "3": 2, "4": 3, "5": 4, "na": 2}
    record(wolomin, 12, {"lokalizacja": lokalizacja})

    results = results_for(wolomin)

    assert results.responses == 12
    overall = results.overall
    assert overall.mean == pytest.approx(3.9)  # 39 / 10: "nie dotyczy" is no rating
    assert overall.index == pytest.approx(72.5)
    assert overall.share_top == pytest.approx(0.7)
    assert overall.n_not_applicable == 2
    # Wilson interval for 7 of 10 (textbook value); n is capped by the 10 ratings
    assert overall.share_top_low == pytest.approx(0.3968, abs=1e-4)
    assert overall.share_top_high == pytest.approx(0.8922, abs=1e-4)
    assert_score(overall, spread(lokalizacja), n_responses=12)
    item = by_key(results.items)["lokalizacja"]
    assert_score(item.score, spread(lokalizacja), n_responses=12)
    assert (item.text, item.area_key, item.area) == (
        "Lokalizacja urzędu",
        "wizerunek",
        "Wizerunek Urzędu",
    )


def test_intervals_use_the_number_of_responses_not_of_answers(two_offices, record, results_for):
    wolomin, _ = two_offices
    answers = {
        "lokalizacja": {"5": 3, "4": 2},
        "oznakowanie": {"4": 3, "3": 2},
        "czystosc": {"5": 5},
        "parking": {"2": 1, "3": 4},
    }
    record(wolomin, 5, answers)

    overall = results_for(wolomin).overall

    ratings = [r for values in answers.values() for r in spread(values)]
    assert overall.n_answers == 20
    assert overall.n_responses == 5
    assert_score(overall, ratings, n_responses=5)
    as_if_independent = expected_score(ratings, n_responses=20)
    assert overall.index_se == pytest.approx(as_if_independent["se"] * 2)  # sqrt(20 / 5)


def test_groups_under_five_responses_are_hidden_and_five_are_shown(
    two_offices, record, results_for, in_office
):
    wolomin, _ = two_offices
    first, second, *_ = department_ids(in_office, wolomin)
    record(
        wolomin,
        4,
        {
            "lokalizacja": {"4": 4},
            "oznakowanie": {"4": 3, "na": 1},
            "czystosc": {"3": 2, "na": 2},
            "cel_wizyty": {"wniosek": 4},
            "kanal_kontaktu": {"osobiscie": 4, "epuap": 4},
        },
        department=first,
        channel="kiosk",
        day=date(2025, 3, 31),
    )
    record(
        wolomin,
        5,
        {"lokalizacja": {"5": 5}, "czystosc": {"5": 1}, "wiek": {"do_25": 5}},
        department=second,
        channel="qr",
        day=date(2025, 4, 1),
    )

    results = results_for(wolomin, Filters(date(2025, 3, 1), date(2025, 4, 30)))

    departments = by_key(results.by_department)
    assert departments[first].hidden
    assert departments[first].responses is None and departments[first].score.index is None
    assert departments[second].responses == 5
    assert departments[second].score.index == pytest.approx(100.0)
    channels = by_key(results.by_channel)
    assert channels["kiosk"].hidden and channels["kiosk"].score.hidden
    assert channels["qr"].responses == 5 and not channels["qr"].score.hidden
    months = by_key(results.monthly)
    assert months["2025-03"].hidden
    assert months["2025-04"].responses == 5
    items = by_key(results.items)
    assert items["oznakowanie"].score.hidden  # 3 ratings + 1 "nie dotyczy" = 4 responses
    assert items["oznakowanie"].score.index is None
    assert not items["czystosc"].score.hidden  # 3 ratings + 2 "nie dotyczy" = 5 responses
    assert items["czystosc"].score.n_responses == 5
    assert items["lokalizacja"].score.n_responses == 9
    choices = by_key(results.choices)
    assert choices["cel_wizyty"].hidden and choices["cel_wizyty"].options == ()
    assert choices["cel_wizyty"].n_responses is None
    # 8 ticks of a multiple choice may come from only 4 people: not enough
    assert choices["kanal_kontaktu"].hidden
    assert not choices["wiek"].hidden and choices["wiek"].n_responses == 5
    assert MIN_GROUP == 5


def test_an_office_with_too_few_responses_shows_no_score(two_offices, record, results_for):
    wolomin, _ = two_offices
    record(wolomin, 4, {"ogolna_satysfakcja": {"5": 4}})
    record(wolomin, 9, {"ogolna_satysfakcja": {"1": 9}}, day=date(2025, 2, 10))

    results = results_for(wolomin, comparison=PREVIOUS_PERIOD)

    assert results.responses == 4
    assert results.overall.hidden and results.overall.index is None
    assert not results.previous.hidden
    assert results.change is None and results.significant_change is False


def test_change_against_the_previous_period_counts_people_not_answers(
    two_offices, record, results_for
):
    wolomin, _ = two_offices
    # the previous period of March is February, both ends included
    record(
        wolomin,
        6,
        {"lokalizacja": {"5": 6}, "oznakowanie": {"4": 3, "5": 3}, "czystosc": {"3": 6}},
        day=date(2025, 2, 1),
    )
    record(
        wolomin,
        4,
        {"lokalizacja": {"5": 4}, "oznakowanie": {"4": 2, "5": 2}, "czystosc": {"3": 4}},
        day=date(2025, 2, 28),
    )
    record(
        wolomin,
        5,
        {"lokalizacja": {"5": 5}, "oznakowanie": {"5": 3, "4": 2}, "czystosc": {"5": 5}},
        day=date(2025, 3, 1),
    )
    record(
        wolomin,
        5,
        {"lokalizacja": {"4": 5}, "oznakowanie": {"5": 3, "4": 2}, "czystosc": {"5": 5}},
        day=date(2025, 3, 31),
    )
    for outside in (date(2025, 1, 31), date(2025, 4, 1)):
        record(wolomin, 7, {"lokalizacja": {"1": 7}}, day=outside)

    results = results_for(wolomin, comparison=PREVIOUS_PERIOD)

    before = [5] * 10 + [4] * 5 + [5] * 5 + [3] * 10
    now = [5] * 5 + [4] * 5 + [5] * 6 + [4] * 4 + [5] * 10
    assert_score(results.previous, before, n_responses=10)
    assert_score(results.overall, now, n_responses=10)
    old, new = expected_score(before, 10), expected_score(now, 10)
    assert results.change == pytest.approx(new["index"] - old["index"])

    def z(n: int) -> float:
        old, new = expected_score(before, n), expected_score(now, n)
        return abs(new["index"] - old["index"]) / sqrt(old["se"] ** 2 + new["se"] ** 2)

    # were the 30 answers independent, the change would be significant; from 10 people it is not
    assert z(30) > 1.96 > z(10)
    assert results.significant_change is False

    items = by_key(results.items)
    assert items["lokalizacja"].change == pytest.approx(87.5 - 100.0)
    assert items["lokalizacja"].significantly_worse  # z = 12.5 / 4.17 = 3.0
    assert items["oznakowanie"].change == pytest.approx(90.0 - 87.5)
    assert not items["oznakowanie"].significantly_worse
    assert items["czystosc"].change == pytest.approx(50.0)
    assert not items["czystosc"].significantly_worse  # significantly better
    assert items["parking"].change is None and not items["parking"].significantly_worse


def test_a_clear_change_is_significant(two_offices, record, results_for):
    wolomin, _ = two_offices
    record(wolomin, 10, {"ogolna_satysfakcja": {"2": 5, "3": 5}}, day=date(2025, 2, 10))
    record(wolomin, 10, {"ogolna_satysfakcja": {"4": 5, "5": 5}}, day=date(2025, 3, 10))

    results = results_for(wolomin, comparison=PREVIOUS_PERIOD)

    assert results.change == pytest.approx(50.0)
    assert results.significant_change is True
    assert by_key(results.areas)["ogolna"].change == pytest.approx(50.0)
    assert not by_key(results.areas)["ogolna"].significantly_worse


def test_items_and_areas_weakest_first_with_the_threshold(two_offices, record, results_for):
    wolomin, _ = two_offices
    record(
        wolomin,
        6,
        {
            "lokalizacja": {"4": 6},  # 75: on the threshold, not under it
            "oznakowanie": {"5": 6},  # 100
            "czystosc": {"3": 6},  # 50
            "parking": {"1": 4},  # 4 responses: hidden
            "wiedza": {"2": 5},  # 25
            "uprzejmosc": {"na": 5},  # only "nie dotyczy": nothing to show
        },
    )

    results = results_for(wolomin, threshold=75)

    keys = [item.key for item in results.items]
    assert keys[:4] == ["wiedza", "czystosc", "lokalizacja", "oznakowanie"]
    assert keys[4:7] == ["parking", "strona_internetowa", "wyglad_pracownikow"]  # survey order
    assert all(item.score.hidden for item in results.items[4:])
    assert len(keys) == 25  # every rated item of the default survey, each once
    items = by_key(results.items)
    assert items["wiedza"].below_threshold and items["czystosc"].below_threshold
    assert not items["lokalizacja"].below_threshold
    assert not items["parking"].below_threshold
    assert items["uprzejmosc"].score.hidden

    areas = [(area.key, area.title) for area in results.areas]
    assert areas[:2] == [
        ("kompetencje", "Kompetencje urzędników"),
        ("wizerunek", "Wizerunek Urzędu"),
    ]
    assert [key for key, _ in areas[2:]] == ["podejscie", "terminowosc", "rzetelnosc", "ogolna"]
    wizerunek = by_key(results.areas)["wizerunek"]
    assert_score(wizerunek.score, [4] * 6 + [5] * 6 + [3] * 6 + [1] * 4, n_responses=6)
    kompetencje = by_key(results.areas)["kompetencje"]
    assert kompetencje.score.index == pytest.approx(25.0)
    assert kompetencje.score.n_not_applicable == 5
    assert kompetencje.below_threshold and wizerunek.below_threshold  # 61.4
    assert not by_key(results.areas)["ogolna"].below_threshold  # hidden


def test_departments_by_name_inactive_ones_included_and_none_given_last(
    two_offices, record, results_for, in_office
):
    wolomin, _ = two_offices
    with in_office(wolomin):
        departments = db.session.scalars(select(Department).order_by(Department.position)).all()
        departments[3].is_active = False  # closed since, its history stays
        db.session.commit()
        ids = [d.id for d in departments]
    record(wolomin, 5, {"ogolna_satysfakcja": {"2": 5}}, department=NO_DEPARTMENT)
    record(wolomin, 6, {"ogolna_satysfakcja": {"4": 6}}, department=ids[3])
    record(wolomin, 7, {"ogolna_satysfakcja": {"5": 7}}, department=ids[0])

    rows = results_for(wolomin).by_department

    assert [(row.key, row.label, row.responses) for row in rows] == [
        (ids[0], "Biuro Obsługi Mieszkańców", 7),
        (ids[3], "Wydział Architektury i Budownictwa", 6),
        (NO_DEPARTMENT, "nie wskazano wydziału", 5),
    ]
    assert [row.score.index for row in rows] == pytest.approx([100.0, 75.0, 25.0])

    only_one = results_for(wolomin, Filters(MARCH.date_from, MARCH.date_to, department_id=ids[3]))
    assert only_one.responses == 6
    assert [row.key for row in only_one.by_department] == [ids[3]]
    assert only_one.overall.index == pytest.approx(75.0)


def test_channels_with_polish_labels_and_filter(two_offices, record, results_for):
    wolomin, _ = two_offices
    record(wolomin, 5, {"ogolna_satysfakcja": {"5": 5}}, channel="paper")
    record(wolomin, 6, {"ogolna_satysfakcja": {"3": 6}}, channel="banner")
    record(wolomin, 7, {"ogolna_satysfakcja": {"4": 7}}, channel="web")

    results = results_for(wolomin)

    assert [(row.key, row.label, row.responses) for row in results.by_channel] == [
        ("web", "strona internetowa", 7),
        ("banner", "baner „Oceń Urząd”", 6),
        ("paper", "ankieta papierowa", 5),
    ]
    banner = results_for(wolomin, Filters(MARCH.date_from, MARCH.date_to, channel="banner"))
    assert banner.responses == 6
    assert banner.overall.index == pytest.approx(50.0)


def test_days_fold_into_calendar_months_of_the_range(two_offices, record, results_for):
    wolomin, _ = two_offices
    record(wolomin, 2, {"ogolna_satysfakcja": {"5": 2}}, day=date(2025, 1, 15))
    record(wolomin, 3, {"ogolna_satysfakcja": {"3": 3}}, day=date(2025, 1, 31))
    record(wolomin, 4, {"ogolna_satysfakcja": {"4": 4}}, day=date(2025, 2, 1))
    record(wolomin, 6, {"ogolna_satysfakcja": {"1": 6}}, day=date(2025, 3, 10))
    record(wolomin, 9, {"ogolna_satysfakcja": {"1": 9}}, day=date(2025, 3, 11))  # after the range
    record(wolomin, 9, {"ogolna_satysfakcja": {"1": 9}}, day=date(2025, 1, 14))  # before it

    results = results_for(wolomin, Filters(date(2025, 1, 15), date(2025, 3, 10)))

    assert [(row.key, row.label, row.responses) for row in results.monthly] == [
        ("2025-01", "styczeń 2025", 5),
        ("2025-02", "luty 2025", None),
        ("2025-03", "marzec 2025", 6),
    ]
    january = results.monthly[0].score
    assert january.index == pytest.approx((3.8 - 1) / 4 * 100)  # (2 * 5 + 3 * 3) / 5
    assert results.monthly[2].score.index == pytest.approx(0.0)
    assert results.responses == 15

    turn_of_year = results_for(wolomin, Filters(date(2025, 12, 20), date(2026, 1, 5))).monthly
    assert [(row.key, row.label) for row in turn_of_year] == [
        ("2025-12", "grudzień 2025"),
        ("2026-01", "styczeń 2026"),
    ]


def test_choice_shares_in_the_order_of_the_survey(two_offices, record, results_for):
    wolomin, _ = two_offices
    record(
        wolomin,
        8,
        {
            "cel_wizyty": {"informacja": 1, "odbior": 2, "wniosek": 3},
            "wlasciwy_pracownik": {"nie": 1, "tak": 4},
            "kanal_kontaktu": {"osobiscie": 6, "epuap": 3, "telefonicznie": 1},
        },
    )

    choices = by_key(results_for(wolomin).choices)

    visit = choices["cel_wizyty"]
    assert (visit.kind, visit.n_responses, visit.area) == ("single_choice", 6, "Metryka klienta")
    assert [(o.key, o.count) for o in visit.options] == [
        ("wniosek", 3), ("odbior", 2), ("uzupelnienie", 0),
        ("informacja", 1), ("skarga", 0), ("inna", 0),
    ]  # fmt: skip
    assert [o.share for o in visit.options] == pytest.approx([3 / 6, 2 / 6, 0, 1 / 6, 0, 0])
    assert visit.options[0].label == "Złożenie wniosku"
    right_person = choices["wlasciwy_pracownik"]
    assert [(o.label, o.share) for o in right_person.options] == [("Tak", 0.8), ("Nie", 0.2)]
    # several ticks per person: shares of the 8 responses, adding up to more than 1
    contact = choices["kanal_kontaktu"]
    assert contact.n_responses == 8
    assert [o.share for o in contact.options] == pytest.approx([6 / 8, 1 / 8, 3 / 8, 0])
    assert choices["wiek"].hidden and choices["czestotliwosc"].hidden
    assert "komentarz" not in choices and "wydzial" not in choices


def test_versions_keep_their_history_under_the_latest_sections(
    two_offices, record, results_for, in_office
):
    wolomin, _ = two_offices
    with in_office(wolomin):
        first_version = live_version_id()
        data = copy.deepcopy(default_template())
        wizerunek = data["sections"][0]
        wizerunek["questions"] = [
            q for q in wizerunek["questions"] if q["key"] not in ("lokalizacja", "parking")
        ]
        data["sections"].insert(
            0,
            {
                "key": "dostepnosc",
                "title": "Dostępność urzędu",
                "questions": [{"key": "lokalizacja", "text": "Dojazd do urzędu"}],
            },
        )
        publish_definition(db.session.scalar(select(Survey)), data)
        db.session.commit()
        second_version = live_version_id()
    record(wolomin, 5, {"lokalizacja": {"2": 5}, "parking": {"3": 5}}, version_id=first_version)
    record(wolomin, 5, {"lokalizacja": {"4": 5}}, version_id=second_version)

    results = results_for(wolomin)

    assert results.versions == (1, 2)
    items = by_key(results.items)
    location = items["lokalizacja"]
    assert (location.text, location.area_key, location.area) == (
        "Dojazd do urzędu",
        "dostepnosc",
        "Dostępność urzędu",
    )
    assert location.score.index == pytest.approx(50.0)  # (2 * 5 + 4 * 5) / 10 = 3
    assert items["parking"].area_key == "wizerunek"  # only version 1 has it
    areas = by_key(results.areas)
    assert areas["dostepnosc"].score.index == pytest.approx(50.0)
    assert areas["wizerunek"].score.index == pytest.approx(50.0)  # parking: all 3

    latest_only = results_for(
        wolomin, Filters(MARCH.date_from, MARCH.date_to, version_id=second_version)
    )
    assert latest_only.versions == (2,)
    assert latest_only.responses == 5
    assert by_key(latest_only.items)["lokalizacja"].score.index == pytest.approx(75.0)
    assert "parking" not in by_key(latest_only.items)


# -- offices and cost ----------------------------------------------------------------------


def test_each_office_sees_only_its_own_responses(
    two_offices, client_for, complete_answers, in_office, record, results_for
):
    wolomin, sierpc = two_offices
    wolomin_department = department_ids(in_office, wolomin)[0]
    client = client_for(wolomin)
    for _ in range(5):
        form = {**client.survey_form(), **complete_answers(wolomin_department)}
        assert client.post("/", data=form).status_code == 303
    record(sierpc, 6, {"ogolna_satysfakcja": {"1": 6}, "lokalizacja": {"2": 6}}, day=date.today())
    around_today = Filters(date.today() - timedelta(days=2), date.today() + timedelta(days=2))

    mine = results_for(wolomin, around_today)
    theirs = results_for(sierpc, around_today)

    ratings = [int(v) for v in COMPLETE_RATINGS.values() if v != "na"] * 5
    assert mine.responses == 5
    assert_score(mine.overall, ratings, n_responses=5)
    assert mine.overall.n_not_applicable == 5
    assert by_key(mine.items)["ogolna_satysfakcja"].score.index == pytest.approx(75.0)
    assert [row.key for row in mine.by_department] == [wolomin_department]
    assert by_key(mine.choices)["cel_wizyty"].options[0].count == 5

    assert theirs.responses == 6
    assert_score(theirs.overall, [1] * 6 + [2] * 6, n_responses=6)
    assert theirs.overall.index == pytest.approx(12.5)
    assert [row.key for row in theirs.by_department] == [NO_DEPARTMENT]
    assert all(choice.hidden for choice in theirs.choices)


def test_reads_only_the_counts_with_a_fixed_number_of_queries(two_offices, record, in_office):
    wolomin, _ = two_offices

    def queries_for(filters: Filters) -> list[str]:
        statements: list[str] = []

        def remember(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with in_office(wolomin):
            compute_results(filters, 75.0)  # loads the survey definitions once
            event.listen(db.engine, "before_cursor_execute", remember)
            try:
                compute_results(filters, 75.0)
            finally:
                event.remove(db.engine, "before_cursor_execute", remember)
        return [s for s in statements if not s.startswith("SELECT set_config")]

    record(wolomin, 5, {"lokalizacja": {"5": 5}})
    small = queries_for(MARCH)
    for day in range(1, 29):
        record(wolomin, 50, {"lokalizacja": {"4": 50}}, day=date(2025, 2, day))
    large = queries_for(Filters(date(2025, 1, 1), date(2025, 12, 31)))

    assert len(small) == len(large) <= 8
    for statement in large:
        assert re.search(r"FROM (response_counts|response_counts_monthly|departments)\b", statement)
        assert not re.search(r"\b(answers|responses)\b", statement), statement


def test_embedded_sqlite_mode_computes_the_same_and_keeps_offices_apart(tmp_path):
    url = f"sqlite:///{tmp_path / 'stats.sqlite'}"
    app = create_app(sqlite_app_settings(url))
    with app.app_context():
        upgrade()
        offices = [create_tenant("wolomin", "Wołomin"), create_tenant("sierpc", "Sierpc")]
        db.session.commit()
        for office, rating in zip(offices, ("5", "2"), strict=True):
            with tenant_scope(office):
                version_id = live_version_id()
                for day in (date(2025, 3, 1), date(2025, 3, 31), date(2025, 4, 1)):
                    add_counts(
                        office.id,
                        {
                            (version_id, RESPONSES_KEY, NO_DEPARTMENT, "qr", day, ""): 5,
                            (version_id, "ogolna_satysfakcja", NO_DEPARTMENT, "qr", day, rating): 5,
                        },
                    )
        db.session.commit()
        seen = []
        for office in offices:
            with tenant_scope(office):
                results = compute_results(MARCH, 75.0)
                seen.append((results.responses, results.overall.index, results.monthly[0].key))
        db.engine.dispose()

    assert seen == [(10, 100.0, "2025-03"), (10, 25.0, "2025-03")]


def test_the_default_comparison_is_the_same_period_a_year_earlier(two_offices, record, results_for):
    wolomin, sierpc = two_offices
    record(wolomin, 5, {"lokalizacja": {"5": 5}})  # March 2025: 100
    record(wolomin, 5, {"lokalizacja": {"3": 5}}, day=date(2024, 3, 15))  # a year before: 50
    record(wolomin, 5, {"lokalizacja": {"1": 5}}, day=date(2025, 2, 15))  # just before: 0
    record(sierpc, 5, {"lokalizacja": {"2": 5}}, day=date(2024, 3, 15))

    default = results_for(wolomin)
    assert default.compared == year_earlier(MARCH) == Filters(date(2024, 3, 1), date(2024, 3, 31))
    assert by_key(default.items)["lokalizacja"].change == pytest.approx(50.0)
    assert default.change == pytest.approx(50.0)
    before = results_for(wolomin, comparison=PREVIOUS_PERIOD)
    assert before.compared == Filters(date(2025, 2, 1), date(2025, 2, 28))
    assert by_key(before.items)["lokalizacja"].change == pytest.approx(100.0)


def test_flags_are_decided_on_the_index_as_shown():
    shown_as_75 = score_of(Counter({"4": 499, "3": 1}), 500)  # 74.95
    assert shown_as_75.index == pytest.approx(74.95)
    assert not is_below(shown_as_75, 75)
    shown_as_74_9 = score_of(Counter({"4": 498, "3": 2}), 500)  # 74.90
    assert is_below(shown_as_74_9, 75)
    assert not is_below(score_of(Counter(), 0), 75)  # hidden: never flagged
    # a significant fall counts only when the change as shown is negative
    assert is_significant_fall(-0.05, True)  # shown as −0,1
    assert not is_significant_fall(-0.04, True)  # shown as 0,0
    assert not is_significant_fall(-5.0, False)


def test_a_change_shown_as_0_0_is_never_significant_here_nor_in_an_actions_effect():
    now = Score(hidden=False, index=50.04, index_se=0.001)
    before = Score(hidden=False, index=50.0, index_se=0.001)
    assert compare(now, before)[1]  # by the z test alone
    assert shown_change(now, before) == (pytest.approx(0.04), False)
    effect = ItemEffect("lokalizacja", "Lokalizacja", before, now, *shown_change(now, before))
    assert effect.verdict == "bez istotnej zmiany"
    clearer = Score(hidden=False, index=50.06, index_se=0.001)
    assert shown_change(clearer, before)[1]
    assert ItemEffect("x", "x", before, clearer, *shown_change(clearer, before)).verdict == (
        "istotna poprawa"
    )
