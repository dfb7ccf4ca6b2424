"""Security review, finding 3: two operators onboarding the same slug at once both passed the
slug check; the one that lost at the unique index got a 500. It now gets the message a
sequential request gets."""

from __future__ import annotations

import html

from sqlalchemy import func, select

from saas_platform import onboarding
from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from tests.conftest import csrf_token_of
from tests.operator.signing_in import signed_in_operator
from tests.races import pause_after_check, run_together

TAKEN = "Adres „race0” jest już zajęty."


def _form(client, email: str) -> dict:
    return {
        "csrf_token": csrf_token_of(client.get("/operator/urzedy/nowy").get_data(as_text=True)),
        "name": "Urząd Gminy Wyścigowo",
        "municipality": "Wyścigowo",
        "slug": "race0",
        "admin_email": email,
        "departments": "Biuro Obsługi Mieszkańców",
    }


def test_two_operators_onboarding_the_same_slug_at_once_get_one_office_and_a_clear_message(
    app, client_for, monkeypatch
):
    operators = [
        signed_in_operator(app, client_for, f"operator{n}@platforma.example") for n in (1, 2)
    ]
    forms = [_form(operator, f"sekretarz{n}@race0.example") for n, operator in enumerate(operators)]
    pause_after_check(monkeypatch, onboarding, "validate_slug")
    responses = run_together(
        *(
            lambda operator=operator, form=form: operator.post("/operator/urzedy/nowy", data=form)
            for operator, form in zip(operators, forms, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [302, 422]
    [refused] = [r for r in responses if r.status_code == 422]
    assert TAKEN in html.unescape(refused.get_data(as_text=True))

    monkeypatch.undo()
    sequential = operators[0].post("/operator/urzedy/nowy", data=forms[0])
    assert sequential.status_code == 422
    assert TAKEN in html.unescape(sequential.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Tenant.slug == "race0")) == 1
