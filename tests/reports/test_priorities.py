"""Priorytety: the importance (correlation with the overall question) and performance (index)
of each item, worked out from the sums in the count rows, equal a direct computation over the
raw answers, also after exclusions, restores and department merges, for each office apart."""

from __future__ import annotations

import copy
import random
import re
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from math import sqrt

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db
from tenants.office.services import merge_departments
from tenants.reports.priorities import (
    MIN_PAIRS,
    PRIORITY,
    ItemPriority,
    correlation,
    office_priorities,
    rank_priorities,
)
from tenants.reports.stats import compute_results
from tenants.survey.definition import (
    OVERALL_QUESTION_KEY,
    RATING_VALUES,
    live_version_id,
    published_version,
)
from tenants.survey.filters import Filters
from tenants.survey.forms import check_submission
from tenants.survey.models import (
    Answer,
    Department,
    MonthlyResponseCount,
    Response,
    ResponseCount,
    Survey,
)
from tenants.survey.moderation import exclude_response, restore_response
from tenants.survey.scores import PairSums, pair_sums
from tenants.survey.services import submit_response
from tenants.survey.template import default_template, publish_definition

FIRST_DAY = date(2025, 1, 12)
DAYS = 100
CHANNELS = ("web", "qr", "banner")
WHOLE = Filters(date(2025, 1, 1), date(2025, 6, 30))
# Partial months at both ends: the edge days are read from the daily counts.
PARTIAL = Filters(date(2025, 1, 20), date(2025, 3, 25))
TOLERANCE = 1e-9


def _random_fields(rng: random.Random, version, complete_answers, department: int | None):
    """A complete default survey with ratings that move together (a shared mood, a weight
    per item) and some "nie dotyczy"."""
    fields = {
        name: value
        for name, value in complete_answers(department).items()
        if name in version.questions_by_field
    }
    mood = rng.gauss(0, 1)
    for key, question in version.questions.items():
        if question.kind != "rating":
            continue
        if question.allow_not_applicable and rng.random() < 0.1:
            fields[question.field_name] = "na"
            continue
        weight = 1.0 if key == OVERALL_QUESTION_KEY else (sum(map(ord, key)) % 7) / 7
        rating = round(3.4 + weight * mood + rng.gauss(0, 0.8))
        fields[question.field_name] = str(max(1, min(5, rating)))
    return fields


@pytest.fixture
def store_random(in_office, complete_answers):
    return random_responses(in_office, complete_answers)


def random_responses(in_office, complete_answers):
    """Factory: store ``count`` random responses in an office over ``DAYS`` days from
    ``FIRST_DAY``, in random departments and channels, through the survey's own check and
    service; returns their ids."""

    def store(office, count: int, seed: int) -> list[int]:
        rng = random.Random(seed)
        ids = []
        with in_office(office) as tenant:
            version = published_version(live_version_id())
            departments = list(db.session.scalars(select(Department.id).order_by(Department.id)))
            for _ in range(count):
                department = rng.choice([None, *departments[:3]])
                fields = _random_fields(rng, version, complete_answers, department)
                fields.update({"kanal": rng.choice(CHANNELS), "submission": str(uuid.uuid4())})
                check = check_submission(version, MultiDict(fields), frozenset(departments), 2000)
                assert not check.errors, check.errors
                day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
                when = datetime.combine(day, time(11, 0), tzinfo=UTC)
                ids.append(
                    submit_response(tenant.id, tenant.timezone, version, check.submission, when)
                )
            db.session.commit()
        return ids

    return store


def _direct(filters: Filters) -> dict[str, tuple[int, float | None, float | None]]:
    """Straight from the raw answers of the counted responses: item key -> (pairs, Pearson r
    with the overall rating by the textbook two-pass formula, the item's index)."""
    conditions = [
        Response.excluded_at.is_(None),
        Response.answered_on >= filters.date_from,
        Response.answered_on <= filters.date_to,
    ]
    if filters.department_id is not None:
        conditions.append(Response.department_id == filters.department_id)
    rows = db.session.execute(
        select(Answer.response_id, Answer.question_key, Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(*conditions, Answer.value.in_(RATING_VALUES))
    )
    by_response: dict[int, dict[str, int]] = defaultdict(dict)
    for response_id, key, value in rows:
        by_response[response_id][key] = int(value)
    ratings: dict[str, list[int]] = defaultdict(list)
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for answers in by_response.values():
        overall = answers.get(OVERALL_QUESTION_KEY)
        for key, x in answers.items():
            ratings[key].append(x)
            if overall is not None:
                pairs[key].append((x, overall))
    result = {}
    for key, values in ratings.items():
        index = (sum(values) / len(values) - 1) * 25
        found = pairs[key]
        r = None
        if found:
            mean_x = sum(x for x, _ in found) / len(found)
            mean_y = sum(y for _, y in found) / len(found)
            sxy = sum((x - mean_x) * (y - mean_y) for x, y in found)
            sxx = sum((x - mean_x) ** 2 for x, _ in found)
            syy = sum((y - mean_y) ** 2 for _, y in found)
            r = sxy / sqrt(sxx * syy) if sxx > 0 and syy > 0 else None
        result[key] = (len(found), r, index)
    return result


def _assert_matches_raw_answers(filters: Filters, threshold: float = 75.0) -> int:
    """The view of ``filters`` against the raw answers; returns how many items it charted."""
    results = compute_results(filters, threshold)
    view = office_priorities(results)
    assert view is not None
    expected = _direct(filters)
    assert OVERALL_QUESTION_KEY not in {item.key for item in view.items}
    charted = 0
    for item in view.items:
        pairs, r, index = expected.get(item.key, (0, None, None))
        assert item.pairs == pairs, item.key
        if pairs >= MIN_PAIRS and r is not None:
            assert item.importance == pytest.approx(r, abs=TOLERANCE), item.key
        else:
            assert item.importance is None, item.key
        if item.index is not None:
            assert item.index == pytest.approx(index, abs=TOLERANCE), item.key
        charted += item.on_chart
    return charted


def _assert_months_equal_days() -> None:
    """The monthly roll-up holds the same sums as the days it rolls up."""
    rolled: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    rc = ResponseCount
    columns = (rc.count, rc.overall_n, rc.overall_sum, rc.overall_squares)
    key = (rc.version_id, rc.question_key, rc.department_id, rc.channel, rc.day, rc.value)
    for row in db.session.execute(select(*key, *columns)):
        month_key = (*row[:4], row[4].replace(day=1), row[5])
        rolled[month_key] = [a + b for a, b in zip(rolled[month_key], row[6:], strict=True)]
    m = MonthlyResponseCount
    months = {
        tuple(row[:6]): list(row[6:])
        for row in db.session.execute(
            select(
                m.version_id, m.question_key, m.department_id, m.channel, m.month, m.value,
                m.count, m.overall_n, m.overall_sum, m.overall_squares,
            )
        )
    }  # fmt: skip
    assert months == {k: v for k, v in rolled.items() if v[0]}


def test_importance_and_index_equal_a_direct_computation_over_raw_answers(
    two_offices, store_random, in_office
):
    wolomin, sierpc = two_offices
    stored = {wolomin: store_random(wolomin, 160, seed=1), sierpc: store_random(sierpc, 90, 2)}
    for office in two_offices:
        with in_office(office):
            department = db.session.scalar(select(Department.id).order_by(Department.id))
            assert _assert_matches_raw_answers(WHOLE) > 10
            _assert_matches_raw_answers(PARTIAL)
            _assert_matches_raw_answers(Filters(WHOLE.date_from, WHOLE.date_to, department))
            _assert_months_equal_days()

    # Exclusions take a response's pairs away, a restore puts them back, a merge moves them.
    rng = random.Random(7)
    with in_office(wolomin):
        excluded = rng.sample(stored[wolomin], 25)
        for response_id in excluded:
            exclude_response(response_id)
        restore_response(excluded[0])
        source, target = list(db.session.scalars(select(Department).order_by(Department.id)))[:2]
        target_id = target.id
        merge_departments(source, target)
        db.session.commit()
    with in_office(wolomin):
        assert _assert_matches_raw_answers(WHOLE) > 10
        _assert_matches_raw_answers(PARTIAL)
        _assert_matches_raw_answers(Filters(WHOLE.date_from, WHOLE.date_to, target_id))
        _assert_months_equal_days()
    with in_office(sierpc):  # the other office is untouched
        _assert_matches_raw_answers(WHOLE)
        assert sum(s.n for s in pair_sums(WHOLE).values()) > 0


def test_under_thirty_pairs_an_item_has_too_little_data(two_offices, store_random, in_office):
    wolomin, sierpc = two_offices
    store_random(wolomin, MIN_PAIRS - 1, seed=3)
    store_random(sierpc, MIN_PAIRS + 5, seed=3)
    with in_office(wolomin):
        view = office_priorities(compute_results(WHOLE, 75.0))
        assert view is not None and view.items
        assert all(item.missing == "za mało danych" for item in view.items)
        assert view.top == () and view.mean_importance is None
    with in_office(sierpc):
        view = office_priorities(compute_results(WHOLE, 75.0))
        assert view is not None
        assert any(item.on_chart for item in view.items)


def test_a_survey_without_the_overall_question_has_no_priorities(
    two_offices, store_random, in_office
):
    wolomin, sierpc = two_offices
    with in_office(wolomin):
        data = copy.deepcopy(default_template())
        data["sections"] = [s for s in data["sections"] if s["key"] != "ogolna"]
        publish_definition(db.session.scalar(select(Survey)), data)
        db.session.commit()
    store_random(wolomin, 40, seed=4)
    store_random(sierpc, 40, seed=4)
    with in_office(wolomin):
        assert office_priorities(compute_results(WHOLE, 75.0)) is None
        assert pair_sums(WHOLE) == {}
    with in_office(sierpc):
        assert office_priorities(compute_results(WHOLE, 75.0)) is not None


# -- the pure function ---------------------------------------------------------------------


def _sums(pairs: list[tuple[int, int]]) -> PairSums:
    return PairSums(
        n=len(pairs),
        sum_x=sum(x for x, _ in pairs),
        sum_y=sum(y for _, y in pairs),
        sum_xy=sum(x * y for x, y in pairs),
        sum_xx=sum(x * x for x, _ in pairs),
        sum_yy=sum(y * y for _, y in pairs),
    )


def test_correlation_from_sums_equals_the_two_pass_formula_on_seeded_random_data():
    rng = random.Random(11)
    for _ in range(300):
        n = rng.randint(2, 400)
        slope = rng.uniform(-1, 1)
        pairs = []
        for _ in range(n):
            y = rng.randint(1, 5)
            x = max(1, min(5, round(3 + slope * (y - 3) + rng.gauss(0, 1))))
            pairs.append((x, y))
        mean_x = sum(x for x, _ in pairs) / n
        mean_y = sum(y for _, y in pairs) / n
        sxy = sum((x - mean_x) * (y - mean_y) for x, y in pairs)
        sxx = sum((x - mean_x) ** 2 for x, _ in pairs)
        syy = sum((y - mean_y) ** 2 for _, y in pairs)
        r = correlation(_sums(pairs))
        if sxx == 0 or syy == 0:
            assert r is None
        else:
            assert r == pytest.approx(sxy / sqrt(sxx * syy), abs=TOLERANCE)


def test_top_priorities_are_important_items_with_a_low_index():
    from tenants.reports.stats import ItemScore
    from tenants.survey.scores import Score

    def item(key: str, index: float) -> ItemScore:
        score = Score(hidden=False, index=index)
        return ItemScore(key, key, "a", "Obszar", score, None, False, False)

    strong = _sums([(y, y) for y in [1, 2, 3, 4, 5] * 10])  # r = 1
    weak = _sums(list(zip([1, 2, 3, 4, 5] * 10, [3, 1, 4, 2, 5] * 10, strict=True)))  # r = 0.3
    view = rank_priorities(
        [item("a", 40.0), item("b", 90.0), item("c", 45.0), item("d", 50.0)],
        {"a": strong, "b": strong, "c": weak, "d": _sums([(1, 1)] * 20)},
    )
    by_key: dict[str, ItemPriority] = {i.key: i for i in view.items}
    assert by_key["a"].quadrant == PRIORITY
    assert by_key["b"].quadrant == "mocna strona"
    assert by_key["c"].quadrant == "niski priorytet"
    assert by_key["d"].missing == "za mało danych" and by_key["d"].quadrant is None
    assert [i.key for i in view.top] == ["a"]
    assert [i.number for i in view.items] == [1, 2, 3, 4]
    assert view.items[-1].key == "d"


def test_the_report_summary_names_the_top_priorities_and_its_methodology_the_method(
    two_offices, store_random, in_office
):
    from tenants.reports.html_edition import build_editions
    from tenants.reports.pdf import ReportRequest, report_html
    from tenants.reports.summary import priorities

    wolomin, sierpc = two_offices
    store_random(wolomin, 120, seed=31)
    store_random(sierpc, MIN_PAIRS - 1, seed=32)
    request = ReportRequest(WHOLE.date_from, WHOLE.date_to)
    with in_office(wolomin) as tenant:
        view = priorities(compute_results(WHOLE, tenant.score_threshold))
        assert view is not None and view.top
        html = report_html(tenant, request, datetime(2025, 7, 1, tzinfo=UTC))
    summary = html.split("<b>Priorytety – co poprawić najpierw</b>")[1].split("</p>")[0]
    assert [item.text for item in view.top] == re.findall(r"„(.*?)” \(indeks", summary)
    assert "korelacja Pearsona" in html.split("<h2>Metodologia</h2>")[1]
    with in_office(wolomin) as tenant:  # the accessible edition names the same priorities
        edition = build_editions(tenant, request, datetime(2025, 7, 1, tzinfo=UTC)).html
    accessible = edition.split("<strong>Priorytety – co poprawić najpierw</strong>")[1]
    assert [item.text for item in view.top] == re.findall(
        r"„(.*?)” \(indeks", accessible.split("</p>")[0]
    )
    assert "korelacja Pearsona" in edition.split('id="metodologia"')[1]
    with in_office(sierpc) as tenant:
        html = report_html(tenant, request, datetime(2025, 7, 1, tzinfo=UTC))
    assert "za mało danych (ważność liczymy" in html
