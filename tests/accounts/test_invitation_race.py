"""Security review, finding 3: two admins inviting the same address at once both passed the
duplicate check; the one that lost at the unique index got a 500. It now gets the message a
sequential request gets."""

from __future__ import annotations

from sqlalchemy import func, select

from saas_platform.core.db import db
from tenants.accounts import services as staff
from tenants.accounts.models import StaffUser
from tests.conftest import csrf_token_of
from tests.races import pause_after_check, run_together

TAKEN = "Konto nowa@wolomin.example już istnieje w tym urzędzie."


def test_two_admins_inviting_the_same_address_at_once_get_one_account_and_a_clear_message(
    two_offices, logged_in, in_office, monkeypatch
):
    wolomin, _ = two_offices
    admins = [logged_in(wolomin, email=f"admin{n}@wolomin.example") for n in (1, 2)]
    forms = [
        {
            "csrf_token": csrf_token_of(admin.get("/panel/uzytkownicy").get_data(as_text=True)),
            "email": "nowa@wolomin.example",
            "role": "analyst",
        }
        for admin in admins
    ]
    pause_after_check(monkeypatch, staff, "find_by_email")
    responses = run_together(
        *(
            lambda admin=admin, form=form: admin.post("/panel/uzytkownicy", data=form)
            for admin, form in zip(admins, forms, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 302]
    [refused] = [r for r in responses if r.status_code == 200]
    assert TAKEN in refused.get_data(as_text=True)

    monkeypatch.undo()
    sequential = admins[0].post("/panel/uzytkownicy", data=forms[0])
    assert TAKEN in sequential.get_data(as_text=True)
    with in_office(wolomin):
        invited = select(func.count()).where(StaffUser.email == "nowa@wolomin.example")
        assert db.session.scalar(invited) == 1
