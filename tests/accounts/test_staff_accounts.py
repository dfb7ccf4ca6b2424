"""Staff accounts: invitations by mail, passwords, sessions bound to one office, throttling,
roles and the audit log."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from saas_platform.core.db import db, utcnow
from tenants.accounts.models import StaffToken, StaffUser
from tenants.audit.models import AuditEntry
from tests.conftest import STAFF_PASSWORD, csrf_token_of

NEW_PASSWORD = "Inne-bardzo-tajne-hasło-7"


def _link_in(message) -> str:
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"http://([a-z0-9.-]+)(/panel/haslo/\S+)", body)
    assert match, body
    return match.group(1), match.group(2)


def _form_post(client, path: str, **fields):
    token = csrf_token_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def test_cli_invitation_reaches_the_admin_who_sets_a_password_and_lands_on_the_dashboard(
    app, two_offices, mailbox, client_for
):
    result = app.test_cli_runner().invoke(
        args=[
            "tenants", "create", "radzymin", "--name", "Urząd Miasta i Gminy Radzymin",
            "--admin-email", "Sekretarz@Radzymin.example",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    message = mailbox.wait_for(1)[0]
    assert message["X-Envelope-To"] == "sekretarz@radzymin.example"
    assert (
        message["Subject"]
        == "Zaproszenie do panelu ankiety satysfakcji – Urząd Miasta i Gminy Radzymin"
    )
    host, path = _link_in(message)
    assert host == "radzymin.satysfakcja.test"

    client = client_for(host)
    assert client_for("wolomin.satysfakcja.test").get(path).status_code == 404  # wrong office
    response = _form_post(client, path, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/panel/")
    assert client.get("/panel/").status_code == 200
    # the link is spent
    assert client_for(host).get(path).status_code == 404


def test_admin_invites_a_colleague_from_the_panel(two_offices, logged_in, mailbox, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    response = _form_post(
        admin, "/panel/uzytkownicy", email="nowa@wolomin.example", role="analyst", name="Anna Nowak"
    )
    assert response.status_code == 302
    message = mailbox.wait_for(1)[0]
    assert message["X-Envelope-To"] == "nowa@wolomin.example"
    assert _link_in(message)[0] == "wolomin.satysfakcja.test"
    with in_office(wolomin):
        entry = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "staff.invite", AuditEntry.actor_id.is_not(None)
            )
        ).one()
        assert entry.after == {"email": "nowa@wolomin.example", "role": "analyst"}


def test_login_with_wrong_password_is_refused(two_offices, make_staff, client_for):
    email = make_staff(two_offices[0])
    client = client_for(two_offices[0])
    response = _form_post(client, "/panel/login", email=email, password="zle-haslo-123456")
    assert response.status_code == 401
    assert "Nieprawidłowy adres e-mail lub hasło." in response.get_data(as_text=True)
    assert client.get("/panel/").status_code == 302


def test_login_without_csrf_token_is_refused(two_offices, make_staff, client_for):
    email = make_staff(two_offices[0])
    response = client_for(two_offices[0]).post(
        "/panel/login", data={"email": email, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 400


def test_staff_of_one_office_cannot_log_in_at_another(two_offices, make_staff, client_for):
    wolomin, sierpc = two_offices
    email = make_staff(wolomin)
    response = _form_post(client_for(sierpc), "/panel/login", email=email, password=STAFF_PASSWORD)
    assert response.status_code == 401


def test_failed_logins_are_throttled_per_account_with_a_clear_message(
    two_offices, make_staff, client_for
):
    wolomin, _ = two_offices
    email = make_staff(wolomin)
    client = client_for(wolomin)
    for _ in range(5):
        assert (
            _form_post(client, "/panel/login", email=email, password="zle-haslo-123456").status_code
            == 401
        )
    blocked = _form_post(client, "/panel/login", email=email, password=STAFF_PASSWORD)
    assert blocked.status_code == 429
    assert "Zbyt wiele nieudanych prób logowania" in blocked.get_data(as_text=True)
    # another account from the same client still gets in
    other = make_staff(wolomin, "analyst")
    assert (
        _form_post(client, "/panel/login", email=other, password=STAFF_PASSWORD).status_code == 302
    )


def test_failed_logins_are_throttled_per_client(two_offices, make_staff, client_for):
    wolomin, _ = two_offices
    make_staff(wolomin)
    client = client_for(wolomin)
    for n in range(20):
        response = _form_post(
            client, "/panel/login", email=f"nikt{n}@wolomin.example", password="x" * 12
        )
        assert response.status_code == 401
    assert (
        _form_post(
            client, "/panel/login", email="admin@wolomin.example", password=STAFF_PASSWORD
        ).status_code
        == 429
    )


def test_session_opened_at_one_office_is_refused_at_another(two_offices, logged_in, client_for):
    wolomin, sierpc = two_offices
    client = logged_in(wolomin)
    cookie = client.session_cookie()
    stranger = client_for(sierpc)
    stranger.use_session_cookie(cookie)
    response = stranger.get("/panel/")
    assert response.status_code == 302
    assert "/panel/login" in response.headers["Location"]
    # the same cookie still works where it was issued
    same = client_for(wolomin)
    same.use_session_cookie(cookie)
    assert same.get("/panel/").status_code == 200


def test_panel_cookie_is_host_only_httponly_and_lax(two_offices, make_staff, client_for):
    email = make_staff(two_offices[0])
    client = client_for(two_offices[0])
    response = _form_post(client, "/panel/login", email=email, password=STAFF_PASSWORD)
    # the session's cookie (a successful login also sets a device cookie, tests/accounts)
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Domain=" not in cookie


def test_password_change_logs_out_the_other_sessions(two_offices, logged_in, client_for):
    wolomin, _ = two_offices
    first = logged_in(wolomin)
    second = client_for(wolomin)
    assert (
        _form_post(second, "/panel/login", email=first.email, password=STAFF_PASSWORD).status_code
        == 302
    )
    response = _form_post(
        first, "/panel/konto", current=STAFF_PASSWORD, password=NEW_PASSWORD, confirm=NEW_PASSWORD
    )
    assert response.status_code == 302
    assert first.get("/panel/").status_code == 200
    assert second.get("/panel/").status_code == 302
    assert (
        _form_post(
            client_for(wolomin), "/panel/login", email=first.email, password=NEW_PASSWORD
        ).status_code
        == 302
    )


def test_short_password_is_refused(two_offices, logged_in):
    client = logged_in(two_offices[0])
    response = _form_post(
        client, "/panel/konto", current=STAFF_PASSWORD, password="krotkie", confirm="krotkie"
    )
    assert "co najmniej 12 znaków" in response.get_data(as_text=True)


def test_password_reset_link_is_single_use_and_expires(
    two_offices, make_staff, client_for, mailbox, in_office
):
    wolomin, _ = two_offices
    email = make_staff(wolomin)
    client = client_for(wolomin)
    response = _form_post(client, "/panel/przypomnij-haslo", email=email)
    assert "Sprawdź pocztę" in response.get_data(as_text=True)
    message = mailbox.wait_for(1)[0]
    assert message["Subject"] == "Ustawienie nowego hasła – Urząd Miejski w Wołominie"
    _, path = _link_in(message)

    assert _form_post(client, path, password=NEW_PASSWORD, confirm=NEW_PASSWORD).status_code == 302
    assert client_for(wolomin).get(path).status_code == 404

    # a second link, past its hour
    _form_post(client_for(wolomin), "/panel/przypomnij-haslo", email=email)
    _, second_path = _link_in(mailbox.wait_for(2)[1])
    with in_office(wolomin):
        for token in db.session.scalars(select(StaffToken).where(StaffToken.used_at.is_(None))):
            token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client_for(wolomin).get(second_path).status_code == 404


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(
    two_offices, client_for, mailbox
):
    response = _form_post(
        client_for(two_offices[0]), "/panel/przypomnij-haslo", email="nikt@example.pl"
    )
    assert "Sprawdź pocztę" in response.get_data(as_text=True)
    with pytest.raises(AssertionError):
        mailbox.wait_for(1, timeout=1.0)


@pytest.mark.parametrize("path", ["/panel/uzytkownicy", "/panel/dziennik"])
def test_analysts_get_403_on_admin_pages(two_offices, logged_in, path):
    analyst = logged_in(two_offices[0], "analyst")
    assert analyst.get(path).status_code == 403
    assert analyst.get("/panel/").status_code == 200


def test_objects_of_another_office_are_404_by_url_and_by_form(
    two_offices, logged_in, make_staff, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    make_staff(sierpc)
    with in_office(sierpc):
        sierpc_user = db.session.scalar(select(StaffUser.id))
        sierpc_entry = db.session.scalar(select(AuditEntry.id))
    assert admin.get(f"/panel/uzytkownicy/{sierpc_user}").status_code == 404
    assert admin.get(f"/panel/dziennik/{sierpc_entry}").status_code == 404
    token = csrf_token_of(admin.get("/panel/uzytkownicy").get_data(as_text=True))
    response = admin.post(
        f"/panel/uzytkownicy/{sierpc_user}", data={"csrf_token": token, "role": "analyst"}
    )
    assert response.status_code == 404
    with in_office(sierpc):
        assert db.session.get(StaffUser, sierpc_user).role == "admin"


def test_last_active_admin_cannot_be_demoted_or_deactivated(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    with in_office(wolomin):
        admin_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == admin.email))
    demote = _form_post(admin, f"/panel/uzytkownicy/{admin_id}", role="analyst", is_active="y")
    assert demote.status_code == 409
    assert "jedyny aktywny administrator" in demote.get_data(as_text=True)
    deactivate = _form_post(admin, f"/panel/uzytkownicy/{admin_id}", role="admin")
    assert deactivate.status_code == 409
    with in_office(wolomin):
        user = db.session.get(StaffUser, admin_id)
        assert (user.role, user.is_active) == ("admin", True)


def test_role_change_is_audited_with_before_and_after(
    two_offices, logged_in, make_staff, in_office
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    colleague = make_staff(wolomin, "analyst")
    with in_office(wolomin):
        colleague_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == colleague))
    assert (
        _form_post(
            admin, f"/panel/uzytkownicy/{colleague_id}", role="admin", is_active="y"
        ).status_code
        == 302
    )
    with in_office(wolomin):
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "staff.update")
        ).one()
        assert (entry.before, entry.after, entry.object_id) == (
            {"role": "analyst"},
            {"role": "admin"},
            colleague_id,
        )
    page = admin.get(f"/panel/dziennik/{entry.id}").get_data(as_text=True)
    assert "Zmiana konta pracownika" in page
    with in_office(wolomin):
        names = [db.session.get(StaffUser, i).display_name for i in (entry.actor_id, colleague_id)]
    assert all(html.unescape(name) in html.unescape(page) for name in names)


def test_deactivated_member_is_signed_out_at_once(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    analyst = logged_in(wolomin, "analyst")
    with in_office(wolomin):
        analyst_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == analyst.email))
    assert _form_post(admin, f"/panel/uzytkownicy/{analyst_id}", role="analyst").status_code == 302
    assert analyst.get("/panel/").status_code == 302


def test_audit_log_survives_an_absurd_page_number(two_offices, logged_in):
    admin = logged_in(two_offices[0])
    assert admin.get("/panel/dziennik?strona=99999999999999999999").status_code == 200
    assert admin.get("/panel/dziennik?strona=-3").status_code == 200
