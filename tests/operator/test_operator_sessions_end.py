"""Issue #21, finding "logout does not end the session", on the operator console: logging out
ends the operator's session on the server, so a copy of its cookie opens nothing."""

from __future__ import annotations

from tests.conftest import PLATFORM_DOMAIN, csrf_token_of
from tests.operator.signing_in import signed_in_operator


def _replay(client_for, cookie: str):
    """A browser that never signed in, holding a copy of the operator's session cookie."""
    replay = client_for(PLATFORM_DOMAIN)
    replay.use_session_cookie(cookie)
    return replay.get("/operator/")


def test_operator_logout_ends_the_session_so_a_cookie_copied_before_it_opens_nothing(
    app, client_for
):
    operator = signed_in_operator(app, client_for)
    copied = operator.session_cookie()
    assert _replay(client_for, copied).status_code == 200  # the copy works until then

    token = csrf_token_of(operator.get("/operator/").get_data(as_text=True))
    assert operator.post("/operator/logout", data={"csrf_token": token}).status_code == 302

    replayed = _replay(client_for, copied)
    assert replayed.status_code == 302
    assert replayed.headers["Location"].endswith("/operator/login")
