"""Two operators giving the same custom domain to two offices at once both pass the check that
the domain is free; the one that loses at the unique index gets the message a sequential
request gets, not a 500 (the same gap as review finding 3, in the console)."""

from __future__ import annotations

from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import TenantDomain
from saas_platform.operator import services
from tests.conftest import csrf_token_of
from tests.operator.signing_in import signed_in_operator
from tests.races import pause_after_check, run_together

ASSIGNED = "Domena ankieta.powiat.example.pl jest już przypisana."


def test_two_operators_adding_the_same_domain_at_once_get_one_and_a_clear_message(
    app, two_offices, client_for, in_office, monkeypatch
):
    operators = [
        signed_in_operator(app, client_for, f"operator{n}@platforma.example") for n in (1, 2)
    ]
    posts = [
        (
            operator,
            f"/operator/urzedy/{office.slug}",
            csrf_token_of(operator.get(f"/operator/urzedy/{office.slug}").get_data(as_text=True)),
        )
        for operator, office in zip(operators, two_offices, strict=True)
    ]
    # the scope of the office is entered right after the check, right before the insert
    pause_after_check(monkeypatch, services, "tenant_scope")
    responses = run_together(
        *(
            lambda operator=operator, page=page, token=token: operator.post(
                f"{page}/domeny", data={"csrf_token": token, "host": "ankieta.powiat.example.pl"}
            )
            for operator, page, token in posts
        )
    )
    assert [r.status_code for r in responses] == [302, 302]
    pages = [operator.get(page).get_data(as_text=True) for operator, page, _ in posts]
    assert sum(ASSIGNED in page for page in pages) == 1

    monkeypatch.undo()
    operator, page, token = posts[0]
    operator.post(f"{page}/domeny", data={"csrf_token": token, "host": "ankieta.powiat.example.pl"})
    assert ASSIGNED in operator.get(page).get_data(as_text=True)
    domains = 0
    for office in two_offices:
        with in_office(office):
            domains += db.session.scalar(select(func.count()).select_from(TenantDomain))
    assert domains == 1
