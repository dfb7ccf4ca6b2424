"""Security review, finding 2 in the operator console: numbers typed in are ASCII digits. A
sign-in code of "٣٣٣٣٣٣" passed a ``\\d{6}`` check and then made ``compare_digest`` raise (a
500), and a TERYT code in another script's digits was stored as typed."""

from __future__ import annotations

import html

import pyotp
import pytest
from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.security import hash_password
from saas_platform.core.tenancy.models import Tenant
from saas_platform.operator.models import PlatformOperator
from tests.conftest import PLATFORM_DOMAIN
from tests.operator.signing_in import OPERATOR_PASSWORD, post_form, signed_in_operator


@pytest.mark.parametrize("code", ["٣٣٣٣٣٣", "１２３４５６", "-12345", "1e5", "12345.6", "9999999"])
def test_a_sign_in_code_that_is_not_six_ascii_digits_is_refused_with_a_message(
    app, client_for, code
):
    with app.app_context():
        db.session.add(
            PlatformOperator(
                email="operator@platforma.example",
                password_hash=hash_password(OPERATOR_PASSWORD),
                totp_secret=pyotp.random_base32(),
            )
        )
        db.session.commit()
    client = client_for(PLATFORM_DOMAIN)
    signed = post_form(
        client, "/operator/login", email="operator@platforma.example", password=OPERATOR_PASSWORD
    )
    assert signed.status_code == 302
    response = post_form(client, "/operator/login/kod", code=code)
    assert response.status_code == 401
    assert "Kod jest nieprawidłowy" in response.get_data(as_text=True)


@pytest.mark.parametrize("teryt", ["١٤٣٤٠٣٤", "１４３４０３４", "-143403", "1.43403", "1434e34"])
def test_a_teryt_code_that_is_not_seven_ascii_digits_is_refused_with_a_message(
    app, client_for, teryt
):
    operator = signed_in_operator(app, client_for)
    form = {
        "name": "Urząd Gminy Zębice",
        "municipality": "Zębice",
        "slug": "zebice",
        "teryt": teryt,
        "admin_email": "sekretarz@zebice.example",
        "departments": "Biuro Obsługi Mieszkańców",
    }
    response = post_form(operator, "/operator/urzedy/nowy", **form)
    assert response.status_code == 422
    assert "Kod TERYT gminy ma 7 cyfr" in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(Tenant).where(Tenant.slug == "zebice")) is None
