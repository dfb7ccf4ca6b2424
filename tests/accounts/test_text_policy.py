"""Security review, finding 1: staff names and e-mail addresses follow the platform's text
policy. A NUL in an address used to reach PostgreSQL, which refuses it: a 500."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from saas_platform.core.db import db
from tenants.accounts.models import StaffUser
from tests.conftest import csrf_token_of


def _post(client, path: str, **fields):
    token = csrf_token_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def _emails(in_office, office) -> set[str]:
    with in_office(office):
        return set(db.session.scalars(select(StaffUser.email)))


def test_an_invitation_with_a_noncharacter_in_the_name_is_refused(
    two_offices, logged_in, in_office
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    response = _post(
        admin,
        "/panel/uzytkownicy",
        email="nowa@wolomin.example",
        name="Anna\ufffe Nowak",
        role="analyst",
    )
    page = html.unescape(response.get_data(as_text=True))
    refused = "Imię i nazwisko zawiera niedozwolone znaki sterujące lub specjalne (U+FFFE)"
    assert f'<a href="#name">{refused}' in page
    assert "nowa@wolomin.example" not in _emails(in_office, wolomin)


@pytest.mark.parametrize("email", ["nowa\x00@wolomin.example", "nowa\ufffe@wolomin.example"])
def test_an_invitation_to_an_address_holding_a_refused_character_is_refused(
    two_offices, logged_in, in_office, email
):
    wolomin, _ = two_offices
    response = _post(logged_in(wolomin), "/panel/uzytkownicy", email=email, role="analyst")
    assert response.status_code == 200
    assert "Podaj poprawny adres e-mail." in response.get_data(as_text=True)
    assert _emails(in_office, wolomin) == {"admin@wolomin.example"}


def test_signing_in_or_asking_for_a_reset_with_a_nul_in_the_address_is_no_server_error(
    two_offices, client_for
):
    client = client_for(two_offices[0])
    signing_in = _post(client, "/panel/login", email="admin\x00@wolomin.example", password="x")
    assert signing_in.status_code == 401
    reset = _post(client, "/panel/przypomnij-haslo", email="admin\x00@wolomin.example")
    assert reset.status_code == 200
