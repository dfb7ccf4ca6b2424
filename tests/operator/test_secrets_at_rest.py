"""Operators' TOTP secrets at rest: the application role reads only Fernet tokens, the console
still enrols and signs in with them, SECRETS_KEY rotates without a gap, the migration encrypts
the secrets stored in the clear, and production does not start without the key."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg2
import pyotp
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, text

from config import ConfigurationError, load_settings
from saas_platform.core.db import db, utcnow
from saas_platform.operator.models import (
    OperatorSetupLink,
    PlatformAuditEntry,
    PlatformOperator,
)
from tests.conftest import APP_ROLE, OWNER_ROLE, PG_HOST, PLATFORM_DOMAIN, SECRETS_KEY
from tests.core.test_cli_and_config import PRODUCTION_ENV
from tests.core.test_operations import production_env, run_cli
from tests.operator.test_console import OPERATOR_PASSWORD, _post

REPO = Path(__file__).resolve().parents[2]
# The placeholder of deploy/env.example, deploy/k8s/secret.yaml and the systemd example.
EXAMPLE_KEY = "Y2hhbmdlLW1lLXRvLWEtZ2VuZXJhdGVkLWtleS4uLi4="


def stored_secrets(app) -> list[str]:
    """Every TOTP secret column as the application role reads it with plain SQL."""
    with app.app_context():
        rows = db.session.execute(
            text(
                "SELECT totp_secret FROM platform_operators WHERE totp_secret IS NOT NULL "
                "UNION ALL SELECT pending_totp_secret FROM operator_setup_links"
            )
        )
        return [value for (value,) in rows]


@pytest.fixture
def enrol_operator(app, client_for):
    """Factory: an operator created with the CLI who enrolled through the one-time link;
    returns the TOTP secret the authenticator app got."""

    def enrol(email: str = "operator@platforma.example") -> str:
        created = app.test_cli_runner().invoke(args=["operators", "create", email])
        assert created.exit_code == 0, created.output
        link = re.search(r"(/operator/konfiguracja/\S+)", created.output).group(1)
        client = client_for(PLATFORM_DOMAIN)
        page = client.get(link).get_data(as_text=True)
        secret = re.search(r"wpisz w aplikacji klucz: <code>([A-Z2-7]+)</code>", page).group(1)
        done = _post(
            client,
            link,
            password=OPERATOR_PASSWORD,
            confirm=OPERATOR_PASSWORD,
            code=pyotp.TOTP(secret).now(),
        )
        assert done.status_code == 302
        return secret

    return enrol


def sign_in(client_for, secret: str, email: str = "operator@platforma.example"):
    """Both factors on a fresh client; the code is the next step's (the enrolment used this
    step's, and a code is never accepted twice)."""
    client = client_for(PLATFORM_DOMAIN)
    assert (
        _post(client, "/operator/login", email=email, password=OPERATOR_PASSWORD).status_code == 302
    )
    code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
    return _post(client, "/operator/login/kod", code=code)


def test_the_app_role_reads_only_tokens_never_a_plain_totp_secret(app, enrol_operator):
    secret = enrol_operator()
    stored = stored_secrets(app)
    assert len(stored) == 2  # the operator's and the spent setup link's
    for token in stored:
        assert secret not in token and token.startswith("gAAAAA")  # a Fernet token
        assert Fernet(SECRETS_KEY).decrypt(token.encode()).decode() == secret
    assert stored[0] != stored[1]  # a fresh IV each time: equal secrets are not seen as equal


def test_an_operator_enrols_and_signs_in_with_the_encrypted_secret(app, enrol_operator, client_for):
    secret = enrol_operator()
    response = sign_in(client_for, secret)
    assert response.status_code == 302 and response.location.endswith("/operator/")
    with app.app_context():  # the ORM hands the services the plain secret
        assert db.session.scalar(select(OperatorSetupLink.pending_totp_secret)) == secret


def test_rotation_re_encrypts_with_the_newest_key_and_the_old_key_reads_until_then(
    app, enrol_operator, client_for, monkeypatch
):
    secret = enrol_operator()
    old_key, new_key = SECRETS_KEY, Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "SECRETS_KEY", f"{new_key},{old_key}")
    # before the rotation the tokens are the old key's, and the app still reads them
    for token in stored_secrets(app):
        Fernet(old_key).decrypt(token.encode())
    with app.app_context():
        assert db.session.scalar(select(PlatformOperator.totp_secret)) == secret

    rotated = app.test_cli_runner().invoke(args=["operators", "rotate-secrets"])
    assert rotated.exit_code == 0, rotated.output
    assert "Re-encrypted 2 stored secret(s)" in rotated.output

    for token in stored_secrets(app):
        assert Fernet(new_key).decrypt(token.encode()).decode() == secret
        with pytest.raises(InvalidToken):
            Fernet(old_key).decrypt(token.encode())
    monkeypatch.setitem(app.config, "SECRETS_KEY", new_key)  # the old key dropped
    response = sign_in(client_for, secret)
    assert response.status_code == 302 and response.location.endswith("/operator/")
    with app.app_context():
        entry = db.session.scalar(
            select(PlatformAuditEntry).where(PlatformAuditEntry.action == "secrets.rotate")
        )
        assert entry.details == {"rotated": 2}


def test_rotation_without_the_key_that_encrypted_a_secret_changes_nothing_and_says_so(
    app, enrol_operator, monkeypatch
):
    enrol_operator()
    before = stored_secrets(app)
    monkeypatch.setitem(app.config, "SECRETS_KEY", Fernet.generate_key().decode())
    result = app.test_cli_runner().invoke(args=["operators", "rotate-secrets"])
    assert result.exit_code != 0
    assert "was encrypted with a key SECRETS_KEY does not hold" in result.output
    assert stored_secrets(app) == before


def test_config_check_decrypts_the_stored_secrets_with_every_key_listed(
    app, database, smtp_server, enrol_operator
):
    enrol_operator()
    other_key = Fernet.generate_key().decode()

    def check(keys: str):
        env = production_env(database, smtp_server.port, SECRETS_KEY=keys)
        return run_cli(["config", "check", "--only", "secrets"], env)

    passed = check(SECRETS_KEY)
    assert passed.exit_code == 0, passed.output
    assert "stored secrets: OK: SECRETS_KEY (1 key(s)) decrypts all 2 of them" in passed.output
    assert check(f"{other_key},{SECRETS_KEY}").exit_code == 0  # mid-rotation
    failed = check(other_key)
    assert failed.exit_code == 1
    assert "2 of 2 cannot be decrypted with SECRETS_KEY" in failed.output
    for output in (passed.output, failed.output):
        assert SECRETS_KEY not in output and other_key not in output


def test_config_check_names_the_example_secrets_key_a_placeholder(app, database, smtp_server):
    env = production_env(database, smtp_server.port, SECRETS_KEY=EXAMPLE_KEY)
    result = run_cli(["config", "check", "--only", "secrets"], env)
    assert result.exit_code == 1
    assert "SECRETS_KEY: key 1 decodes to readable text" in result.output
    assert "Fernet.generate_key()" in result.output


def test_production_refuses_to_start_without_secrets_key():
    env = {**os.environ, **PRODUCTION_ENV}
    del env["SECRETS_KEY"]
    with pytest.raises(ConfigurationError, match="not set: SECRETS_KEY"):
        load_settings(env)
    # the web process as deploy/ starts it: gunicorn loads the app, and refuses
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "--check-config", "-c", "config/gunicorn.py"]
    started = subprocess.run(
        [*command, "saas_platform.app:create_app()"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert started.returncode != 0
    assert "APP_ENV=production needs these environment variables" in started.stderr
    assert "SECRETS_KEY" in started.stderr


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("not-a-fernet-key", "key 1 of 1 is not a Fernet key"),
        (f"{SECRETS_KEY},oops", "key 2 of 2 is not a Fernet key"),
        (f"{SECRETS_KEY},", "with no empty entry"),
    ],
    # The same ids in every pytest-xdist worker (the key is made anew in each process).
    ids=["not-a-key", "second-key-not-a-key", "empty-entry"],
)
def test_a_malformed_secrets_key_is_refused_naming_the_key_never_echoing_it(keys, message):
    with pytest.raises(ConfigurationError, match=message) as refused:
        load_settings({**PRODUCTION_ENV, "SECRETS_KEY": keys})
    assert SECRETS_KEY not in str(refused.value) and "oops" not in str(refused.value)
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"SECRETS_KEY": keys})  # the embedded mode takes only a valid one too


def test_the_embedded_mode_has_a_fixed_key_that_is_plainly_not_secret():
    import base64

    key = load_settings({})["SECRETS_KEY"]
    assert key == load_settings({})["SECRETS_KEY"]
    assert base64.urlsafe_b64decode(key).startswith(b"embedded-mode-not-secret")


# --- the migration ------------------------------------------------------------------------


def test_the_migration_encrypts_plain_secrets_with_the_environments_key_and_back(
    empty_database, smtp_server
):
    plain = pyotp.random_base32()
    key = Fernet.generate_key().decode()
    env = production_env(
        empty_database,
        smtp_server.port,
        DATABASE_URL=f"postgresql://{APP_ROLE}@{PG_HOST}/{empty_database.name}",
        DATABASE_OWNER_URL=f"postgresql://{OWNER_ROLE}@{PG_HOST}/{empty_database.name}",
        SECRETS_KEY=f"{key},{SECRETS_KEY}",
    )

    def satysfakcja(*args: str) -> None:
        result = subprocess.run(
            [sys.executable, "-c", "from saas_platform.cli import main; main()", *args],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr

    def stored() -> tuple[list[str], list[int]]:
        connection = psycopg2.connect(host=PG_HOST, user=APP_ROLE, dbname=empty_database.name)
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT totp_secret FROM platform_operators UNION ALL "
                "SELECT pending_totp_secret FROM operator_setup_links"
            )
            values = [value for (value,) in cursor.fetchall()]
            cursor.execute(
                "SELECT character_maximum_length FROM information_schema.columns "
                "WHERE column_name IN ('totp_secret', 'pending_totp_secret')"
            )
            lengths = [length for (length,) in cursor.fetchall()]
        connection.close()
        return values, lengths

    satysfakcja("db", "upgrade", "0010")
    owner = psycopg2.connect(host=PG_HOST, user=OWNER_ROLE, dbname=empty_database.name)
    with owner, owner.cursor() as cursor:
        cursor.execute(
            "INSERT INTO platform_operators (email, totp_secret, created_at) "
            "VALUES ('operator@platforma.example', %s, now()) RETURNING id",
            (plain,),
        )
        (operator_id,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO operator_setup_links "
            "(operator_id, nonce, pending_totp_secret, expires_at, created_at) "
            "VALUES (%s, 'n', %s, now(), now())",
            (operator_id, plain),
        )
    owner.close()

    satysfakcja("db", "upgrade")
    tokens, lengths = stored()
    assert lengths == [184, 184]
    for token in tokens:
        assert plain not in token
        assert Fernet(key).decrypt(token.encode()).decode() == plain  # the newest key

    satysfakcja("db", "downgrade", "0010")
    assert stored() == ([plain, plain], [64, 64])
