"""Host -> office resolution: exactly the office's hosts serve it, everything else is a 404."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select, text

from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant, TenantDomain
from saas_platform.core.tenancy.resolver import normalise_host
from tenants.survey.models import Response
from tests.conftest import PLATFORM_DOMAIN

UNKNOWN_HOSTS = [
    f"unknown.{PLATFORM_DOMAIN}",
    "evil.example",
    f"wolomin.{PLATFORM_DOMAIN}.evil.example",
    f"a.b.{PLATFORM_DOMAIN}",
    f"www.wolomin.{PLATFORM_DOMAIN}",
    "127.0.0.1",
    "[::1]",
    f".{PLATFORM_DOMAIN}",
    f"wolomin{PLATFORM_DOMAIN}",
]


@pytest.mark.parametrize("host", UNKNOWN_HOSTS)
def test_unknown_host_is_a_404_and_never_a_default_office(two_offices, client_for, host):
    response = client_for(host).get("/")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Nie znaleziono strony" in html
    for office in two_offices:
        assert office.name not in html


def test_empty_host_is_a_404(two_offices, app):
    response = app.test_client().get("/", headers={"Host": ""})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "host",
    [
        f"wolomin.{PLATFORM_DOMAIN}",
        f"WOLOMIN.{PLATFORM_DOMAIN.upper()}",
        f"wolomin.{PLATFORM_DOMAIN}:8080",
    ],
)
def test_office_host_serves_that_office_in_any_case_and_with_a_port(two_offices, client_for, host):
    wolomin, sierpc = two_offices
    html = client_for(host).get("/").get_data(as_text=True)
    assert wolomin.name in html
    assert sierpc.name not in html


def test_each_office_host_serves_its_own_survey(two_offices, client_for):
    wolomin, sierpc = two_offices
    assert sierpc.name in client_for(sierpc).get("/").get_data(as_text=True)
    assert wolomin.name not in client_for(sierpc).get("/").get_data(as_text=True)


def test_custom_domain_serves_its_office_through_the_row_level_security(
    app, two_offices, client_for, in_office
):
    wolomin = two_offices[0]
    with in_office(wolomin):
        db.session.add(TenantDomain(host="ankieta.wolomin.pl"))
        db.session.commit()
    response = client_for("ankieta.wolomin.pl").get("/")
    assert response.status_code == 200
    assert wolomin.name in response.get_data(as_text=True)
    assert client_for("ankieta.sierpc.pl").get("/").status_code == 404


def test_apex_host_shows_landing_page_listing_offices(two_offices, client_for):
    response = client_for(PLATFORM_DOMAIN).get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for office in two_offices:
        assert office.name in html
        assert f"http://{office.slug}.{PLATFORM_DOMAIN}/" in html


def test_suspended_office_shows_polite_unavailable_page(app, two_offices, client_for):
    wolomin, sierpc = two_offices
    with app.app_context():
        db.session.get(Tenant, wolomin.id).status = "suspended"
        db.session.commit()
    response = client_for(wolomin).get("/")
    assert response.status_code == 503
    assert "Ankieta jest chwilowo niedostępna" in response.get_data(as_text=True)
    assert client_for(sierpc).get("/").status_code == 200
    assert wolomin.name not in client_for(PLATFORM_DOMAIN).get("/").get_data(as_text=True)


def test_office_pages_do_not_exist_on_the_apex(two_offices, client_for):
    assert client_for(PLATFORM_DOMAIN).get("/dziekujemy").status_code == 404
    assert client_for(PLATFORM_DOMAIN).post("/").status_code == 405


def test_health_endpoints_answer_on_any_host(two_offices, client_for):
    for host in (PLATFORM_DOMAIN, "unknown.example", f"wolomin.{PLATFORM_DOMAIN}"):
        assert client_for(host).get("/healthz").status_code == 200
        ready = client_for(host).get("/readyz")
        assert ready.status_code == 200
        assert ready.json == {"database": "ok", "redis": "ok"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wolomin.Example.PL:443", "wolomin.example.pl"),
        ("wolomin.example.pl.", "wolomin.example.pl"),
        ("[::1]:5000", "[::1]"),
        ("", ""),
    ],
)
def test_host_normalisation(raw, expected):
    assert normalise_host(raw) == expected


def _rename_behind_the_apps_back(owner_engine, office, name: str) -> None:
    """What another web process does: the change reaches the database, not this process."""
    with owner_engine.begin() as conn:
        conn.execute(
            text("UPDATE tenants SET name = :name WHERE id = :id"), {"name": name, "id": office.id}
        )


def test_resident_pages_remember_their_office_briefly_and_staff_pages_never(
    app, two_offices, client_for, owner_engine, monkeypatch
):
    """The residents' pages find their office in a per-process cache bounded by
    SURVEY_PAGE_CACHE_SECONDS; the staff panel always reads it afresh."""
    monkeypatch.setitem(app.config, "SURVEY_PAGE_CACHE_SECONDS", 0.5)
    wolomin, sierpc = two_offices
    resident, other = client_for(wolomin), client_for(sierpc)
    assert wolomin.name in resident.get("/dziekujemy").get_data(as_text=True)
    assert sierpc.name in other.get("/dziekujemy").get_data(as_text=True)

    _rename_behind_the_apps_back(owner_engine, wolomin, "Urząd Nowej Nazwy")
    remembered = resident.get("/dziekujemy").get_data(as_text=True)
    assert wolomin.name in remembered and "Nowej Nazwy" not in remembered
    assert "Urząd Nowej Nazwy" in resident.get("/panel/login").get_data(as_text=True)
    # the other office's entry is its own
    assert sierpc.name in other.get("/dziekujemy").get_data(as_text=True)

    time.sleep(0.6)
    assert "Urząd Nowej Nazwy" in resident.get("/dziekujemy").get_data(as_text=True)


def test_a_change_made_by_this_process_reaches_resident_pages_at_once(app, two_offices, client_for):
    wolomin, sierpc = two_offices
    resident = client_for(wolomin)
    assert resident.get("/dziekujemy").status_code == 200  # remembered now
    with app.app_context():
        db.session.get(Tenant, wolomin.id).status = "suspended"
        db.session.commit()
    assert resident.get("/dziekujemy").status_code == 503
    assert client_for(sierpc).get("/dziekujemy").status_code == 200


def test_a_remembered_office_takes_answers_for_itself_only(
    app, two_offices, client_for, complete_answers
):
    """With both offices remembered, each POST lands under its own host's office."""
    wolomin, sierpc = two_offices
    for office in (wolomin, sierpc, wolomin):
        client = client_for(office)
        form = client.survey_form()
        answered = client.post("/", data={**form, **complete_answers()})
        assert answered.status_code == 303, answered.status_code
    counts = {}
    for office in (wolomin, sierpc):
        with app.app_context(), tenant_scope(db.session.get(Tenant, office.id)):
            counts[office.slug] = db.session.scalar(select(func.count()).select_from(Response))
    assert counts == {"wolomin": 2, "sierpc": 1}
