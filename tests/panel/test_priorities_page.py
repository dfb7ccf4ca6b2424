"""The dashboard's "Priorytety": the quadrant chart with its table and the top priorities named
in words, each office seeing its own; "za mało danych" under 30 pairs; nothing for a survey
without the overall question."""

from __future__ import annotations

import copy
import re
from html import unescape

import pytest
from sqlalchemy import select

from saas_platform.core.db import db
from tenants.reports.priorities import office_priorities
from tenants.reports.stats import compute_results
from tenants.survey.models import Survey
from tenants.survey.template import default_template, publish_definition
from tests.reports.test_priorities import MIN_PAIRS, WHOLE, random_responses

PERIOD = "okres=custom&od=2025-01-01&do=2025-06-30"


@pytest.fixture
def store_random(in_office, complete_answers):
    return random_responses(in_office, complete_answers)


def _section(html: str) -> str:
    match = re.search(r'<section aria-labelledby="priorytety".*?</section>', html, re.S)
    assert match, "no Priorytety section"
    return match.group(0)


def test_the_dashboard_names_the_top_priorities_and_charts_every_item_with_its_table(
    two_offices, store_random, logged_in, in_office
):
    wolomin, sierpc = two_offices
    store_random(wolomin, 120, seed=21)
    store_random(sierpc, 60, seed=22)
    for office in two_offices:
        with in_office(office) as tenant:
            view = office_priorities(compute_results(WHOLE, tenant.score_threshold))
        assert view is not None and view.top
        html = logged_in(office).get(f"/panel/?{PERIOD}").get_data(as_text=True)
        section = _section(html)
        assert html.count('aria-labelledby="priorytety"') == 1
        top = re.search(r'<div id="priorytety-najpierw">(.*?)</div>', section, re.S).group(1)
        named = [unescape(t) for t in re.findall(r"<li><strong>(.*?)</strong>", top)]
        assert named == [item.text for item in view.top]
        # The chart: one point per charted item, named in its title, with a title and a desc.
        assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="priorytety-tytul', section)
        assert '<desc id="priorytety-opis">' in section
        assert section.count("<circle") == len(view.charted)
        rows = re.findall(r"<tr>\s*<td>(\d+)</td>", section)
        assert [int(n) for n in rows] == [item.number for item in view.items]
        first = view.items[0]
        assert f"{first.importance:.2f}".replace(".", ",") in section


def test_too_few_pairs_say_so_and_a_survey_without_the_overall_question_shows_none(
    two_offices, store_random, logged_in, in_office
):
    wolomin, sierpc = two_offices
    store_random(wolomin, MIN_PAIRS - 1, seed=23)
    with in_office(sierpc):
        data = copy.deepcopy(default_template())
        data["sections"] = [s for s in data["sections"] if s["key"] != "ogolna"]
        publish_definition(db.session.scalar(select(Survey)), data)
        db.session.commit()
    store_random(sierpc, 40, seed=24)

    section = _section(logged_in(wolomin).get(f"/panel/?{PERIOD}").get_data(as_text=True))
    assert 'id="priorytety-brak"' in section
    assert "<svg" not in section
    assert "za mało danych" in section

    html = logged_in(sierpc).get(f"/panel/?{PERIOD}").get_data(as_text=True)
    assert 'id="priorytety"' not in html
    assert 'href="#priorytety"' not in html
    assert 'id="obszary"' in html
