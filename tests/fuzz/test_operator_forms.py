"""Issue #21, item 10: naughty and generated text in the operator console's forms: onboarding
an office, and both steps of signing in. No answer is a 500, a refused submission changes
nothing of the platform, and every export still works after."""

from __future__ import annotations

import itertools
import json

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from saas_platform.operator.models import PlatformAuditEntry, PlatformOperator
from tests.conftest import PLATFORM_DOMAIN
from tests.fuzz.harness import (
    assert_every_export_succeeds,
    check_answer,
    client_address,
    naughty_text,
    post,
)
from tests.operator.signing_in import OPERATOR_PASSWORD, signed_in_operator

ONBOARDING = {
    "name": "Urząd Gminy Zębice",
    "municipality": "Zębice",
    "teryt": "",
    "contact_email": "",
    "admin_email": "sekretarz@zebice.example",
    "departments": "Biuro Obsługi Mieszkańców\nUrząd Stanu Cywilnego",
}
_numbers = itertools.count(1)


def platform_state(app) -> str:
    """Everything of the platform an operator's form can change, as one comparable value."""
    with app.app_context():
        tenants = db.session.execute(
            select(
                Tenant.slug, Tenant.name, Tenant.municipality, Tenant.teryt, Tenant.status
            ).order_by(Tenant.id)
        ).all()
        operators = db.session.execute(
            select(PlatformOperator.email, PlatformOperator.password_hash).order_by(
                PlatformOperator.id
            )
        ).all()
        return json.dumps(
            {
                "tenants": [list(row) for row in tenants],
                "operators": [list(row) for row in operators],
                "audit": db.session.scalar(select(func.count()).select_from(PlatformAuditEntry)),
            },
            default=str,
        )


def test_naughty_text_in_any_onboarding_field_is_handled(
    app, two_offices, client_for, in_office, logged_in
):
    wolomin, _ = two_offices
    operator = signed_in_operator(app, client_for)
    fields = ["slug", *ONBOARDING]

    @given(field=st.sampled_from(fields), value=naughty_text(), blank_slug=st.booleans())
    def onboard(field: str, value: str, blank_slug: bool) -> None:
        # A new slug each time, so that an accepted example makes an office; a blank one
        # asks the console to suggest one.
        slug = "" if blank_slug and field != "slug" else f"fuzz{next(_numbers)}"
        form = {**ONBOARDING, "slug": slug, field: value}
        before = platform_state(app)
        response = post(operator, "/operator/urzedy/nowy", form)
        check_answer(response, lambda: platform_state(app), before, form, operator)

    onboard()

    @given(name=st.sampled_from(["q", "sort", "strona"]), value=naughty_text())
    def search(name: str, value: str) -> None:
        before = platform_state(app)
        response = operator.get("/operator/", query_string={name: value})
        check_answer(response, lambda: platform_state(app), before, {name: value})

    search()
    assert_every_export_succeeds(app, in_office, wolomin, logged_in(wolomin), operator)


def test_naughty_text_in_both_steps_of_the_operators_sign_in_is_handled(
    app, two_offices, client_for, in_office, logged_in
):
    wolomin, _ = two_offices
    operator = signed_in_operator(app, client_for, "operator@platforma.example")
    with app.app_context():
        email = db.session.scalar(select(PlatformOperator.email))

    @given(address=st.one_of(st.just(email), naughty_text()), password=naughty_text())
    def sign_in(address: str, password: str) -> None:
        stranger = client_for(PLATFORM_DOMAIN)
        form = {"email": address, "password": password}
        before = platform_state(app)
        response = post(stranger, "/operator/login", form, environ_base=client_address())
        check_answer(response, lambda: platform_state(app), before, form)
        assert response.status_code != 302, "past the password with a naughty one"

    sign_in()

    @given(code=naughty_text())
    def second_factor(code: str) -> None:
        stranger = client_for(PLATFORM_DOMAIN)
        environ = client_address()
        credentials = {"email": email, "password": OPERATOR_PASSWORD}
        passed = post(stranger, "/operator/login", credentials, environ_base=environ)
        assert passed.status_code == 302
        before = platform_state(app)
        response = post(stranger, "/operator/login/kod", {"code": code}, environ_base=environ)
        check_answer(response, lambda: platform_state(app), before, {"code": code})
        assert stranger.get("/operator/").status_code == 302  # still signed out

    second_factor()
    assert_every_export_succeeds(app, in_office, wolomin, logged_in(wolomin), operator)
