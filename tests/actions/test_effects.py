"""An action's measured effect: each linked item's index before and after implementation, in
equal windows read from the counts, with intervals, a verdict and the small-group rule."""

from __future__ import annotations

from datetime import date, timedelta

from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant
from tenants.actions.effects import measure
from tenants.actions.models import Action
from tenants.actions.services import rated_items
from tenants.survey.counts import add_counts
from tenants.survey.definition import live_version_id
from tenants.survey.models import NO_DEPARTMENT, RESPONSES_KEY


def _add_ratings(tenant_id: int, day: date, key: str, ratings: dict[str, int]) -> None:
    """Responses on ``day`` that rated ``key`` as ``ratings`` says (value -> how many)."""
    version_id = live_version_id()
    responses = sum(ratings.values())
    increments = {(version_id, RESPONSES_KEY, NO_DEPARTMENT, "web", day, ""): responses}
    for value, count in ratings.items():
        increments[(version_id, key, NO_DEPARTMENT, "web", day, value)] = count
    add_counts(tenant_id, increments)


def _office_today(in_office, office) -> date:
    with in_office(office):
        return current_tenant.today()


def test_effect_compares_equal_windows_before_and_after_with_a_verdict(
    two_offices, in_office, make_action, logged_in
):
    wolomin, sierpc = two_offices
    today = _office_today(in_office, wolomin)
    implemented = today - timedelta(days=100)
    for office, before, after in (
        (wolomin, {"2": 6, "3": 4}, {"4": 5, "5": 5}),
        (sierpc, {"1": 40}, {"1": 40}),  # must not leak into Wołomin's figures
    ):
        with in_office(office) as tenant:
            _add_ratings(tenant.id, implemented - timedelta(days=30), "czas_oczekiwania", before)
            _add_ratings(tenant.id, implemented + timedelta(days=30), "czas_oczekiwania", after)
            # Outside both windows: ignored.
            _add_ratings(
                tenant.id, implemented - timedelta(days=200), "czas_oczekiwania", {"1": 50}
            )
            # Three ratings only: under the small-group rule.
            _add_ratings(tenant.id, implemented + timedelta(days=5), "szybkosc_obslugi", {"5": 3})
            db.session.commit()
    action_id = make_action(
        wolomin,
        status="done",
        implemented_on=implemented.isoformat(),
        planned_start="",
        due_date="",
    )
    with in_office(wolomin):
        effect = measure(db.session.get(Action, action_id), rated_items(), today)
    assert effect is not None and not effect.pending
    assert effect.before_window == (implemented - timedelta(days=90), implemented - timedelta(1))
    assert effect.after_window == (implemented, implemented + timedelta(days=89))
    waiting, speed = effect.items
    assert waiting.before.index == (2 * 6 + 3 * 4) / 10 * 25 - 25  # mean 2.4 -> 35
    assert waiting.after.index == 87.5
    assert waiting.before.index_low < waiting.before.index < waiting.before.index_high
    assert waiting.significant and waiting.verdict == "istotna poprawa"
    assert speed.after.hidden and speed.verdict == "za mało danych"

    page = logged_in(wolomin, "analyst").get(f"/panel/dzialania/{action_id}").get_data(as_text=True)
    assert "istotna poprawa" in page and "za mało danych" in page
    assert "35,0" in page and "87,5" in page


def test_effect_window_is_adjustable_and_the_open_window_is_marked_as_partial(
    two_offices, in_office, make_action
):
    wolomin, _ = two_offices
    today = _office_today(in_office, wolomin)
    implemented = today - timedelta(days=10)
    action_id = make_action(
        wolomin,
        status="done",
        implemented_on=implemented.isoformat(),
        planned_start="",
        due_date="",
        effect_window_days="30",
    )
    with in_office(wolomin):
        action = db.session.get(Action, action_id)
        effect = measure(action, rated_items(), today)
        assert effect is not None and effect.pending
        assert effect.before_window == (implemented - timedelta(30), implemented - timedelta(1))
        assert effect.after_window == (implemented, implemented + timedelta(29))
        assert all(item.verdict == "za mało danych" for item in effect.items)
        action.status, action.implemented_on = "in_progress", None
        db.session.flush()
        assert measure(action, rated_items(), today) is None
