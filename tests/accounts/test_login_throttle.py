"""Issue #21, finding "five wrong passwords from five addresses lock a staff member's correct
login out for 10 minutes": OWASP's device cookies. A browser that signed in to an account before
keeps its own allowance of failures; failures from unknown browsers lock out unknown browsers."""

from __future__ import annotations

import base64

from tests.conftest import STAFF_PASSWORD, csrf_token_of

WRONG = "zle-haslo-123456"
OWNER_ADDRESS = "192.0.2.10"


def _login(client, email: str, password: str, address: str):
    """A login from ``address`` (each attacker's request may come from another one)."""
    at = {"REMOTE_ADDR": address}
    token = csrf_token_of(client.get("/panel/login", environ_base=at).get_data(as_text=True))
    return client.post(
        "/panel/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base=at,
    )


def _usual_browser(client_for, office, email: str):
    """The owner's browser: it signed in once before (and signed out again)."""
    browser = client_for(office)
    assert _login(browser, email, STAFF_PASSWORD, OWNER_ADDRESS).status_code == 302
    token = csrf_token_of(browser.get("/panel/konto").get_data(as_text=True))
    assert browser.post("/panel/logout", data={"csrf_token": token}).status_code == 302
    return browser


def _attack(client_for, office, email: str, times: int = 5) -> None:
    for n in range(times):
        attacker = client_for(office)  # no cookies, a new address each time
        assert _login(attacker, email, WRONG, f"203.0.113.{n + 1}").status_code == 401


def test_failed_logins_from_other_addresses_do_not_lock_the_owner_out_of_their_usual_browser(
    two_offices, make_staff, client_for
):
    wolomin, _ = two_offices
    email = make_staff(wolomin)
    owner = _usual_browser(client_for, wolomin, email)
    _attack(client_for, wolomin, email)

    newcomer = _login(client_for(wolomin), email, STAFF_PASSWORD, "198.51.100.7")
    assert newcomer.status_code == 429  # an unknown browser is still locked out
    assert "Zbyt wiele nieudanych prób logowania" in newcomer.get_data(as_text=True)
    assert _login(owner, email, STAFF_PASSWORD, OWNER_ADDRESS).status_code == 302
    assert owner.get("/panel/odpowiedzi").status_code == 200


def test_the_device_cookie_is_host_only_httponly_strict_and_sent_only_to_the_login(
    two_offices, make_staff, client_for
):
    wolomin, _ = two_offices
    email = make_staff(wolomin)
    response = _login(client_for(wolomin), email, STAFF_PASSWORD, OWNER_ADDRESS)
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("device-")]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/panel/login" in cookie
    assert "Domain=" not in cookie
    payload = cookie.split(";")[0].split("=", 1)[1].split(".")[0]
    assert email.encode() not in base64.urlsafe_b64decode(payload + "==")  # nor anywhere else


def test_a_known_browser_that_keeps_failing_locks_out_only_itself(
    two_offices, make_staff, client_for
):
    wolomin, _ = two_offices
    email = make_staff(wolomin)
    owner = _usual_browser(client_for, wolomin, email)
    for _ in range(5):
        assert _login(owner, email, WRONG, OWNER_ADDRESS).status_code == 401
    assert _login(owner, email, STAFF_PASSWORD, OWNER_ADDRESS).status_code == 429
    # the unknown browsers' allowance is another one
    assert _login(client_for(wolomin), email, STAFF_PASSWORD, "198.51.100.7").status_code == 302


def test_a_device_cookie_vouches_only_for_the_account_that_signed_in_with_it(
    two_offices, make_staff, client_for
):
    wolomin, _ = two_offices
    email = make_staff(wolomin)
    colleague = make_staff(wolomin, "analyst")
    shared_computer = _usual_browser(client_for, wolomin, email)
    _attack(client_for, wolomin, colleague)
    assert _login(shared_computer, colleague, STAFF_PASSWORD, OWNER_ADDRESS).status_code == 429
    assert _login(shared_computer, email, STAFF_PASSWORD, OWNER_ADDRESS).status_code == 302
