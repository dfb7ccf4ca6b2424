"""The public "Wyniki i zmiany" page: opt-in per office, the index by year, the areas, the
completed actions an office publishes, the small-group rule, the links to it and its cache."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant
from tenants.actions import services as actions
from tenants.actions.models import Action
from tenants.survey.counts import add_counts
from tenants.survey.definition import live_version_id
from tenants.survey.models import NO_DEPARTMENT, RESPONSES_KEY


@pytest.fixture
def record(in_office):
    """Factory: ``responses`` whole responses of today rating "lokalizacja" ``value``."""

    def record(office, responses: int, value: str = "4") -> None:
        with in_office(office) as tenant:
            day = tenant.today()
            version_id = live_version_id()
            add_counts(
                tenant.id,
                {
                    (version_id, RESPONSES_KEY, NO_DEPARTMENT, "web", day, ""): responses,
                    (version_id, "lokalizacja", NO_DEPARTMENT, "web", day, value): responses,
                },
            )
            db.session.commit()

    return record


@pytest.fixture
def set_public(in_office):
    def set_public(office, enabled: bool = True) -> None:
        with in_office(office) as tenant:
            tenant.public_results = enabled
            db.session.commit()

    return set_public


@pytest.fixture
def add_action(in_office):
    """Factory: an action stored through the services; returns its id."""

    def add(office, title: str, *, done: bool = True, published: bool = True) -> int:
        with in_office(office):
            today = current_tenant.today()
            form = MultiDict(
                {
                    "title": title,
                    "description": "Drugie stanowisko w godzinach szczytu.",
                    "kind": "corrective",
                    "responsible_text": "Sekretarz",
                    "status": "done" if done else "in_progress",
                    "implemented_on": (today - timedelta(days=1)).isoformat() if done else "",
                    "published": "1" if published else "",
                }
            )
            form.setlist("item_keys", ["lokalizacja"])
            check = actions.check_action(form, today)
            assert check.values is not None, check.errors
            action = actions.create_action(check.values, None)
            db.session.commit()
            return action.id

    return add


def test_the_page_is_off_by_default_and_404_until_the_office_turns_it_on(
    two_offices, client_for, set_public
):
    first, second = two_offices
    assert client_for(first).get("/wyniki").status_code == 404
    set_public(first)
    assert client_for(first).get("/wyniki").status_code == 200
    assert client_for(second).get("/wyniki").status_code == 404


def test_shows_the_index_of_the_year_the_areas_and_only_this_offices_published_actions(
    two_offices, client_for, set_public, record, add_action
):
    first, second = two_offices
    for office in two_offices:
        set_public(office)
        record(office, 8, "5")
    add_action(first, "Nowe oznakowanie <b>wejścia</b>")
    add_action(first, "Szkolenie, jeszcze trwa", done=False, published=False)
    add_action(first, "Zrealizowane, nieopublikowane", published=False)
    add_action(second, "Działanie drugiego urzędu")

    page = client_for(first).get("/wyniki")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script" not in html
    assert "Wskaźnik zadowolenia w kolejnych latach" in html
    assert "<td>100</td>" in html.replace("100,0", "100")  # all ratings 5: index 100
    assert "Zmieniliśmy dzięki Waszym ocenom" in html
    assert "Nowe oznakowanie &lt;b&gt;wejścia&lt;/b&gt;" in html
    assert "Dotyczy pytań:" in html
    assert "jeszcze trwa" not in html
    assert "nieopublikowane" not in html
    assert "drugiego urzędu" not in html
    assert "Sekretarz" not in html  # no owner on the public page


def test_a_year_with_fewer_than_five_responses_shows_no_index(
    two_offices, client_for, set_public, record
):
    first, second = two_offices
    set_public(first)
    set_public(second)
    record(first, 4, "1")
    record(second, 5, "1")
    hidden = client_for(first).get("/wyniki").get_data(as_text=True)
    shown = client_for(second).get("/wyniki").get_data(as_text=True)
    assert "za mało odpowiedzi" in hidden
    assert "<td>4</td>" not in hidden  # the count of a hidden group is not shown either
    assert "<td>0" in shown and "<td>5</td>" in shown


def test_only_a_completed_action_can_be_published(two_offices, in_office):
    with in_office(two_offices[0]):
        form = MultiDict(
            {"title": "Plan", "kind": "corrective", "status": "planned", "published": "1"}
        )
        check = actions.check_action(form, current_tenant.today())
    assert check.values is None
    assert "tylko działanie zrealizowane" in " ".join(e.message for e in check.errors)


def test_the_survey_footer_and_the_thank_you_page_link_to_it_only_when_it_is_on(
    two_offices, client_for, set_public
):
    first, second = two_offices
    set_public(first)
    for office, linked in ((first, True), (second, False)):
        client = client_for(office)
        for path in ("/", "/dziekujemy"):
            html = client.get(path).get_data(as_text=True)
            assert ('href="/wyniki"' in html) is linked, (office.slug, path)


def test_a_published_change_shows_on_the_next_request_despite_the_cache(
    two_offices, client_for, set_public, record, add_action, in_office
):
    first, second = two_offices
    set_public(first)
    record(first, 6)
    client = client_for(first)
    action_id = add_action(first, "Ławki w poczekalni", published=False)
    assert "Ławki w poczekalni" not in client.get("/wyniki").get_data(as_text=True)

    with in_office(first):
        action = db.session.get(Action, action_id)
        action.published = True
        db.session.commit()
    assert "Ławki w poczekalni" in client.get("/wyniki").get_data(as_text=True)

    with in_office(first):
        db.session.get(Action, action_id).published = False
        db.session.commit()
    assert "Ławki w poczekalni" not in client.get("/wyniki").get_data(as_text=True)

    set_public(first, False)
    assert client.get("/wyniki").status_code == 404
    assert client_for(second).get("/wyniki").status_code == 404


def test_the_page_speaks_the_residents_language_where_the_texts_exist(
    two_offices, client_for, set_public, record, add_action
):
    first, second = two_offices
    for office in two_offices:
        set_public(office)
        record(office, 6)
    add_action(first, "Nowe oznakowanie wejścia")
    english = client_for(first).get("/wyniki?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "What we changed thanks to your ratings" in english
    assert "Satisfaction index by year" in english
    assert "Nowe oznakowanie wejścia" in english  # the office's own text, as written
    polish = client_for(second).get("/wyniki").get_data(as_text=True)
    assert '<html lang="pl">' in polish and "Wskaźnik zadowolenia w kolejnych latach" in polish


def test_an_admin_turns_the_page_on_and_publishes_a_done_action_through_the_panel(
    two_offices, logged_in, client_for, record, add_action, in_office
):
    from tests.office.test_office_pages import OFFICE_DATA, _audit, _form_post

    first, second = two_offices
    record(first, 6)
    action_id = add_action(first, "Ławki w poczekalni", published=False)
    admin = logged_in(first)
    office_data = {**OFFICE_DATA, "name": "Urząd Miejski w Wołominie", "public_results": "y"}
    assert _form_post(admin, "/panel/urzad", **office_data).status_code == 302
    [entry] = _audit(first, in_office, "office.update")
    assert entry.before == {"public_results": False} and entry.after["public_results"] is True

    edit = f"/panel/dzialania/{action_id}/edycja"
    page = admin.get(edit).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    form = {
        "title": "Ławki w poczekalni",
        "kind": "corrective",
        "item_keys": "lokalizacja",
        "responsible_text": "Sekretarz",
        "status": "done",
        "implemented_on": re.search(
            r'name="implemented_on" type="date" value="([^"]+)"', page
        ).group(1),
        "effect_window_days": "90",
        "version": version,
        "published": "1",
    }
    assert _form_post(admin, edit, **form).status_code == 302
    assert "Ławki w poczekalni" in client_for(first).get("/wyniki").get_data(as_text=True)
    assert client_for(second).get("/wyniki").status_code == 404

    # "published" on an action that is not done is refused, and nothing is stored
    refused = _form_post(admin, edit, **{**form, "status": "in_progress", "implemented_on": ""})
    assert refused.status_code == 422
    assert "tylko działanie zrealizowane" in refused.get_data(as_text=True)
    with in_office(first):
        assert db.session.get(Action, action_id).status == "done"
