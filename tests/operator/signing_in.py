"""An operator signed in to the console with both factors, for the tests of this folder."""

from __future__ import annotations

import pyotp

from saas_platform.core.db import db
from saas_platform.core.security import hash_password
from saas_platform.operator.models import PlatformOperator
from tests.conftest import PLATFORM_DOMAIN, HostClient, csrf_token_of

OPERATOR_PASSWORD = "Operator-hasło-bardzo-długie-1"


def post_form(client: HostClient, path: str, **fields):
    """GET ``path`` for its CSRF token, then POST ``fields`` to it."""
    token = csrf_token_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def signed_in_operator(app, client_for, email: str = "operator@platforma.example") -> HostClient:
    """A new enrolled operator, and a client on the apex signed in as them."""
    secret = pyotp.random_base32()
    with app.app_context():
        db.session.add(
            PlatformOperator(
                email=email, password_hash=hash_password(OPERATOR_PASSWORD), totp_secret=secret
            )
        )
        db.session.commit()
    client = client_for(PLATFORM_DOMAIN)
    signed = post_form(client, "/operator/login", email=email, password=OPERATOR_PASSWORD)
    assert signed.status_code == 302
    coded = post_form(client, "/operator/login/kod", code=pyotp.TOTP(secret).now())
    assert coded.status_code == 302
    return client
