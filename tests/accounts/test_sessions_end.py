"""Issue #21, finding "logout does not end the session": a staff session ends on the server, so
a copy of its cookie taken before logout (or before "sign out everywhere") opens nothing."""

from __future__ import annotations

from sqlalchemy import select

from saas_platform.core.db import db
from tenants.accounts.models import StaffUser
from tenants.audit.models import AuditEntry
from tests.conftest import STAFF_PASSWORD, csrf_token_of


def _post_from(client, page: str, action: str, **fields):
    """Post the form at ``action`` with the CSRF token of ``page``, as a browser on it would."""
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **fields})


def _replay(client_for, office, cookie: str):
    """A browser that never signed in, holding a copy of someone's session cookie."""
    replay = client_for(office)
    replay.use_session_cookie(cookie)
    return replay.get("/panel/odpowiedzi")


def _is_sent_to_login(response) -> bool:
    return response.status_code == 302 and "/panel/login" in response.headers["Location"]


def test_logout_ends_the_session_so_a_cookie_copied_before_it_no_longer_opens_the_responses(
    two_offices, logged_in, client_for
):
    wolomin, _ = two_offices
    member = logged_in(wolomin, "analyst")
    copied = member.session_cookie()
    assert _replay(client_for, wolomin, copied).status_code == 200  # the copy works until then

    response = _post_from(member, "/panel/konto", "/panel/logout")
    assert _is_sent_to_login(response)

    assert _is_sent_to_login(_replay(client_for, wolomin, copied))
    assert _is_sent_to_login(member.get("/panel/odpowiedzi"))


def test_sign_out_everywhere_ends_every_session_of_the_account_and_is_audited(
    two_offices, logged_in, client_for, in_office
):
    wolomin, _ = two_offices
    first = logged_in(wolomin)
    second = client_for(wolomin)
    assert (
        _post_from(
            second, "/panel/login", "/panel/login", email=first.email, password=STAFF_PASSWORD
        ).status_code
        == 302
    )
    copied = first.session_cookie()
    assert "Wyloguj ze wszystkich urządzeń" in first.get("/panel/konto").get_data(as_text=True)

    response = _post_from(first, "/panel/konto", "/panel/konto/wyloguj-wszedzie")
    assert _is_sent_to_login(response)
    page = first.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wylogowano ze wszystkich urządzeń." in page

    for browser in (first, second):
        assert _is_sent_to_login(browser.get("/panel/odpowiedzi"))
    assert _is_sent_to_login(_replay(client_for, wolomin, copied))
    with in_office(wolomin):
        user_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == first.email))
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "staff.sign_out_everywhere")
        ).one()
        assert (entry.actor_id, entry.object_id) == (user_id, user_id)
    # signing in again works as before
    assert (
        _post_from(
            first, "/panel/login", "/panel/login", email=first.email, password=STAFF_PASSWORD
        ).status_code
        == 302
    )
    assert first.get("/panel/odpowiedzi").status_code == 200
