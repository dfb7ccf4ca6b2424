"""Security review, finding 1 in the operator console: an office's details follow the
platform's one text policy, and a NUL typed anywhere is a clear answer, never a 500."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from tests.conftest import PLATFORM_DOMAIN
from tests.operator.signing_in import OPERATOR_PASSWORD, post_form, signed_in_operator

ONBOARDING = {
    "name": "Urząd Gminy Zębice",
    "municipality": "Zębice",
    "slug": "zebice",
    "teryt": "",
    "contact_email": "",
    "admin_email": "sekretarz@zebice.example",
    "departments": "Biuro Obsługi Mieszkańców\nUrząd Stanu Cywilnego",
}


def _no_office(app) -> bool:
    with app.app_context():
        return db.session.scalar(select(Tenant).where(Tenant.slug == "zebice")) is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Urząd Gminy\ufffe Zębice", "Nazwa urzędu zawiera niedozwolone znaki"),
        ("municipality", "Zębice\x07", "Gmina lub miasto zawiera niedozwolone znaki"),
        ("departments", "Biuro\ufdd0\nUSC", "Nazwa wydziału zawiera niedozwolone znaki"),
        ("contact_email", "urzad\x00@zebice.example", "Podaj poprawny e-mail kontaktowy"),
    ],
)
def test_onboarding_refuses_what_the_text_policy_refuses_with_a_clear_message(
    app, client_for, field, value, message
):
    operator = signed_in_operator(app, client_for)
    response = post_form(operator, "/operator/urzedy/nowy", **{**ONBOARDING, field: value})
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    assert _no_office(app)


def test_onboarding_keeps_the_office_name_in_nfc(app, client_for):
    operator = signed_in_operator(app, client_for)
    decomposed = {"name": "Urza\u0328d Gminy Ze\u0328bice", "municipality": "Ze\u0328bice"}
    response = post_form(operator, "/operator/urzedy/nowy", **{**ONBOARDING, **decomposed})
    assert response.status_code == 302
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "zebice"))
        assert (tenant.name, tenant.municipality) == ("Urząd Gminy Zębice", "Zębice")


def test_a_nul_in_the_sign_in_address_or_the_office_search_is_no_server_error(app, client_for):
    operator = signed_in_operator(app, client_for)
    assert operator.get("/operator/?q=Urz%00ad").status_code == 200
    stranger = client_for(PLATFORM_DOMAIN)
    nul_address = "operator\x00@platforma.example"
    response = post_form(stranger, "/operator/login", email=nul_address, password=OPERATOR_PASSWORD)
    assert response.status_code == 401
