"""Security review, finding 3: two admins adding the same department at once both pass the
duplicate check; the one that loses at the unique index gets the message a sequential request
gets, not a 500."""

from __future__ import annotations

import html

from sqlalchemy import func, select

from saas_platform.core.db import db
from tenants.office import services as office
from tenants.survey.models import Department
from tests.conftest import csrf_token_of
from tests.races import pause_after_check, run_together

TAKEN = "Wydział „Straż Miejska” już istnieje w tym urzędzie."


def test_two_admins_adding_the_same_department_at_once_get_one_and_a_clear_message(
    two_offices, logged_in, in_office, monkeypatch
):
    wolomin, _ = two_offices
    admins = [logged_in(wolomin, email=f"admin{n}@wolomin.example") for n in (1, 2)]
    forms = [
        {
            "csrf_token": csrf_token_of(admin.get("/panel/wydzialy").get_data(as_text=True)),
            "name": "Straż Miejska",
        }
        for admin in admins
    ]
    pause_after_check(monkeypatch, office, "_check_department_name")
    responses = run_together(
        *(
            lambda admin=admin, form=form: admin.post("/panel/wydzialy", data=form)
            for admin, form in zip(admins, forms, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [302, 422]
    [refused] = [r for r in responses if r.status_code == 422]
    assert TAKEN in html.unescape(refused.get_data(as_text=True))

    monkeypatch.undo()
    sequential = admins[0].post("/panel/wydzialy", data=forms[0])
    assert TAKEN in html.unescape(sequential.get_data(as_text=True))
    with in_office(wolomin):
        named = select(func.count()).where(Department.name == "Straż Miejska")
        assert db.session.scalar(named) == 1
